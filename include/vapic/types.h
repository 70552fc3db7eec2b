/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic public base types.
 *
 * Public headers use the C99 fixed-width names (uint64_t ...), which the
 * Linux kernel's <linux/types.h> also provides, so the same headers serve the
 * kernel module and userspace.  Only compiler-provided (freestanding) headers
 * are included outside the kernel.
 */
#ifndef VAPIC_TYPES_H
#define VAPIC_TYPES_H

#if defined(__KERNEL__)
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

/*
 * VAPIC_API marks the public entry points.  The userspace shared library is
 * built with -fvisibility=hidden, so only functions declared with VAPIC_API
 * are exported.  In the kernel, exports are the kernel adapter's business.
 */
#if defined(__KERNEL__)
#define VAPIC_API
#elif defined(__GNUC__)
#define VAPIC_API __attribute__((visibility("default")))
#else
#define VAPIC_API
#endif

#if defined(__GNUC__)
#define VAPIC_MUST_CHECK __attribute__((warn_unused_result))
#else
#define VAPIC_MUST_CHECK
#endif

#endif /* VAPIC_TYPES_H */
