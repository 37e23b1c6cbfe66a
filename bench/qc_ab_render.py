#!/usr/bin/env python3
"""Render bench/results-qc-ab.md from the raw files `bench/run --qc-ab` writes.

  qc_ab_render.py --runs RUNS.tsv --meta META.tsv [--out results-qc-ab.md]

RUNS.tsv: one line per timed import, tab-separated, no header:
    format  tool  run  wall_seconds  rss_kib  cpu_seconds  others_cores
where tool is "seqstore import, QC on" or "seqstore import, QC off" (and the same with
" (server clock)", wall only). META.tsv: as for render.py (meta and input lines).

Issue #27's target: for every format, the best-of-N import with QC statistics collected takes at
most 1.15x the best-of-N import without them. Exit status 3 when a format misses it (the summary
is written all the same), 1 on bad input. Standard library only.
"""

import argparse
import statistics
import sys
from collections import OrderedDict

from render import machine_table

TARGET = 1.15
ON = "seqstore import, QC on"
OFF = "seqstore import, QC off"
CLOCK = " (server clock)"


def md_escape(s):
    return s.replace("|", "\\|")


def load(runs_path, meta_path):
    """(format, tool) -> {run: (wall, rss_kib|None, cpu|None, others|None)}; meta; inputs."""
    runs = OrderedDict()
    with open(runs_path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            fmt, tool, run, wall, rss, cpu, others = (line.split("\t") + [""] * 3)[:7]
            runs.setdefault((fmt, tool), {})[int(run)] = (
                float(wall), int(rss) if rss else None, float(cpu) if cpu else None,
                float(others) if others else None)
    meta, inputs = OrderedDict(), OrderedDict()
    with open(meta_path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "meta":
                meta[parts[1]] = parts[2] if len(parts) > 2 else ""
            elif parts[0] == "input":
                fmt, name, size = parts[1:4]
                inputs[fmt] = (name, int(size))
    return runs, meta, inputs


def col(rows, i):
    return [r[i] for r in rows.values() if r[i] is not None]


def render(runs, meta, inputs):
    out = []
    w = out.append
    formats = [f for f in OrderedDict((fmt, None) for fmt, _ in runs) if (f, ON) in runs and (f, OFF) in runs]
    nruns = meta.get("runs", "N")
    w("# Issue #27's QC statistics: import time with QC on and off (`bench/run --qc-ab`)")
    w("")
    w("Written by `%s`; re-run it to refresh (the run replaces this file). What the figures mean: "
      "`bench/README.md`, *QC statistics' cost*." % md_escape(meta.get("command", "bench/run --qc-ab")))
    w("")
    w("Every format: %s rounds; each round one seqstore import with the QC statistics collected "
      "(`SEQSTORE_QC__ENABLED=true`, the default) and one without (`SEQSTORE_QC__ENABLED=false`), "
      "each on a fresh server, in the order on, off in odd rounds and off, on in even ones, so that "
      "drift hits both alike. Target (issue #27): the best-of-%s import with QC at most %.2f x the "
      "best-of-%s import without, in every format." % (nruns, nruns, TARGET, nruns))
    w("")
    machine_table(w, meta, ("date", "date-end", "mode", "runs", "cpu", "nproc", "memory", "kernel",
                            "seqstore", "load-start", "load-end"))

    w("## Import time, QC on / QC off")
    w("")
    w("Seconds from StartReadSetImportJob to COMPLETED (bench/README.md, *seqstore import*). "
      "*paired*: the median over rounds of each round's on / off (the two imports of a round ran "
      "back to back). *server clock*: the job's completionTime - creationTime, best of each. "
      "CPU s: the server's user + system seconds during the import, median. Peak RSS: the "
      "server's VmHWM, largest.")
    w("")
    w("| format | input MB | best s on / off | **on / off, best** | ≤ %.2f | median s on / off | on / off, median | on / off, paired | server clock on / off, best | CPU s on / off | CPU on / off | peak RSS MiB on / off |" % TARGET)
    w("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    missed = []
    for fmt in formats:
        on, off = runs[(fmt, ON)], runs[(fmt, OFF)]
        on_w, off_w = col(on, 0), col(off, 0)
        best = min(on_w) / min(off_w)
        med_on, med_off = statistics.median(on_w), statistics.median(off_w)
        paired = statistics.median(on[r][0] / off[r][0] for r in on if r in off)
        clock = ""
        con, coff = runs.get((fmt, ON + CLOCK)), runs.get((fmt, OFF + CLOCK))
        if con and coff:
            bon, boff = min(col(con, 0)), min(col(coff, 0))
            clock = "%.2f / %.2f = %.3f" % (bon, boff, bon / boff)
        cpu_on, cpu_off = col(on, 2), col(off, 2)
        cpu = cpu_ratio = "-"
        if cpu_on and cpu_off:
            m_on, m_off = statistics.median(cpu_on), statistics.median(cpu_off)
            cpu = "%.2f / %.2f" % (m_on, m_off)
            cpu_ratio = "%.3f" % (m_on / m_off)
        rss_on, rss_off = col(on, 1), col(off, 1)
        rss = "%.0f / %.0f" % (max(rss_on) / 1024, max(rss_off) / 1024) if rss_on and rss_off else "-"
        met = best <= TARGET
        if not met:
            missed.append((fmt, best))
        size = inputs.get(fmt, ("", 0))[1]
        w("| %s | %.1f | %.2f / %.2f | **%.3f** | %s | %.2f / %.2f | %.3f | %.3f | %s | %s | %s | %s |" % (
            fmt, size / 1e6, min(on_w), min(off_w), best, "met" if met else "**NOT MET**",
            med_on, med_off, med_on / med_off, paired, clock or "-", cpu, cpu_ratio, rss))
    w("")
    if not formats:
        w("No format has both QC on and QC off rows.")
    elif missed:
        w("**Target NOT MET** in %s: the import with QC took %s its time without (best of %s)." % (
            ", ".join(f for f, _ in missed), ", ".join("%.3f x" % r for _, r in missed), nruns))
    else:
        w("Target met in every format: the import with QC took at most %.3f x its time without "
          "(best of %s)." % (max(min(col(runs[(f, ON)], 0)) / min(col(runs[(f, OFF)], 0)) for f in formats), nruns))
    w("")

    w("## Rounds")
    w("")
    w("Seconds on / off in each round (the first of the two imports in *italics*), and in brackets "
      "the other load while each ran: the machine's busy CPU seconds that were not the server's, "
      "per wall second, in cores out of %s (the polling client's ~0.02 included)." % meta.get("nproc", "N"))
    w("")
    rounds = sorted({r for f in formats for r in runs[(f, ON)]})
    w("| format | " + " | ".join("round %d" % r for r in rounds) + " |")
    w("|---|" + "---|" * len(rounds))
    for fmt in formats:
        on, off = runs[(fmt, ON)], runs[(fmt, OFF)]
        cells = []
        for r in rounds:
            if r not in on or r not in off:
                cells.append("-")
                continue
            a, b = "%.2f" % on[r][0], "%.2f" % off[r][0]
            if r % 2:
                a = "*%s*" % a
            else:
                b = "*%s*" % b
            others = ""
            if on[r][3] is not None and off[r][3] is not None:
                others = " (%.2f / %.2f)" % (on[r][3], off[r][3])
            cells.append("%s / %s%s" % (a, b, others))
        w("| %s | %s |" % (fmt, " | ".join(cells)))
    w("")
    return "\n".join(out), missed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--out")
    args = ap.parse_args()
    runs, meta, inputs = load(args.runs, args.meta)
    text, missed = render(runs, meta, inputs)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 3 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
