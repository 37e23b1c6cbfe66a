#!/usr/bin/env python3
"""Deterministic Illumina-like FASTQ generator for seqstore benchmarks.

Writes uncompressed FASTQ to stdout (pipe it into `pigz -p 2 -n`); with --mate2 FILE, the
matching R2 records go to FILE (a FIFO into another compressor) in the same order, with the same
names. Standard library only.
The same arguments give byte-identical output on any CPython >= 3.9 (it uses only
random.Random(seed).randbytes/getrandbits, whose streams are fixed for a given seed).

Speed: pools are precomputed once (C-speed slicing and bytes.translate), then every record
costs one getrandbits call, two slices and one bytes %-format; about 200+ MB/s of FASTQ on
one core of the benchmark machine (measure with --reads N > /dev/null).

Records look like a NovaSeq run's R1 file:
  @A00123:8:H7KJ2DSXX:{lane}:{tile}:{x}:{y} 1:N:0:ACGTACGT
  150 bases (GC ~41 %, N exactly where the quality is '#')
  +
  qualities, position-dependent, either NovaSeq 4-level binning (F : , #) or a wide
  HiSeq-like Phred+33 range '#'..'J'.
Reads walk lanes 1-4 and tiles {surface}{swath}{01..78} like bcl2fastq output, with y
non-decreasing and x random inside a tile.
R2 (--mate2): the same name with ' 2:N:0:ACGTACGT', the reverse complement of the pool 150-450
bases downstream of R1 (a fragment of 300-600 bp), and another quality string; it draws no extra
random numbers, so R1 is byte-identical with or without --mate2.
"""

import argparse
import math
import random
import sys
import time

READ_LEN = 150
SEQ_POOL = 8 << 20  # bases; reads start at any offset, so ~8M distinct reads
QUAL_POOL = 32768  # quality strings, record-aligned (position-dependent profiles)
N_RATE = 0.001  # fraction of qualities that are '#' (and bases that are 'N')
CHUNK = 8192  # records per write


def table_from_weights(weights):
    """256-entry translate table: byte value -> symbol, proportional to weights."""
    total = sum(w for _, w in weights)
    counts = [(sym, w / total * 256) for sym, w in weights]
    # largest-remainder rounding so the table has exactly 256 entries
    floors = [(sym, int(c), c - int(c)) for sym, c in counts]
    missing = 256 - sum(f for _, f, _ in floors)
    floors.sort(key=lambda t: -t[2])
    table = bytearray()
    for i, (sym, f, _) in enumerate(floors):
        table += bytes([sym]) * (f + (1 if i < missing else 0))
    assert len(table) == 256
    return bytes(table)


def novaseq_weights(p):
    """NovaSeq RTA3 binning: Q37 'F', Q25 ':', Q11 ','; '#' is sprinkled separately."""
    t = p / (READ_LEN - 1)
    head = 0.06 if p < 3 else 0.0  # first cycles are a little worse
    return [
        (ord("F"), 0.93 - 0.17 * t - head),
        (ord(":"), 0.045 + 0.10 * t + head * 0.6),
        (ord(","), 0.025 + 0.07 * t + head * 0.4),
    ]


def wide_weights(p):
    """HiSeq-like Phred+33 'Q5'..'Q41': mean falls from ~38 to ~31, spread widens."""
    t = p / (READ_LEN - 1)
    mean = 38.5 - 7.5 * t * t
    sd = 2.0 + 4.0 * t
    weights = []
    for q in range(5, 42):
        w = math.exp(-0.5 * ((q - mean) / sd) ** 2)
        weights.append((33 + q, w))
    return weights


