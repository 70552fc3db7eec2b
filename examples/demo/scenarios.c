// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The built-in scenarios of vapic-demo, written in its scenario language
 * (see demo.c or `vapic-demo --help`).  `vapic-demo --print NAME` shows one;
 * a copy edited into a file runs with `vapic-demo --scenario FILE`.
 */
#include "demo.h"

#include <stddef.h>

static const char tour[] =
	"# The tour: one vCPU whose guest uses every LAPIC timer mode.\n"
	"config bus_khz=1000000 tsc_khz=2500000 host_khz=2500000\n"
	"config min_period_ns=200000 policy=coalesce advance=adaptive\n"
	"host latency=1500 jitter=1000 late_every=6 late_ns=40000 entry=300\n"
	"\n"
	"note 1. The guest software-enables its APIC and programs a one-shot\n"
	"note    timer: 100000 bus cycles, divide by 2, so 200 us at 1 GHz.\n"
	"svr on\n"
	"tdcr 2\n"
	"lvtt oneshot 0xec\n"
	"tmict 100000\n"
	"run 100us\n"
	"read tmcct\n"
	"run 150us\n"
	"read tmcct\n"
	"\n"
	"note 2. A periodic timer of 20 us: below the host's 200 us\n"
	"note    minimum, so it runs every 200 us (clamped): the guest\n"
	"note    cannot storm the host.\n"
	"lvtt periodic 0xec\n"
	"tdcr 1\n"
	"tmict 20000\n"
	"run 650us\n"
	"\n"
	"note 3. Periodic at 300 us.  The divide changes from 1 to 2 in the\n"
	"note    middle of a period: the tick in progress finishes at the new\n"
	"note    rate, then the periods are 600 us.\n"
	"tmict 300000\n"
	"run 750us\n"
	"read tmcct\n"
	"tdcr 2\n"
	"read tmcct\n"
	"run 1400us\n"
	"\n"
	"note 4. The guest masks the LVT for 1.5 ms: the timer keeps\n"
	"note    counting (TMCCT moves, periods pass) but nothing is\n"
	"note    delivered; unmasked, it continues in phase.\n"
	"lvtt periodic 0xec masked\n"
	"run 1500us\n"
	"read tmcct\n"
	"lvtt periodic 0xec\n"
	"run 1300us\n"
	"\n"
	"note 5. TSC-deadline mode (the mode switch disarms the periodic\n"
	"note    timer).  The guest moves its deadline twice before it fires,\n"
	"note    then lets it fire; afterwards the MSR reads 0.\n"
	"lvtt tscd 0xec\n"
	"tscd +100us\n"
	"run 40us\n"
	"read msr\n"
	"tscd +100us\n"
	"run 40us\n"
	"tscd +60us\n"
	"run 100us\n"
	"read msr\n"
	"\n"
	"note 6. A deadline already in the past fires at once; 0 disarms.\n"
	"tscd -10us\n"
	"run 10us\n"
	"tscd +50us\n"
	"tscd 0\n"
	"run 100us\n"
	"\n"
	"note 7. A stream of deadlines 100 us apart while the host timer\n"
	"note    fires 1.5-2.5 us late (and 40 us late every 6th time): the\n"
	"note    adaptive advance (KVM's algorithm) learns the latency, so\n"
	"note    the host timer fires earlier and the interrupts come closer\n"
	"note    to their deadlines; outliers are ignored; nothing is ever\n"
	"note    early.\n"
	"repeat 16\n"
	"tscd +100us\n"
	"run 110us\n"
	"end\n"
	"\n"
	"note 8. Save and restore on another host (3.0 GHz TSC: another\n"
	"note    scaling ratio and offset), after 1 ms of downtime.  A\n"
	"note    periodic count resumes where it was (TMCCT continues); the\n"
	"note    guest TSC continues from its value plus the downtime.\n"
	"lvtt periodic 0xec\n"
	"tdcr 1\n"
	"tmict 400000\n"
	"run 250us\n"
	"read tmcct\n"
	"migrate host_khz=3000000 downtime=1ms\n"
	"read tmcct\n"
	"run 1300us\n"
	"\n"
	"note 9. On the new host: a TSC deadline, then the guest stops it.\n"
	"lvtt tscd 0xec\n"
	"tscd +150us\n"
	"run 200us\n"
	"lvtt oneshot 0xec masked\n"
	"run 100us\n";

