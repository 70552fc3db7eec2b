/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Freestanding runtime of the test guests: port I/O, MSRs, the console,
 * the Multiboot config module, the IDT, the local APIC (xAPIC MMIO or
 * x2APIC MSRs), SMP bring-up by INIT/SIPI, and reports to the VMM.
 *
 * Guest CPL0 code is emulated instruction by instruction on the reference
 * host (~1 us per instruction), so hot paths here are kept short.
 */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "../guest_abi.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define barrier() __asm__ __volatile__("" ::: "memory")

/* ---- CPU primitives ------------------------------------------------- */

static inline void outb(u16 port, u8 v)
{
	__asm__ __volatile__("outb %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
static inline void outw(u16 port, u16 v)
{
	__asm__ __volatile__("outw %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
static inline void outl(u16 port, u32 v)
{
	__asm__ __volatile__("outl %0, %1" ::"a"(v), "Nd"(port) : "memory");
}
static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((u64)hi << 32) | lo;
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ __volatile__("wrmsr" ::"c"(msr), "a"((u32)v),
			     "d"((u32)(v >> 32))
			     : "memory");
}
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub));
}
static inline void sti(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}
static inline void cli(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}
/* STI's interrupt shadow covers HLT: no wake-up is lost in between. */
static inline void sti_hlt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}
static inline void hlt(void)
{
	__asm__ __volatile__("hlt" ::: "memory");
}
static inline void pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}
static inline u64 read_cr8(void)
{
	u64 v;

	__asm__ __volatile__("mov %%cr8, %0" : "=r"(v));
	return v;
}
static inline void write_cr8(u64 v)
{
	__asm__ __volatile__("mov %0, %%cr8" ::"r"(v) : "memory");
}

/* ---- libc bits ------------------------------------------------------ */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* ---- console, exit --------------------------------------------------- */

void putchar_(char c);
void puts_(const char *s);
void printf_(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
#define printf printf_
__attribute__((noreturn)) void guest_exit(u32 code);
__attribute__((noreturn)) void panic(const char *fmt, ...)
	__attribute__((format(__printf__, 1, 2)));

/* ---- configuration (Multiboot module of KEY=VALUE lines) ------------ */

const char *cfg_get(const char *key); /* NULL if absent */
u64 cfg_u64(const char *key, u64 def);
bool cfg_is(const char *key, const char *value);
extern u32 tsc_khz; /* cfg "tsc_khz" */
extern u64 mem_top; /* end of RAM from Multiboot mem_upper */

static inline u64 us_to_tsc(u64 us)
{
	return us * tsc_khz / 1000;
}
static inline u64 tsc_to_ns(u64 tsc)
{
	return tsc * 1000000 / tsc_khz;
}

/* Bump allocator above the kernel and the module (never freed). */
void *alloc(u64 size, u64 align);

/* ---- interrupts ------------------------------------------------------ */

struct iframe {
	u64 rip, cs, rflags, rsp, ss;
};
typedef void (*isr_t)(struct iframe *);
void idt_set(u32 vector, void *handler);
extern char lat_isr_entry[]; /* asm stub calling lat_isr_c(tsc) */

/*
 * Expected faults: a #GP while fixup_rip is set resumes there and records
 * the vector (boot.S gp_entry; BSP, one at a time).
 */
extern volatile u64 fixup_rip;
extern volatile u32 fault_vector, fault_count;

/* RDMSR/WRMSR that return -1 (and the vector) instead of faulting. */
static inline int safe_wrmsr(u32 msr, u64 v)
{
	u32 before = fault_count;

	__asm__ __volatile__("movq $1f, fixup_rip(%%rip)\n\t"
			     "wrmsr\n\t"
			     "movq $0, fixup_rip(%%rip)\n"
			     "1:" ::"c"(msr),
			     "a"((u32)v), "d"((u32)(v >> 32))
			     : "memory");
	return fault_count != before ? -1 : 0;
}

static inline int safe_rdmsr(u32 msr, u64 *v)
{
	u32 before = fault_count, lo = 0, hi = 0;

	__asm__ __volatile__("movq $1f, fixup_rip(%%rip)\n\t"
			     "rdmsr\n\t"
			     "movq $0, fixup_rip(%%rip)\n"
			     "1:"
			     : "+a"(lo), "+d"(hi)
			     : "c"(msr)
			     : "memory");
	*v = ((u64)hi << 32) | lo;
	return fault_count != before ? -1 : 0;
}

/* ---- local APIC ------------------------------------------------------ */

#define APIC_ID 0x20
#define APIC_VERSION 0x30
#define APIC_TPR 0x80
#define APIC_PPR 0xa0
#define APIC_EOI 0xb0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SVR 0xf0
#define APIC_ISR 0x100
#define APIC_TMR 0x180
#define APIC_IRR 0x200
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVTT 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_ERR 0x370
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR 0x3e0
#define APIC_SELF_IPI 0x3f0

#define LVT_MASKED (1U << 16)
#define LVTT_ONESHOT (0U << 17)
#define LVTT_PERIODIC (1U << 17)
#define LVTT_TSCDEADLINE (2U << 17)

#define ICR_FIXED 0x000
#define ICR_NMI 0x400
#define ICR_INIT 0x500
#define ICR_SIPI 0x600
#define ICR_LEVEL_ASSERT 0x4000
#define ICR_SELF (1U << 18)
#define ICR_ALL_BUT_SELF (3U << 18)

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)

