#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Write the seed corpus of the 'timer' fuzz target (fuzz/corpus/timer/).

Each seed is a small guest-timer scenario written with the assembler below,
which mirrors the byte-script format of fuzz/fuzz_timer.c (keep the two in
step).  The output is commented hex: one line per op, with what it means.
A seed's '# expect:' line names what it must reach (the flags of
fuzz_summary()); fuzz/check_reach.py checks them in the test suite, so a
change of the encoding that silently breaks a seed fails the tests.

usage: fuzz/timer_seeds.py [OUTDIR]   (default: fuzz/corpus/timer)
Seeds written by libFuzzer runs (fuzz/run.sh --merge) are kept beside these
as <sha1>.hex and are not touched here.
"""
import os
import sys

OPS = dict(lvtt=0, lvtt_raw=1, tmict=2, tdcr=3, tscd_rel=4, tscd_abs=5,
           svr=6, rd_tmcct=7, rd_msr=8, rd_regs=9, step_small=10, step=11,
           step_event=12, poll=13, settle=14, irq_window=15, eoi=16, save=17,
           mutate=18, fault=19, latency=20, reset=21, post=22,
           auto_enter=23, drain=24, step_tsc=25, tsc_jump=26, load_regs=27)

BUS = [1000000, 100000, 25000, 1000, 133333, 2500000, (1 << 25) - 1, 999983]
TSC = [2500000, 1000000, 2596136, 1000, (1 << 25) - 1, 3000001, 100000,
       1234567]
MINP = [200000, 0, 1, 50000, 500000, 1000000, 1000000000, 12345]
CMAX = [1, 2, 1000, 1 << 20]
ADV = ['adaptive', 0, 2000, 100000]
LAT = [0, 500, 3000, 20000]
ELAT = [0, 100, 2000, 50000]
OFF = [0, 1 << 32, 1 << 40, 1 << 62]
# host TSC kHz of host A / B: 0 = the guest's TSC frequency
HOSTS = [(0, 3000000), (2000000, 0), (3333333, 1000000), (0, 0)]

MODE = dict(oneshot=0, periodic=1, tscd=2, reserved=3)
DIV = {2: 0x0, 4: 0x1, 8: 0x2, 16: 0x3, 32: 0x8, 64: 0x9, 128: 0xa, 1: 0xb}


class Seed:
    def __init__(self, name, doc, expect, **cfg):
        self.name, self.doc, self.expect = name, doc, expect
        self.lines = []
        self.config(**cfg)

    def emit(self, data, comment):
        self.lines.append((bytes(data), comment))

    def config(self, bus=1000000, tsc=2500000, hosts=0, min_period=200000,
               catchup=False, catchup_max=1, advance='adaptive', tscd=True,
               posted=False, post_enabled=False, unpinned=False,
               latency=0, entry_latency=0, offset=0, wrap_ns=0):
        c0 = BUS.index(bus) | TSC.index(tsc) << 3 | hosts << 6
        c1 = (MINP.index(min_period) | (8 if catchup else 0) |
              CMAX.index(catchup_max) << 4 | ADV.index(advance) << 6)
        c2 = ((0 if tscd else 1) | (2 if posted else 0) |
              (4 if post_enabled else 0) | (8 if unpinned else 0) |
              LAT.index(latency) << 4 | ELAT.index(entry_latency) << 6)
        c3 = OFF.index(offset)
        if wrap_ns:
            # byte 3 bit 7: the guest TSC starts (m + 1) us << 3k before
            # it wraps past 2^64
            c3 = [0x80 | m | k << 2 for m in range(4) for k in range(8)
                  if (m + 1) * 1000 << 3 * k == wrap_ns][0]
        ha, hb = HOSTS[hosts]
        self.emit([c0, c1, c2, c3],
                  'config: bus %d kHz, guest TSC %d kHz, hosts %s/%s kHz, '
                  'min period %d ns, %s (cap %d), advance %s, tsc-deadline '
                  '%s, %s%s, timer latency %d ns, entry latency %d ns, '
                  'TSC offset %#x' %
                  (bus, tsc, ha or tsc, hb or tsc, min_period,
                   'catch-up' if catchup else 'coalesce', catchup_max,
                   advance, 'exposed' if tscd else 'hidden',
                   'posted' if posted else 'deferred',
                   ' (post ok)' if post_enabled else '', latency,
                   entry_latency, offset) +
                  (', guest TSC starts %d ns before 2^64' % wrap_ns
                   if wrap_ns else ''))

    def op(self, name, args=(), g=0, prm=0, comment=''):
        b = OPS[name] | (g & 1) << 5 | (prm & 3) << 6
        self.emit([b] + list(args),
                  ('g%d ' % g) + (comment or name.replace('_', '-')))
        return self

    # -- guest register writes ------------------------------------------
    def svr(self, enable=True, g=0):
        return self.op('svr', g=g, prm=1 if enable else 0,
                       comment='SVR = %#x' % (0x1ff if enable else 0xff))

    def lvtt(self, vector=0x40, mode='oneshot', masked=False, strict=False,
             status=False, rsvd=0, g=0):
        ctl = ((1 if masked else 0) | MODE[mode] << 1 | (8 if status else 0)
               | (rsvd & 7) << 4 | (0x80 if strict else 0))
        return self.op('lvtt', [vector, ctl], g=g,
                       comment='LVT timer: vector %#x %s%s%s%s%s' %
                       (vector, mode, ' masked' if masked else '',
                        ' status' if status else '',
                        ' rsvd%d' % rsvd if rsvd else '',
                        ' (x2APIC, strict)' if strict else ''))

    def lvtt_raw(self, val, strict=False, g=0):
        return self.op('lvtt_raw', list(val.to_bytes(4, 'little')), g=g,
                       prm=1 if strict else 0,
                       comment='LVT timer raw %#x%s' %
                       (val, ' strict' if strict else ''))

    def tmict(self, count, g=0):
        m, e = enc_count(count)
        return self.op('tmict', [m & 255, m >> 8, e], g=g,
                       comment='TMICT = %d' % count)

    def tdcr(self, divide=None, raw=None, strict=False, g=0):
        b = DIV[divide] if raw is None else raw
        return self.op('tdcr', [b], g=g, prm=1 if strict else 0,
                       comment='TDCR byte %#x%s%s' %
                       (b, ' (divide by %d)' % divide if divide else '',
                        ' strict' if strict else ''))

    def tscd_in(self, delta, g=0):
        m, e = enc_shift(delta, 48)
        return self.op('tscd_rel', [m, e], g=g, prm=0,
                       comment='WRMSR TSC_DEADLINE = now + %d + 1' %
                       (m << e))

    def tscd_past(self, delta, g=0):
        m, e = enc_shift(delta, 48)
        return self.op('tscd_rel', [m, e], g=g, prm=1,
                       comment='WRMSR TSC_DEADLINE = now - %d (past)' %
                       (m << e))

    def tscd_disarm(self, g=0):
        return self.op('tscd_rel', [0, 0], g=g, prm=2,
                       comment='WRMSR TSC_DEADLINE = 0 (disarm)')

    def tscd_now(self, small=0, g=0):
        return self.op('tscd_rel', [small & 15, 0], g=g, prm=3,
                       comment='WRMSR TSC_DEADLINE = now + %d' % (small & 15))

    def tscd_abs(self, d, g=0):
        return self.op('tscd_abs', list(d.to_bytes(8, 'little')), g=g,
                       comment='WRMSR TSC_DEADLINE = %#x' % d)

    def load(self, lvtt, tmict=0, divide=1, tdcr_raw=None, small=None,
             frac=None, above=None, g=0):
        """The host loads a register image (vapic_timer_load_regs()):
        TMCCT = small (0..255), or TMICT - TMICT * frac / 256, or
        TMICT + 1 + above."""
        b = DIV[divide] if tdcr_raw is None else tdcr_raw
        m, e = enc_count(tmict)
        if small is not None:
            prm, c, what = 1, small, '%d' % small
        elif frac is not None:
            prm, c = 0, frac
            what = '%d' % (tmict - (tmict * frac >> 8))
        else:
            prm, c = 2, above
            what = '%d' % min(tmict + 1 + above, (1 << 32) - 1)
        return self.op('load_regs', list(lvtt.to_bytes(4, 'little')) +
                       [b, m & 255, m >> 8, e, c], g=g, prm=prm,
                       comment='load image: LVTT %#x TDCR byte %#x '
                       'TMICT %d TMCCT %s' % (lvtt, b, tmict, what))

    def load_image(self, lvtt_xor=0, tdcr_xor=0, tmict_xor=0, tmcct_xor=0,
                   g=0):
        """The host loads the image the timer has now, XORed (0: a
        KVM_GET_LAPIC / KVM_SET_LAPIC round trip)."""
        m, e = enc_count(tmict_xor)
        return self.op('load_regs', list(lvtt_xor.to_bytes(4, 'little')) +
                       [tdcr_xor, m & 255, m >> 8, e, tmcct_xor], g=g, prm=3,
                       comment='load the image it has now' +
                       (' XOR LVTT %#x TDCR byte %#x TMICT %d TMCCT %d' %
                        (lvtt_xor, tdcr_xor, tmict_xor, tmcct_xor)
                        if lvtt_xor or tdcr_xor or tmict_xor or tmcct_xor
                        else ' (round trip)'))

    def tpr(self, val, g=0):
        return self.op('eoi', [val], g=g, prm=3, comment='TPR = %#x' % val)

    # -- time and the vCPU thread -----------------------------------------
    def step(self, ns, g=0):
        m, e = enc_step(ns)
        return self.op('step', [m, e], g=g,
                       comment='advance %d ns' % ((m + 1) << e))

    def step_small(self, ns, g=0):
        for scale in range(4):
            if ns % (1 << 4 * scale) == 0 and ns >> 4 * scale < 256:
                return self.op('step_small', [ns >> 4 * scale], g=g,
                               prm=scale, comment='advance %d ns' % ns)
        raise ValueError(ns)

    def step_tsc(self, cycles, g=0):
        m, e = enc_shift(cycles, 40)
        return self.op('step_tsc', [m, e], g=g,
                       comment='advance until the guest TSC passed now + %d'
                       % (m << e))

    def step_event(self, n=1, g=0):
        return self.op('step_event', g=g, prm=n - 1,
                       comment='advance to the next host event x%d' % n)

    def tsc_jump(self, cycles, g=0):
        m, e = enc_shift(cycles, 40)
        return self.op('tsc_jump', [m, e], g=g,
                       comment='guest TSC jumps forward by %d' % (m << e))

    def tsc_write(self, below_wrap=None, value=None, g=0):
        """The guest writes IA32_TSC = 2^64 - 1 - below_wrap, or value."""
        if below_wrap is not None:
            m, e = enc_shift(below_wrap, 40)
            return self.op('tsc_jump', [m, e], g=g, prm=2,
                           comment='guest writes IA32_TSC = 2^64 - 1 - %d'
                           % (m << e))
        m, e = enc_shift(value, 40)
        return self.op('tsc_jump', [m, e], g=g, prm=3,
                       comment='guest writes IA32_TSC = %d' % (m << e))

    def save(self, migrate=False, jump=0, g=0):
        if jump == 0:
            a = [0xff, 0]
        else:
            a = list(enc_shift(jump, 40))
        return self.op('save', a, g=g, prm=1 if migrate else 0,
                       comment='save, %s, guest TSC jump %d' %
                       ('migrate to the other host' if migrate
                        else 'restore in place',
                        0 if jump == 0 else a[0] << a[1]))

    def mutate(self, pos, xor, fix=True, second=None, g=0):
        how = (1 if fix else 0)
        if second is not None:
            how |= 2 | ((second - pos - 1) % 64) << 2
        return self.op('mutate', [pos, xor, how], g=g,
                       comment='restore a mutated record: byte %d ^= %#x%s%s'
                       % (pos, xor, ' and byte %d' % second
                          if second is not None else '',
                          ', checksum fixed' if fix else ''))

    def fault(self, kind, n=1, g=0):
        prm = dict(arm_next=0, arm_every=1, post_next=2, clear=3)[kind]
        return self.op('fault', [n], g=g, prm=prm,
                       comment='fault injection: %s %d' % (kind, n))

    def latency(self, kind, b, g=0):
        prm = dict(timer=0, stall=1, entry=2, timer_big=3)[kind]
        return self.op('latency', [b], g=g, prm=prm,
                       comment='latency %s byte %d' % (kind, b))

    def stall(self, ns, g=0):
        # one-shot extra latency of the next host timer: (b&63)+1 << 10+4k
        for k in range(4):
            q = ns >> (10 + 4 * k)
            if 1 <= q <= 64 and ns % (1 << (10 + 4 * k)) == 0:
                return self.op('latency', [(q - 1) | k << 6], g=g, prm=1,
                               comment='next host timer fires %d ns late'
                               % ns)
        raise ValueError(ns)

    def write(self, outdir):
        path = os.path.join(outdir, self.name + '.hex')
        with open(path, 'w') as f:
            f.write('# SPDX-License-Identifier: GPL-2.0-only OR '
                    'BSD-2-Clause\n')
            f.write('# Generated by fuzz/timer_seeds.py: edit it there.\n')
            for line in self.doc.strip().split('\n'):
                f.write('# ' + line + '\n')
            f.write('# expect: %s\n' % ' '.join(self.expect))
            for data, comment in self.lines:
                hexs = ' '.join('%02x' % b for b in data)
                f.write('%-27s # %s\n' % (hexs, comment))


def enc_shift(v, mod):
    """(m, e) with m << e == v if possible (m < 256), else the next above."""
    for e in range(mod):
        if v >> e < 256 and (v >> e) << e == v:
            return v >> e, e
    e = max(0, v.bit_length() - 8)
    return min(255, -(-v >> e)), e


def enc_step(ns):
    """(m, e) with (m + 1) << e == ns if possible, else just above."""
    for e in range(44):
        if ns % (1 << e) == 0 and 1 <= ns >> e <= 256:
            return (ns >> e) - 1, e
    e = max(0, ns.bit_length() - 8)
    return min(255, -(-ns >> e) - 1), e


def enc_count(c):
    """TMICT encoding: m16 << sh, optionally with the low sh bits filled."""
    for sh in range(32):
        if c >> sh < 65536 and (c >> sh) << sh == c:
            return c >> sh, sh
        low = (1 << sh) - 1
        if c >> sh < 65536 and c & low == low:
            return c >> sh, sh | 0x20
    raise ValueError('TMICT %d not encodable' % c)


def seeds():
    out = []

    s = Seed('oneshot-basic', """
