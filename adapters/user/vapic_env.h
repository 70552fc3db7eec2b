/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Compile-time environment for the userspace build of libvapic (the static
 * and shared libraries that the virtual-clock and POSIX adapters, tests,
 * fuzzers and VMMs link).
 *
 * Identical to the freestanding env (GNU C builtins only); the one hosted
 * piece, vapic_warn_report_(), lives in adapters/user/warn.c, outside the
 * core, and prints to stderr.
 */
#ifndef VAPIC_ENV_H
#define VAPIC_ENV_H

#include <vapic/types.h>
#include "../freestanding/vapic_env_gnuc.h"

#endif /* VAPIC_ENV_H */
