#!/usr/bin/env python3
"""Writes the small pprof seeds in corpus/pprof/ (deterministic bytes; rerun after edits).

A hand-rolled protobuf encoder for profile.proto, so the seeds cover cases the Go samples
do not: inlined lines, labels, unpacked repeated fields, gzip, bad references.
"""
import gzip
import io
import os
import sys


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def f_int(field, n):
    return key(field, 0) + varint(n)


def f_bytes(field, b):
    return key(field, 2) + varint(len(b)) + b


def f_packed(field, nums):
    return f_bytes(field, b"".join(varint(n) for n in nums))


class Strings:
    def __init__(self):
        self.table = [""]

    def __call__(self, s):
        if s not in self.table:
            self.table.append(s)
        return self.table.index(s)

    def encode(self):
        return b"".join(f_bytes(6, s.encode()) for s in self.table)


def value_type(field, st, type_, unit):
    return f_bytes(field, f_int(1, st(type_)) + f_int(2, st(unit)))


def function(st, fid, name, filename="main.go", start=1):
    return f_bytes(5, f_int(1, fid) + f_int(2, st(name)) + f_int(3, st(name)) + f_int(4, st(filename)) + f_int(5, start))


def location(lid, lines, mapping=1, address=0x401000):
    body = f_int(1, lid) + f_int(2, mapping) + f_int(3, address + lid * 16)
    for fid, line in lines:
        body += f_bytes(4, f_int(1, fid) + f_int(2, line))
    return f_bytes(4, body)


def mapping(st, mid=1):
    body = (f_int(1, mid) + f_int(2, 0x400000) + f_int(3, 0x800000) + f_int(4, 0) + f_int(5, st("/usr/bin/svc"))
            + f_int(6, st("b1d")) + f_int(7, 1) + f_int(8, 1) + f_int(9, 1) + f_int(10, 1))
    return f_bytes(3, body)


def sample(locs, values, labels=(), packed=True):
    if packed:
        body = f_packed(1, locs) + f_packed(2, values)
    else:
        body = b"".join(f_int(1, l) for l in locs) + b"".join(f_int(2, v) for v in values)
    for lab in labels:
        body += f_bytes(3, lab)
    return f_bytes(2, body)


def cpu_profile(packed=True, bad_ref=False, zero_id=False):
    st = Strings()
    out = value_type(1, st, "samples", "count") + value_type(1, st, "cpu", "nanoseconds")
    out += mapping(st)
    names = ["main.main", "main.handle", "encoding/json.Marshal", "runtime.mallocgc"]
    for i, n in enumerate(names, 1):
        out += function(st, i, n, start=10 * i)
    for i in range(1, 5):
        out += location(0 if (zero_id and i == 4) else i, [(i, 100 + i)])
    out += sample([4, 3, 2, 1], [3, 30000000], packed=packed)
    out += sample([2, 1], [1, 10000000], packed=packed)
    out += sample([99 if bad_ref else 3, 2, 1], [5, 50000000], packed=packed)
    out += value_type(11, st, "cpu", "nanoseconds") + f_int(12, 10000000)
    out += f_int(9, 1795569178391709051) + f_int(10, 1000000000)
    return out + st.encode()


def heap_profile():
    st = Strings()
    out = b"".join(value_type(1, st, t, u) for t, u in
                   [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")])
    out += mapping(st)
    for i, n in enumerate(["main.main", "main.(*srv).loop", "main.parse", "bytes.(*Buffer).grow", "runtime.makeslice"], 1):
        out += function(st, i, n)
    # Location 2 has three lines: parse and grow were inlined into loop (innermost first).
    out += location(1, [(1, 20)]) + location(2, [(4, 99), (3, 41), (2, 12)]) + location(3, [(5, 7)])
    lab_bytes = f_int(1, st("bytes")) + f_int(3, 4096) + f_int(4, st("bytes"))
    lab_str = f_int(1, st("handler")) + f_int(2, st("/api/v1/search"))
    out += sample([3, 2, 1], [10, 40960, 2, 8192], labels=[lab_bytes, lab_str])
    out += sample([2, 1], [1, 512, 0, 0], labels=[lab_str])
    out += sample([], [1, 1, 1, 1])  # an empty stack, as goroutine profiles can have
    out += value_type(11, st, "space", "bytes") + f_int(12, 524288)
    out += f_packed(13, [st("GODEBUG=madvdontneed=1")]) + f_int(14, st("inuse_space"))
    out += f_int(7, st("runtime\\..*")) + f_int(8, st(""))
    return out + st.encode()


def nested_groups(depth):
    """An unknown group (field 95) nested `depth` deep after a valid profile: the reader once
    skipped nested groups by recursion and overflowed its stack (a fuzz finding); now both
    decoders refuse 100 levels of nesting, the profile being the first."""
    return key(95, 3) * depth + f_int(1, 5) + key(95, 4) * depth


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=6) as f:
        f.write(data)
    return buf.getvalue()


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pprof")
    os.makedirs(here, exist_ok=True)
    seeds = {
        "cpu.pb": cpu_profile(),
        "cpu-unpacked.pb": cpu_profile(packed=False),
        "cpu.pb.gz": gz(cpu_profile()),
        "heap-inlined-labels.pb": heap_profile(),
        "heap-inlined-labels.pb.gz": gz(heap_profile()),
        "bad-location-ref.pb": cpu_profile(bad_ref=True),
        "zero-location-id.pb": cpu_profile(zero_id=True),
        "strings-only.pb": Strings().encode(),
        "truncated.pb": cpu_profile()[:57],
        "truncated.pb.gz": gz(cpu_profile())[:40],
        "nested-groups-99.pb": cpu_profile() + nested_groups(99),
        "nested-groups-5000.pb": cpu_profile() + nested_groups(5000),
    }
    for name, data in sorted(seeds.items()):
        with open(os.path.join(here, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {here}", file=sys.stderr)


if __name__ == "__main__":
    main()