One-shot: 100000 bus cycles / 2 at 1 GHz = 200 us.  TMCCT counts down,
the interrupt comes at the deadline, TMCCT stays 0 after.""",
             ['oneshot_due', 'delivered', 'tmcct_nonzero', 'drained'])
    s.svr().lvtt(0x40, 'oneshot').tmict(100000)
    s.op('rd_tmcct').step(100000).op('rd_tmcct').op('rd_regs')
    s.step(99000).op('poll').step(2000).op('poll').op('rd_tmcct')
    s.tmict(50000).op('drain').op('rd_tmcct')
    out.append(s)

    s = Seed('oneshot-divide-change', """
One-shot running when the divide changes (2 -> 128 -> 1): the count and the
progress in the current tick are kept, the rest runs at the new rate.""",
             ['oneshot_due', 'divide_change', 'delivered', 'tmcct_nonzero'])
    s.svr().lvtt(0x41, 'oneshot').tmict(1000000).step(300000)
    s.op('rd_tmcct').tdcr(128).op('rd_tmcct').step(1000000)
    s.op('rd_tmcct').tdcr(1).op('rd_tmcct').step(5000000).op('poll')
    s.op('rd_tmcct').op('drain')
    out.append(s)

    s = Seed('periodic-basic', """
Periodic at 500 us (divide 1): reloads, one interrupt per period, polls in
between, TMCCT wraps.""",
             ['periodic_due', 'delivered', 'tmcct_nonzero', 'drained'])
    s.svr().lvtt(0x42, 'periodic').tdcr(1).tmict(500000)
    for _ in range(6):
        s.step(260000).op('rd_tmcct').op('poll')
    s.op('drain').tmict(0).step(2000000)
    out.append(s)

    s = Seed('periodic-clamped', """
