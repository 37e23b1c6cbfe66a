#!/usr/bin/env python3
"""Turns bench/s3's raw rows (TSV) into results-s3.md.

  render.py --rows ROWS.tsv --out FILE

Rows (tab-separated, first field the kind):
  meta KEY VALUE…                     Machine table, in order
  input NAME BYTES DETAIL             the file served
  run TEST WHO ROUND SECONDS BYTES SERVER_CPU CLIENT_CPU BUSY
                                      one timed transfer: TEST `whole` or `ranges`, WHO
                                      `seqstore`, `nginx` or `nginx-nosf`; CPU seconds of the
                                      server (nginx: master + workers), of the curl processes and
                                      of the whole machine over the same span
  ttfb WHO ROUND JSON                 one open-loop TTFB run (measure.py ttfb's output)
  rss WHAT KIB                        a VmHWM of seqstore serve

The targets (issue #23) are judged on seqstore against nginx (sendfile on). Exit status: 0 every
target met, 3 a target missed (the file is written either way).
"""

import os
import json
import statistics
import sys

RATIO_TARGET = 0.9
P99_LIMIT_MS = 5.0
LABEL = {"seqstore": "seqstore S3 (presigned)", "nginx": "nginx", "nginx-nosf": "nginx, sendfile off"}
TESTS = {"whole": "whole object, one connection", "ranges": "4 parallel range requests"}


def mb_s(nbytes, seconds):
    return nbytes / 1e6 / seconds


def cell(v, fmt="%.2f"):
    return "–" if v is None else fmt % v


def others(it):
    """Cores kept busy by everything but the server and the client (other sessions' work)."""
    return max(0.0, it["busy"] - it["server"] - it["client"]) / it["seconds"]


