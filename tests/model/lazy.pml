/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Promela model of the lazy TSC-deadline protocol (docs/lazy-tscdeadline.md)
 * as libvapic implements it: libvapic/lazy.c, libvapic/lazy_guest.c and the
 * hooks in libvapic/timer.c.  Step names in comments (G1..G4, H1..H4, R1..R3)
 * are the rule numbers of the protocol document; the C code carries the same
 * numbers.
 *
 * Processes
 *   guest     the guest CPU running a bounded, nondeterministic script of
 *             set_next_event() calls, halts, LVT mask/unmask, timer mode
 *             switches, INIT and re-enabling the protocol.  Its store to
 *             "pending" goes through a store buffer (x86-TSO: a later load
 *             may pass it); the fence of rule G2 drains it.
 *   vcpu      the host's vCPU thread: handles the guest's exits (WRMSR, LVT
 *             writes, HLT, INIT, the protocol MSR) and polls the timer
 *             before re-entry; the guest does not run meanwhile.
 *   callback  the host timer callback on another CPU, concurrent with the
 *             guest.  Deferred mode: marks the expiry and kicks.  Posted
 *             mode (-DPOSTED): arbitrates and delivers by itself, while the
 *             guest runs.  Its stores to "armed" go through a store buffer
 *             too; its full barrier (rule H2) drains it.
 *   clock     guest time, 0..TMAX; it advances at any moment.
 *   gflush, hflush  the two store buffers draining at any moment.
 *
 * Specification (ghost state: G, G_raised)
 *   G is the guest's current deadline: the argument of its latest
 *   set_next_event() at that call's linearisation point, 0 after the guest
 *   took the interrupt for it, after a mode switch or INIT (architectural
 *   disarm), or when it expired while the LVT was masked.  With the
 *   protocol on, a call takes effect when its store to "pending" reaches
 *   memory (from then on the host may act on it, whether or not the call
 *   then traps); without it, at the host's handling of the WRMSR.
 *   - no early delivery: the host decides to raise an interrupt (queue it
 *     for the guest, or post it) only if, at the moment it last read
 *     "pending" (or at the decision, when it did not read it), G != 0 and
 *     G <= now.  An interrupt decided on a read made at or after the
 *     deadline may reach the guest after it stored a new one: that is a real
 *     LAPIC's interrupt for the old deadline, which fired before the write.
 *     A second raise after the guest took the interrupt for G finds G == 0:
 *     at most one delivery per deadline (raises before the guest takes it
 *     merge in IRR, as on hardware);
 *   - no lost deadline / no guest hang: the guest halts until its deadline
 *     is delivered; if it never is, the run ends in an invalid end state
 *     (safety run) and violates "<> done" (liveness run, weak fairness);
 *   - the contract the guest relies on (rules R1/R2): whenever the guest
 *     reads armed != 0, the host still has to look at "pending": its timer
 *     is armed, its callback is running, or the vCPU thread has an expiry to
 *     process.  A stale "armed" breaks it even where, in this design, the
 *     next register write would have recovered the deadline;
 *   - one host timer: the host never arms its timer while it is armed, and
 *     a host timer the guest did not pay an exit for (a lazy re-arm) fires
 *     at least GAP after the fire that armed it (rate bound, rule H4).
 *
 * Mutants (each must be rejected by spin; see tests/model/run-model.sh)
 *   -DNO_FENCE            guest rule G2 without a barrier (the published
 *                         guest used a fence that is empty on some CPUs)
 *   -DNO_CLEAR_MASK       masking the LVT leaves "armed" stale
 *   -DNO_CLEAR_IDLE       no CLEAR whenever the host timer stays idle
 *                         (mode switch, disarm, mask...)
 *   -DNO_CLEAR_EXPIRED    a deadline already due when written is
 *                         completed without touching the page: the
 *                         previous "armed" stays
 *   -DPOSTED_NO_REFRESH   posted delivery that does not CLEAR "armed" (the
 *                         published exitless path), with -DPOSTED
 *   -DINJECT_BEFORE_REARM inject at the old deadline, then re-arm for a
 *                         later "pending" (the published software-timer path)
 *   -DNO_HOST_FENCE       the callback reads "pending" without its barrier
 *                         (with -DPOSTED)
 *   -DNO_RATE_BOUND       lazy re-arms without the GAP (rate-bound check)
 */

#ifndef NOPS
#define NOPS 3		/* guest script length */
#endif
#ifndef DMAX
#define DMAX 4		/* latest deadline the guest programs */
#endif
#ifndef GAP
#define GAP 2		/* minimum spacing of unpaid lazy re-arms */
#endif
#ifndef ADV
#define ADV 0		/* timer advance: the host timer fires ADV early */
#endif
#define TMAX (DMAX + GAP + 1)

