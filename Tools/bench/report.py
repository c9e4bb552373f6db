#!/usr/bin/env python3
"""Prints the benchmark tables for render.sh and merge.sh, with targets and flags.

    report.py render RESULTS.tsv   rows: tool size input_bytes seconds peak_rss_kb output_bytes
    report.py merge RESULTS.tsv    rows: tool mean_s min_s stddev_s runs peak_rss_kb output_bytes

Figures are ratios and rates next to their targets; a figure that misses its target is
marked "below target". The exit status is 0 either way: these are measurements, not tests.
"""
import sys

MB = 1_000_000

# Targets (see Tools/README.md).
RENDER_MBPS = 200.0        # folded input MB/s
RENDER_RSS_RATIO = 4.0     # peak RSS / input size
RENDER_SVG_MB = 5.0        # SVG size
RENDER_1M_SECONDS = 10.0   # wall time for the 1M-stack input
PL_SPEED_RATIO = 30.0      # flamegraph.pl time / flamewire time
PL_MEMORY_RATIO = 0.25     # flamewire RSS / flamegraph.pl RSS
MERGE_SPEED_RATIO = 3.0    # go tool pprof time / flamewire time


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def flag(ok):
    return "ok" if ok else "BELOW TARGET"


def read_rows(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def render(path):
    rows = read_rows(path)
    ours = {r[1]: r for r in rows if r[0] == "flamewire"}
    theirs = {r[1]: r for r in rows if r[0] == "flamegraph.pl"}
    out, notes = [], []
    for size, r in ours.items():
        inb, secs, rss_kb, svgb = int(r[2]), float(r[3]), int(r[4]), int(r[5])
        mbps = inb / MB / secs
        ratio = rss_kb * 1024 / inb
        svg_mb = svgb / MB
        checks = [f"MB/s {flag(mbps >= RENDER_MBPS)}", f"mem {flag(ratio < RENDER_RSS_RATIO)}", f"svg {flag(svg_mb < RENDER_SVG_MB)}"]
        if size.upper() == "1M":
            checks.append(f"time {flag(secs < RENDER_1M_SECONDS)}")
        out.append([size, f"{inb / MB:.1f}", f"{secs:.3f}", f"{mbps:.0f}", f"{rss_kb * 1024 / MB:.0f}", f"{ratio:.2f}x",
                    f"{svg_mb:.2f}", ", ".join(checks)])
        for c in checks:
            if c.endswith("BELOW TARGET"):
                notes.append(f"{size}: {c.split()[0]} below target")
    print()
    print(f"flamewire render (MB = 10^6 bytes; targets: >= {RENDER_MBPS:.0f} MB/s, peak RSS < {RENDER_RSS_RATIO:.0f}x input, "
          f"SVG < {RENDER_SVG_MB:.0f} MB, 1M stacks < {RENDER_1M_SECONDS:.0f} s)")
    table(["size", "input MB", "time s", "MB/s", "peak RSS MB", "RSS/input", "SVG MB", "vs targets"], out)

    if theirs:
        cmp = []
        for size, t in theirs.items():
            if size not in ours:
                continue
            o = ours[size]
            speed = float(t[3]) / float(o[3])
            mem = int(o[4]) / int(t[4])
            cmp.append([size, f"{float(t[3]):.2f}", f"{int(t[4]) * 1024 / MB:.0f}", f"{float(o[3]):.3f}",
                        f"{int(o[4]) * 1024 / MB:.0f}", f"{speed:.1f}x", flag(speed >= PL_SPEED_RATIO),
                        f"{mem:.3f}", flag(mem < PL_MEMORY_RATIO)])
            if speed < PL_SPEED_RATIO:
                notes.append(f"{size}: speed ratio vs flamegraph.pl below target")
            if mem >= PL_MEMORY_RATIO:
                notes.append(f"{size}: memory ratio vs flamegraph.pl below target")
        print()
        print(f"vs flamegraph.pl (targets: flamewire >= {PL_SPEED_RATIO:.0f}x faster, "
              f"flamewire RSS < {PL_MEMORY_RATIO} of flamegraph.pl's)")
        table(["size", "pl time s", "pl RSS MB", "fw time s", "fw RSS MB", "speed ratio", f"(>= {PL_SPEED_RATIO:.0f}x)", "memory ratio", f"(< {PL_MEMORY_RATIO})"], cmp)
    else:
        print("\n(flamegraph.pl not run: set FLAMEGRAPH_PL=/path/to/flamegraph.pl for ratios)")
    print()
    print("below target: " + "; ".join(notes) if notes else "all figures meet their targets")


def merge(path):
    rows = {r[0]: r for r in read_rows(path)}
    out = []
    for tool, r in rows.items():
        out.append([tool, f"{float(r[1]):.3f}", f"{float(r[2]):.3f}", f"{float(r[3]):.3f}", r[4],
                    f"{int(r[5]) * 1024 / MB:.0f}", f"{int(r[6]) / 1000:.0f}"])
    print()
    print(f"merge (target: flamewire >= {MERGE_SPEED_RATIO:.0f}x faster than go tool pprof -proto)")
    table(["tool", "mean s", "min s", "stddev s", "runs", "peak RSS MB", "output KB"], out)
    if "flamewire" in rows and "go tool pprof" in rows:
        fw, go = rows["flamewire"], rows["go tool pprof"]
        by_mean = float(go[1]) / float(fw[1])
        by_min = float(go[2]) / float(fw[2])
        mem = int(fw[5]) / int(go[5])
        print()
        print(f"speed ratio (pprof / flamewire): {by_mean:.2f}x by mean, {by_min:.2f}x by min -> "
              f"{flag(by_mean >= MERGE_SPEED_RATIO)}")
        print(f"memory ratio (flamewire / pprof peak RSS): {mem:.2f}")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("render", "merge"):
        sys.exit("usage: report.py render|merge RESULTS.tsv")
    {"render": render, "merge": merge}[sys.argv[1]](sys.argv[2])


if __name__ == "__main__":
    main()