def render(rows):
    meta, inputs, runs, ttfb, rss = [], [], [], [], []
    for r in rows:
        if r[0] == "meta":
            meta.append((r[1], " ".join(r[2:])))
        elif r[0] == "input":
            inputs.append((r[1], int(r[2]), r[3]))
        elif r[0] == "run":
            runs.append({"test": r[1], "who": r[2], "round": int(r[3]), "seconds": float(r[4]),
                         "bytes": int(r[5]), "server": float(r[6]), "client": float(r[7]), "busy": float(r[8])})
        elif r[0] == "ttfb":
            d = json.loads(r[3])
            d.update(who=r[1], round=int(r[2]))
            ttfb.append(d)
        elif r[0] == "rss":
            rss.append((r[1], int(r[2])))
    whos = [w for w in LABEL if any(it["who"] == w for it in runs)]
    if "seqstore" not in whos or "nginx" not in whos:
        sys.exit("render.py: no runs of seqstore or nginx in the rows")

    out = ["# seqstore S3 endpoint: GetObject throughput and time to first byte against nginx", ""]
    out.append("Written by `bench/s3` (issue #23; see `bench/README.md`). A read set's BAM read through "
               "seqstore's S3-compatible endpoint (a presigned GetObject URL, so curl needs no signing) "
               "against nginx serving the original file, interleaved in the same run on the same machine. "
               "Compare the **ratios**: client, server and other sessions' work share 2 cores, so absolute "
               "MB/s drift with the load.")
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in meta]
    out += ["", "## Input", "", "| file | bytes | what |", "|---|---:|---|"]
    out += [f"| `{n}` | {b:,} ({b / 1e9:.2f} GB) | {d} |" for n, b, d in inputs]

    # Throughput.
    out += ["", "## Throughput runs", "",
            "| round | test | server | s | GB moved | MB/s | server CPU s | curl CPU s | others' cores |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for it in runs:
        out.append(f"| {it['round']} | {it['test']} | {LABEL[it['who']]} | {it['seconds']:.3f} | {it['bytes'] / 1e9:.2f} "
                   f"| {mb_s(it['bytes'], it['seconds']):.0f} | {it['server']:.2f} | {it['client']:.2f} "
                   f"| {others(it):.2f} |")

    ratios = {}
    out += ["", "## Throughput summary", "",
            "| test | server | best MB/s | median MB/s | server CPU s per GB (median) | others' cores (median) |",
            "|---|---|---:|---:|---:|---:|"]
    for test in TESTS:
        for who in whos:
            items = [it for it in runs if it["test"] == test and it["who"] == who]
            if not items:
                continue
            speeds = [mb_s(it["bytes"], it["seconds"]) for it in items]
            cpu_gb = statistics.median(it["server"] / (it["bytes"] / 1e9) for it in items)
            out.append(f"| {TESTS[test]} | {LABEL[who]} | {max(speeds):.0f} | {statistics.median(speeds):.0f} "
                       f"| {cpu_gb:.2f} | {statistics.median(others(it) for it in items):.2f} |")
    out += ["", "**Throughput ratios** (seqstore's MB/s / the peer's: 1.00 = as fast; *best-of* divides the two "
            "best samples, *median* the two medians, *paired* is the median of each round's own ratio, both "
            "measured seconds apart; the target is judged on median and paired):", "",
            "| test | against | best-of | median | paired median | each round |", "|---|---|---:|---:|---:|---|"]
    for test in TESTS:
        mine = {it["round"]: mb_s(it["bytes"], it["seconds"]) for it in runs if it["test"] == test and it["who"] == "seqstore"}
        for peer in whos[1:]:
            theirs = {it["round"]: mb_s(it["bytes"], it["seconds"]) for it in runs if it["test"] == test and it["who"] == peer}
            both = sorted(set(mine) & set(theirs))
            if not both:
                continue
            best = max(mine.values()) / max(theirs.values())
            med = statistics.median(mine.values()) / statistics.median(theirs.values())
            paired = [mine[r] / theirs[r] for r in both]
            ratios[(test, peer)] = (best, med, statistics.median(paired))
            out.append(f"| {TESTS[test]} | {LABEL[peer]} | {best:.2f} | {med:.2f} | {statistics.median(paired):.2f} "
                       f"| {', '.join(f'{x:.2f}' for x in paired)} |")

    # TTFB.
    out += ["", "## Time to first byte (64 KiB ranges, open loop)", "",
            "| round | server | answered | rate /s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms "
            "| whole answer p99 ms | send lag p99 ms | server CPU s | client CPU s | others' cores |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for d in ttfb:
        oth = max(0.0, d["busy_cpu_s"] - d["server_cpu_s"] - d["client_cpu_s"]) / d["wall_s"]
        out.append(f"| {d['round']} | {LABEL[d['who']]} | {d['answered']} | {d['rate']} | {d['p50_ms']:.2f} "
                   f"| {d['p90_ms']:.2f} | {d['p99_ms']:.2f} | {d['p999_ms']:.2f} | {d['max_ms']:.2f} "
                   f"| {d['total_p99_ms']:.2f} | {d['lag_p99_ms']:.2f} | {d['server_cpu_s']:.2f} | {d['client_cpu_s']:.2f} | {oth:.2f} |")
    out += ["", "| server | rounds | p50 ms (median of rounds) | p99 ms (median of rounds) | p99 ms (worst round) "
            "| rounds with p99 < %g ms |" % P99_LIMIT_MS, "|---|---:|---:|---:|---:|---:|"]
    p99s = {}
    for who in ("seqstore", "nginx"):
        items = [d for d in ttfb if d["who"] == who]
        if not items:
            continue
        p99s[who] = [d["p99_ms"] for d in items]
        ok = sum(p < P99_LIMIT_MS for p in p99s[who])
        out.append(f"| {LABEL[who]} | {len(items)} | {statistics.median(d['p50_ms'] for d in items):.2f} "
                   f"| {statistics.median(p99s[who]):.2f} | {max(p99s[who]):.2f} | {ok} of {len(items)} |")

    out += ["", "## Memory", "", "| process | peak RSS |", "|---|---:|"]
    out += [f"| {what} (VmHWM) | {kib / 1024:.1f} MiB |" for what, kib in rss]

    # Targets.
    # Judged on the median and the paired median: a best-of ratio divides two single samples, and
    # one undisturbed sample of either server (others' load comes and goes) swings it both ways.
    def word(med, paired):
        if med >= RATIO_TARGET and paired >= RATIO_TARGET:
            return "yes"
        return "partly: one of median, paired" if max(med, paired) >= RATIO_TARGET else "**no**"

    met = True
    out += ["", "## Targets (issue #23)", "", "| target | measured | met |", "|---|---|---|"]
    for test in TESTS:
        if (test, "nginx") not in ratios:
            continue
        best, med, paired = ratios[(test, "nginx")]
        w = word(med, paired)
        met &= w == "yes"
        out.append(f"| {TESTS[test]}: ≥ {RATIO_TARGET}× nginx's throughput | {best:.2f} best-of / {med:.2f} median "
                   f"/ {paired:.2f} paired | {w} |")
    if "seqstore" in p99s:
        v = p99s["seqstore"]
        ok = sum(p < P99_LIMIT_MS for p in v)
        w = "yes" if ok == len(v) else (f"partly: {ok} of {len(v)} rounds" if ok else "**no**")
        met &= ok == len(v)
        out.append(f"| 64 KiB range TTFB p99 < {P99_LIMIT_MS:g} ms at 200 requests/s | "
                   f"{statistics.median(v):.2f} ms median of rounds, {max(v):.2f} ms worst | {w} |")

    out += ["", "Findings (what the figures say under other load, where seqstore's TTFB goes): `bench/README.md`, "
            "S3 endpoint."]
    out += ["", "## How it is measured", "",
            "- **seqstore**: `seqstore serve` in dev mode (no keys: any well-formed SigV4 signature is accepted) "
            "with `--s3-listen 127.0.0.1:0`, the BAM imported from `file://` (untimed), its source object found "
            "by ListObjectsV2 of the store's bucket alias and read through a presigned GetObject URL (boto3 "
            "`generate_presigned_url`), so every request carries a query-string signature the server checks.",
            "- **nginx**: the Debian package's binary with a configuration of our own (its own prefix, pid, logs "
            "and temp directories; `worker_processes auto`, `access_log off`, `tcp_nodelay`, long keep-alive; "
            "`tcp_nopush` off: with it, each kept-alive 64 KiB answer's last segment waited ~44 ms for the client's "
            "delayed ACK, and 4 connections could not carry 200 requests/s), serving the original BAM file as `/bench.bam` on two ports: **sendfile on** (how "
            "nginx serves static files: the kernel copies page cache to socket, no user-space copy) and "
            "**sendfile off** (read + write through nginx's 32 KiB output buffers: the copy any server that "
            "streams through user space — seqstore included — must make). The targets are judged against "
            "sendfile on.",
            "- Before the rounds, one whole GET from each server is hashed: all must equal the BAM's SHA-256. That "
            "also puts the original file and seqstore's stored copy into the page cache: every figure is served "
            "from memory, not disk.",
            "- **whole**: `curl -sS --fail -o /dev/null URL`, the URL twice (`--quick`: 14 times) on one connection, "
            "under GNU time; the wall time of the curl process. **4 parallel ranges**: four curl processes started "
            "together, each `-r a-b` for one quarter of the file as often (each 206 checked, the bytes summed), timed from "
            "the first start to the last end. MB/s = bytes / 10⁶ / s.",
            "- **TTFB**: `s3.d/measure.py ttfb`, open loop: request *i* is due at t₀ + *i*/200 s whatever became of "
            "the earlier ones; 4 threads, each with one persistent HTTP/1.1 connection (opened, and used once, "
            "before t₀) take the next due request, sleep until it is due and send `GET` with `Range: bytes=a-"
            "(a+65535)` at a PRNG offset (seeded by the round: both servers get the same offsets), then read the "
            "whole 206 answer. TTFB = from the send to the first answer byte; *whole answer* = to its last byte. *send lag* = how late sends left "
            "against their due time (the client's own health: near zero means the rate was kept).",
            "- Each round runs every test on every server, the servers' order rotated from round to round. "
            "*server CPU* is the server's user + system time over the span (`/proc/PID/stat`; nginx: master and "
            "workers); *others' cores* the whole machine's busy CPU (`/proc/stat`) less the server's and the "
            "client's, per wall second: load from other sessions. On 2 cores, anything above ~0.2 takes CPU from "
            "the measurement."]
    return "\n".join(out) + "\n", met


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from rows_render import main

    main(render, __doc__)
