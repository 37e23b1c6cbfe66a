#!/usr/bin/env python3
"""Deterministic aligned-read generator for seqstore benchmarks: a reference FASTA and SAM text.

  gen_sam.py --ref-out ref.fa --genome 50000000 --pairs 8400000 [--seed N] [--report F] > x.sam

Writes the reference to --ref-out and unsorted SAM (header + records, aligner order: pairs
adjacent, positions random) to stdout; pipe it into `samtools sort`. Standard library only; the
same arguments give byte-identical output on any CPython >= 3.9 (only random.Random(seed)
.randbytes/getrandbits are used, whose streams are fixed for a given seed). Speed: about
260 000 records (110 MB of SAM) per second on one core of the 2-core benchmark machine, to
/dev/null; piped into `samtools sort -@2` the two share the cores.

The reference: 3 sequences (chr1 50 %, chr2 30 %, chr3 20 % of --genome), uppercase, GC ~41 %,
60 bases per line.

Each pair is two 150 bp reads placed at seeded positions (insert 200..582 bp), bases copied from
the reference, so every CIGAR, MD and NM is exact:
  - 93 % of mapped reads `150M`; every mapped read has 0-3 substitutions (0.7 on average) plus
    an `N` wherever its quality is `#` (0.1 % of qualities);
  - 2 % with a 1-3 bp deletion (`aM dD bM`), 2 % with a 1-3 bp insertion (`aM iI bM`),
    3 % soft-clipped 5-30 bp at one end (`sS mM` / `mM sS`);
  - 1 % of pairs with one mate unmapped (placed at its mate, flags 73/133 and the like),
    0.5 % of pairs fully unmapped (flags 77/141, sorted to the end), ~3 % of pairs marked
    duplicate (1024); MAPQ 60 except 1/16 of reads at 0..59;
  - qualities: NovaSeq 4-level binning from gen_fastq.py's model (reversed for reverse-strand
    reads), Illumina-like read names, tags NM, MD, AS, XS, RG as bwa mem + MarkDuplicates leave
    them.
"""

import argparse
import bisect
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_fastq  # noqa: E402  (quality model)

READ_LEN = 150
QUAL_POOL = 32768
RAND_POOL = 1 << 20  # random bases for soft clips, insertions and unmapped reads
LINE = 60
CHUNK = 4096  # pairs per write
SUB = {65: (67, 71, 84), 67: (71, 84, 65), 71: (84, 65, 67), 84: (65, 67, 71)}  # A C G T
RG = b"A00123.8.1"