#ifdef POSTED
#define posted 1
#else
#define posted 0
#endif

/* Guest-selectable operations (all on by default; -DNO_OPS_x to drop). */
#ifndef NO_OPS_MASK
#define OPS_MASK 1
#else
#define OPS_MASK 0
#endif
#ifndef NO_OPS_MODE
#define OPS_MODE 1
#else
#define OPS_MODE 0
#endif
#ifndef NO_OPS_INIT
#define OPS_INIT 1
#else
#define OPS_INIT 0
#endif

mtype = { NOEXIT, WRMSR, LVT_MASK, LVT_UNMASK, LVT_MODE, INIT, LAZY_ON, HLT,
	  KICKED };

byte now;

/* The shared page (committed memory). */
byte armed_mem;
byte pending_mem;
/* Store buffers: the guest only stores "pending", the callback "armed". */
bool gsb_full;
byte gsb_val;
bool gsb_set;		/* the buffered store is a set_next_event() */
bool hsb_full;
byte hsb_val;

/* Host timer state (struct vapic_timer + struct vapic_lazy). */
bool lazy_on = 1;	/* page enabled (host view) */
bool mode_tsc = 1;	/* LVT timer in TSC-deadline mode */
bool masked;		/* LVT mask */
byte E;			/* tsc_deadline == target_tsc; 0: not running */
bool tick;		/* a tick queued for injection (t->pending) */
bool hw_armed;		/* vCPU thread's view: host timer armed */
bool htimer;		/* the host timer will fire */
byte expires;
bool lazy_arm;		/* the armed host timer is an unpaid lazy re-arm */
byte lazy_fire_min;	/* it must not fire before this (rate bound) */
bool cb_active;		/* callback running */
bool fired;		/* deferred hand-off flag */
bool in_window;
bool credit;		/* an unpaid lazy re-arm may skip the GAP */
byte not_before;	/* earliest expiry of the next lazy re-arm */

/* vCPU */
bool in_guest = 1;
bool kick;
bool irr;		/* the timer vector pending in the LAPIC */
mtype exit_reason = NOEXIT;
byte exit_arg;

/* Ghost specification state. */
byte G;
bool G_raised;
bool done;

/* ---------------------------------------------------------------------- */
/* Specification checks                                                    */

/* An interrupt for the guest's deadline is decided now (queued or posted). */
inline spec_raise()
{
	assert(G != 0 && G <= now);
	G_raised = 1
}

/* Posted: decided on a read of "pending" at time t that saw deadline g. */
inline spec_raise_seen(g, t)
{
	assert(g != 0 && g <= t);
	if
	:: G == g -> G_raised = 1
	:: else -> skip	/* the guest moved on meanwhile (after t) */
	fi
}

/* A store to "pending" by set_next_event() reaches memory. */
inline commit_pending()
{
	pending_mem = gsb_val;
	if
	:: gsb_set -> G = gsb_val; G_raised = 0
	:: else -> skip
	fi;
	gsb_full = 0
}

/* The deadline expired while the LVT was masked: architecturally dropped. */
inline spec_drop()
{
	assert(G == 0 || G <= now);
	G = 0;
	G_raised = 0
}

/* ---------------------------------------------------------------------- */
/* Host, vCPU thread (timer.c + lazy.c).  Runs with the guest stopped.     */

/* Write "armed" from the vCPU thread (after the callback was cancelled). */
inline publish_v(v)
{
	if
	:: lazy_on ->
		if
		:: hsb_full -> armed_mem = hsb_val; hsb_full = 0
		:: else -> skip
		fi;
		armed_mem = v
	:: else -> skip
	fi
}

/* H1-H3 on the vCPU thread: CLEAR, barrier, read pending; move if later. */
inline arbitrate_v(n, mv)
{
	mv = 0;
	if
	:: lazy_on ->
		publish_v(0);		/* H1 CLEAR */
		/* H2 smp_mb(): the guest is stopped; trivially ordered */
		if
		:: pending_mem > E ->	/* H3 later: move, do not inject */
#ifdef INJECT_BEFORE_REARM
			if
			:: n >= E && !masked -> spec_raise(); tick = 1
			:: else -> skip
			fi;
#endif
			E = pending_mem;
			mv = 1;
			/* H4 rate bound: unpaid moves keep a GAP */
			if
			:: credit -> credit = 0; not_before = 0
			:: else -> not_before = n + GAP
			fi
		:: else -> skip
		fi
	:: else -> skip
	fi
}

