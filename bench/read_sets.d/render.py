#!/usr/bin/env python3
"""Turns bench/read_sets' raw rows (TSV) into results-read-sets.md.

  render.py --rows ROWS.tsv --out FILE

Rows (tab-separated, first field the kind):
  meta KEY VALUE…                        Machine table, in order
  input WHAT SIZE DETAIL                 Inputs table
  dl SERVER CLIENT ROUND SECONDS BYTES   one timed download of the whole read set / file
  load OPERATION CONCURRENCY SECONDS REQUESTS P50 P90 P99 P999 MAX MEAN ERRORS  (µs)
  time WHAT SECONDS DETAIL               setup times (imports), shown, never compared
  rss WHAT KIB                           server VmHWM
  note TEXT
"""

import argparse
import statistics
import sys
from collections import OrderedDict


def mb_s(nbytes, seconds):
    return nbytes / 1e6 / seconds


def fmt_ms(us):
    us = float(us)
    return "%.2f" % (us / 1000) if us < 10000 else "%.1f" % (us / 1000)


CLIENTS = {
    ("seqstore", "python"): "seqstore GetReadSet, boto3, 4 parts in parallel",
    ("nginx", "python"): "nginx, urllib3, 4 ranged GETs in parallel (same parts)",
    ("seqstore", "curl"): "seqstore GetReadSet, curl, parts one after another (one connection)",
    ("nginx", "curl"): "nginx, curl, whole file in one GET",
}


def render(rows):
    meta, inputs, dls, loads, times, rss, notes = [], [], OrderedDict(), [], [], [], []
    for r in rows:
        kind = r[0]
        if kind == "meta":
            meta.append((r[1], " ".join(r[2:])))
        elif kind == "input":
            inputs.append(r[1:])
        elif kind == "dl":
            dls.setdefault((r[1], r[2]), []).append((int(r[3]), float(r[4]), int(r[5])))
        elif kind == "load":
            loads.append(r[1:])
        elif kind == "time":
            times.append(r[1:])
        elif kind == "rss":
            rss.append((r[1], int(r[2])))
        elif kind == "note":
            notes.append(" ".join(r[1:]))

    out = ["# seqstore read sets: GetReadSet throughput and metadata latency", ""]
    out.append("Written by `bench/read_sets` (see `bench/READ_SETS.md`). Everything on loopback, "
               "client and server on the same machine.")
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += ["| %s | %s |" % kv for kv in meta]

    if inputs:
        out += ["", "## Inputs", "", "| input | bytes | detail |", "|---|---:|---|"]
        out += ["| %s | %s | %s |" % (w, "{:,}".format(int(s)).replace(",", " ") if s.isdigit() else s, d)
                for w, s, d in inputs]

    summary = {}
    if dls:
        out += ["", "## GetReadSet throughput", "",
                "MB/s = bytes / 10⁶ / wall seconds of the whole download (first request sent → "
                "last byte hashed). Every run's parts are SHA-256-checked against the file.", "",
                "| server and client | runs | best MB/s | median MB/s | seconds per run |",
                "|---|---:|---:|---:|---|"]
        for key, runs in dls.items():
            speeds = [mb_s(b, s) for _, s, b in runs]
            best, med = max(speeds), statistics.median(speeds)
            summary[key] = (best, med)
            out.append("| %s | %d | %.0f | %.0f | %s |" % (
                CLIENTS.get(key, " / ".join(key)), len(runs), best, med,
                " ".join("%.2f" % s for _, s, _ in sorted(runs))))
        ratios = []
        for client, label in (("python", "4 parallel parts (boto3 / urllib3)"),
                              ("curl", "curl single stream (parts in sequence / whole file)")):
            a, b = summary.get(("seqstore", client)), summary.get(("nginx", client))
            if a and b:
                ratios.append("| %s | %.2f | %.2f |" % (label, a[0] / b[0], a[1] / b[1]))
        if ratios:
            out += ["", "Ratio = seqstore MB/s ÷ nginx MB/s (1.00 = as fast as nginx, 0.50 = half "
                    "its speed).", "", "| ratio seqstore / nginx | best-of-N | median |",
                    "|---|---:|---:|"] + ratios

    if loads:
        out += ["", "## Latency under load", "",
                "`wrk` (closed loop: each connection sends its next request when the previous "
                "answer is in). Latencies in milliseconds.", "",
                "| operation | connections | seconds | requests | requests/s | p50 | p90 | p99 "
                "| p99.9 | max | non-2xx / socket errors |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for op, conc, secs, reqs, p50, p90, p99, p999, mx, _mean, errs in loads:
            out.append("| %s | %s | %.1f | %s | %.0f | %s | %s | %s | %s | %s | %s |" % (
                op, conc, float(secs), reqs, int(reqs) / float(secs), fmt_ms(p50), fmt_ms(p90),
                fmt_ms(p99), fmt_ms(p999), fmt_ms(mx), errs))

    if times:
        out += ["", "## Setup (timed, not compared)", "", "| what | seconds | detail |",
                "|---|---:|---|"]
        out += ["| %s | %.1f | %s |" % (w, float(s), d) for w, s, d in times]

    if rss:
        out += ["", "## Server memory", "",
                "`VmHWM` of the `seqstore serve` process (peak resident set), reset "
                "(`clear_refs`) at the start of each phase.", "",
                "| phase | peak RSS MiB |", "|---|---:|"]
        out += ["| %s | %.0f |" % (w, k / 1024) for w, k in rss]

    if notes:
        out += ["", "## Notes", ""] + ["- " + n for n in notes]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.rows) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    text = render(rows)
    with open(args.out, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
