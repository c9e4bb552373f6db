#!/usr/bin/env python3
"""Bytes per delivered window, and the shares of FEC, repair and acknowledgements, per
profile type and for the six streams together, at 0 %, 3 % and 12 % loss (issue 8's
benchmark), measured with `flamewire simulate` (release build, virtual time).

Usage: Tools/bench/simulate-bytes.py FLAMEWIRE [--duration 5m] [--seed 1]

"wire/plain" is what the agent sent (source symbols + FEC + repair + handshake + its
CONTROL) over `bytes.plain`, its bundles sent once with no parity in the fewest symbols
that fit: the cost of loss protection (the 1.8x goal is on this ratio at 12 %). Smaller
symbols, which the sender picks when they make parity cheaper, count against it.
"""
import argparse
import json
import subprocess

TYPES = ["heap", "allocs", "goroutine", "mutex", "block", "cpu"]


def run(binary, types, loss, duration, seed):
    cmd = [binary, "simulate", "--loss", loss, "--rtt", "320ms", "--duration", duration, "--seed", str(seed),
           "--types", ",".join(types), "--json"]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("flamewire")
    ap.add_argument("--duration", default="5m")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print(f"{'streams':<22} {'loss':>5} {'windows':>8} {'B/window':>9} {'wire/pprof':>10} {'FEC %':>6} {'repair %':>8} {'acks %':>7} {'wire/plain':>11} {'delivered %':>11}")
    for types in [[t] for t in TYPES] + [TYPES]:
        for loss in ["0%", "3%", "12%"]:
            d = run(a.flamewire, types, loss, a.duration, a.seed)
            wire, fec, rep, ack = d["bytes.wire"], d["bytes.fec"], d["bytes.repair"], d["bytes.ack"]
            delivered = max(1, d["windows.delivered"])
            name = "all six" if len(types) > 1 else types[0]
            print(f"{name:<22} {loss:>5} {d['windows.delivered']:>8} {(wire + ack) / delivered:>9.0f} "
                  f"{wire / max(1, d['bytes.pprof']):>10.4f} {100 * fec / wire:>6.1f} {100 * rep / wire:>8.2f} "
                  f"{100 * ack / (wire + ack):>7.1f} {wire / max(1, d['bytes.plain']):>11.2f} "
                  f"{100 * d['windows.delivered'] / max(1, d['windows.sent']):>11.3f}")


if __name__ == "__main__":
    main()