/* complete_expiry() + queue_ticks() for a TSC-deadline target due at n. */
inline complete_v(n, mv)
{
	arbitrate_v(n, mv);
	if
	:: mv && n < E -> skip	/* moved later: nothing due */
	:: else ->
		E = 0;
		if
		:: masked -> spec_drop()
		:: else -> spec_raise(); tick = 1
		fi
	fi
}

inline cancel_v()
{
	(!cb_active);
	htimer = 0;
	hw_armed = 0;
	if
	:: hsb_full -> armed_mem = hsb_val; hsb_full = 0
	:: else -> skip
	fi
}

/* rearm(): the one place that arms the host timer and publishes R1/R2. */
inline rearm_v(n, mv)
{
	if
	:: E == 0 || masked || !mode_tsc ->
		/* R2: no host timer -> armed = 0 */
#if defined(NO_CLEAR_IDLE)
		skip
#elif defined(NO_CLEAR_MASK)
		if
		:: masked -> skip
		:: else -> publish_v(0)
		fi
#else
		publish_v(0)
#endif
	:: else ->
		if
		:: n >= E ->	/* immediate (already due) */
#ifndef NO_CLEAR_EXPIRED
			complete_v(n, mv)
#else
			E = 0;	/* completes without touching the page */
			if
			:: masked -> spec_drop()
			:: else -> spec_raise(); tick = 1
			fi
#endif
		:: else -> skip
		fi;
		if
		:: E == 0 ->
#ifndef NO_CLEAR_EXPIRED
			publish_v(0)
#else
			skip
#endif
		:: else ->
			/* arm, then R1: armed = the deadline */
			assert(!htimer && !hw_armed);
			if
			:: not_before > E - ADV -> expires = not_before;
				lazy_arm = 1; lazy_fire_min = not_before
			:: else -> expires = E - ADV;
				lazy_arm = (not_before != 0);
				lazy_fire_min = not_before
			fi;
#ifdef NO_RATE_BOUND
			expires = E - ADV;
#endif
			not_before = 0;
			htimer = 1;
			hw_armed = 1;
			fired = 0;
			in_window = 0;
			publish_v(E)
		fi
	fi
}

/*
 * sync(): complete a due expiry.  wait: block in the advance window (the
 * host spins, then polls again).  Sets rn when a re-arm is needed.
 */
inline sync_v(n, mv, wait, rn)
{
	if
	:: posted && hw_armed && !fired -> skip	/* the callback owns it */
	:: else ->
		if
		:: fired -> fired = 0; in_window = 1
		:: else -> skip
		fi;
		if
		:: E == 0 -> in_window = 0
		:: E != 0 && n < E && !in_window -> skip
		:: E != 0 && n < E && in_window ->
			/* fired by the advance: arbitrate now, not at E */
			arbitrate_v(n, mv);
			if
			:: mv -> in_window = 0; rn = 1
			:: else ->
				if
				:: wait -> (now >= E); n = now;
					in_window = 0;
					complete_v(n, mv); rn = 1
				:: else -> skip
				fi
			fi
		:: E != 0 && n >= E ->
			in_window = 0;
			complete_v(n, mv);
			rn = 1
		fi
	fi
}

/*
 * begin_write(): cancel + sync; a guest write pays for one lazy re-arm.
 * The time is read after the cancel, which may wait for the callback.
 */
inline begin_write(n, mv, rn)
{
	cancel_v();
	n = now;
	sync_v(n, mv, 0, rn);
	in_window = 0;
	credit = 1;
	not_before = 0
}

inline deliver_v()
{
	if
	:: tick -> tick = 0; irr = 1	/* IRR; merges if already set */
	:: else -> skip
	fi
}

/* vapic_timer_poll() */
inline poll_v(n, mv, rn)
{
	rn = 0;
	sync_v(n, mv, 1, rn);
	if
	:: rn -> cancel_v(); rearm_v(n, mv)
	:: else -> skip
	fi;
	deliver_v()
}