static const char advance[] =
	"# KVM's adaptive timer advance converging on a host whose timer\n"
	"# fires 3 us late (+-250 ns): start 1000 ns, 1/8 of the error per\n"
	"# tick, samples outside 100..10000 TSC cycles ignored.\n"
	"config tsc_khz=2500000 host_khz=2500000 advance=adaptive\n"
	"host latency=2750 jitter=500 late_every=10 late_ns=25000\n"
	"svr on\n"
	"lvtt tscd 0xef\n"
	"note 40 deadlines, 200 us apart; watch the advance and the lateness.\n"
	"repeat 40\n"
	"tscd +200us\n"
	"run 210us\n"
	"end\n"
	"run 100us\n";

static const char clamp[] =
	"# A guest that asks for a periodic timer of 1 bus cycle.  The host's\n"
	"# minimum period (200 us, as KVM's min_timer_period_us) bounds the\n"
	"# host timer rate whatever the guest writes.\n"
	"config bus_khz=1000000 tsc_khz=2000000 host_khz=2000000\n"
	"config min_period_ns=200000\n"
	"svr on\n"
	"tdcr 1\n"
	"lvtt periodic 0x30\n"
	"tmict 1\n"
	"run 1ms\n"
	"read tmcct\n"
	"note The guest tries again with divide 128 and TMICT 1000 (128 us).\n"
	"tdcr 128\n"
	"tmict 1000\n"
	"run 1ms\n";

static const char stall[] =
	"# A periodic 250 us timer whose vCPU is descheduled (its host timer\n"
	"# fires 5 ms late): with the coalesce policy the missed ticks merge\n"
	"# into one interrupt and the period goes on in phase.\n"
	"config policy=coalesce\n"
	"svr on\n"
	"tdcr 1\n"
	"lvtt periodic 0x40\n"
	"tmict 250000\n"
	"run 600us\n"
	"host stall=5ms\n"
	"run 6ms\n"
	"note The guest could not take interrupts for 2 ms (IF=0): one tick\n"
	"note waits in IRR, the others merge into it.\n"
	"irq off\n"
	"run 2ms\n"
	"irq on\n"
	"run 600us\n";

static const char catchup[] =
	"# The same stall with the catch-up policy (for guests that count\n"
	"# ticks): the missed ticks are delivered late, one after the other.\n"
	"config policy=catchup catchup_max=100\n"
	"svr on\n"
	"tdcr 1\n"
	"lvtt periodic 0x40\n"
	"tmict 250000\n"
	"run 600us\n"
	"host stall=2ms\n"
	"run 3ms\n"
	"run 600us\n";

static const char posted[] =
	"# Posted (exitless) delivery, seed 000: the host timer fires on the\n"
	"# housekeeping CPU and posts the interrupt into the running guest\n"
	"# without an exit; when posting fails the core falls back to a kick.\n"
	"config posted=1 advance=adaptive\n"
	"host latency=2000 jitter=400 unpinned=1 post=1\n"
	"svr on\n"
	"tdcr 1\n"
	"lvtt periodic 0x41\n"
	"tmict 200000\n"
	"run 1ms\n"
	"lvtt tscd 0x42\n"
	"tscd +100us\n"
	"run 150us\n"
	"host post=0\n"
	"note Posting now fails: the callback hands the tick to the vCPU.\n"
	"tscd +100us\n"
	"run 150us\n";

static const char migrate[] =
	"# Migration: a one-shot count and a TSC deadline move to hosts with\n"
	"# other TSC frequencies (so other scaling ratios) and offsets.\n"
	"config tsc_khz=2000000 host_khz=2000000\n"
	"svr on\n"
	"tdcr 16\n"
	"lvtt oneshot 0x50\n"
	"tmict 50000\n"
	"run 300us\n"
	"read tmcct\n"
	"migrate host_khz=3300000 downtime=50us\n"
	"read tmcct\n"
	"run 600us\n"
	"lvtt tscd 0x51\n"
	"tscd +500us\n"
	"run 100us\n"
	"note The deadline passes during 1 ms of downtime: it fires at\n"
	"note once on the destination, never early in guest TSC.\n"
	"migrate host_khz=1000000 downtime=1ms\n"
	"run 50us\n"
	"read msr\n";

const struct demo_scenario demo_scenarios[] = {
	{ "tour",
	  "every timer mode, clamping, divide change, masking, "
	  "deadlines, adaptive advance, migration (default)",
	  tour },
	{ "advance", "KVM's adaptive advance converging on a late host timer",
	  advance },
	{ "clamp", "a 1-cycle periodic timer against the minimum period",
	  clamp },
	{ "stall", "a descheduled vCPU: missed periodic ticks coalesce",
	  stall },
	{ "catchup", "the same with the catch-up policy", catchup },
	{ "posted", "exitless delivery from another CPU, and its fallback",
	  posted },
	{ "migrate", "save/restore across TSC ratios, offsets, downtime",
	  migrate },
	{ NULL, NULL, NULL },
};
