// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Freestanding runtime of the test guests (see rt.h).
 */
#include "rt.h"

/* ---- libc bits ------------------------------------------------------ */

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (u8)*a - (u8)*b;
}

/* ---- console -------------------------------------------------------- */

#define COM1 0x3f8

static u32 con_lock;

static void lock(u32 *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		pause();
}

static void unlock(u32 *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static void con_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20)) /* LSR: transmitter holding empty */
		pause();
	outb(COM1, (u8)c);
}

void putchar_(char c)
{
	lock(&con_lock);
	con_putc(c);
	unlock(&con_lock);
}

void puts_(const char *s)
{
	lock(&con_lock);
	while (*s)
		con_putc(*s++);
	unlock(&con_lock);
}

struct buf {
	char *p;
	size_t n, cap;
};

static void bput(struct buf *b, char c)
{
	if (b->n + 1 < b->cap)
		b->p[b->n++] = c;
}

static void bnum(struct buf *b, u64 v, unsigned base, bool neg, int width,
		 char pad)
{
	char tmp[24];
	int i = 0;

	do {
		unsigned d = (unsigned)(v % base);

		tmp[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		tmp[i++] = '-';
	while (width-- > i)
		bput(b, pad);
	while (i--)
		bput(b, tmp[i]);
}

static void vfmt(struct buf *b, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int lng = 0, width = 0;
		char pad = ' ';
		u64 v;

		if (*fmt != '%') {
			bput(b, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			s64 s = lng ? va_arg(ap, s64) : va_arg(ap, int);

			bnum(b, s < 0 ? (u64)-s : (u64)s, 10, s < 0, width,
			     pad);
			break;
		}
		case 'u':
		case 'x':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			bnum(b, v, *fmt == 'x' ? 16 : 10, false, width, pad);
			break;
		case 'p':
			bnum(b, (u64)(uintptr_t)va_arg(ap, void *), 16, false,
			     0, ' ');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			while (*s)
				bput(b, *s++);
			break;
		}
		case 'c':
			bput(b, (char)va_arg(ap, int));
			break;
		case '%':
			bput(b, '%');
			break;
		default:
			bput(b, '?');
			break;
		}
	}
	b->p[b->n] = 0;
}

void printf_(const char *fmt, ...)
{
	char s[256];
	struct buf b = { s, 0, sizeof(s) };
	va_list ap;

	va_start(ap, fmt);
	vfmt(&b, fmt, ap);
	va_end(ap);
	puts_(s);
}

void guest_exit(u32 code)
{
	for (;;) {
		outl(GUEST_PORT_EXIT, code);
		cli();
		hlt();
	}
}

void panic(const char *fmt, ...)
{
	char s[256];
	struct buf b = { s, 0, sizeof(s) };
	va_list ap;

	va_start(ap, fmt);
	vfmt(&b, fmt, ap);
	va_end(ap);
	puts_("PANIC: ");
	puts_(s);
	puts_("\n");
	guest_exit(0x7f);
}

/* ---- Multiboot and configuration ------------------------------------- */

struct mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
};

struct mb_module {
	u32 mod_start, mod_end, string, reserved;
};

extern u64 mb_info_phys, mb_magic;
extern char __end[];

static const char *cfg_text;
static u32 cfg_len;
static u64 heap;
u32 tsc_khz;
u64 mem_top;

static void mb_parse(void)
{
	const struct mb_info *mbi = (const void *)(uintptr_t)mb_info_phys;
	u64 end = (u64)(uintptr_t)__end;

	if (mb_magic != 0x2BADB002)
		panic("not booted by a Multiboot loader (eax %lx)", mb_magic);
	if (!(mbi->flags & 1))
		panic("no Multiboot memory info");
	mem_top = 0x100000 + (u64)mbi->mem_upper * 1024;
	if ((mbi->flags & 8) && mbi->mods_count >= 1) {
		const struct mb_module *m =
			(const void *)(uintptr_t)mbi->mods_addr;

		cfg_text = (const char *)(uintptr_t)m->mod_start;
		cfg_len = m->mod_end - m->mod_start;
		if (m->mod_end > end)
			end = m->mod_end;
	}
	heap = (end + 4095) & ~4095ULL;
}

