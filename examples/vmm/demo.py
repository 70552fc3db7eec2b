#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""vapic-vmm demo and benchmark: every configuration in one run.

Runs the project's guests on /dev/kvm with KVM's in-kernel LAPIC and with
libvapic (without and with the lazy TSC-deadline protocol, halt-polling off,
KVM's policy and ours), prints seed-style tables, checks the issue's
targets, and writes results.json, results.csv, the raw samples and latency
plots (gnuplot) to the output directory.

    examples/vmm/demo.py -C build [--out DIR] [--rounds R] [--quick]

Configurations are interleaved round by round (--rounds, default 4; the
samples of a configuration are split between its rounds), so that a noisy
host hurts them alike; samples and counters of all rounds are pooled.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

# id, workload, irqchip, haltpoll, lazy, cpus, description
CONFIGS = [
    ("lat-kvm", "latency", "kernel", "kvm", False, 1, "KVM LAPIC, KVM halt-poll"),
    ("lat-kvm-nopoll", "latency", "kernel", "off", False, 1, "KVM LAPIC, no halt-poll"),
    ("lat-vapic-off", "latency", "user", "off", False, 1, "libvapic, no halt-poll"),
    ("lat-vapic-kvm", "latency", "user", "kvm", False, 1, "libvapic, KVM policy"),
    ("lat-vapic-ours", "latency", "user", "ours", False, 1, "libvapic, our policy"),
    ("spin-kvm", "latency-spin", "kernel", "kvm", False, 1, "KVM LAPIC"),
    ("spin-vapic", "latency-spin", "user", "ours", False, 1, "libvapic"),
    ("rr-kvm", "tcprr", "kernel", "kvm", False, 2, "KVM LAPIC"),
    ("rr-vapic", "tcprr", "user", "ours", False, 2, "libvapic"),
    ("rr-vapic-lazy", "tcprr", "user", "ours", True, 2, "libvapic + lazy"),
    ("pp-kvm", "pingpong", "kernel", "kvm", False, 2, "KVM LAPIC, KVM halt-poll"),
    ("pp-kvm-nopoll", "pingpong", "kernel", "off", False, 2, "KVM LAPIC, no halt-poll"),
    ("pp-vapic-off", "pingpong", "user", "off", False, 2, "libvapic, no halt-poll"),
    ("pp-vapic-kvm", "pingpong", "user", "kvm", False, 2, "libvapic, KVM policy"),
    ("pp-vapic-ours", "pingpong", "user", "ours", False, 2, "libvapic, our policy"),
    ("ppl-kvm", "pingpong-late", "kernel", "kvm", False, 2, "KVM LAPIC, KVM halt-poll"),
    ("ppl-kvm-nopoll", "pingpong-late", "kernel", "off", False, 2, "KVM LAPIC, no halt-poll"),
    ("ppl-vapic-off", "pingpong-late", "user", "off", False, 2, "libvapic, no halt-poll"),
    ("ppl-vapic-ours", "pingpong-late", "user", "ours", False, 2, "libvapic, our policy"),
]

CONFORMANCE = [
    ("conf-kvm-x2apic", "kernel", "x2apic"),
    ("conf-kvm-xapic", "kernel", "xapic"),
    ("conf-vapic-x2apic", "user", "x2apic"),
    ("conf-vapic-xapic", "user", "xapic"),
]


def pct(v, q):
    return v[int(q * (len(v) - 1) + 0.5)] if v else float("nan")


class Result:
    """One configuration, pooled over rounds."""

    def __init__(self, cfg):
        (self.id, self.workload, self.irqchip, self.haltpoll, self.lazy,
         self.cpus, self.desc) = cfg
        self.samples = []  # us
        self.counters = {}
        self.vmm = {}
        self.kvm = {}
        self.lib = {}
        self.wall_ns = 0
        self.cpu_ns = 0
        self.status = []
        self.runs = 0

    def add(self, js, samples):
        self.runs += 1
        self.status.append(js["status"])
        self.wall_ns += js["wall_ns"]
        self.cpu_ns += js["vmm_cpu_ns"]
        self.samples.extend(samples)
        for k, v in js["counters"].items():
            name = k.split("@")[0]
            self.counters[name] = self.counters.get(name, 0) + v
        for src, dst in ((js["vmm"], self.vmm), (js["kvm"], self.kvm)):
            for k, v in src.items():
                dst[k] = dst.get(k, 0) + v
        for k, v in js["libvapic"].items():
            if isinstance(v, int):
                self.lib[k] = self.lib.get(k, 0) + v
            elif isinstance(v, dict) and k.startswith("posix@"):
                for pk, pv in v.items():
                    if pk in ("wakeups", "wakeup_ns", "halt_sleeps",
                              "kick_wakes", "timer_exits"):
                        self.lib["posix_" + pk] = (
                            self.lib.get("posix_" + pk, 0) + pv)

    @property
    def ok(self):
        return self.runs > 0 and all(s == 1 for s in self.status)

    def dist(self):
        v = sorted(self.samples)
        return {
            "n": len(v), "p50": pct(v, 0.5), "p90": pct(v, 0.9),
            "p99": pct(v, 0.99), "max": v[-1] if v else float("nan"),
            "min": v[0] if v else float("nan"),
            "early": sum(1 for x in v if x < 0),
        }


def run_vmm(args, cfg_args, guest, json_path, csv_path):
    cmd = [args.vmm, "--quiet", "--json", json_path, "--samples-csv",
           csv_path, "--timeout", str(args.timeout)] + cfg_args + [guest]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if not os.path.exists(json_path):
        sys.stderr.write("demo: %s failed (status %d):\n%s%s\n" %
                         (" ".join(cmd), p.returncode, p.stdout, p.stderr))
        return None, []
    with open(json_path) as f:
        js = json.load(f)
    samples = []
    with open(csv_path) as f:
        for row in csv.DictReader(f):
            samples.append(float(row["value_us"]))
    if p.returncode != 1:
        sys.stderr.write("demo: %s: status %d\n%s" %
                         (" ".join(cmd), p.returncode, p.stderr))
    return js, samples


def per_round(args, n):
    """Samples per round: the total spread over the rounds."""
    return max(1, (n + args.rounds - 1) // args.rounds)


def workload_args(args, workload):
    if workload == "latency":
        return ["--set", "n=%d" % per_round(args, args.lat_n), "--set",
                "interval_us=%d" % args.interval_us]
    if workload == "latency-spin":
        return ["--set", "n=%d" % per_round(args, args.lat_n), "--set",
                "interval_us=%d" % args.interval_us, "--set", "wait=spin"]
    if workload == "tcprr":
        return ["--set", "n=%d" % per_round(args, args.rr_n), "--set",
                "gap_us=20"]
    return ["--set", "n=%d" % per_round(args, args.pp_n), "--set",
            "gap_us=20"] + (["--set", "eoi=late"]
                            if workload == "pingpong-late" else [])


def run_all(args):
    results = {c[0]: Result(c) for c in CONFIGS}
    raw = os.path.join(args.out, "raw")
    os.makedirs(raw, exist_ok=True)
    for rnd in range(args.rounds):
        for cfg in CONFIGS:
            r = results[cfg[0]]
            if cfg[1] == "tcprr" and not os.path.exists(args.guest("tcprr")):
                continue
            a = ["--irqchip=" + r.irqchip, "--haltpoll=" + r.haltpoll,
                 "--cpus=%d" % r.cpus, "--label", r.id]
            if r.lazy:
                a += ["--lazy", "--set", "lazy=1"]
            a += workload_args(args, r.workload)
            base = os.path.join(raw, "%s-r%d" % (r.id, rnd))
            sys.stderr.write("demo: round %d/%d: %s (%s)\n" %
                             (rnd + 1, args.rounds, r.id, r.desc))
            js, samples = run_vmm(args, a,
                                  args.guest(r.workload.split("-")[0]),
                                  base + ".json", base + ".csv")
            if js:
                r.add(js, samples)
    conf = {}
    for cid, irqchip, apic in CONFORMANCE:
        base = os.path.join(raw, cid)
        js, _ = run_vmm(args, ["--irqchip=" + irqchip, "--cpus=2", "--set",
                               "apic=" + apic, "--label", cid],
                        args.guest("conformance"), base + ".json",
                        base + ".csv")
        if js:
            checks = js["checks"]
            conf[cid] = {
                "passed": sum(1 for c in checks if c["pass"]),
                "failed": [c["name"] for c in checks if not c["pass"]],
                "status": js["status"],
            }
        else:
            conf[cid] = {"passed": 0, "failed": ["(run failed)"],
                         "status": -1}
    return results, conf


# ---- tables -----------------------------------------------------------------

def fmt(x, w=9, d=1):
    if isinstance(x, float):
        return ("%*.*f" % (w, d, x)) if x == x else "%*s" % (w, "n/a")
    if x is None:
        return "%*s" % (w, "n/a")
    return "%*s" % (w, x)


def latency_table(res, out, workload="latency", what="vCPU halted"):
    rows = [r for r in res.values() if r.workload == workload and r.runs]
    if not rows:
        return
    out.append("Timer latency: guest ISR TSC - deadline, us "
               "(%d us TSC-deadline timers, %s)" % (ARGS.interval_us, what))
    out.append("%-32s %7s %8s %8s %8s %9s %6s %5s %8s" %
               ("config", "n", "p50", "p90", "p99", "max", "early", "lost",
                "CPU s"))
    for r in rows:
        d = r.dist()
        armed = r.counters.get("timer_armed", 0)
        irqs = r.counters.get("timer_irqs", 0)
        lost = (armed - irqs) if r.ok else "hang"
        out.append("%-32s %7d %8.1f %8.1f %8.1f %9.1f %6d %5s %8.2f" %
                   (r.desc, d["n"], d["p50"], d["p90"], d["p99"], d["max"],
                    d["early"], lost, r.cpu_ns / 1e9))
    out.append("")


def exits_table(res, out):
    cols = [r for r in res.values() if r.workload == "tcprr" and r.runs]
    if not cols:
        out.append("TCP_RR-like guest: not built (needs libvapic's lazy "
                   "TSC-deadline guest side)\n")
        return
    out.append("TCP_RR-like guest (2 vCPUs, request/response by IPI, "
               "3 timeout pushes per transaction)")

    def row(name, vals, w=18):
        out.append("%-26s" % name + "".join(fmt(v, w) for v in vals))

    row("", [c.desc for c in cols])
    row("transactions", [c.counters.get("transactions") for c in cols])
    out.append("VM-Exit:")
    row("  sum (KVM stat)", [c.kvm.get("exits") for c in cols])
    row("  halt", [c.kvm.get("halt_exits") for c in cols])
    row("  msr-write", [c.vmm.get("exit_wrmsr") if c.irqchip == "user"
                        else None for c in cols])
    row("  irq-window", [c.kvm.get("irq_window_exits") for c in cols])
    row("  signal (kick/timer)", [c.kvm.get("signal_exits") for c in cols])
    out.append("MSR writes:")
    row("  tsc-deadline (guest)", [c.counters.get("msr_writes") for c in cols])
    row("  tsc-deadline (VMM)", [c.vmm.get("msr_tsc_deadline")
                                 if c.irqchip == "user" else None
                                 for c in cols])
    row("  apic-icr", [c.vmm.get("msr_x2apic_icr") if c.irqchip == "user"
                       else None for c in cols])
    row("  apic-eoi", [c.vmm.get("msr_x2apic_eoi") if c.irqchip == "user"
                       else None for c in cols])
    out.append("Deadline updates:")
    row("  set_next_event calls", [c.counters.get("set_calls") for c in cols])
    row("  lazy: no exit", [c.counters.get("lazy_skips") for c in cols])
    row("  lazy: host moves", [c.lib.get("lazy_moves") for c in cols])
    out.append("Interrupts:")
    row("  injected (KVM stat)", [c.kvm.get("irq_injections") for c in cols])
    row("  timer", [c.counters.get("timer_irqs") for c in cols])
    row("RTT p50, us", [c.dist()["p50"] for c in cols])
    row("VMM CPU, s", [c.cpu_ns / 1e9 for c in cols])
    out.append("")


def pingpong_table(res, out, workload):
    rows = [r for r in res.values() if r.workload == workload and r.runs]
    if not rows:
        return
    out.append("IPI ping-pong between 2 vCPUs that halt between messages, "
               "round trip, us; %s" %
               ("EOI after the reply (eoi=late)" if workload.endswith("late")
                else "EOI in the ISR"))
    out.append("%-32s %7s %8s %8s %8s %8s %8s %8s %8s" %
               ("config", "n", "p50", "p90", "p99", "polls ok", "blocked",
                "wake us", "CPU s"))
    for r in rows:
        d = r.dist()
        ok = r.lib.get("halt_successful_poll", r.kvm.get(
            "halt_successful_poll"))
        blk = r.lib.get("halt_wakeup", r.kvm.get("halt_wakeup"))
        wk = r.lib.get("posix_wakeups", 0)
        wake = ("%.1f" % (r.lib["posix_wakeup_ns"] / wk / 1e3)) if wk \
            else "n/a"
        out.append("%-32s %7d %8.1f %8.1f %8.1f %8s %8s %8s %8.2f" %
                   (r.desc, d["n"], d["p50"], d["p90"], d["p99"], ok, blk,
                    wake, r.cpu_ns / 1e9))
    out.append("  wake us: mean time from a kick's FUTEX_WAKE to the halted "
               "vCPU thread running (libvapic runs): the cost halt-polling "
               "can save")
    out.append("")


def conformance_table(conf, out):
    out.append("Conformance guest (2 vCPUs)")
    for cid, c in conf.items():
        out.append("  %-20s %3d passed, %d failed%s" %
                   (cid, c["passed"], len(c["failed"]),
                    (": " + ", ".join(c["failed"])) if c["failed"] else ""))
    out.append("")


def targets(res, conf, out):
    """The issue's targets, with the figures behind each verdict."""
    t = []

    def check(name, ok, detail):
        t.append({"target": name, "pass": bool(ok), "detail": detail})
        out.append("  [%s] %s: %s" % ("PASS" if ok else "FAIL", name, detail))

    out.append("Targets (issue 5)")
    k, v = res["lat-kvm"], res["lat-vapic-ours"]
    if k.runs and v.runs:
        dk, dv = k.dist(), v.dist()
        check("latency p50 <= 0.8x KVM", dv["p50"] <= 0.8 * dk["p50"],
              "%.1f / %.1f us = %.2fx" % (dv["p50"], dk["p50"],
                                          dv["p50"] / dk["p50"]))
        check("latency p99 <= 1.0x KVM", dv["p99"] <= dk["p99"],
              "%.1f / %.1f us = %.2fx" % (dv["p99"], dk["p99"],
                                          dv["p99"] / dk["p99"]))
        early = sum(r.dist()["early"] for r in res.values()
                    if r.workload.startswith("latency") and
                    r.irqchip == "user")
        check("0 early (libvapic latency runs)", early == 0, "%d" % early)
        lost = sum(r.counters.get("timer_armed", 0) -
                   r.counters.get("timer_irqs", 0) for r in res.values()
                   if r.workload.startswith("latency") and
                   r.irqchip == "user")
        hung = [r.id for r in res.values()
                if r.workload.startswith("latency") and r.runs and
                not r.ok]
        check("0 lost (libvapic latency runs)", lost == 0 and not hung,
              "%d%s" % (lost, (", hung: " + " ".join(hung)) if hung else ""))
    a, b = res["rr-vapic"], res["rr-vapic-lazy"]
    if a.runs and b.runs:
        ta, tb = a.vmm.get("msr_tsc_deadline", 0), b.vmm.get(
            "msr_tsc_deadline", 0)
        check("lazy: TSC-deadline MSR exits >= 30x fewer",
              tb == 0 or ta / tb >= 30,
              "%d -> %d (%s)" % (ta, tb, ("%.1fx" % (ta / tb)) if tb else
                                 "all removed"))
        ea, eb = a.kvm.get("exits", 0), b.kvm.get("exits", 0)
        check("lazy: all exits >= 40% fewer", ea and (ea - eb) / ea >= 0.4,
              "%d -> %d (%.0f%% fewer)" % (ea, eb, 100.0 * (ea - eb) / ea
                                           if ea else 0))
    for pre, how in (("pp", "EOI in the ISR"), ("ppl", "EOI after reply")):
        a, b = res[pre + "-vapic-off"], res[pre + "-vapic-ours"]
        if a.runs and b.runs:
            pa, pb = a.dist()["p50"], b.dist()["p50"]
            check("ping-pong RTT with our halt-poll <= 0.5x without (%s)" %
                  how, pb <= 0.5 * pa,
                  "%.1f / %.1f us = %.2fx" % (pb, pa, pb / pa))
    bad = [c for c, v in conf.items() if v["failed"]]
    check("conformance passes in both modes", not bad,
          "failing: " + " ".join(bad) if bad else "all %d runs" % len(conf))
    out.append("")
    return t


# ---- files and plots ----------------------------------------------------------

def write_files(res, conf, tgt, args):
    summary = {
        "args": {k: v for k, v in vars(args).items() if k != "guest"},
        "configs": {}, "conformance": conf, "targets": tgt,
    }
    for r in res.values():
        if not r.runs:
            continue
        summary["configs"][r.id] = {
            "workload": r.workload, "irqchip": r.irqchip,
            "haltpoll": r.haltpoll, "lazy": r.lazy, "cpus": r.cpus,
            "desc": r.desc, "runs": r.runs, "status": r.status,
            "dist_us": r.dist(), "wall_ns": r.wall_ns,
            "vmm_cpu_ns": r.cpu_ns, "counters": r.counters,
            "vmm": r.vmm, "kvm": r.kvm, "libvapic": r.lib,
        }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    with open(os.path.join(args.out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["config", "workload", "irqchip", "haltpoll", "lazy",
                    "n", "p50_us", "p90_us", "p99_us", "max_us", "early",
                    "kvm_exits", "vmm_tsc_deadline_exits", "vmm_cpu_s",
                    "wall_s"])
        for r in res.values():
            if not r.runs:
                continue
            d = r.dist()
            w.writerow([r.id, r.workload, r.irqchip, r.haltpoll, r.lazy,
                        d["n"], d["p50"], d["p90"], d["p99"], d["max"],
                        d["early"], r.kvm.get("exits", 0),
                        r.vmm.get("msr_tsc_deadline", 0),
                        "%.3f" % (r.cpu_ns / 1e9), "%.3f" % (r.wall_ns / 1e9)])
    # Sorted samples for the CDFs, and histograms.
    for r in res.values():
        if not r.samples:
            continue
        v = sorted(r.samples)
        step = max(1, len(v) // 4000)
        with open(os.path.join(args.out, "cdf-%s.dat" % r.id), "w") as f:
            for i in range(0, len(v), step):
                f.write("%.3f %.6f\n" % (v[i], (i + 1) / len(v)))
            f.write("%.3f 1.0\n" % v[-1])
        bins = {}
        for x in v:
            b = int(x * 2) / 2.0  # 0.5 us bins
            bins[b] = bins.get(b, 0) + 1
        with open(os.path.join(args.out, "hist-%s.dat" % r.id), "w") as f:
            for b in sorted(bins):
                f.write("%.1f %d\n" % (b, bins[b]))


def color(r):
    """The same colour for the same LAPIC / halt-poll in every plot."""
    key = (r.irqchip, r.haltpoll, r.lazy)
    order = [("kernel", "kvm", False), ("kernel", "off", False),
             ("user", "off", False), ("user", "kvm", False),
             ("user", "ours", False), ("user", "ours", True)]
    return order.index(key) + 1 if key in order else 7


def plots(res, args):
    gp = shutil.which("gnuplot")
    if not gp:
        sys.stderr.write("demo: gnuplot not found (apt-get install "
                         "gnuplot-nox): no plots\n")
        return []
    made = []
    for wl, title, xmax in (("latency", "Timer latency (guest ISR TSC - deadline)", 60),
                            ("latency-spin", "Timer latency, vCPU running", 800),
                            ("pingpong", "IPI ping-pong round trip", 600),
                            ("pingpong-late", "IPI ping-pong round trip, "
                             "EOI after the reply", 600),
                            ("tcprr", "TCP_RR-like round trip", 600)):
        rows = [r for r in res.values() if r.workload == wl and r.samples]
        if not rows:
            continue
        for term, ext in (("pngcairo size 1000,600 font ',10'", "png"),
                          ("svg size 1000,600 dynamic", "svg")):
            for kind in ("cdf", "hist"):
                if kind == "hist" and not wl.startswith("latency"):
                    continue
                name = "%s-%s.%s" % (wl, kind, ext)
                script = ["set terminal %s" % term,
                          "set output '%s'" % name,
                          "set title '%s, %s'" % (title, "CDF" if kind ==
                                                  "cdf" else "histogram"),
                          "set xlabel 'us'", "set grid",
                          "set key right bottom" if kind == "cdf" else
                          "set key right top",
                          "set xrange [0:%d]" % xmax]
                if kind == "cdf":
                    script.append("set ylabel 'fraction of samples'")
                    script.append("set yrange [0:1]")
                    plot = ", ".join("'cdf-%s.dat' using 1:2 with lines "
                                     "lw 2 lc %d title '%s'" %
                                     (r.id, color(r), r.desc) for r in rows)
                else:
                    script.append("set ylabel 'samples per 0.5 us'")
                    script.append("set logscale y")
                    plot = ", ".join("'hist-%s.dat' using 1:2 with steps "
                                     "lw 2 lc %d title '%s'" %
                                     (r.id, color(r), r.desc) for r in rows)
                script.append("plot " + plot)
                p = subprocess.run([gp], input="\n".join(script) + "\n",
                                   text=True, cwd=args.out,
                                   stderr=subprocess.PIPE)
                if p.returncode == 0:
                    made.append(name)
                else:
                    sys.stderr.write("demo: gnuplot: %s\n" % p.stderr)
    return made


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-C", "--build", default="build",
                    help="meson build directory (default: build)")
    ap.add_argument("--vmm", help="vapic-vmm binary (default: in --build)")
    ap.add_argument("--out", default="vmm-demo-results",
                    help="output directory (default: vmm-demo-results)")
    ap.add_argument("--rounds", type=int, default=4,
                    help="interleaved rounds: each configuration runs this "
                    "many times, in turn, with its samples split between "
                    "the runs, so that a burst of host stalls hurts them "
                    "all alike (default 4)")
    ap.add_argument("--quick", action="store_true",
                    help="small sample counts (a smoke run, not a benchmark)")
    ap.add_argument("--lat-n", type=int, default=10000,
                    help="timer latency samples per configuration (total)")
    ap.add_argument("--rr-n", type=int, default=5000,
                    help="TCP_RR-like transactions per configuration")
    ap.add_argument("--pp-n", type=int, default=3000,
                    help="ping-pong round trips per configuration")
    ap.add_argument("--interval-us", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    ARGS = args
    if args.quick:
        args.lat_n, args.rr_n, args.pp_n, args.rounds = 500, 300, 300, 1
    if args.rounds < 1:
        sys.exit("demo: --rounds must be >= 1")
    gdir = os.path.join(args.build, "examples", "vmm", "guests")
    args.vmm = args.vmm or os.path.join(args.build, "examples", "vmm",
                                        "vapic-vmm")
    args.guest = lambda w: os.path.join(gdir, w + ".elf")
    if not os.access(args.vmm, os.X_OK):
        sys.exit("demo: %s not found: build first (meson compile -C %s)" %
                 (args.vmm, args.build))
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        sys.exit("demo: /dev/kvm is missing or not accessible")
    os.makedirs(args.out, exist_ok=True)
    args.out = os.path.abspath(args.out)
    res, conf = run_all(args)
    out = []
    latency_table(res, out)
    latency_table(res, out, "latency-spin",
                  "vCPU running: the guest spins at CPL0")
    exits_table(res, out)
    pingpong_table(res, out, "pingpong")
    pingpong_table(res, out, "pingpong-late")
    conformance_table(conf, out)
    tgt = targets(res, conf, out)
    write_files(res, conf, tgt, args)
    made = plots(res, args)
    out.append("Wrote %s: results.json, results.csv, raw/, %s" %
               (args.out, ", ".join(made) if made else "(no plots)"))
    text = "\n".join(out) + "\n"
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
