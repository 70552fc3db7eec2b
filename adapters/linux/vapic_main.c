// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vapic.ko: libvapic's core (libvapic/, built from libvapic/sources.txt),
 * the kernel host (vapic_khost.c) and the exports of the public API
 * (vapic_exports.c, generated from include/vapic/ by gen-exports.sh).
 * A library module: it does nothing by itself; a hypervisor module links
 * against its exports.
 */
#include <linux/init.h>
#include <linux/module.h>

#ifndef VAPIC_VERSION
#define VAPIC_VERSION "unknown"
#endif

static int __init vapic_init(void)
{
	return 0;
}

static void __exit vapic_exit(void)
{
}

module_init(vapic_init);
module_exit(vapic_exit);

MODULE_DESCRIPTION("libvapic: x86 local-APIC timer emulation for hypervisors");
MODULE_LICENSE("Dual BSD/GPL");
MODULE_VERSION(VAPIC_VERSION);