def build_pools(rng, quality):
    # Sequence pool: GC ~41 % (A/T 76/256 each, C/G 52/256 each).
    seq_table = b"A" * 76 + b"C" * 52 + b"G" * 52 + b"T" * 76
    seq = rng.randbytes(SEQ_POOL + READ_LEN).translate(seq_table)

    weights = novaseq_weights if quality == "novaseq" else wide_weights
    qual = bytearray(QUAL_POOL * READ_LEN)
    for p in range(READ_LEN):
        col = rng.randbytes(QUAL_POOL).translate(table_from_weights(weights(p)))
        qual[p::READ_LEN] = col
    # '#' (Q2) with an 'N' base, at N_RATE of all positions.
    n_mask = {}
    for _ in range(int(len(qual) * N_RATE)):
        i = rng.getrandbits(32) % len(qual)
        qual[i] = ord("#")
        n_mask.setdefault(i // READ_LEN, set()).add(i % READ_LEN)
    quals = [bytes(qual[k * READ_LEN:(k + 1) * READ_LEN]) for k in range(QUAL_POOL)]
    n_mask = {k: sorted(v) for k, v in n_mask.items()}
    return seq, quals, n_mask


def tiles():
    """NovaSeq tile order: lane, surface 1-2, swath 1-4, tile 01-78."""
    while True:
        for lane in range(1, 5):
            for surface in (1, 2):
                for swath in range(1, 5):
                    for t in range(1, 79):
                        yield lane, surface * 1000 + swath * 100 + t


COMPLEMENT = bytes.maketrans(b"ACGTN", b"TGCAN")


def generate(out, reads, seed, quality, out2=None):
    rng = random.Random(seed)
    seq, quals, n_mask = build_pools(rng, quality)
    qmask = QUAL_POOL - 1
    assert QUAL_POOL & qmask == 0
    fmt = b"%s%d:%d 1:N:0:ACGTACGT\n%s\n+\n%s\n"
    fmt2 = b"%s%d:%d 2:N:0:ACGTACGT\n%s\n+\n%s\n"
    tile_iter = tiles()

    def next_prefix():
        lane, tile = next(tile_iter)
        return b"@A00123:8:H7KJ2DSXX:%d:%d:" % (lane, tile)

    prefix = next_prefix()
    y = 1000
    getrandbits = rng.getrandbits
    n_get = n_mask.get
    written = 0
    nbytes = 0
    while written < reads:
        batch = []
        append = batch.append
        batch2 = []
        append2 = batch2.append
        for _ in range(min(CHUNK, reads - written)):
            r = getrandbits(64)
            off = r & 0x7FFFFF  # 23 bits: SEQ_POOL offset
            k = (r >> 23) & qmask  # 15 bits: quality string
            x = 1000 + ((r >> 38) & 0x7FFF)  # 1000..33767
            if (r >> 53) & 7 == 0:  # y grows by 1..32 on 1/8 of reads
                y += 1 + ((r >> 56) & 31)
                if y > 37000:
                    prefix = next_prefix()
                    y = 1000 + ((r >> 56) & 31)
            s = seq[off:off + READ_LEN]
            ns = n_get(k)
            if ns:
                b = bytearray(s)
                for i in ns:
                    b[i] = 78  # 'N'
                s = bytes(b)
            append(fmt % (prefix, x, y, s, quals[k]))
            if out2 is not None:
                off2 = (off + READ_LEN + (r & 0x12B)) & 0x7FFFFF  # 150..449 bases downstream
                k2 = (k * 40503 + 1) & qmask
                s2 = seq[off2:off2 + READ_LEN]
                ns2 = n_get(k2)
                if ns2:
                    b = bytearray(s2)
                    for i in ns2:
                        b[READ_LEN - 1 - i] = 78  # 'N': after the reverse complement, at i, where quals[k2] has '#'
                    s2 = bytes(b)
                append2(fmt2 % (prefix, x, y, s2.translate(COMPLEMENT)[::-1], quals[k2]))
        data = b"".join(batch)
        out.write(data)
        written += len(batch)
        nbytes += len(data)
        if out2 is not None:
            data2 = b"".join(batch2)
            out2.write(data2)
            nbytes += len(data2)
    return nbytes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reads", type=int, required=True, help="number of records")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--quality", choices=["novaseq", "wide"], default="novaseq")
    ap.add_argument("--mate2", metavar="FILE",
                    help="write the R2 records here (a FIFO or a file); stdout gets R1")
    ap.add_argument("--report", metavar="FILE",
                    help="write 'records bytes seconds' here when done (for stamps and speed); "
                         "bytes counts both mates")
    args = ap.parse_args()
    start = time.monotonic()
    try:
        out2 = open(args.mate2, "wb") if args.mate2 else None
        nbytes = generate(sys.stdout.buffer, args.reads, args.seed, args.quality, out2)
        sys.stdout.buffer.flush()
        if out2 is not None:
            out2.close()
    except BrokenPipeError:
        sys.exit(1)
    if args.report:
        with open(args.report, "w") as f:
            f.write("%d %d %.3f\n" % (args.reads, nbytes, time.monotonic() - start))


if __name__ == "__main__":
    main()
