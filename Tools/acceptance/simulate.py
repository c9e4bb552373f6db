#!/usr/bin/env python3
"""Acceptance runs of issue 8 through `flamewire simulate` (release build), fixed seeds.

Usage: Tools/acceptance/simulate.py FLAMEWIRE [--seeds 1,2,3,4,5] [--jobs 2] [--out DIR]

Each scenario runs once per seed; every run must meet the scenario's checks. Prints one
line per run and a table of figures; writes every JSON report to DIR. Exit status 1 when a
check fails. Checks compare counts and totals, never wall-clock time.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

# name, simulate arguments, checks (name, predicate over the JSON report)
SCENARIOS = [
    ("iid-12", ["--loss", "12%", "--rtt", "320ms", "--mtu", "1400", "--duration", "30m", "--types", "heap,cpu"], [
        ("delivered >= 99.9 %", lambda d: d["windows.delivered"] >= 0.999 * d["windows.sent"]),
        ("without repair >= 95 %", lambda d: d["windows.delivered_without_repair"] >= 0.95 * d["windows.sent"]),
        ("p99 snapshot->decoded <= 500 ms", lambda d: d["delay_ms.p99"] <= 500),
        ("totals equal", lambda d: d["totals_equal"]),
    ]),
    # Goal: 99.9 % delivered; today's floor is 99.5 % (see the closing note of issue 8:
    # bursts need FEC across a tick's windows, datagram layer v2).
    ("gilbert-12-burst-3", ["--loss", "12%", "--burst", "3", "--rtt", "320ms", "--duration", "30m", "--types", "heap,cpu"], [
        ("delivered >= 99.5 %", lambda d: d["windows.delivered"] >= 0.995 * d["windows.sent"]),
        ("totals equal", lambda d: d["totals_equal"]),
    ]),
    ("outage-60s", ["--loss", "12%", "--rtt", "320ms", "--down", "60s@10m", "--duration", "20m", "--types", "heap,cpu"], [
        ("resumes after the outage", lambda d: d["time_s.last_decoded"] >= 20 * 60 - 5),
        ("totals equal", lambda d: d["totals_equal"]),
    ]),
    ("cap-64kbit", ["--loss", "12%", "--rtt", "320ms", "--rate", "64kbit", "--duration", "10m", "--types", "heap,cpu"], [
        # The law probes down one 10 ms step when a sample shows a clear path, then climbs back.
        ("interval at its upper bound", lambda d: d["interval_ms.median"] >= 470 and d["interval_ms.max"] == 480),
        ("coalesces what does not fit", lambda d: d["windows.coalesced"] > 0),
        ("queue bounded", lambda d: d["link.forward.max_queue_bytes"] <= 64000),
        ("totals equal", lambda d: d["totals_equal"]),
    ]),
]


def run(binary, name, args, seed, out):
    cmd = [binary, "simulate", *args, "--seed", str(seed), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        return name, seed, None, f"exit {p.returncode}: {p.stderr.strip()[:300]}"
    d = json.loads(p.stdout)
    with open(os.path.join(out, f"{name}-seed{seed}.json"), "w") as f:
        f.write(p.stdout)
    return name, seed, d, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("flamewire")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="artifacts/acceptance")
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    seeds = [int(s) for s in a.seeds.split(",")]
    scenarios = [s for s in SCENARIOS if not a.only or s[0] in a.only.split(",")]
    jobs = [(n, args, seed) for n, args, _ in scenarios for seed in seeds]
    checks = {n: c for n, _, c in scenarios}
    failed = 0
    results = {}
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for name, seed, d, err in pool.map(lambda j: run(a.flamewire, j[0], j[1], j[2], a.out), jobs):
            if err:
                print(f"FAIL {name} seed {seed}: {err}")
                failed += 1
                continue
            bad = [c for c, pred in checks[name] if not pred(d)]
            results.setdefault(name, []).append(d)
            figures = (f"sent {d['windows.sent']} delivered {d['windows.delivered']} "
                       f"({100 * d['windows.delivered'] / max(1, d['windows.sent']):.3f} %) without repair "
                       f"{d['windows.delivered_without_repair']} superseded {d['windows.superseded']} lost {d['windows.lost']} "
                       f"coalesced {d['windows.coalesced']} p50/p99/max {d['delay_ms.p50']}/{d['delay_ms.p99']}/{d['delay_ms.max']} ms "
                       f"interval {d['interval_ms.min']}/{d['interval_ms.median']}/{d['interval_ms.max']} ms "
                       f"wire/pprof {d['bytes.wire'] / max(1, d['bytes.pprof']):.4f} windows/s {d['windows.per_second']}")
            print(("FAIL " if bad else "ok   ") + f"{name} seed {seed}: {figures}" + (f"  failed: {', '.join(bad)}" if bad else ""))
            failed += bool(bad)
    print(f"{len(jobs) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
