/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Constants shared by the guests' asm and C, and (through
 * ../guest_abi.h) with the VMM.
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define MAX_CPUS 8
/* AP trampoline: real mode at the SIPI vector page (vector 0x08). */
#define TRAMPOLINE_PA 0x8000
#define TRAMPOLINE_STACK_OFF 0xff0
#define SIPI_VECTOR (TRAMPOLINE_PA >> 12)

#define GDT_KCODE32 0x08
#define GDT_KCODE64 0x10
#define GDT_KDATA 0x18
#define GDT_UDATA 0x2b
#define GDT_UCODE64 0x33
#define GDT_TSS0 0x40

#define STACK_SIZE 16384

#endif
