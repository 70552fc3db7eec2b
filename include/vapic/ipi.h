/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libvapic interrupt messages: what one local APIC sends to others through
 * its interrupt command register (ICR), and what a device sends as an MSI.
 *
 * Intel SDM vol. 3A, chapter "Advanced Programmable Interrupt Controller
 * (APIC)": "Interrupt Command Register (ICR)", "Determining IPI
 * Destination", "Lowest Priority Delivery Mode", "Message Signalled
 * Interrupts"; x2APIC: "Interrupt Command Register (ICR) in x2APIC Mode",
 * "Logical Destination Mode in x2APIC Mode".
 *
 * A struct vapic_ipi is a *resolved* message: the sender's ICR decoded into
 * delivery mode, destination mode, destination field and shorthand, in the
 * format (xAPIC 8-bit or x2APIC 32-bit) of the sender's mode.  The host's
 * send_ipi op routes it: for each of its LAPICs it asks
 * vapic_lapic_match_dest() and delivers with vapic_lapic_receive() (for the
 * lowest-priority mode it first picks one target with
 * vapic_lapic_lowest_priority()).
 */
#ifndef VAPIC_IPI_H
#define VAPIC_IPI_H

#include <vapic/types.h>

/* ICR low doubleword (xAPIC offset 0x300; x2APIC MSR 0x830 bits 31:0). */
#define VAPIC_ICR_VECTOR_MASK 0x000000ffU
#define VAPIC_ICR_DM_SHIFT 8
#define VAPIC_ICR_DM_MASK 0x00000700U
#define VAPIC_ICR_DEST_LOGICAL 0x00000800U
#define VAPIC_ICR_DELIVERY_STATUS 0x00001000U /* xAPIC only, read-only */
#define VAPIC_ICR_LEVEL_ASSERT 0x00004000U
#define VAPIC_ICR_TRIGGER_LEVEL 0x00008000U
#define VAPIC_ICR_SHORTHAND_SHIFT 18
#define VAPIC_ICR_SHORTHAND_MASK 0x000c0000U
/** Bits of the ICR low doubleword a write can set (xAPIC). */
#define VAPIC_ICR_LO_WRITABLE                                                 \
	(VAPIC_ICR_VECTOR_MASK | VAPIC_ICR_DM_MASK | VAPIC_ICR_DEST_LOGICAL | \
	 VAPIC_ICR_LEVEL_ASSERT | VAPIC_ICR_TRIGGER_LEVEL |                   \
	 VAPIC_ICR_SHORTHAND_MASK)
/** xAPIC ICR high doubleword (offset 0x310): destination in bits 31:24. */
#define VAPIC_ICR_HI_DEST_SHIFT 24

/**
 * enum vapic_delivery_mode - ICR/LVT/MSI delivery mode (bits 10:8).
 * @VAPIC_DM_FIXED: the vector, to every destination.
 * @VAPIC_DM_LOWEST: the vector, to the destination with the lowest
 *	arbitration priority (vapic_lapic_lowest_priority()).
 * @VAPIC_DM_SMI: system-management interrupt (vector ignored).
 * @VAPIC_DM_RESERVED3: reserved; not delivered.
 * @VAPIC_DM_NMI: non-maskable interrupt (vector ignored).
 * @VAPIC_DM_INIT: INIT (vector ignored); with trigger level and level
 *	de-assert it is "INIT level de-assert", which does nothing here.
 * @VAPIC_DM_SIPI: start-up IPI; the vector is the start page number.
 * @VAPIC_DM_EXTINT: external interrupt (8259A-compatible; LVT LINT and
 *	MSI/IOAPIC only, reserved in the ICR): the vector comes from the PIC.
 */
enum vapic_delivery_mode {
	VAPIC_DM_FIXED = 0,
	VAPIC_DM_LOWEST = 1,
	VAPIC_DM_SMI = 2,
	VAPIC_DM_RESERVED3 = 3,
	VAPIC_DM_NMI = 4,
	VAPIC_DM_INIT = 5,
	VAPIC_DM_SIPI = 6,
	VAPIC_DM_EXTINT = 7,
};

/**
 * enum vapic_shorthand - ICR destination shorthand (bits 19:18).
 * @VAPIC_SH_NONE: the destination field (physical or logical).
 * @VAPIC_SH_SELF: the sender only.
 * @VAPIC_SH_ALL: every LAPIC including the sender.
 * @VAPIC_SH_ALL_BUT_SELF: every LAPIC except the sender.
 */
enum vapic_shorthand {
	VAPIC_SH_NONE = 0,
	VAPIC_SH_SELF = 1,
	VAPIC_SH_ALL = 2,
	VAPIC_SH_ALL_BUT_SELF = 3,
};

/** Physical/logical broadcast destination, xAPIC format. */
#define VAPIC_XAPIC_BROADCAST 0xffU
/** Physical/logical broadcast destination, x2APIC format. */
#define VAPIC_X2APIC_BROADCAST 0xffffffffU

struct vapic_lapic;

/**
 * struct vapic_ipi - one interrupt message, resolved for routing.
 * @vector: vector (fixed, lowest priority), start page (SIPI), else 0.
 * @delivery_mode: an enum vapic_delivery_mode.
 * @shorthand: an enum vapic_shorthand (VAPIC_SH_NONE for MSIs).
 * @logical: 1: @dest is a logical destination (message destination
 *	address, matched against each LAPIC's LDR/DFR); 0: an APIC ID.
 * @level: 1: level-triggered fixed interrupt (the receiver sets TMR and
 *	reports the EOI for broadcast).  ICR messages are always edge (the
 *	SDM's ICR table: "the local xAPIC will override the bit setting and
 *	issue the interrupt as an edge triggered interrupt").
 * @x2apic: 1: @dest is in x2APIC format (32-bit APIC ID, or cluster in
 *	bits 31:16 and member bitmap in bits 15:0); 0: xAPIC format (8 bits).
 * @reserved: zero.
 * @dest: the destination field (ignored with a shorthand).
 * @src: the sending LAPIC, or NULL for a device interrupt (MSI, IOAPIC).
 *	Used to exclude or include the sender.
 */
struct vapic_ipi {
	uint32_t vector;
	uint8_t delivery_mode;
	uint8_t shorthand;
	uint8_t logical;
	uint8_t level;
	uint8_t x2apic;
	uint8_t reserved[3];
	uint32_t dest;
	const struct vapic_lapic *src;
};

/**
 * vapic_ipi_from_msi() - decode an MSI (SDM "Message Signalled
 * Interrupts": address 0xFEExxxxx, data) into a message for routing.
 * @ipi: output.
 * @addr: message address: bits 19:12 destination ID, bit 3 redirection
 *	hint (treated as lowest priority when set with logical mode, as the
 *	SDM allows), bit 2 destination mode (1 logical).
 * @data: message data: bits 7:0 vector, 10:8 delivery mode, 14 level
 *	(assert), 15 trigger mode (1 level).
 *
 * Context: any.
 * Return: 0; VAPIC_EINVAL if @addr is not in the 0xFEExxxxx window or
 * uses a reserved delivery mode (3, 6 is start-up: also refused for MSIs).
 */
VAPIC_API int vapic_ipi_from_msi(struct vapic_ipi *ipi, uint64_t addr,
				 uint32_t data);

#endif /* VAPIC_IPI_H */