Periodic with a period of 10 bus cycles, far below the 200 us minimum: it
runs at the minimum period (clamped), so the host timer fires at most every
200 us.""",
             ['periodic_due', 'clamped', 'delivered', 'tmcct_nonzero'])
    s.svr().lvtt(0x43, 'periodic').tdcr(1).tmict(10)
    for _ in range(4):
        s.step(450000).op('rd_tmcct')
    s.tdcr(2).step(1000000).op('rd_tmcct').op('poll').op('drain')
    out.append(s)

    s = Seed('periodic-stall-coalesce', """
Periodic at 250 us; the next host timer fires 64 ms late (a descheduled
vCPU): the missed ticks coalesce into one interrupt, the period continues.""",
             ['periodic_due', 'many_periods', 'stall', 'delivered'])
    s.svr().lvtt(0x44, 'periodic').tdcr(1).tmict(250000)
    s.stall(64 << 20).step(80000000).op('poll').op('rd_tmcct')
    s.step(1000000).op('poll').op('drain')
    out.append(s)

    s = Seed('periodic-catchup', """
Catch-up policy: the guest cannot take interrupts for 3 ms; the missed
ticks of a 300 us periodic timer are then delivered one by one.""",
             ['periodic_due', 'many_periods', 'catchup', 'delivered'],
             catchup=True, catchup_max=1000)
    s.svr().lvtt(0x45, 'periodic').tdcr(1).tmict(300000)
    s.op('irq_window', prm=0).op('auto_enter', prm=0).step(3000000)
    s.op('auto_enter', prm=1).op('irq_window', prm=1).op('poll')
    s.step(100000).op('poll').step(2000000).op('drain')
    out.append(s)

    s = Seed('periodic-masked-stretch', """
Periodic 400 us; masked for 2 ms (counts on, nothing delivered), unmasked,
then the vector changes while running.""",
             ['periodic_due', 'delivered', 'tmcct_nonzero'])
    s.svr().lvtt(0x46, 'periodic').tdcr(1).tmict(400000).step(900000)
    s.lvtt(0x46, 'periodic', masked=True).step(2000000).op('rd_tmcct')
    s.lvtt(0x46, 'periodic').step(450000).op('poll')
    s.lvtt(0x57, 'periodic').step(450000).op('poll').op('drain')
    out.append(s)

    s = Seed('tscd-basic', """
