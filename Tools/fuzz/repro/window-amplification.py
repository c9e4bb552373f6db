#!/usr/bin/env python3
"""Writes fuzz-window inputs that show decode-time amplification in WindowReader (open
finding, see Tools/README.md): small, valid keyframes whose decoded state is orders of
magnitude larger than the payload, against SPEC.md §8 ("none may ... allocate without
bound").

    Tools/fuzz/repro/window-amplification.py OUT_DIR
    Tools/fuzz/.build-fuzz/x86_64-unknown-linux-gnu/release/fuzz-window -rss_limit_mb=4096 -timeout=10 \
        -malloc_limit_mb=512 OUT_DIR/wide-snappy-15000x100000

Each file is a fuzz-window mode byte (0: empty decoder; 4 for wide-snappy) and a Window payload:
- deep-N: stack i is stack i-1 plus one frame (template kind 1, keep = all): 3-5 bytes per
  stack, i frames each, so N stacks cost O(N) bytes and O(N^2) memory and hashing.
- fan-N: stack 0 lists 65,535 frames once (64 KB); stacks 1..N each keep all 65,535 of
  them and add one distinct location: ~7 bytes per stack (and snappy shrinks the run to
  ~10 bytes per stack), 512 KiB of location ids each.
- wide-SxC: C columns (no limit on columns in StreamInfo) and S one-frame stacks: S x C
  zero-filled values on arrival, again in the increment, the profile and every base.
  MAX_WINDOW_FRAMES (SPEC.md §2) bounds S, not S x C, so this one is still open.
- wide-snappy-SxC: the same, snappy-compressed (mode byte 4): the columns repeat, so
  100,000 of them cost ~45 KB; the payload stays under the fuzzer's 1 MiB decompression
  limit and the input under run.sh's -max_len, so fuzz-window can reach it as it runs.

deep-N and fan-N are now rejected (`tooLarge`, "frames defined in one window") once the
frames they define pass MAX_WINDOW_FRAMES = 4,194,304; they stay here as regression inputs.
"""
import os
import sys


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ld(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def vi(num, v):
    return varint(num << 3) + varint(v)


def packed(num, vals):
    return ld(num, b"".join(varint(v) for v in vals))


def info(columns):
    vt = ld(1, b"a") + ld(2, b"b")
    return ld(1, b"s") + ld(2, b"p") + b"".join(ld(4, vt) for _ in range(columns)) + packed(5, [0] * columns)


def window(stacks, locations, columns=1):
    # stream 1, seq 1, keyframe (base 0), epoch 1, info; locations (field 10), stacks (field 11).
    return vi(1, 1) + vi(2, 1) + vi(4, 1) + ld(5, info(columns)) + packed(10, locations) + packed(11, stacks)


def deep(n):
    # Frame refs are fresh-coded (SPEC.md §5.1): 0 = the next fresh location, r + 1 = ref r.
    stacks = [1 << 3, 0, 0]                      # one frame (fresh location 0), no labels
    for depth in range(1, n):
        stacks += [1 << 3 | 4 | 1, depth, 1]     # template = previous stack, keep all, + location 0
    return window(stacks, [0])                   # location 0: head 0 (no lines, no address)


def fan(n):
    locations = []
    for i in range(n + 1):
        locations += [2, i]                      # location i: head 2 (no lines, has address), address i
    stacks = [65535 << 3] + [0] + [1] * 65534 + [0]  # 65,535 frames of location 0, no labels
    for i in range(1, n + 1):
        stacks += [1 << 3 | 4 | 2, 0, 65535, i + 1]  # template = stack 0, keep 65,535, + location i
    return window(stacks, locations)


def wide(s, c):
    locations, stacks = [], []
    for i in range(s):
        locations += [2, i]
        stacks += [1 << 3, i + 1, 0]
    return window(stacks, locations, columns=c)


def snappy_compress(data):
    """Raw snappy (the block format Compression.Snappy reads): greedy 4-byte-hash matches,
    copies of up to 64 bytes with 2-byte offsets. Small, slow, and enough for repetitive input."""
    out = bytearray(varint(len(data)))

    def literal(lo, hi):
        while lo < hi:
            n = min(hi - lo, 65536)
            if n <= 60:
                out.append((n - 1) << 2)
            elif n <= 256:
                out.extend([60 << 2, n - 1])
            else:
                out.extend([61 << 2, (n - 1) & 0xFF, (n - 1) >> 8])
            out.extend(data[lo:lo + n])
            lo += n

    table, i, lit = {}, 0, 0
    while i + 4 <= len(data):
        key = data[i:i + 4]
        j = table.get(key)
        table[key] = i
        if j is None or i - j > 0xFFFF:
            i += 1
            continue
        n = 4
        while i + n < len(data) and data[j + n] == data[i + n]:
            n += 1
        literal(lit, i)
        k = 0
        while n - k >= 4:   # a tail of 1-3 bytes is left for the next literal
            m = min(64, n - k)
            out.extend([(m - 1) << 2 | 2, (i - j) & 0xFF, (i - j) >> 8])
            k += m
        i += k
        lit = i
    literal(lit, len(data))
    return bytes(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, payload in [("deep-4000", deep(4000)), ("deep-12000", deep(12000)), ("fan-1000", fan(1000)),
                          ("wide-2000x2000", wide(2000, 2000))]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\x00" + payload)
        print(f"{name}: {len(payload)} payload bytes")
    s, c = 15000, 100000
    payload = wide(s, c)
    assert len(payload) <= 1 << 20, "over fuzz-window's decompression limit"
    compressed = snappy_compress(payload)
    name = f"wide-snappy-{s}x{c}"
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"\x04" + compressed)   # mode 4: empty decoder, snappy payload
    print(f"{name}: {len(payload)} payload bytes, {len(compressed)} after snappy")


if __name__ == "__main__":
    main()