extern bool apic_x2; /* x2APIC mode (MSRs) rather than xAPIC (MMIO) */
extern u64 apic_mmio; /* xAPIC base address */

u32 apic_read(u32 off);
void apic_write(u32 off, u32 v);
void apic_eoi(void);
void apic_icr(u32 dest_apic_id, u32 lo);
void apic_enable(void); /* SVR: enabled, spurious 0xff */
/* Switch this CPU's APIC to the mode selected by cfg "apic". */
void apic_setup_mode(void);

/* ---- CPUs ------------------------------------------------------------ */

struct cpu {
	struct cpu *self; /* %gs:0 */
	u32 index;
	u32 apic_id;
	volatile u32 online;
	u8 tss[104] __attribute__((aligned(16)));
	/* per-CPU scratch for the guests */
	volatile u64 last_isr_tsc;
	volatile u64 irq_count;
	void *priv;
};

extern struct cpu cpus[MAX_CPUS];
extern u32 ncpus; /* from fw_cfg */

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ __volatile__("mov %%gs:0, %0" : "=r"(c));
	return c;
}

/*
 * Start every AP by INIT + SIPI; each runs guest_ap_main() after its own
 * setup.  Returns the number of CPUs online.
 */
u32 smp_start(void);

/*
 * Start AP @i again by INIT + SIPI: it runs its setup and guest_ap_main()
 * afresh.  Returns false if it did not come up within 2 s.
 */
bool smp_restart(u32 i);

/* ---- reports to the VMM ---------------------------------------------- */

void report_check(const char *name, bool pass, s64 got, s64 want);
void report_samples(const char *name, const s64 *samples, u32 count);
void report_counter(const char *name, s64 value);
void report_phase(const char *name, bool begin);

/* ---- what a guest program provides ----------------------------------- */

int guest_main(void); /* BSP; the return value is the exit code */
void guest_ap_main(struct cpu *c); /* weak default: halt loop */

/*
 * latency ISR support: called from lat_isr_entry with the entry TSC and the
 * address of the interrupt frame's RIP (the handler may change it)
 */
void lat_isr_c(u64 tsc, u64 *frame_rip);

/*
 * STI;HLT interrupt shadow.  An interrupt whose frame returns to the HLT of
 * sti_hlt() was recognized between STI and HLT, inside STI's interrupt
 * shadow, which the SDM forbids (STI: interrupts are recognized after the
 * next instruction); returning there would halt with the wake-up already
 * consumed (seen under nested SVM on TCG).  sti_shadow_fixup() counts it in
 * sti_shadow_irqs and moves the frame's RIP past the HLT, as if the
 * interrupt had woken it.  Interrupt entries call it with the address of
 * the frame's RIP: lat_isr_entry, and the stubs ISR_STUB() makes (an
 * __attribute__((interrupt)) handler cannot change its frame with every
 * compiler).
 */
extern volatile u64 sti_shadow_irqs;
void sti_shadow_fixup(u64 *frame_rip);

/*
 * ISR_STUB(entry, handler): at file scope, defines the interrupt entry
 * @entry (for idt_set()) that saves the caller-saved registers, applies
 * sti_shadow_fixup() and calls void @handler(void) (which does its EOI).
 */
#define ISR_STUB(entry, handler)                                        \
	void entry(void);                                               \
	void handler(void);                                             \
	__asm__(".pushsection .text\n.globl " #entry "\n"                \
		".type " #entry ", @function\n" #entry ":\n"            \
		"push %rax\npush %rcx\npush %rdx\npush %rsi\npush %rdi\n" \
		"push %r8\npush %r9\npush %r10\npush %r11\n"              \
		"lea 72(%rsp), %rdi\ncall sti_shadow_fixup\n"             \
		"call " #handler "\n"                                     \
		"pop %r11\npop %r10\npop %r9\npop %r8\npop %rdi\n"        \
		"pop %rsi\npop %rdx\npop %rcx\npop %rax\niretq\n"         \
		".popsection\n")

#endif /* GUEST_RT_H */
