/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Guest boot: Multiboot (v1) header, the 32-bit protected-mode entry the
 * loader jumps to, the switch to long mode, the AP trampoline (real mode at
 * the SIPI page), and the few interrupt entry stubs that must be asm.
 *
 * Why long mode: the reference host's KVM (software PVM) runs guest CPL0
 * code through KVM's instruction emulator, which cannot execute IRET in
 * 32-bit protected mode, nor enable 32-bit paging; in long mode IRETQ,
 * interrupt delivery and native CPL3 all work.  So the kernel is entered
 * in 32-bit protected mode as Multiboot requires, and switches to 64-bit
 * with an identity map of the first 4 GiB (2 MiB pages, user-accessible).
 */
#include "layout.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

/* ------------------------------------------------------------------ */
/* 32-bit entry (EAX = 0x2BADB002, EBX = Multiboot info)               */

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	mov %ebx, mb_info_phys
	mov %eax, mb_magic
	mov $(boot_stack_top), %esp
	jmp enter_long_mode

/*
 * Shared by the BSP and the APs: protected mode, flat segments, paging
 * off -> long mode.  ESP must point to a usable stack.
 */
enter_long_mode:
	lgdt gdt_desc
	mov $GDT_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $0x20, %eax /* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx /* EFER */
	rdmsr
	or $0x100, %eax /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax /* PG | PE */
	mov %eax, %cr0
	ljmp $GDT_KCODE64, $long_mode

	.code64
long_mode:
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $GDT_KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov ap_boot_stack(%rip), %rsp
	test %rsp, %rsp
	jnz 1f
	/* BSP */
	mov $(boot_stack_top), %rsp
	xor %ebp, %ebp
	call bsp_main
	jmp halt_forever
1:	/* AP: the BSP handed us a stack (and our index) */
	xor %ebp, %ebp
	movq $0, ap_boot_stack(%rip)
	call ap_main
halt_forever:
	cli
	hlt
	jmp halt_forever

/* ------------------------------------------------------------------ */
/* AP trampoline: copied to TRAMPOLINE_PA; the SIPI vector is its page */

	.section .rodata.trampoline, "a"
	.code16
	.globl trampoline_start, trampoline_end
trampoline_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	lgdtl TRAMPOLINE_PA + (tramp_gdt_desc - trampoline_start)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $GDT_KCODE32, $(TRAMPOLINE_PA + (tramp32 - trampoline_start))
	.code32
tramp32:
	mov $GDT_KDATA, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $(TRAMPOLINE_PA + TRAMPOLINE_STACK_OFF), %esp
	mov $enter_long_mode, %eax
	jmp *%eax
	.align 8
tramp_gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
trampoline_end:

/* ------------------------------------------------------------------ */
/* Interrupt entry stubs whose first instructions matter               */

	.text
	.code64
/*
 * Timer-latency ISR entry: read the TSC as early as possible (two pushes
 * before RDTSC), then call the C handler with it and the address of the
 * interrupt frame's RIP.
 */
	.globl lat_isr_entry
lat_isr_entry:
	push %rax
	push %rdx
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	push %rcx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov %rax, %rdi
	lea 72(%rsp), %rsi	/* the interrupt frame's RIP */
	call lat_isr_c
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rcx
	pop %rdx
	pop %rax
	iretq

/*
 * #GP entry: an expected fault (fixup_rip set, rt.h safe_rdmsr/wrmsr)
 * resumes at fixup_rip; anything else goes to the C handler, which
 * panics.  In asm because modifying the interrupt frame from an
 * __attribute__((interrupt)) function is not honoured by every compiler.
 * Frame: error code, RIP, CS, RFLAGS, RSP, SS.
 */
	.globl gp_entry
gp_entry:
	push %rax
	mov fixup_rip(%rip), %rax
	test %rax, %rax
	jz 1f
	mov %rax, 16(%rsp)
	movq $0, fixup_rip(%rip)
	movl $13, fault_vector(%rip)
	addl $1, fault_count(%rip)
	pop %rax
	add $8, %rsp
	iretq
1:	pop %rax
	jmp gp_panic

/* ------------------------------------------------------------------ */
/* Data: GDT, page tables, boot stack                                  */

	.data
	.align 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08 kernel code 32 */
	.quad 0x00af9a000000ffff /* 0x10 kernel code 64 */
	.quad 0x00cf92000000ffff /* 0x18 kernel data */
	.quad 0x00cffa000000ffff /* 0x20 user code 32 (unused) */
	.quad 0x00cff2000000ffff /* 0x28 user data */
	.quad 0x00affa000000ffff /* 0x30 user code 64 */
	.quad 0
	.globl gdt_tss
gdt_tss: /* 0x40: one 16-byte TSS descriptor per CPU, filled at run time */
	.fill MAX_CPUS * 2, 8, 0
gdt_end:
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.globl mb_info_phys, mb_magic, ap_boot_stack
	.align 8
mb_info_phys:	.quad 0
mb_magic:	.quad 0
ap_boot_stack:	.quad 0

/*
 * Identity map of the first 4 GiB with 2 MiB pages, user-accessible
 * (P|RW|US|PS); the 4th GiB (MMIO, the APIC) uncacheable (PCD|PWT).
 */
	.align 4096
	.globl pml4
pml4:
	.quad pdpt + 0x7
	.fill 511, 8, 0
pdpt:
	.quad pd0 + 0x7
	.quad pd1 + 0x7
	.quad pd2 + 0x7
	.quad pd3 + 0x7
	.fill 508, 8, 0
pd0:
	.set i, 0
	.rept 512
	.quad (i << 21) + 0x87
	.set i, i + 1
	.endr
pd1:
	.rept 512
	.quad (i << 21) + 0x87
	.set i, i + 1
	.endr
pd2:
	.rept 512
	.quad (i << 21) + 0x87
	.set i, i + 1
	.endr
pd3:
	.rept 512
	.quad (i << 21) + 0x9f
	.set i, i + 1
	.endr

	.bss
	.align 16
boot_stack:
	.skip 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