active proctype vcpu()
{
	byte n;
	bool mv;
	bool rn;

end_vcpu:
	do
	:: atomic {
		!in_guest && exit_reason != NOEXIT -> n = now;
		if
		:: exit_reason == WRMSR ->
			if
			:: mode_tsc ->
				begin_write(n, mv, rn);
				E = exit_arg;		/* write_tsc_deadline */
				if		/* linearisation (no-op if lazy) */
				:: G != exit_arg -> G = exit_arg; G_raised = 0
				:: else -> skip
				fi;
				rearm_v(n, mv)
			:: else -> skip
			fi
		:: exit_reason == LVT_MASK ->
			begin_write(n, mv, rn);
			masked = 1;
			rearm_v(n, mv)
		:: exit_reason == LVT_UNMASK ->
			begin_write(n, mv, rn);
			masked = 0;
			rearm_v(n, mv)
		:: exit_reason == LVT_MODE ->
			/* TSC-deadline -> one-shot -> TSC-deadline */
			begin_write(n, mv, rn);
			mode_tsc = 0;
			E = 0;
			G = 0;
			G_raised = 0;
			rearm_v(n, mv);
			begin_write(n, mv, rn);
			mode_tsc = 1;
			rearm_v(n, mv)
		:: exit_reason == INIT ->
			/* vapic_timer_reset(): CLEAR + disable, registers reset */
			cancel_v();
			n = now;
			publish_v(0);
			lazy_on = 0;
			E = 0;
			tick = 0;
			irr = 0;
			fired = 0;
			in_window = 0;
			not_before = 0;
			G = 0;
			G_raised = 0;
			rearm_v(n, mv);
			/* the guest's AP bring-up: LVT = TSC-deadline, unmasked */
			begin_write(n, mv, rn);
			masked = 0;
			mode_tsc = 1;
			rearm_v(n, mv)
		:: exit_reason == LAZY_ON ->
			begin_write(n, mv, rn);
			lazy_on = 1;
			rearm_v(n, mv)		/* publishes the current armed */
		:: exit_reason == HLT ->
			/* block until something may be deliverable */
			(irr || tick || fired || kick);
			kick = 0;
			n = now
		:: exit_reason == KICKED -> skip
		fi;
		poll_v(n, mv, rn);
		exit_reason = NOEXIT;
		in_guest = 1
	}
	:: atomic {
		in_guest && kick ->	/* the kick forces an exit */
		kick = 0;
		in_guest = 0;
		if
		:: gsb_full -> commit_pending()
		:: else -> skip
		fi;
		exit_reason = KICKED
	}
	od
}

/* ---------------------------------------------------------------------- */
/* Host timer callback, another CPU (vapic_timer_expired()).               */

inline publish_cb(v)
{
	atomic {
		if
		:: hsb_full -> armed_mem = hsb_val
		:: else -> skip
		fi;
		hsb_full = 1;
		hsb_val = v
	}
}

active proctype callback()
{
	byte n;
	byte p;
	byte gseen;
	byte tseen;

end_cb:
	do
	:: atomic {
		htimer && now >= expires && !cb_active ->
		/* H4: an unpaid lazy re-arm never fires early */
		assert(!lazy_arm || now >= lazy_fire_min);
		htimer = 0;
		cb_active = 1;
		n = now;
		gseen = G;	/* no read of pending: decided at the fire */
		tseen = n
	}
		if
		:: !posted ->
			atomic { fired = 1; kick = 1; cb_active = 0 }
		:: posted && E == 0 -> cb_active = 0
		:: posted && E != 0 ->
			if
			:: lazy_on ->
#ifndef POSTED_NO_REFRESH
				publish_cb(0);		/* H1 CLEAR */
#endif
#ifndef NO_HOST_FENCE
				atomic {		/* H2 smp_mb() */
					if
					:: hsb_full -> armed_mem = hsb_val;
						hsb_full = 0
					:: else -> skip
					fi
				}
#endif
				atomic { p = pending_mem; gseen = G; tseen = n }	/* H3 */
				if
				:: p > E ->
#ifdef INJECT_BEFORE_REARM
					if
					:: n >= E && !masked ->
						spec_raise_seen(gseen, tseen);
						irr = 1
					:: else -> skip
					fi;
#endif
					E = p;
					if
					:: n < E ->
						atomic {
						if
						:: credit -> credit = 0;
							expires = E - ADV;
							lazy_arm = 0
						:: else ->
							lazy_arm = 1;
							lazy_fire_min = n + GAP;
							if
							:: n + GAP > E - ADV ->
								expires = n + GAP
							:: else ->
								expires = E - ADV
							fi
						fi;
#ifdef NO_RATE_BOUND
						expires = E - ADV;
#endif
						htimer = 1
						};
						publish_cb(E);	/* R1 */
						cb_active = 0;
						goto next
					:: else -> skip	/* already due */
					fi
				:: else -> skip
				fi
			:: else -> skip
			fi;
			if
			:: n < E ->	/* advance window: call again at E */
				atomic { expires = E; lazy_arm = 0;
					htimer = 1; cb_active = 0 }
			:: else ->
				atomic {
				if
				:: masked -> spec_drop()
				:: else -> spec_raise_seen(gseen, tseen);
					irr = 1 /* post */
				fi;
				E = 0;
				cb_active = 0
				}
			fi
		fi;
next:
		skip
	od
}

