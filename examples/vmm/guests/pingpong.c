// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Two-vCPU request/response guests.
 *
 * pingpong.elf: IPI ping-pong.  The BSP (client) sends a fixed IPI to the
 * AP (server) and halts until the reply IPI arrives; the server halts
 * between requests and replies from its ISR (x2APIC: the asm hot path
 * below) or from its main loop (xAPIC, and tcprr.elf).  The client records
 * the round trip (guest TSC) of every exchange.  Both vCPUs halt between
 * messages, so the halt-poll policy decides how fast they wake.
 *
 * tcprr.elf (built with -DTCPRR): the same exchange, plus the timer pattern
 * of netperf TCP_RR that the lazy TSC-deadline seed measured (6.2 M
 * TSC-deadline writes for 2.1 M halts, i.e. about three per halt, almost
 * all overwriting a deadline with a later one before it expires): on every
 * transaction each vCPU pushes its timeout out @pushes times
 * (now + timeout_us), through the lazy protocol's guest side when the host
 * offers it and lazy=1, else with a WRMSR each.  A timeout that expires
 * (no traffic for timeout_us) is counted and not re-armed until the next
 * push.
 *
 * Config: n=5000 exchanges (after warmup=100), gap_us=20 (client think time
 * between exchanges), and for tcprr: pushes=3, timeout_us=2000, lazy=0|1.
 * pingpong.elf, x2APIC: pveoi=0|1 (default 0): with 1, each vCPU enables
 * KVM's paravirtual EOI (MSR 0x4b564d04) if CPUID 0x40000001 EAX bit 6 (in
 * KVM's "KVMKVMKVM" leaves) offers it, and the ISRs skip the EOI WRMSR when
 * their test-and-clear of the word's bit 0 finds it set (as Linux's
 * kvm_guest_apic_eoi_write()); not offered or #GP: reported, run without.
 */
#include "rt.h"

#ifdef TCPRR
#include <vapic/lazy.h>
#endif

#define V_PING 0x81
#define V_PONG 0x82
#define V_TIMER 0xef

struct pcpu {
	volatile u32 msg;
	volatile u64 msg_tsc;
	/* timer model */
	u64 deadline; /* the timeout's deadline, 0 = none */
	u64 programmed; /* what the clock-event device has, 0 = none */
	u64 set_calls, msr_writes, lazy_skips, timer_irqs, timeouts;
#ifdef TCPRR
	struct vapic_lazy_page *lazy;
#endif
};

static struct pcpu pc[2];
static u64 timeout_tsc;
#ifndef TCPRR
static bool pveoi_cli_on, pveoi_srv_on;
#endif
static u32 pushes;
static volatile u32 server_ready;

static struct pcpu *me(void)
{
	return &pc[this_cpu()->index & 1];
}

ISR_STUB(isr_msg, msg_isr_c);
void msg_isr_c(void)
{
	struct pcpu *p = me();

	p->msg_tsc = rdtsc();
	p->msg = 1;
	apic_eoi();
}

/* ---- TCP_RR timer model ------------------------------------------------- */

/* The clock-event device's set_next_event(): interrupts are off. */
static void program(struct pcpu *p, u64 deadline)
{
	bool write = true;

	if (deadline == p->programmed)
		return;
	p->programmed = deadline;
	p->set_calls++;
#ifdef TCPRR
	if (p->lazy)
		write = vapic_lazy_guest_set_deadline(p->lazy, deadline);
#endif
	if (write) {
		wrmsr(MSR_TSC_DEADLINE, deadline);
		p->msr_writes++;
	} else {
		p->lazy_skips++;
	}
}

static void push_timeouts(struct pcpu *p)
{
	u32 k;

	for (k = 0; k < pushes; k++) {
		p->deadline = rdtsc() + timeout_tsc;
		program(p, p->deadline);
	}
}

ISR_STUB(isr_timer, timer_isr_c);
void timer_isr_c(void)
{
	struct pcpu *p = me();

	p->timer_irqs++;
	p->programmed = 0; /* the device disarmed itself */
	if (p->deadline && rdtsc() >= p->deadline) {
		p->timeouts++;
		p->deadline = 0;
	}
	if (p->deadline)
		program(p, p->deadline); /* woken early?  never: re-arm */
	apic_eoi();
}

#ifdef TCPRR
static void cpuid_cb(void *ctx, u32 leaf, u32 regs[4])
{
	(void)ctx;
	cpuid(leaf, 0, &regs[0], &regs[1], &regs[2], &regs[3]);
}

