/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Userspace build of libvapic: what the userspace environment adds.
 */
#ifndef VAPIC_USER_H
#define VAPIC_USER_H

#include <vapic/types.h>

/**
 * vapic_user_warn_count() - how many VAPIC_WARN_ON() conditions (programmer
 * errors of the embedding host) have fired in this process.
 *
 * Context: any.
 */
VAPIC_API unsigned long vapic_user_warn_count(void);

#endif /* VAPIC_USER_H */