TSC-deadline: arm 250000 cycles ahead, RDMSR reads it, re-arm before it
fires (overwrite), fire, RDMSR reads 0, a deadline in the past fires at
once, 0 disarms.""",
             ['tscd_due', 'tscd_past', 'delivered', 'msr_armed', 'drained'])
    s.svr().lvtt(0x50, 'tscd').tscd_in(250000).op('rd_msr')
    s.step(50000).tscd_in(500000).op('rd_msr').step(300000).op('poll')
    s.op('rd_msr').tscd_past(1000).op('poll').op('rd_msr')
    s.tscd_in(100000).tscd_disarm().step(100000).op('rd_msr')
    s.tscd_now(0).op('settle').tscd_in(60000).op('drain')
    s.tscd_now(10).op('drain')
    out.append(s)

    s = Seed('tscd-rearm-storm', """
A guest that re-arms its TSC deadline on every exit, sometimes in the past,
sometimes right now: one host timer at most, never early.""",
             ['tscd_due', 'tscd_past', 'delivered'])
    s.svr().lvtt(0x51, 'tscd')
    for k in range(8):
        s.tscd_in(2000 + 1000 * k).step_small(160 + 16 * k)
        if k % 3 == 0:
            s.tscd_past(50)
        if k % 3 == 1:
            s.tscd_now(k)
        s.op('poll')
    s.step(100000).op('drain')
    out.append(s)

    s = Seed('tscd-masked-mode-switch', """
TSC-deadline passing while masked (dropped, MSR reads 0), then a mode switch
to one-shot disarms, TMICT ignored in TSC-deadline mode, reserved mode 11b
(xAPIC: stored, never runs).""",
             ['tscd_due', 'oneshot_due', 'delivered', 'msr_armed'])
    s.svr().lvtt(0x52, 'tscd', masked=True).tscd_in(100000).op('rd_msr')
    s.step(100000).op('rd_msr').lvtt(0x52, 'tscd').tscd_in(100000)
    s.tmict(5).op('rd_regs').lvtt(0x52, 'oneshot').op('rd_msr')
    s.tmict(20000).step(100000).op('poll')
    s.lvtt(0x52, 'reserved').tmict(100).op('rd_tmcct').step(10000)
    s.lvtt(0x52, 'tscd').tscd_in(50000).step(40000).op('drain')
    s.lvtt(0x52, 'reserved', strict=True).op('rd_regs')
    out.append(s)

    s = Seed('posted-periodic-tscd', """
Posted (exitless) delivery: the timer callback posts the interrupt itself
(periodic, then TSC-deadline); then posting fails twice and the core falls
back to a kick.""",
             ['periodic_due', 'tscd_due', 'posted', 'delivered', 'faults'],
             posted=True, post_enabled=True)
    s.svr().lvtt(0x60, 'periodic').tdcr(1).tmict(300000)
    for _ in range(4):
        s.step(310000).op('rd_tmcct')
    s.lvtt(0x61, 'tscd').tscd_in(400000).step(200000).op('rd_msr')
    s.step(300000).fault('post_next', 1).tscd_in(100000).step(200000)
    s.op('poll').tscd_in(100000).step(200000).op('poll')
    out.append(s)

    s = Seed('posted-unpinned-latency', """
Posted mode with an unpinned host timer (fires on the housekeeping CPU),
20 us timer latency and 2 us entry latency: the adaptive advance tunes
itself; every interrupt at or after its deadline.""",
             ['periodic_due', 'posted', 'delivered'],
             posted=True, post_enabled=True, unpinned=True, latency=20000,
             entry_latency=2000)
    s.svr().lvtt(0x62, 'periodic').tdcr(1).tmict(250000)
    for _ in range(10):
        s.step(250000)
    s.op('poll').op('drain')
    out.append(s)

    s = Seed('save-restore-migrate', """
Save/restore of a running one-shot in place (guest TSC continuous), then a
migration of the running periodic timer to the other host (another TSC
ratio) with 1 ms of downtime, then back; TMCCT resumes from the saved
progress.""",
             ['periodic_due', 'restored', 'migrated', 'delivered',
              'tmcct_nonzero'],
             hosts=0)
    s.svr().lvtt(0x70, 'oneshot').tmict(300000).step(100000)
    s.save().op('rd_tmcct').step(600000).op('poll')
    s.lvtt(0x71, 'periodic').tdcr(1).tmict(400000).step(250000)
    s.save(migrate=True, jump=2500000).op('rd_tmcct').step(500000)
    s.op('poll').save(migrate=True, jump=0).step(500000).op('poll')
    s.op('drain')
    out.append(s)

    s = Seed('migrate-tscd-downtime', """
A TSC deadline that passes during the migration downtime fires at once on
the destination; a second vCPU keeps running on the first host.""",
             ['tscd_due', 'migrated', 'delivered'], hosts=2)
    s.svr(g=1).lvtt(0x48, 'periodic', g=1).tdcr(1, g=1).tmict(300000, g=1)
    s.svr().lvtt(0x72, 'tscd').tscd_in(1000000).step(100000)
    s.save(migrate=True, jump=10000000).op('rd_msr').op('poll')
    s.step(1000000).tscd_in(500000).step(600000).op('drain')
    s.op('drain', g=1)
    out.append(s)

    s = Seed('mutated-records', """
Restores of mutated records: bit flips with and without a fixed checksum;
each either restores (and the timer then behaves as the record says) or is
refused with the timer untouched.""",
             ['mutated_ok', 'mutated_refused'])
    s.svr().lvtt(0x73, 'periodic').tdcr(1).tmict(500000).step(120000)
    s.mutate(8, 0x01, fix=False).mutate(8, 0x01, fix=True)
    s.mutate(16, 0x01, fix=False)
    s.mutate(4, 0x02).mutate(12, 0x10).mutate(16, 0x04).mutate(20, 0x01)
    s.mutate(32, 0x80).mutate(40, 0x01).mutate(44, 0x01).mutate(48, 0x05)
    s.mutate(52, 0x01).mutate(9, 0x00).step(1000000).op('poll')
    s.lvtt(0x74, 'tscd').tscd_in(900000).mutate(24, 0x40)
    s.mutate(28, 0xff).mutate(20, 0x02).step(1000000).op('poll')
    out.append(s)

    s = Seed('arm-faults', """
