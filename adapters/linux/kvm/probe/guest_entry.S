/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * kvm-timer-probe guest: entry point and interrupt stubs (32-bit flat
 * protected mode, CPL 0, no paging; the VMM sets CS/DS/SS and the GDT).
 */
#include "probe_abi.h"

	.code32
	.section .text.entry, "ax"
	.globl _start
_start:
	movl	$PROBE_STACK_TOP, %esp
	cld
	call	guest_main
1:	cli
	hlt
	jmp	1b

/* vCPU 1 (PROBE_REMAP_ADD): interrupts off, its own stack. */
	.globl	ap_start
ap_start:
	movl	$PROBE_AP_STACK_TOP, %esp
	cld
	call	ap_main
1:	cli
	hlt
	jmp	1b

	.text
/*
 * The timer interrupt: C handler with the address of the frame's EIP, then
 * IRET (EOI is in the handler).
 */
	.globl	timer_stub
timer_stub:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	leal	12(%esp), %eax
	pushl	%eax
	call	timer_isr
	addl	$4, %esp
	popl	%edx
	popl	%ecx
	popl	%eax
	iret

/* Spurious vector: no EOI (SDM "Spurious Interrupt"). */
	.globl	spurious_stub
spurious_stub:
	iret

/* Exceptions 0..31: exc_handler(vector, error, eip); never returns. */
.macro EXC_NOERR n
	.globl	exc_stub_\n
exc_stub_\n:
	pushl	$0
	pushl	$\n
	jmp	exc_common
.endm
.macro EXC_ERR n
	.globl	exc_stub_\n
exc_stub_\n:
	pushl	$\n
	jmp	exc_common
.endm
EXC_NOERR 0
EXC_NOERR 1
EXC_NOERR 2
EXC_NOERR 3
EXC_NOERR 4
EXC_NOERR 5
EXC_NOERR 6
EXC_NOERR 7
EXC_ERR 8
EXC_NOERR 9
EXC_ERR 10
EXC_ERR 11
EXC_ERR 12
EXC_ERR 13
EXC_ERR 14
EXC_NOERR 15
EXC_NOERR 16
EXC_ERR 17
EXC_NOERR 18
EXC_NOERR 19
EXC_NOERR 20
EXC_ERR 21
EXC_NOERR 22
EXC_NOERR 23
EXC_NOERR 24
EXC_NOERR 25
EXC_NOERR 26
EXC_NOERR 27
EXC_NOERR 28
EXC_ERR 29
EXC_ERR 30
EXC_NOERR 31

exc_common:
	/* Stack: vector, error, eip, cs, eflags. */
	movl	0(%esp), %eax
	movl	4(%esp), %edx
	movl	8(%esp), %ecx
	pushl	%ecx
	pushl	%edx
	pushl	%eax
	call	exc_handler
2:	cli
	hlt
	jmp	2b

	.section .rodata
	.globl	exc_stubs
	.align	4
exc_stubs:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long	exc_stub_\n
	.endr

	.section .note.GNU-stack, "", @progbits