static void lazy_enable(struct pcpu *p)
{
	struct vapic_lazy_guest_info info;
	u32 a, b, c, d;

	if (!cfg_u64("lazy", 0))
		return;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1U << 31)) ||
	    vapic_lazy_guest_probe(cpuid_cb, NULL, &info)) {
		printf("tcprr: cpu %u: lazy TSC-deadline not offered\n",
		       this_cpu()->index);
		return;
	}
	p->lazy = alloc(VAPIC_LAZY_PAGE_SIZE, VAPIC_LAZY_PAGE_SIZE);
	vapic_lazy_guest_page_init(p->lazy);
	if (safe_wrmsr(info.msr_index,
		       vapic_lazy_guest_msr_value((u64)(uintptr_t)p->lazy))) {
		printf("tcprr: cpu %u: enabling lazy TSC-deadline: #GP\n",
		       this_cpu()->index);
		p->lazy = NULL;
	}
}
#endif

static void timer_setup(struct pcpu *p)
{
	apic_write(APIC_LVTT, LVTT_TSCDEADLINE | V_TIMER);
#ifdef TCPRR
	lazy_enable(p);
#endif
}

static void timer_report(struct pcpu *p, const char *who)
{
	char name[48];

	cli();
	p->deadline = 0;
	program(p, 0);
#define R(field)                                      \
	do {                                          \
		memcpy(name, #field, sizeof(#field)); \
		report_counter(name, (s64)p->field);  \
	} while (0)
	R(set_calls);
	R(msr_writes);
	R(lazy_skips);
	R(timer_irqs);
	R(timeouts);
#undef R
	printf("%s: %lu deadline sets: %lu MSR writes, %lu lazy skips; "
	       "%lu timer irqs, %lu timeouts\n",
	       who, p->set_calls, p->msr_writes, p->lazy_skips, p->timer_irqs,
	       p->timeouts);
}

/* ---- the exchange ---------------------------------------------------------
 */

/* The client's think time between exchanges. */
static void pp_gap(u64 gap)
{
	u64 t0 = rdtsc();

	while (rdtsc() - t0 < gap)
		pause();
}

#ifndef TCPRR
/*
 * The ping-pong's hot path, in assembly.  Every instruction a guest runs at
 * CPL0 goes through KVM's instruction emulator on the reference machine's
 * nested KVM (about 1-3 k cycles each), so the C path below (ISR_STUB's nine
 * saves and calls, apic_eoi()'s dispatch, the wait loop after IRET) added
 * tens of microseconds of emulation to each round trip (README: p50 173.0
 * -> 95.8 us without halt-polling) that real hardware does not have,
 * and hid what the halt-poll policy changes.  x2APIC mode only (the C path
 * serves xAPIC).
 *
 * pp_isr_ping_{isr,late}: the server's ISR replies from the handler, as an
 * interrupt-driven server does: with eoi=isr (default) it writes EOI
 * first, as Linux's IPI handlers do; with eoi=late it sends the reply
 * first, which takes the EOI exit off the round trip's critical path (as
 * KVM's PV EOI does for Linux guests by removing that exit).  It counts the
 * requests in pp_served and flags pp_srv_msg.
 * pp_isr_pong: the client's ISR reads the TSC first (the round trip ends
 * there, as in the C path), flags the reply, writes EOI.
 * Both end with the STI;HLT shadow fix-up (rt.h) for pp_hlt, the only HLT
 * interrupts meet here (three registers saved: the frame's RIP is at 24).
 *
 * pp_wait(flag): with IF=0, halt until *flag is set; clear it; IF=0 again.
 */
volatile u32 pp_msg, pp_srv_msg, pp_served;
volatile u64 pp_rx_tsc;
u64 pp_reply_icr; /* server: the reply's ICR value */
void pp_isr_ping_isr(void);
void pp_isr_ping_late(void);
void pp_isr_pong(void);
void pp_wait(volatile u32 *flag);
/*
 * pveoi=1: the per-vCPU PV EOI words (client: the BSP's, server: the AP's),
 * one cache line each, and the ISR variants whose pp_eoi first does
 * "btrl $0, word": bit 0 was set (the host said the EOI may be skipped):
 * no WRMSR.  Each ISR is one assembler macro, instantiated twice: without
 * a word (the pveoi=0 ISRs above) and with it (the _pv ones).
 */
volatile u32 pp_pveoi_cli __attribute__((aligned(64)));
volatile u32 pp_pveoi_srv __attribute__((aligned(64)));
void pp_isr_ping_isr_pv(void);
void pp_isr_ping_late_pv(void);
void pp_isr_pong_pv(void);
__asm__(".pushsection .text\n"
	".macro pp_eoi word=0\n"
	"	.ifnc \\word,0\n"
	"	btrl $0, \\word(%rip)\n"
	"	jc 9f\n"
	"	.endif\n"
	"	xor %eax, %eax\n"
	"	xor %edx, %edx\n"
	"	mov $0x80b, %ecx\n"
	"	wrmsr\n"
	"9:\n"
	".endm\n"
	".macro pp_reply\n"
	"	mov pp_reply_icr(%rip), %eax\n"
	"	mov pp_reply_icr+4(%rip), %edx\n"
	"	mov $0x830, %ecx\n"
	"	wrmsr\n"
	".endm\n"
	".macro pp_iret\n"
	"	cmpq $pp_hlt, 24(%rsp)\n"
	"	jne 1f\n"
	"	incq 24(%rsp)\n"
	"	lock incq sti_shadow_irqs(%rip)\n"
	"1:	pop %rdx\n"
	"	pop %rcx\n"
	"	pop %rax\n"
	"	iretq\n"
	".endm\n"
	".macro pp_isr name\n"
	"	.globl \\name\n"
	"	.type \\name, @function\n"
	"\\name:\n"
	"	push %rax\n"
	"	push %rcx\n"
	"	push %rdx\n"
	".endm\n"
	".macro pp_ping_isr name word\n"
	"	pp_isr \\name\n"
	"	pp_eoi \\word\n"
	"	pp_reply\n"
	"	incl pp_served(%rip)\n"
	"	movl $1, pp_srv_msg(%rip)\n"
	"	pp_iret\n"
	".endm\n"
	".macro pp_ping_late name word\n"
	"	pp_isr \\name\n"
	"	pp_reply\n"
	"	pp_eoi \\word\n"
	"	incl pp_served(%rip)\n"
	"	movl $1, pp_srv_msg(%rip)\n"
	"	pp_iret\n"
	".endm\n"
	".macro pp_pong name word\n"
	"	pp_isr \\name\n"
	"	rdtsc\n"
	"	mov %eax, pp_rx_tsc(%rip)\n"
	"	mov %edx, pp_rx_tsc+4(%rip)\n"
	"	movl $1, pp_msg(%rip)\n"
	"	pp_eoi \\word\n"
	"	pp_iret\n"
	".endm\n"
	"	pp_ping_isr pp_isr_ping_isr 0\n"
	"	pp_ping_late pp_isr_ping_late 0\n"
	"	pp_pong pp_isr_pong 0\n"
	"	pp_ping_isr pp_isr_ping_isr_pv pp_pveoi_srv\n"
	"	pp_ping_late pp_isr_ping_late_pv pp_pveoi_srv\n"
	"	pp_pong pp_isr_pong_pv pp_pveoi_cli\n"
	".globl pp_wait\n"
	".type pp_wait, @function\n"
	"pp_wait:\n"
	"1:	cmpl $0, (%rdi)\n"
	"	jne 2f\n"
	"	sti\n"
	"pp_hlt:	hlt\n"
	"	cli\n"
	"	jmp 1b\n"
	"2:	movl $0, (%rdi)\n"
	"	ret\n"
	".popsection\n");

static bool pp_lean(void)
{
	return apic_x2;
}

#define MSR_KVM_PV_EOI_EN 0x4b564d04U
#define KVM_FEATURE_PV_EOI 6

/* Is KVM's PV EOI offered (CPUID "KVMKVMKVM" leaf 0x40000001 EAX bit 6)? */
static bool pveoi_offered(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1U << 31)))
		return false;
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	if (b != 0x4b4d564bU || c != 0x564b4d56U || d != 0x4d || a < 0x40000001)
		return false;
	cpuid(0x40000001, 0, &a, &b, &c, &d);
	return a & (1U << KVM_FEATURE_PV_EOI);
}