/* Value of KEY in the KEY=VALUE lines (a static copy, NUL-terminated). */
const char *cfg_get(const char *key)
{
	static char val[8][64];
	static u32 next;
	size_t kl = strlen(key);
	u32 i = 0;

	while (cfg_text && i < cfg_len) {
		u32 j = i, e;

		while (j < cfg_len && cfg_text[j] != '\n')
			j++;
		e = j;
		if (e - i > kl && !memcmp(cfg_text + i, key, kl) &&
		    cfg_text[i + kl] == '=') {
			char *v = val[next++ % 8];
			u32 n = e - i - (u32)kl - 1;

			if (n > 63)
				n = 63;
			memcpy(v, cfg_text + i + kl + 1, n);
			v[n] = 0;
			return v;
		}
		i = j + 1;
	}
	return NULL;
}

u64 cfg_u64(const char *key, u64 def)
{
	const char *s = cfg_get(key);
	u64 v = 0;

	if (!s || !*s)
		return def;
	if (s[0] == '0' && s[1] == 'x') {
		for (s += 2; *s; s++)
			v = v * 16 + (u64)(*s <= '9' ? *s - '0'
						     : (*s | 0x20) - 'a' + 10);
		return v;
	}
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (u64)(*s - '0');
	return v;
}

bool cfg_is(const char *key, const char *value)
{
	const char *s = cfg_get(key);

	return s && !strcmp(s, value);
}

void *alloc(u64 size, u64 align)
{
	u64 p = (heap + align - 1) & ~(align - 1);

	if (p + size > mem_top)
		panic("out of memory (%lu bytes)", size);
	heap = p + size;
	memset((void *)(uintptr_t)p, 0, size);
	return (void *)(uintptr_t)p;
}

/* ---- IDT, exceptions -------------------------------------------------- */

struct idt_gate {
	u16 off0, sel;
	u8 ist, type;
	u16 off1;
	u32 off2, zero;
};

static struct idt_gate idt[256] __attribute__((aligned(16)));

void idt_set(u32 vector, void *handler)
{
	u64 a = (u64)(uintptr_t)handler;
	struct idt_gate *g = &idt[vector];

	g->off0 = (u16)a;
	g->sel = GDT_KCODE64;
	g->ist = 0;
	g->type = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	g->off1 = (u16)(a >> 16);
	g->off2 = (u32)(a >> 32);
	g->zero = 0;
}

static void idt_load(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) d = { sizeof(idt) - 1, (u64)(uintptr_t)idt };

	__asm__ __volatile__("lidt %0" ::"m"(d));
}

volatile u64 fixup_rip;
volatile u32 fault_vector, fault_count;

__attribute__((noreturn)) static void exc(u32 vec, struct iframe *f, u64 err)
{
	panic("exception %u err %lx at rip %lx cs %lx (cpu %u)", vec, err,
	      f->rip, f->cs, this_cpu()->index);
}

#define EXC(n)                                                          \
	__attribute__((interrupt)) static void exc##n(struct iframe *f) \
	{                                                               \
		exc(n, f, 0);                                           \
	}
#define EXCE(n)                                                         \
	__attribute__((interrupt)) static void exc##n(struct iframe *f, \
						      u64 err)          \
	{                                                               \
		exc(n, f, err);                                         \
	}
EXC(0)
EXC(1) EXC(2) EXC(3) EXC(4) EXC(5) EXC(6) EXC(7) EXCE(8) EXC(9) EXCE(10)
	EXCE(11) EXCE(12) EXCE(14) EXC(15) EXC(16) EXCE(17) EXC(18) EXC(19)
		EXC(20)

	/* #GP: boot.S's gp_entry handles expected faults, then comes here. */
	void gp_panic(struct iframe *f, u64 err);
__attribute__((interrupt)) void gp_panic(struct iframe *f, u64 err)
{
	exc(13, f, err);
}

extern char gp_entry[];

__attribute__((interrupt)) static void spurious_isr(struct iframe *f)
{
	(void)f; /* no EOI for the spurious vector */
}

__attribute__((interrupt)) static void unexpected_isr(struct iframe *f)
{
	panic("unexpected interrupt at rip %lx", f->rip);
}