def make_reference(rng, genome):
    table = b"A" * 76 + b"C" * 52 + b"G" * 52 + b"T" * 76
    lengths = [genome // 2, genome * 3 // 10]
    lengths.append(genome - sum(lengths))
    names = [b"chr1", b"chr2", b"chr3"]
    seqs = [rng.randbytes(n).translate(table) for n in lengths]
    return names, seqs


def write_fasta(path, names, seqs):
    with open(path + ".part", "wb") as f:
        for name, s in zip(names, seqs):
            f.write(b">%s\n" % name)
            f.write(b"\n".join(s[i:i + LINE] for i in range(0, len(s), LINE)))
            f.write(b"\n")
    os.replace(path + ".part", path)


def quality_pool(rng):
    quals = []
    table = [gen_fastq.table_from_weights(gen_fastq.novaseq_weights(p)) for p in range(READ_LEN)]
    cols = [rng.randbytes(QUAL_POOL).translate(table[p]) for p in range(READ_LEN)]
    flat = bytearray(QUAL_POOL * READ_LEN)
    for p in range(READ_LEN):
        flat[p::READ_LEN] = cols[p]
    for _ in range(int(len(flat) * gen_fastq.N_RATE)):
        flat[rng.getrandbits(32) % len(flat)] = ord("#")
    for k in range(QUAL_POOL):
        quals.append(bytes(flat[k * READ_LEN:(k + 1) * READ_LEN]))
    npos = [tuple(i for i, q in enumerate(s) if q == 35) for s in quals]
    return quals, npos


def build_read(ref, p, shape, bits, npos, rand, roff):
    """One mapped read whose leftmost aligned base is ref[p]. Returns
    (cigar, seq, md, nm, ref_span, score)."""
    kind, a, n = shape  # kind: 0 plain, 1 deletion, 2 insertion, 3 clip start, 4 clip end
    if kind == 0:
        segs = ((0, p, READ_LEN),)  # (read offset, ref offset, length) of M blocks
        cigar = b"150M"
        seq = bytearray(ref[p:p + READ_LEN])
        span = READ_LEN
        dels = None
    elif kind == 1:
        segs = ((0, p, a), (a, p + a + n, READ_LEN - a))
        cigar = b"%dM%dD%dM" % (a, n, READ_LEN - a)
        seq = bytearray(ref[p:p + a] + ref[p + a + n:p + READ_LEN + n])
        span = READ_LEN + n
        dels = (a, ref[p + a:p + a + n])
    elif kind == 2:
        segs = ((0, p, a), (a + n, p + a, READ_LEN - a - n))
        cigar = b"%dM%dI%dM" % (a, n, READ_LEN - a - n)
        seq = bytearray(ref[p:p + a] + rand[roff:roff + n] + ref[p + a:p + READ_LEN - n])
        span = READ_LEN - n
        dels = None
    elif kind == 3:
        segs = ((n, p, READ_LEN - n),)
        cigar = b"%dS%dM" % (n, READ_LEN - n)
        seq = bytearray(rand[roff:roff + n] + ref[p:p + READ_LEN - n])
        span = READ_LEN - n
        dels = None
    else:
        segs = ((0, p, READ_LEN - n),)
        cigar = b"%dM%dS" % (READ_LEN - n, n)
        seq = bytearray(ref[p:p + READ_LEN - n] + rand[roff:roff + n])
        span = READ_LEN - n
        dels = None

    # Mismatches: 0-3 substitutions (positions and bases from bits) plus N where quality is '#',
    # applied inside M blocks only; MD is rendered over the M blocks (with ^DEL between).
    nsub = (0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 0)[bits & 15]
    bits >>= 4
    mm = {}
    for _ in range(nsub):
        mm[(bits & 0xFF) % READ_LEN] = ((bits >> 8) & 3) % 3  # which of the 3 other bases
        bits >>= 10
    for i in npos:
        mm[i] = 3  # 'N'
    if not mm and kind == 0:
        return cigar, bytes(seq), b"150", 0, span, READ_LEN
    md = []
    nm = 0
    nmm = 0
    aligned = 0
    run = 0
    keys = sorted(mm)
    for si, (ro, fo, ln) in enumerate(segs):
        if si == 1 and dels is not None:
            md.append(b"%d^%s" % (run, dels[1]))
            run = 0
        prev = ro
        for i in keys:
            if i < ro or i >= ro + ln:
                continue
            rb = ref[fo + i - ro]
            v = mm[i]
            seq[i] = 78 if v == 3 else SUB[rb][v]
            md.append(b"%d%c" % (run + i - prev, rb))
            run = 0
            prev = i + 1
            nmm += 1
        run += ro + ln - prev
        aligned += ln
    md.append(b"%d" % run)
    nm = nmm + (n if kind in (1, 2) else 0)
    score = aligned - nmm - 4 * nmm - ((5 + n) if kind in (1, 2) else 0)
    return cigar, bytes(seq), b"".join(md), nm, span, max(score, 0)


def read_shape(b):
    """(kind, a, n) from random bits: 2 % deletion, 2 % insertion, 3 % soft clip, else plain."""
    v = b % 1000
    a = 20 + (b >> 10) % 110
    if v < 20:
        return (1, a, 1 + (b >> 17) % 3)
    if v < 40:
        return (2, a, 1 + (b >> 17) % 3)
    if v < 70:
        return (3 if (b >> 19) & 1 else 4, 0, 5 + (b >> 20) % 26)
    return (0, 0, 0)


def header(names, seqs):
    h = [b"@HD\tVN:1.6\tSO:unsorted"]
    for name, s in zip(names, seqs):
        h.append(b"@SQ\tSN:%s\tLN:%d" % (name, len(s)))
    h.append(b"@RG\tID:%s\tSM:NA12878\tLB:lib1\tPL:ILLUMINA\tPU:H7KJ2DSXX.1.ACGTACGT" % RG)
    h.append(b"@PG\tID:bwa\tPN:bwa\tVN:0.7.17-r1188\tCL:bwa mem -t 2 -R @RG\\tID:%s ref.fa r1.fq r2.fq"
             % RG)
    h.append(b"@PG\tID:MarkDuplicates\tPN:MarkDuplicates\tPP:bwa\tVN:2.27.4")
    return b"\n".join(h) + b"\n"


def generate(out, names, seqs, pairs, rng):
    quals, npos = quality_pool(rng)
    quals_rev = [q[::-1] for q in quals]
    npos_rev = [tuple(READ_LEN - 1 - i for i in t) for t in npos]
    table = b"A" * 76 + b"C" * 52 + b"G" * 52 + b"T" * 76
    rand = rng.randbytes(RAND_POOL + 2 * READ_LEN).translate(table)
    starts = []
    total = 0
    for s in seqs:
        starts.append(total)
        total += len(s)
    out.write(header(names, seqs))  # not counted: the report gives the records' SAM bytes

    mapped = (b"%s\t%d\t%s\t%d\t%d\t%s\t=\t%d\t%d\t%s\t%s\t"
              b"NM:i:%d\tMD:Z:%s\tAS:i:%d\tXS:i:%d\tRG:Z:" + RG + b"\n")
    unmapped = b"%s\t%d\t%s\t%d\t0\t*\t%s\t%d\t0\t%s\t%s\tRG:Z:" + RG + b"\n"
    tile_iter = gen_fastq.tiles()
    lane, tile = next(tile_iter)
    y = 1000
    getrandbits = rng.getrandbits
    qmask = QUAL_POOL - 1
    rmask = RAND_POOL - 1
    written = 0
    nbytes = 0
    records = 0
    while written < pairs:
        batch = []
        append = batch.append
        for _ in range(min(CHUNK, pairs - written)):
            r = getrandbits(64)
            x = 1000 + (r & 0x7FFF)
            if (r >> 15) & 7 == 0:
                y += 1 + ((r >> 18) & 31)
                if y > 37000:
                    lane, tile = next(tile_iter)
                    y = 1000
            qname = b"A00123:8:H7KJ2DSXX:%d:%d:%d:%d" % (lane, tile, x, y)
            cls = (r >> 23) & 1023
            dup = 1024 if ((r >> 33) & 31) == 0 and cls >= 15 else 0
            r1_left = (r >> 38) & 1
            isize = 200 + ((r >> 39) & 0xFF) + ((r >> 47) & 0x7F)
            g = getrandbits(32) % total
            c = bisect.bisect_right(starts, g) - 1
            ref = seqs[c]
            p = (g - starts[c]) % (len(ref) - 700)
            b1, b2 = getrandbits(64), getrandbits(64)
            m1, m2 = getrandbits(40), getrandbits(40)
            if cls < 5:  # both unmapped: flags 77 / 141
                for flag, b in ((77, b1), (141, b2)):
                    k = (b >> 20) & qmask
                    o = (b >> 40) & rmask
                    append(unmapped % (qname, flag, b"*", 0, b"*", 0, rand[o:o + READ_LEN], quals[k]))
                records += 2
                continue
            left = build_read(ref, p, read_shape(b1), m1, npos[(b1 >> 20) & qmask], rand,
                              (b1 >> 40) & rmask)
            k1 = (b1 >> 20) & qmask
            mq1 = 60 if (b1 >> 35) & 15 else (b1 >> 39) % 60
            xs1 = left[5] if mq1 < 10 else ((b1 >> 46) % (left[5] // 2 + 1))
            chrom = names[c]
            if cls < 15:  # the left read mapped (forward), its mate unmapped and placed with it
                fl_m, fl_u = (73, 133) if r1_left else (137, 69)
                ko = (b2 >> 20) & qmask
                o = (b2 >> 40) & rmask
                recs = [mapped % (qname, fl_m | dup, chrom, p + 1, mq1, left[0], p + 1, 0, left[1],
                                  quals[k1], left[3], left[2], left[5], xs1),
                        unmapped % (qname, fl_u, chrom, p + 1, b"=", p + 1, rand[o:o + READ_LEN],
                                    quals[ko])]
                if not r1_left:
                    recs.reverse()
                batch.extend(recs)
                records += 2
                continue
            shape2 = read_shape(b2)
            k2 = (b2 >> 20) & qmask
            # The right read ends at p + isize - 1 (reverse strand, reversed qualities).
            span2 = READ_LEN + (shape2[2] if shape2[0] == 1 else -shape2[2] if shape2[0] else 0)
            p2 = p + isize - span2
            right = build_read(ref, p2, shape2, m2, npos_rev[k2], rand, (b2 >> 40) & rmask)
            mq2 = 60 if (b2 >> 35) & 15 else (b2 >> 39) % 60
            xs2 = right[5] if mq2 < 10 else ((b2 >> 46) % (right[5] // 2 + 1))
            tlen = p2 + right[4] - p
            fl_l, fl_r = (99, 147) if r1_left else (163, 83)
            recs = [mapped % (qname, fl_l | dup, chrom, p + 1, mq1, left[0], p2 + 1, tlen, left[1],
                              quals[k1], left[3], left[2], left[5], xs1),
                    mapped % (qname, fl_r | dup, chrom, p2 + 1, mq2, right[0], p + 1, -tlen, right[1],
                              quals_rev[k2], right[3], right[2], right[5], xs2)]
            if not r1_left:
                recs.reverse()
            batch.extend(recs)
            records += 2
        data = b"".join(batch)
        out.write(data)
        nbytes += len(data)
        written += min(CHUNK, pairs - written)
    return records, nbytes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref-out", required=True, help="reference FASTA to write")
    ap.add_argument("--genome", type=int, required=True, help="reference length in bases")
    ap.add_argument("--pairs", type=int, required=True, help="read pairs (records = 2 x pairs)")
    ap.add_argument("--seed", type=int, default=20240612)
    ap.add_argument("--report", metavar="FILE",
                    help="write 'records record_bytes seconds' here when done (header excluded)")
    args = ap.parse_args()
    start = time.monotonic()
    rng = random.Random(args.seed)
    names, seqs = make_reference(rng, args.genome)
    write_fasta(args.ref_out, names, seqs)
    try:
        records, nbytes = generate(sys.stdout.buffer, names, seqs, args.pairs, rng)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        sys.exit(1)
    if args.report:
        with open(args.report, "w") as f:
            f.write("%d %d %.3f\n" % (records, nbytes, time.monotonic() - start))


if __name__ == "__main__":
    main()