/* pveoi=1: enable PV EOI on this vCPU with @word; true if it is on. */
static bool pveoi_enable(volatile u32 *word)
{
	if (!cfg_u64("pveoi", 0) || !pp_lean())
		return false;
	if (!pveoi_offered()) {
		printf("pingpong: cpu %u: PV EOI not offered\n",
		       this_cpu()->index);
		return false;
	}
	*word = 0;
	if (safe_wrmsr(MSR_KVM_PV_EOI_EN, (u64)(uintptr_t)word | 1)) {
		printf("pingpong: cpu %u: enabling PV EOI: #GP\n",
		       this_cpu()->index);
		return false;
	}
	return true;
}

static void pp_server_lean(u64 total, u32 client)
{
	pp_reply_icr = ((u64)client << 32) | ICR_FIXED | V_PONG;
	while (__atomic_load_n(&pp_served, __ATOMIC_RELAXED) < total)
		pp_wait(&pp_srv_msg); /* the ISR has replied */
}

static void pp_client_lean(s64 *rtt, u64 total, u32 server, u64 gap)
{
	u64 i, t0;

	for (i = 0; i < total; i++) {
		t0 = rdtsc();
		wrmsr(0x830, ((u64)server << 32) | ICR_FIXED | V_PING);
		pp_wait(&pp_msg);
		rtt[i] = (s64)(pp_rx_tsc - t0);
		pp_gap(gap);
	}
}
#endif