static void idt_init(void)
{
	void *h[] = { exc0,  exc1,  exc2,  exc3,  exc4,	 exc5,	exc6,
		      exc7,  exc8,  exc9,  exc10, exc11, exc12, gp_entry,
		      exc14, exc15, exc16, exc17, exc18, exc19, exc20 };
	u32 i;

	for (i = 0; i < 256; i++)
		idt_set(i, i < ARRAY_SIZE(h) ? h[i] : (void *)unexpected_isr);
	idt_set(0xff, spurious_isr);
}

/* ---- per-CPU setup ------------------------------------------------------ */

struct cpu cpus[MAX_CPUS];
u32 ncpus = 1;
static u8 cpu_stacks[MAX_CPUS][STACK_SIZE] __attribute__((aligned(4096)));
extern u64 gdt_tss[];
extern u64 ap_boot_stack;
static volatile u32 ap_boot_index;

static void cpu_init(u32 index)
{
	struct cpu *c = &cpus[index];
	u64 base = (u64)(uintptr_t)c->tss;
	u64 *d = &gdt_tss[index * 2];
	u32 a, b, cc, dd;

	c->self = c;
	c->index = index;
	wrmsr(0xc0000101, (u64)(uintptr_t)c); /* GS base */
	/* TSS: RSP0 for interrupts from CPL3; no I/O bitmap. */
	memset(c->tss, 0, sizeof(c->tss));
	*(u64 *)(c->tss + 4) = (u64)(uintptr_t)&cpu_stacks[index][STACK_SIZE];
	*(u16 *)(c->tss + 102) = sizeof(c->tss);
	d[0] = 0x67 | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
	       ((base >> 24 & 0xff) << 56);
	d[1] = base >> 32;
	__asm__ __volatile__("ltr %w0" ::"r"(GDT_TSS0 + index * 16));
	idt_load();
	cpuid(1, 0, &a, &b, &cc, &dd);
	c->apic_id = b >> 24;
	apic_setup_mode();
	if (apic_x2)
		c->apic_id = apic_read(APIC_ID);
	apic_enable();
}

/* ---- local APIC -----------------------------------------------------------
 */

bool apic_x2;
u64 apic_mmio = 0xfee00000;

u32 apic_read(u32 off)
{
	if (apic_x2)
		return (u32)rdmsr(0x800 + (off >> 4));
	return *(volatile u32 *)(uintptr_t)(apic_mmio + off);
}

void apic_write(u32 off, u32 v)
{
	if (apic_x2)
		wrmsr(0x800 + (off >> 4), v);
	else
		*(volatile u32 *)(uintptr_t)(apic_mmio + off) = v;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_icr(u32 dest, u32 lo)
{
	if (apic_x2) {
		wrmsr(0x830, ((u64)dest << 32) | lo);
		return;
	}
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, lo);
}

void apic_enable(void)
{
	apic_write(APIC_SVR, 0x1ff);
}

void apic_setup_mode(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	u32 a, b, c, d;
	bool want_x2;

	cpuid(1, 0, &a, &b, &c, &d);
	want_x2 = (c & (1U << 21)) && !cfg_is("apic", "xapic");
	apic_mmio = base & ~0xfffULL;
	if (want_x2) {
		if (!(base & APIC_BASE_EXTD))
			wrmsr(MSR_APIC_BASE,
			      base | APIC_BASE_EN | APIC_BASE_EXTD);
		apic_x2 = true;
	}
}

/* ---- SMP ---------------------------------------------------------------- */

extern char trampoline_start[], trampoline_end[];

static u32 fw_cfg_ncpus(void)
{
	u16 v;

	outw(0x510, 0x05); /* FW_CFG_NB_CPUS */
	v = inb(0x511);
	v |= (u16)(inb(0x511) << 8);
	return v ? v : 1;
}

__attribute__((weak)) void guest_ap_main(struct cpu *c)
{
	(void)c;
	for (;;)
		sti_hlt();
}

void ap_main(void);
void ap_main(void)
{
	u32 i = ap_boot_index;

	cpu_init(i);
	__atomic_store_n(&cpus[i].online, 1, __ATOMIC_RELEASE);
	guest_ap_main(&cpus[i]);
	for (;;)
		sti_hlt();
}

