/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Compile-time environment for the freestanding proof build.
 *
 * Uses compiler-provided headers only (through <vapic/types.h>): this is the
 * env the test suite compiles every core file against with -ffreestanding
 * -nostdinc and kernel-like flags, to prove the core needs nothing from a C
 * library.  It is never linked.
 */
#ifndef VAPIC_ENV_H
#define VAPIC_ENV_H

#include <vapic/types.h>
#include "vapic_env_gnuc.h"

/* Reported by the embedding environment; declared only. */
void vapic_warn_report_(const char *file, int line, const char *expr);

#endif /* VAPIC_ENV_H */