static void wait_msg(struct pcpu *p)
{
	while (!p->msg) {
		sti_hlt();
		cli();
	}
	p->msg = 0;
}

/* The C path: xAPIC mode, and tcprr.elf (its timer model runs per message). */
static void pp_server_c(struct pcpu *p, u64 total)
{
	u64 i;

	for (i = 0; i < total; i++) {
		wait_msg(p);
		if (pushes)
			push_timeouts(p);
		apic_icr(cpus[0].apic_id, ICR_FIXED | V_PONG);
	}
}

static void pp_client_c(struct pcpu *p, s64 *rtt, u64 total, u64 gap)
{
	u64 i, t0;

	for (i = 0; i < total; i++) {
		t0 = rdtsc();
		apic_icr(cpus[1].apic_id, ICR_FIXED | V_PING);
		wait_msg(p);
		rtt[i] = (s64)(p->msg_tsc - t0);
		if (pushes)
			push_timeouts(p);
		pp_gap(gap);
	}
}

void guest_ap_main(struct cpu *c)
{
	struct pcpu *p = &pc[1];
	u64 total = cfg_u64("n", 5000) + cfg_u64("warmup", 100);

	cli();
	if (pushes)
		timer_setup(p);
#ifndef TCPRR
	pveoi_srv_on = pveoi_enable(&pp_pveoi_srv);
#endif
	__atomic_store_n(&server_ready, 1, __ATOMIC_RELEASE);
#ifndef TCPRR
	if (pp_lean())
		pp_server_lean(total, cpus[0].apic_id);
	else
#endif
		pp_server_c(p, total);
	if (pushes)
		timer_report(p, "server");
	__atomic_store_n(&server_ready, 3, __ATOMIC_RELEASE);
	for (;;)
		sti_hlt();
}

int guest_main(void)
{
	u64 n = cfg_u64("n", 5000), warmup = cfg_u64("warmup", 100);
	u64 gap = us_to_tsc(cfg_u64("gap_us", 20));
	s64 *rtt = alloc((n + warmup) * sizeof(s64), 64);
	struct pcpu *p = &pc[0];

#ifdef TCPRR
	pushes = (u32)cfg_u64("pushes", 3);
#endif
	timeout_tsc = us_to_tsc(cfg_u64("timeout_us", 2000));
#ifndef TCPRR
	if (pp_lean() && cfg_u64("pveoi", 0)) {
		/* The words stay 0 where PV EOI is off: the EOI is written. */
		idt_set(V_PING, cfg_is("eoi", "late") ? pp_isr_ping_late_pv
						      : pp_isr_ping_isr_pv);
		idt_set(V_PONG, pp_isr_pong_pv);
	} else if (pp_lean()) {
		idt_set(V_PING, cfg_is("eoi", "late") ? pp_isr_ping_late
						      : pp_isr_ping_isr);
		idt_set(V_PONG, pp_isr_pong);
	} else
#endif
	{
		idt_set(V_PING, isr_msg);
		idt_set(V_PONG, isr_msg);
	}
	idt_set(V_TIMER, isr_timer);
	if (ncpus < 2)
		panic("needs 2 CPUs (--cpus=2)");
	smp_start();
	while (!__atomic_load_n(&server_ready, __ATOMIC_ACQUIRE))
		pause();
	cli();
	if (pushes)
		timer_setup(p);
#ifndef TCPRR
	pveoi_cli_on = pveoi_enable(&pp_pveoi_cli);
	if (cfg_u64("pveoi", 0)) {
		printf("pingpong: PV EOI client %s, server %s\n",
		       pveoi_cli_on ? "on" : "off",
		       pveoi_srv_on ? "on" : "off");
		report_counter("pveoi", pveoi_cli_on && pveoi_srv_on);
	}
#endif
	printf("%s: n %lu (+%lu warm-up), gap %lu us, %u pushes/transaction, "
	       "lazy %s\n",
	       pushes ? "tcprr" : "pingpong", n, warmup, cfg_u64("gap_us", 20),
	       pushes,
#ifdef TCPRR
	       p->lazy ? "on" : "off"
#else
	       "off"
#endif
	);
	report_phase("rr", true);
#ifndef TCPRR
	if (pp_lean())
		pp_client_lean(rtt, n + warmup, cpus[1].apic_id, gap);
	else
#endif
		pp_client_c(p, rtt, n + warmup, gap);
	report_phase("rr", false);
	report_samples(pushes ? "tcprr_rtt" : "pingpong_rtt", rtt + warmup,
		       (u32)n);
	report_counter("transactions", (s64)n);
	report_counter("sti_shadow_irqs", (s64)sti_shadow_irqs);
	if (pushes) {
		while (__atomic_load_n(&server_ready, __ATOMIC_ACQUIRE) != 3)
			pause();
		timer_report(p, "client");
	}
	return 0;
}
