#!/usr/bin/env python3
"""Report of Tools/bench/vs-http.sh: for each profile type, FlameWire against HTTP POST on
the same link, from the files the run left in OUT:

  OUT/fw-TYPE/windows.jsonl   collect --window-log (captured_ns, stored_ns per stored window)
  OUT/fw-TYPE/agent.out       the agent's summary (windows sent)
  OUT/http-TYPE/received.jsonl the HTTP receiver's log (captured_ns, received_ns per profile)
  OUT/*/link.json             jiolink.py's counters (IP bytes each way, before its drops)

Capture to available: for FlameWire, from the end of a window's profile to the commit that
made it queryable; a window that was never stored (lost for good, or superseded by a newer
one that arrived first) became available with the next stored window of its stream, and its
capture time is interpolated between its stored neighbours by sequence number. For HTTP,
from the end of the profile to when the receiver had the whole body; and the POST alone,
from its start (without waiting behind earlier uploads), which the p99 goal is checked
against (the stricter comparison).

  report.py OUT SECONDS HTTP_INTERVAL CC
"""
import json, os, re, sys


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k); hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def link_bytes(d):
    with open(os.path.join(d, "link.json")) as f:
        s = json.load(f)
    return s["a_to_b"]["bytes_in"] + s["b_to_a"]["bytes_in"]


def fw_delays(path, kind):
    rows = [w for w in lines(path) if w["type"] == kind and w.get("capturedNanos")]
    streams = {}
    for w in rows:
        streams.setdefault((w["agent"], w["stream"], w["epoch"]), []).append(w)
    delays, interpolated = [], 0
    for ws in streams.values():
        ws.sort(key=lambda w: w["seq"])
        for a, b in zip(ws, ws[1:]):
            # the windows between two stored ones: available when b was stored
            for k in range(a["seq"] + 1, b["seq"]):
                cap = a["capturedNanos"] + (b["capturedNanos"] - a["capturedNanos"]) * (k - a["seq"]) / (b["seq"] - a["seq"])
                delays.append((b["storedNanos"] - cap) / 1e9)
                interpolated += 1
        delays += [(w["storedNanos"] - w["capturedNanos"]) / 1e9 for w in ws]
    return delays, len(rows), interpolated


def main():
    out, seconds, interval, cc = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    rows, verdicts = [], []
    def flamewire(kind, fw_dir, label):
        delays, stored, interp = fw_delays(os.path.join(fw_dir, "windows.jsonl"), kind)
        agent = open(os.path.join(fw_dir, "agent.out")).read()
        m = re.search(r"windows sent (\d+)", agent)
        sent = int(m.group(1)) if m else stored
        fw_bytes = link_bytes(fw_dir)
        m = re.search(r"interval (\d+) ms", agent)
        return dict(name=f"{kind} FlameWire{label}", n=sent, got=stored + interp, p50=pct(delays, 50), p99=pct(delays, 99),
                    mx=max(delays or [float("nan")]), per=fw_bytes / max(1, sent), rate=fw_bytes / seconds,
                    note=f"{stored} stored, {interp} via a later window; interval at the end {m.group(1) if m else '?'} ms")

    for kind in ("heap", "cpu"):
        http_dir = os.path.join(out, f"http-{kind}")
        fw = flamewire(kind, os.path.join(out, f"fw-{kind}"), "")
        same = os.path.join(out, f"fw-{kind}-same")
        rec = lines(os.path.join(http_dir, "received.jsonl"))
        h = [(r["received_ns"] - r["captured_ns"]) / 1e9 for r in rec]
        # The POST alone (from its start, without the wait behind earlier uploads).
        t = [(r["received_ns"] - r["sent_ns"]) / 1e9 for r in rec if r.get("sent_ns")]
        http_bytes = link_bytes(http_dir)
        up = {}
        try:
            up = json.loads(open(os.path.join(http_dir, "upload.out")).read().strip().splitlines()[-1])
        except Exception:
            pass
        taken = up.get("taken", len(rec))
        gz = up.get("pprof_bytes", 0) / max(1, taken)
        ht = dict(name=f"{kind} HTTP ({cc})", n=taken, got=len(rec), p50=pct(h, 50), p99=pct(h, 99), mx=max(h or [float("nan")]),
                  per=http_bytes / max(1, taken), rate=http_bytes / seconds,
                  note=f"gzip pprof {gz:,.0f} B each; the POST alone p50 {pct(t, 50):.3f} s, p99 {pct(t, 99):.3f} s")
        rows += [fw] + ([flamewire(kind, same, f" {interval}s")] if os.path.isdir(same) else []) + [ht]
        # Against the POST alone: HTTP's best case, without the queue that builds when its
        # uploads cannot keep up with the cadence (the stricter comparison for FlameWire).
        post99 = pct(t, 99)
        p99_ratio = fw["p99"] / post99 if post99 else float("nan")
        byte_ratio = fw["per"] / ht["per"] if ht["per"] else float("nan")
        rate_ratio = fw["rate"] / ht["rate"] if ht["rate"] else float("nan")
        byte_goal = 1 / 20 if kind == "heap" else 1 / 2
        verdicts.append(f"{kind}: p99 FlameWire/HTTP POST alone {p99_ratio:.3f}, /HTTP capture to available {fw['p99'] / ht['p99']:.3f} (goal <= 0.1: {'met' if p99_ratio <= 0.1 else 'NOT met'}); "
                        f"IP bytes per profile {byte_ratio:.3f} (goal <= {byte_goal:g}: {'met' if byte_ratio <= byte_goal else 'NOT met'}); "
                        f"IP bytes per second {rate_ratio:.3f}" + (f" ({rows[-2]['rate'] / ht['rate']:.3f} at HTTP's interval)" if os.path.isdir(same) else ""))
    print(f"vs-http: {seconds:.0f} s per run, 320 ms RTT, 12 % loss each way (jiolink); HTTP heap every {interval} s, CPU 1 s profiles back to back")
    print(f"{'':24} {'profiles':>8} {'arrived':>7} {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'IP B/profile':>12} {'IP B/s':>9}")
    for r in rows:
        print(f"{r['name']:24} {r['n']:8d} {r['got']:7d} {r['p50']:7.3f} {r['p99']:7.3f} {r['mx']:7.3f} {r['per']:12,.0f} {r['rate']:9,.0f}  {r['note']}")
    for v in verdicts:
        print("vs-http: " + v)


if __name__ == "__main__":
    main()