/* The BSP hands AP @i its index and stack, then sends INIT and SIPI. */
static bool ap_boot(u32 i)
{
	u64 t0;

	ap_boot_index = i;
	__atomic_store_n(&ap_boot_stack,
			 (u64)(uintptr_t)&cpu_stacks[i][STACK_SIZE],
			 __ATOMIC_RELEASE);
	apic_icr(cpus[i].apic_id, ICR_INIT | ICR_LEVEL_ASSERT);
	apic_icr(cpus[i].apic_id, ICR_SIPI | SIPI_VECTOR);
	t0 = rdtsc();
	while (!__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE)) {
		if (rdtsc() - t0 > us_to_tsc(2000000))
			return false;
		pause();
	}
	return true;
}

bool smp_restart(u32 i)
{
	__atomic_store_n(&cpus[i].online, 0, __ATOMIC_RELEASE);
	return ap_boot(i);
}

u32 smp_start(void)
{
	u32 i, up = 1;

	memcpy((void *)TRAMPOLINE_PA, trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	for (i = 1; i < ncpus && i < MAX_CPUS; i++) {
		cpus[i].apic_id = i; /* the VMM numbers APIC IDs 0..n-1 */
		if (!ap_boot(i))
			panic("AP %u did not come up", i);
		up++;
	}
	return up;
}

/* ---- reports --------------------------------------------------------------
 */

static void report(struct guest_report *r, const char *name)
{
	size_t n = strlen(name);

	if (n >= GUEST_REPORT_NAME_LEN)
		n = GUEST_REPORT_NAME_LEN - 1;
	r->magic = GUEST_REPORT_MAGIC;
	r->cpu = this_cpu()->index;
	memcpy(r->name, name, n);
	r->name[n] = 0;
	outl(GUEST_PORT_REPORT, (u32)(uintptr_t)r);
}

void report_check(const char *name, bool pass, s64 got, s64 want)
{
	struct guest_report r;

	memset(&r, 0, sizeof(r));
	r.type = GUEST_REPORT_CHECK;
	r.value[0] = pass;
	r.value[1] = got;
	r.value[2] = want;
	report(&r, name);
	printf("%s %s (got %ld, want %ld)\n", pass ? "PASS" : "FAIL", name, got,
	       want);
}

void report_samples(const char *name, const s64 *samples, u32 count)
{
	struct guest_report r;

	memset(&r, 0, sizeof(r));
	r.type = GUEST_REPORT_SAMPLES;
	r.count = count;
	r.data_gpa = (u64)(uintptr_t)samples;
	report(&r, name);
}

void report_counter(const char *name, s64 value)
{
	struct guest_report r;

	memset(&r, 0, sizeof(r));
	r.type = GUEST_REPORT_COUNTER;
	r.value[0] = value;
	report(&r, name);
}

void report_phase(const char *name, bool begin)
{
	struct guest_report r;

	memset(&r, 0, sizeof(r));
	r.type = GUEST_REPORT_PHASE;
	r.value[0] = begin;
	report(&r, name);
}

/* ---- entry ------------------------------------------------------------------
 */

void bsp_main(void);
void bsp_main(void)
{
	int rc;

	mb_parse();
	tsc_khz = (u32)cfg_u64("tsc_khz", 0);
	if (!tsc_khz)
		panic("config has no tsc_khz");
	idt_init();
	cpu_init(0);
	ncpus = fw_cfg_ncpus();
	if (ncpus > MAX_CPUS)
		ncpus = MAX_CPUS;
	cpus[0].online = 1;
	rc = guest_main();
	guest_exit((u32)rc);
}

volatile u64 sti_shadow_irqs;

void sti_shadow_fixup(u64 *frame_rip)
{
	const volatile u8 *ip = (const volatile u8 *)(uintptr_t)*frame_rip;

	if (ip[0] == 0xf4 && ip[-1] == 0xfb) { /* HLT right after STI */
		__atomic_add_fetch(&sti_shadow_irqs, 1, __ATOMIC_RELAXED);
		*frame_rip += 1;
	}
}

__attribute__((weak)) void lat_isr_c(u64 tsc, u64 *frame_rip)
{
	(void)tsc;
	(void)frame_rip;
	panic("latency ISR without a handler");
}