/* ---------------------------------------------------------------------- */
/* Guest                                                                   */

/* One guest instruction: only while the vCPU is in guest mode. */
#define GSTEP(s) atomic { in_guest -> s }

/* Trap to the host and wait until it re-enters the guest. */
inline guest_exit(r, a)
{
	atomic {
		in_guest ->
		if
		:: gsb_full -> commit_pending()
		:: else -> skip
		fi;
		exit_reason = r;
		exit_arg = a;
		in_guest = 0
	};
	(in_guest)
}

/* Take a pending interrupt (interrupts enabled between operations). */
inline guest_irq()
{
	atomic {
		in_guest ->
		if
		:: irr ->
			irr = 0;
			if
			:: G_raised -> G = 0; G_raised = 0	/* consumed */
			:: else -> skip		/* for an older deadline */
			fi
		:: else -> skip
		fi
	}
}

/* Halt until the current deadline has been delivered. */
inline guest_wait()
{
	do
	:: atomic { in_guest && G == 0 -> break }
	:: atomic { in_guest && G != 0 && irr -> skip }; guest_irq()
	:: atomic { in_guest && G != 0 && !irr -> skip }; guest_exit(HLT, 0);
		guest_irq()
	od
}

active proctype guest()
{
	byte d;
	byte a;
	byte ops;
	bool glazy = 1;		/* the guest uses the protocol */
	bool gmasked;

	do
	:: ops < NOPS ->
		ops++;
		guest_irq();
		if
		:: atomic { in_guest -> d = now + 1 }
		:: atomic { in_guest -> d = now + 2 }
		:: OPS_MASK && !gmasked -> d = 255
		:: OPS_MASK && gmasked -> d = 254
		:: OPS_MODE -> d = 253
		:: OPS_INIT && glazy -> d = 252
		:: !glazy -> d = 251
		:: d = 250	/* halt until the deadline is delivered */
		fi;
		if
		:: d == 255 -> gmasked = 1; guest_exit(LVT_MASK, 0)
		:: d == 254 -> gmasked = 0; guest_exit(LVT_UNMASK, 0)
		:: d == 253 -> guest_exit(LVT_MODE, 0)
		:: d == 252 -> glazy = 0; gmasked = 0; guest_exit(INIT, 0)
		:: d == 251 ->	/* zero the page, then enable */
			GSTEP(	if
				:: gsb_full -> commit_pending()
				:: else -> skip
				fi;
				gsb_full = 1;
				gsb_set = 0;
				gsb_val = 0);
			glazy = 1;
			guest_exit(LAZY_ON, 0)
		:: d == 250 ->
			if
			:: !gmasked -> guest_wait()
			:: else -> skip
			fi
		:: d <= DMAX ->
			/* set_next_event(d), interrupts disabled */
			if
			:: glazy ->
				GSTEP(	/* G1: pending = d (store buffer) */
					if
					:: gsb_full -> commit_pending()
					:: else -> skip
					fi;
					gsb_full = 1;
					gsb_set = 1;
					gsb_val = d);
#ifndef NO_FENCE
				GSTEP(!gsb_full);	/* G2: full fence */
#endif
				atomic {		/* G3: read armed */
					in_guest ->
					a = armed_mem;
#ifndef NO_CONTRACT
					/* R1/R2 contract */
					assert(a == 0 || htimer || cb_active ||
					       fired);
#endif
					if
					:: a == 0 || d < a -> skip
					:: else ->	/* G4: no trap */
						d = 0
					fi
				};
				if
				:: d != 0 -> guest_exit(WRMSR, d)
				:: else -> skip
				fi
			:: else -> guest_exit(WRMSR, d)
			fi
		:: else -> skip		/* beyond the model's horizon */
		fi
	:: ops == NOPS -> break
	od;
	/* Finally: unmask, and wait for the last deadline. */
	if
	:: gmasked -> guest_exit(LVT_UNMASK, 0)
	:: else -> skip
	fi;
	guest_wait();
	done = 1
}

active proctype clock()
{
end_clock:
	do
	:: atomic { now < TMAX -> now++ }
	od
}

active proctype gflush()
{
end_gflush:
	do
	:: atomic { gsb_full -> commit_pending() }
	od
}

active proctype hflush()
{
end_hflush:
	do
	:: atomic { hsb_full -> armed_mem = hsb_val; hsb_full = 0 }
	od
}

ltl live { <> done }