The host's timer_arm fails (next 2 calls, then every 3rd): the core keeps
the deadline, reports VAPIC_EHOST and retries at the next poll.""",
             ['faults', 'periodic_due', 'delivered'])
    s.svr().fault('arm_next', 1).lvtt(0x53, 'periodic').tdcr(1)
    s.tmict(300000).op('poll').step(400000).op('poll')
    s.fault('arm_every', 1).step(1000000).op('poll').fault('clear')
    s.lvtt(0x54, 'tscd').tscd_in(100000).step(100000).op('poll')
    out.append(s)

    s = Seed('strict-reserved', """
x2APIC (strict) writes: reserved bits, mode 11b refused (#GP); xAPIC writes
of the same values: reserved bits ignored.  TSC-deadline mode hidden: bit 18
reserved (strict) or ignored (xAPIC).""",
             ['rsvd_refused', 'oneshot_due', 'delivered'], tscd=False)
    s.svr().lvtt(0x40, 'oneshot', strict=True, rsvd=7)
    s.lvtt(0x40, 'reserved', strict=True).lvtt(0x40, 'tscd', strict=True)
    s.lvtt(0x40, 'tscd', rsvd=7, status=True).op('rd_regs')
    s.lvtt(0x40, 'oneshot', strict=True, status=True)
    s.tdcr(raw=0xf3, strict=True).tdcr(raw=0xf3).tdcr(raw=0x0b, strict=True)
    s.lvtt_raw(0xffffffff).lvtt_raw(0x00000041).tmict(7).step(100)
    s.op('poll').lvtt_raw(0x00020041, strict=True).tmict(1000000)
    s.step(2000000).op('poll')
    out.append(s)

    s = Seed('svr-reset', """
Software disable while a periodic timer runs (LVT masked, stays masked
when re-enabled until the guest unmasks), then INIT resets the timer.""",
             ['periodic_due', 'delivered'])
    s.svr().lvtt(0x55, 'periodic').tdcr(1).tmict(300000).step(700000)
    s.svr(False).step(700000).lvtt(0x55, 'periodic').op('rd_regs')
    s.svr().op('rd_regs').lvtt(0x55, 'periodic').step(700000).op('poll')
    s.op('reset').op('rd_regs').step(700000).svr()
    s.lvtt(0x56, 'oneshot').tmict(1000).step(10000).op('poll')
    out.append(s)

    s = Seed('irr-coalesce-tpr', """
The guest cannot take the interrupt (window closed, then TPR above the
vector, then no auto-EOI): periodic ticks merge into the pending IRR bit.""",
             ['periodic_due', 'delivered'])
    s.svr().lvtt(0x45, 'periodic').tdcr(1).tmict(200000)
    s.op('irq_window', prm=0).step(1000000).op('poll').op('rd_tmcct')
    s.op('irq_window', prm=1).op('poll').tpr(0x50).step(1000000)
    s.op('poll').tpr(0).op('poll').op('eoi', prm=2).step(600000)
    s.op('poll').op('eoi', prm=0).op('eoi', prm=1).step(600000).op('poll')
    out.append(s)

    s = Seed('no-min-period', """
A host that sets no minimum period (0): a 1-cycle periodic timer runs at the
guest's rate; the fire count stays bounded by the elapsed periods.""",
             ['periodic_due', 'delivered'], min_period=0, advance=0)
    s.svr().lvtt(0x44, 'periodic').tdcr(1).tmict(1).step(2000)
    s.op('poll').tmict(100).step(5000).op('poll')
    out.append(s)

    s = Seed('extreme-clocks', """
Extreme frequencies: 33.5 GHz APIC bus, 1 MHz guest TSC, guest TSC offset
2^62, fixed advance 100 us, both hosts at other TSC rates.""",
             ['oneshot_due', 'periodic_due', 'tscd_due', 'delivered',
              'migrated'],
             bus=(1 << 25) - 1, tsc=1000, hosts=2, advance=100000,
             offset=1 << 62)
    s.svr().lvtt(0x40, 'oneshot').tdcr(128).tmict(0xffffffff)
    s.op('rd_tmcct').step(20000000).op('rd_tmcct').tmict(1000)
    s.step(10000).op('poll').lvtt(0x41, 'periodic').tdcr(1)
    s.tmict(0xf0000000).step(300000).save(migrate=True, jump=77)
    s.tmict(1000000).step(1000000).op('poll').lvtt(0x42, 'tscd').tscd_in(300)
    s.step(400000).op('poll')
    out.append(s)

    s = Seed('slow-bus-1mhz', """
A 1 MHz APIC bus, 1 MHz minimum clock, 2.6 GHz guest TSC, divide 128:
a one-shot of one tick is 128 us; big TMICT values run for days.""",
             ['oneshot_due', 'delivered', 'tmcct_nonzero'],
             bus=1000, tsc=2596136, min_period=12345)
    s.svr().lvtt(0x40, 'oneshot').tdcr(128).tmict(1).op('rd_tmcct')
    s.step(200000).op('poll').tmict(0xffffffff).step(1 << 40)
    s.op('rd_tmcct').tdcr(1).op('rd_tmcct').step(1 << 42).op('rd_tmcct')
    out.append(s)

    s = Seed('two-vcpus-step-event', """
Two vCPUs: one-shot on vCPU 1, TSC-deadline on vCPU 0; time moves from one
host event to the next (fires exactly at their expiry).""",
             ['oneshot_due', 'tscd_due', 'delivered'])
    s.svr(g=0).svr(g=1).lvtt(0x40, 'tscd').lvtt(0x41, 'oneshot', g=1)
    s.tscd_in(300000).tmict(100000, g=1).step_event(4).op('poll')
    s.step_event(4).op('poll', g=1).step_tsc(1 << 20).op('poll')
    out.append(s)

    s = Seed('catchup-stall-small-cap', """
Catch-up with a backlog cap of 2: a 10 ms stall of a 200 us periodic timer
drops the older ticks; the kept ones come late, one per poll.""",
             ['periodic_due', 'many_periods', 'catchup', 'stall',
              'delivered'],
             catchup=True, catchup_max=2)
    s.svr().lvtt(0x47, 'periodic').tdcr(1).tmict(200000)
    s.stall(10 << 20).step(12000000).op('poll').op('poll').op('poll')
    s.step(500000).op('drain')
    out.append(s)

    s = Seed('tscd-msr-at-deadline', """
RDMSR IA32_TSC_DEADLINE exactly at the deadline (a 1 GHz guest TSC, so
time lands on it; masked, so nothing else processes the expiry): the
timer has fired, the MSR reads 0.""",
             ['tscd_due', 'msr_armed'], tsc=1000000)
    s.svr().lvtt(0x50, 'tscd', masked=True).tscd_in(255).op('rd_msr')
    s.step_tsc(256).op('rd_msr').lvtt(0x50, 'tscd').tscd_in(255)
    s.step_tsc(256).op('rd_msr')
    out.append(s)

    s = Seed('guest-tsc-jump', """
The guest moves its TSC forward (IA32_TSC_ADJUST; the host calls
vapic_timer_guest_tsc_changed()): a one-shot or periodic count keeps its
remaining host time (TMCCT unchanged), a TSC deadline stays an absolute
TSC value, so a jump past it fires it at once.""",
             ['oneshot_due', 'periodic_due', 'tscd_due', 'tsc_jump',
              'tmcct_nonzero', 'delivered'])
    s.svr().lvtt(0x40, 'oneshot').tmict(100000).step(100000)
    s.op('rd_tmcct').tsc_jump(1 << 30).op('rd_tmcct').step(250000)
    s.lvtt(0x41, 'periodic').tdcr(1).tmict(250000).step(100000)
    s.tsc_jump(12345 << 8).step(500000).op('rd_tmcct')
    s.lvtt(0x42, 'tscd').tscd_in(1 << 20).tsc_jump(1 << 21).op('rd_msr')
    s.op('poll').tscd_in(1 << 20).op('drain')
    out.append(s)

    s = Seed('periodic-poll-before-late-timer', """
The host timer fires 20 us late; the vCPU thread polls (another exit) 5 us
after the tick's deadline, before the host timer fired: the poll completes
the expiry and must cancel the armed host timer before it arms the next
period (one host timer per vCPU).""",
             ['periodic_due', 'delivered'], latency=20000)
    s.svr().lvtt(0x49, 'periodic').tdcr(1).tmict(200000)
    for _ in range(3):
        s.step(205000).op('poll').step(195000).op('poll')
    s.op('drain')
    out.append(s)

    s = Seed('posted-skewed-ratio', """
Posted delivery on a host whose TSC ratio is not exact (guest 2.5 GHz on a
3.333333 GHz host: the guest TSC runs a hair slower than its nominal
rate), so the callback's wait can end a cycle before the deadline: it must
wait again, never post early.""",
             ['periodic_due', 'tscd_due', 'posted', 'delivered'],
             hosts=2, posted=True, post_enabled=True, advance=2000)
    s.svr().lvtt(0x63, 'periodic').tdcr(1).tmict(200003)
    for _ in range(12):
        s.step(200003)
    s.lvtt(0x64, 'tscd')
    for k in range(12):
        s.tscd_in(3333 + 77 * k).step(20000)
    s.op('drain')
    out.append(s)

    s = Seed('regress-busy-other-vector', """
Regression (found by libFuzzer; see tests/test_fuzz_regressions.c): a
periodic tick due with vector 0x40 was pending when the guest switched the
LVT back to 0x50, whose IRR bit was set (IF=0): the "vector busy" of 0x50
made the coalesce policy drop the 0x40 tick.  Fixed in timer.c deliver().""",
             ['periodic_due', 'delivered', 'drained'])
    s.svr().lvtt(0x50, 'periodic').tdcr(1).tmict(200000)
    s.op('auto_enter', prm=0).op('irq_window', prm=0).step(210000)
    s.op('poll').lvtt(0x40, 'periodic').step(200000)
    s.lvtt(0x50, 'periodic').op('irq_window', prm=1)
    s.op('auto_enter', prm=1).op('drain')
    out.append(s)


    s = Seed('regress-older-due-without-newer', """
Regression (found by libFuzzer, fuzz/run.sh timer, minimized; see
tests/test_fuzz_regressions.c): a mutated record with an older due tick
(DUE_OLD, vector 0) but no newer one was restored; the periodic timer's
next tick, of the same vector 0, became a second due tick of one vector,
and the next save made a record that restore refuses.  Fixed in
timer_state.c validate_state(): such a record is refused.""",
             ['mutated_refused', 'migrated'], hosts=2, min_period=50000,
             catchup_max=1000, unpinned=True, latency=3000,
             entry_latency=50000, offset=1 << 62)
    s.svr().lvtt(0x00, 'periodic', rsvd=6).tmict(13127936)
    s.mutate(20, 0x08).step_event(1).save(migrate=True, jump=200)
    out.append(s)

    # -- the guest TSC wrap (config byte 3 bit 7, IA32_TSC writes) --------
    W = 1 << 64
    s = Seed('wrap-periodic-oneshot', """
The guest TSC starts 512 us before it wraps past 2^64.  A 200 us periodic
timer on vCPU 0 has its third period across the wrap; a 700 us one-shot on
vCPU 1 falls due after it.  Both count on the bus clock: due modulo 2^64,
never early, never lost, once per period; TMCCT counts down across the
wrap.""",
             ['periodic_due', 'oneshot_due', 'tsc_wrapped', 'wrap_period',
              'delivered', 'drained', 'tmcct_nonzero'], wrap_ns=512000)
    s.svr().lvtt(0x40, 'periodic').tdcr(1).tmict(200000)
    s.svr(g=1).lvtt(0x41, 'oneshot', g=1).tdcr(1, g=1).tmict(700000, g=1)
    s.step(250000).op('rd_tmcct').op('rd_tmcct', g=1)
    s.step(250000).op('rd_tmcct').op('poll').op('rd_tmcct', g=1)
    s.step(20000).op('rd_tmcct').op('rd_tmcct', g=1)
    s.step(100000).op('poll').op('rd_tmcct', g=1)
    s.step(200000).op('poll', g=1).op('drain').op('drain', g=1)
    out.append(s)

    s = Seed('wrap-tscd-late', """
TSC-deadline mode and the wrap.  A deadline 100 us before the wrap; the
host timer fires 256 us late, after the wrap, at a TSC numerically below
the deadline: the TSC reached it, so it is delivered (late, not lost).
Masked: RDMSR reads the deadline, then 0 once the TSC passed it, also
after the wrap.  Then the host timer is late again and the guest writes a
new deadline after the wrap, before it fires, and disarms it: the reached
one is still delivered.  (IA32_TSC writes put the TSC near the wrap
again.)""",
             ['tscd_due', 'delivered', 'wrap_late', 'wrap_tscd_late',
              'tsc_write', 'tsc_wrapped', 'stall', 'msr_armed', 'drained'],
             wrap_ns=512000)
    s.svr().lvtt(0x50, 'tscd').stall(1 << 18).tscd_abs(W - 250000)
    s.step(600000).op('drain').op('rd_msr')
    s.tsc_write(below_wrap=1000000).lvtt(0x50, 'tscd', masked=True)
    s.tscd_abs(W - 500000).op('rd_msr').step(300000).op('rd_msr')
    s.step(200000).op('rd_msr').lvtt(0x50, 'tscd').op('drain')
    s.tsc_write(below_wrap=1000000).stall(1 << 18).tscd_abs(W - 500000)
    s.step(420000).tscd_in(1000000).tscd_disarm().op('drain')
    s.tscd_in(1000000).step(1000000).op('drain')
    out.append(s)

    s = Seed('wrap-advance-window', """
A fixed 2 us timer advance: the host timer fires inside the advance window
just before the wrap for a one-shot due 200 ns after it, and for a
periodic tick due just after a wrap the guest set up with an IA32_TSC
write: the vCPU thread waits out the rest (modulo 2^64), never injects
before the wrap.""",
             ['oneshot_due', 'periodic_due', 'tsc_wrapped', 'wrap_period',
              'tsc_write', 'delivered', 'drained'],
             wrap_ns=8000, advance=2000)
    s.svr().lvtt(0x44, 'oneshot').tdcr(1).tmict(8200).step(20000)
    # 200 us periods (500000 cycles): the first ends 287 cycles past 2^64.
    s.op('poll').tsc_write(below_wrap=499712).lvtt(0x45, 'periodic')
    s.tmict(200000).step(1000000).op('drain')
    out.append(s)

    s = Seed('wrap-tscd-late-posted', """
Posted delivery: the callback runs after the wrap for a deadline the TSC
reached before it (host timer 256 us late): it posts it.  Then a 250 us
periodic timer across a wrap the guest set up with an IA32_TSC write.""",
             ['posted', 'tscd_due', 'periodic_due', 'wrap_tscd_late',
              'wrap_period', 'tsc_write', 'delivered', 'drained'],
             wrap_ns=512000, posted=True, post_enabled=True)
    s.svr().lvtt(0x51, 'tscd').stall(1 << 18).tscd_abs(W - 250000)
    s.step(800000).op('drain')
    s.tsc_write(below_wrap=600000).lvtt(0x52, 'periodic').tdcr(1)
    s.tmict(250000).step(500000).op('drain')
    out.append(s)

    s = Seed('wrap-tscd-jump', """
TSC jumps and writes around an armed deadline (SDM "TSC-Deadline Mode":
the interrupt comes when the TSC equals or exceeds it).  The TSC jumps
forward across the wrap from below the deadline to below it again: it
never reached it, nothing fires, RDMSR still reads it.  The TSC reaches a
deadline (host timer late) and then jumps across the wrap to below it,
or the guest writes it back to a small value, or (no wrap) to a value
between the TSC it was armed at and the deadline: it had fired,
delivered.""",
             ['wrap_tscd_jump', 'msr_armed', 'tscd_due', 'delivered',
              'drained', 'tsc_write', 'tsc_jump', 'stall'],
             wrap_ns=512000)
    s.svr().lvtt(0x53, 'tscd').tscd_abs(W - 250000).tsc_jump(2000000)
    s.op('rd_msr').step(1000000).op('poll').op('rd_msr').op('drain')
    s.tsc_write(below_wrap=1000000).stall(1 << 18).tscd_abs(W - 500000)
    s.step(300000).tsc_jump(1000000).op('drain').op('rd_msr')
    s.tsc_write(below_wrap=1000000).stall(1 << 18).tscd_abs(W - 500000)
    s.step(300000).tsc_write(value=5000).op('drain').op('rd_msr')
    # No wrap: reached (host timer 67 ms late), then written back between
    # the TSC it was armed at and the deadline: it had fired, delivered.
    s.tsc_write(value=1 << 32).stall(1 << 26).tscd_abs((1 << 32) + 10**8)
    s.step(50000000).tsc_write(value=129 << 25).op('drain').op('rd_msr')
    out.append(s)

    s = Seed('wrap-save-restore', """
Save before the wrap, restore after it: a periodic timer migrated with a
downtime that carries the guest TSC past 2^64 keeps its count; a TSC
deadline restored on a TSC that jumped across the wrap to below it is
judged at that TSC: armed, not due (RDMSR reads it).""",
             ['restored', 'migrated', 'periodic_due', 'wrap_period',
              'delivered', 'drained', 'tsc_write', 'msr_armed',
              'tmcct_nonzero'],
             wrap_ns=512000, hosts=2)
    s.svr().lvtt(0x58, 'periodic').tdcr(1).tmict(300000).step(250000)
    s.save(migrate=True, jump=1 << 20).op('rd_tmcct').step(400000)
    s.op('rd_tmcct').op('poll').op('drain')
    s.tsc_write(below_wrap=2000000).lvtt(0x59, 'tscd')
    s.tscd_abs(W - 1000000).save(jump=1 << 21).op('rd_msr')
    s.step(1000000).op('poll').op('rd_msr').op('drain')
    out.append(s)

    # -- register image loads (vapic_timer_load_regs(), KVM_SET_LAPIC) ----
    s = Seed('load-regs-count', """
The host loads register images (KVM_SET_LAPIC) over running timers: a
one-shot that resumes half-way (TMCCT 500000 of 1000000 at divide 2: due
1 ms later, not sooner), one with TMCCT 0 (expired: stays stopped), a
periodic timer at a period boundary (TMCCT 0) and one with TMCCT above
TMICT (a full period each), TMICT 0 (stopped), LVTT and TDCR reserved bits
(ignored, as an xAPIC write), and a KVM_GET_LAPIC / KVM_SET_LAPIC round
trip of a running periodic timer.""",
             ['loaded', 'load_resumed', 'load_tick', 'oneshot_due',
              'periodic_due', 'clamped', 'delivered', 'tmcct_nonzero',
              'drained'])
    s.svr().lvtt(0x40, 'oneshot').tmict(100000).step(20000)
    s.load(0x41, tmict=1000000, divide=2, frac=128).op('rd_tmcct')
    s.step(500000).op('rd_tmcct').step(499000).op('poll').op('rd_tmcct')
    s.step(2000).op('poll').op('rd_tmcct')
    s.load(0x41, tmict=1000, small=0).op('rd_tmcct').step(100000)
    s.op('poll').load(0x20042, tmict=300000, small=0).op('rd_tmcct')
    s.step(299000).op('poll').step(2000).op('poll')
    s.load(0x20043, tmict=250000, above=7).op('rd_tmcct').step(240000)
    s.op('poll').op('rd_tmcct').load_image().op('rd_tmcct').step(20000)
    s.op('poll').load(0x20044, tmict=0, small=5).op('rd_tmcct')
    s.step(1000000).op('poll')
    # A clamped period (7 counts, run at the 200 us minimum): TMCCT still
    # reads back the loaded 3 (the elapsed part rounded up).
    s.load(0x20049, tmict=7, small=3).op('rd_tmcct').step(100000)
    s.op('rd_tmcct').step(100000).op('poll')
    s.load(0xfffaff45, tmict=400000, tdcr_raw=0xf4, small=77)
    s.op('rd_regs').op('rd_tmcct').step(100000).op('drain')
    out.append(s)

    s = Seed('load-regs-drops-in-flight', """
A load drops what is in flight: a periodic timer whose ticks fell due
while the guest could not take them (one in IRR, the rest in the catch-up
backlog) is replaced by a loaded one-shot of another vector: the tick in
IRR and the loaded one come, no catch-up tick.  Then a periodic expiry
reported but not polled (the vCPU thread not running) is dropped.  Loaded
while the APIC is software-disabled, an unmasked LVT reads masked and
nothing comes.""",
             ['loaded', 'load_dropped', 'load_tick', 'periodic_due',
              'oneshot_due', 'catchup', 'delivered', 'drained'],
             catchup=True, catchup_max=1000)
    s.svr().lvtt(0x45, 'periodic').tdcr(1).tmict(200000).step(250000)
    s.op('poll').op('irq_window', prm=0).step(1000000)
    s.load(0x46, tmict=300000, small=150).op('irq_window', prm=1)
    s.op('poll')
    s.step(100000).op('poll').step(100000).op('drain')
    s.load(0x20047, tmict=200000, frac=0).step(1000000)
    s.op('auto_enter', prm=0).op('irq_window', prm=0).step(1000000)
    s.op('auto_enter', prm=1).op('irq_window', prm=1).op('poll')
    s.op('poll').op('drain')
    s.svr(False).load(0x48, tmict=100000, frac=64).op('rd_regs')
    s.op('rd_tmcct').step(200000).op('poll').svr().op('rd_regs')
    s.op('drain')
    out.append(s)

    s = Seed('load-regs-tscd', """
TSC-deadline mode and loads: loaded over a timer in TSC-deadline mode the
deadline is kept (RDMSR reads it, it fires then, on the loaded vector);
a deadline the TSC reached whose host timer fires late (not yet taken) is
kept and due (VAPIC_TIMER_DUE); loaded from one-shot mode into TSC-deadline
mode there is no deadline (RDMSR 0, nothing comes); a load into one-shot
mode drops an armed deadline; the reserved mode 11b holds its registers
and never runs.""",
             ['loaded', 'load_kept', 'load_tick', 'tscd_due', 'delivered',
              'msr_armed', 'stall', 'drained'])
    s.svr().lvtt(0x50, 'tscd').tscd_in(1000000).step(100000)
    s.load(0x40051, tmict=5, small=3).op('rd_msr').op('rd_regs')
    s.step(300000).op('rd_msr').op('drain').op('rd_msr')
    s.stall(1 << 20).tscd_in(100000).step(200000)
    s.load(0x40052, tmict=0, small=0).op('rd_msr').op('poll').op('drain')
    s.lvtt(0x53, 'oneshot').tmict(500000).step(1000)
    s.load(0x40053, tmict=1000, small=9).op('rd_msr').op('rd_tmcct')
    s.tscd_in(50000).op('rd_msr').load(0x53, tmict=0, small=0)
    s.op('rd_msr').step(1000000).op('poll')
    s.load(0x60054, tmict=777, small=5).op('rd_regs').op('rd_tmcct')
    s.step(100000).op('poll').lvtt(0x55, 'tscd').tscd_in(60000)
    s.op('drain')
    out.append(s)

    s = Seed('regress-load-masked-tscd', """
Regression (found by the load-regs oracle; see
tests/test_fuzz_regressions.c): a TSC deadline reached while the LVT was
masked fired without an interrupt (RDMSR would read 0), and nothing had
taken the expiry yet (no exit since) when the host loaded an image in
TSC-deadline mode without the mask: the load kept the deadline as already
due and delivered it.  Fixed in timer_state.c vapic_timer_load_regs().""",
             ['loaded', 'msr_armed'])
    s.svr().lvtt(0x50, 'tscd', masked=True).tscd_in(100000).op('rd_msr')
    s.step(200000).load(0x40050, small=0).op('rd_msr')
    s.op('poll').step(100000).op('poll')
    out.append(s)

    s = Seed('load-regs-tscd-hidden', """
TSC-deadline mode not exposed: bit 18 of a loaded LVTT is ignored, so mode
10b loads one-shot and 11b periodic (bit 17 rules), as an xAPIC write.""",
             ['loaded', 'load_resumed', 'load_tick', 'oneshot_due',
              'periodic_due', 'delivered', 'drained'], tscd=False)
    s.svr().load(0x40056, tmict=200000, frac=128).op('rd_regs')
    s.op('rd_tmcct').step(99000).op('poll').step(2000).op('poll')
    s.load(0x60057, tmict=250000, divide=4, frac=192).op('rd_regs')
    s.op('rd_tmcct').step(1000000).op('poll').op('drain')
    out.append(s)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, 'corpus', 'timer')
    os.makedirs(outdir, exist_ok=True)
    for s in seeds():
        s.write(outdir)
        print('wrote', os.path.join(outdir, s.name + '.hex'))


if __name__ == '__main__':
    main()
