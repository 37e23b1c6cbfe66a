#!/usr/bin/env python3
"""Turns bench/export's raw rows (TSV) into results-export.md.

  render.py --rows ROWS.tsv --out FILE

Rows (tab-separated, first field the kind):
  meta KEY VALUE…                    Machine table, in order
  input NAME BYTES DETAIL            the file exported and copied
  run TOOL ROUND SECONDS BYTES CPU MOTO_CPU SERVER_SECONDS MAXRSS_KIB BUSY
                                     one timed transfer; TOOL is seqstore-a, seqstore-b (the
                                     --compare binary) or aws; CPU the tool's user + system
                                     seconds (seqstore: the server's), MOTO_CPU moto_server's and
                                     BUSY the whole machine's over the same span; `-` where not
                                     measured
  rss WHAT KIB                       a VmHWM ("seqstore a: serve, start-up and …" is the peak)

The targets (issue #22) are judged on seqstore a. Exit status: 0 every target met, 3 a target
missed (the file is written either way).
"""

import os
import statistics
import sys

RATIO_TARGET = 0.9
RSS_LIMIT_MIB = 256
LABEL = {"seqstore-a": "seqstore export job (a)", "seqstore-b": "seqstore export job (b)", "aws": "aws s3 cp"}


def mb_s(nbytes, seconds):
    return nbytes / 1e6 / seconds


def num(text):
    return None if text in ("-", "") else float(text)


def cell(v, fmt="%.2f"):
    return "–" if v is None else fmt % v


def others(it):
    """Cores kept busy by everything but the tool and moto (other sessions' builds and tests)."""
    if None in (it["busy"], it["cpu"], it["moto"]):
        return None
    return max(0.0, it["busy"] - it["cpu"] - it["moto"]) / it["seconds"]


def summary(items):
    secs = [it["seconds"] for it in items]
    cpu = [it["cpu"] for it in items if it["cpu"] is not None]
    moto = [it["moto"] for it in items if it["moto"] is not None]
    oth = [others(it) for it in items if others(it) is not None]
    return {
        "best": min(secs), "median": statistics.median(secs), "bytes": items[0]["bytes"],
        "cpu": statistics.median(cpu) if cpu else None,
        "moto": statistics.median(moto) if moto else None,
        "others": statistics.median(oth) if oth else None,
    }


def render(rows):
    meta, inputs, runs, rss = [], [], {}, []
    for r in rows:
        if r[0] == "meta":
            meta.append((r[1], " ".join(r[2:])))
        elif r[0] == "input":
            inputs.append((r[1], int(r[2]), r[3]))
        elif r[0] == "run":
            runs.setdefault(r[1], []).append({
                "round": int(r[2]), "seconds": float(r[3]), "bytes": int(r[4]), "cpu": num(r[5]),
                "moto": num(r[6]), "server": num(r[7]), "maxrss": num(r[8]),
                "busy": num(r[9]) if len(r) > 9 else None,
            })
        elif r[0] == "rss":
            rss.append((r[1], int(r[2])))
    if "seqstore-a" not in runs or "aws" not in runs:
        sys.exit("render.py: no runs of seqstore a or aws s3 cp in the rows")
    tools = [t for t in ("seqstore-a", "seqstore-b", "aws") if t in runs]
    compare = "seqstore-b" in runs

    out = ["# seqstore read set export: throughput against `aws s3 cp`, and memory", ""]
    out.append("Written by `bench/export` (issue #22; see `bench/README.md`). A seqstore export job of "
               "one read set to an S3 server on the same machine (moto, in memory) against `aws s3 cp` "
               "of the same file to the same server, interleaved in the same run. Compare the **ratios**: "
               "both sides write to the same single-process Python server on a shared 2-core machine, so "
               "the absolute MB/s say as much about moto (and other load) as about either client.")
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in meta]
    out += ["", "## Input", "", "| file | bytes | what |", "|---|---:|---|"]
    out += [f"| `{n}` | {b:,} ({b / 2**30:.2f} GiB) | {d} |" for n, b, d in inputs]

    out += ["", "## Runs", "",
            "| round | transfer | s | MB/s | server clock s | tool CPU s | moto CPU s | others' cores |",
            "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for rnd in sorted({it["round"] for items in runs.values() for it in items}):
        for tool in tools:
            for it in (x for x in runs[tool] if x["round"] == rnd):
                out.append(f"| {rnd} | {LABEL[tool]} | {it['seconds']:.2f} | {mb_s(it['bytes'], it['seconds']):.0f} "
                           f"| {cell(it['server'])} | {cell(it['cpu'])} | {cell(it['moto'])} | {cell(others(it))} |")

    sums = {tool: summary(runs[tool]) for tool in tools}
    n = min(len(runs[t]) for t in tools)
    out += ["", "## Summary", "",
            "| | best s | best MB/s | median s | median MB/s | tool CPU s | tool cores | moto CPU s | moto cores "
            "| others' cores |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tool in tools:
        x = sums[tool]
        cores = None if x["cpu"] is None else x["cpu"] / x["median"]
        mcores = None if x["moto"] is None else x["moto"] / x["median"]
        out.append(f"| {LABEL[tool]} | {x['best']:.2f} | {mb_s(x['bytes'], x['best']):.0f} | {x['median']:.2f} "
                   f"| {mb_s(x['bytes'], x['median']):.0f} | {cell(x['cpu'])} | {cell(cores)} | {cell(x['moto'])} "
                   f"| {cell(mcores)} | {cell(x['others'])} |")
    out.append("")
    out.append("CPU and cores columns are medians over the runs (cores = CPU s / median wall s).")

    ratios = {}
    out += ["", "**Throughput ratios** (seqstore's throughput / `aws s3 cp`'s: 1.00 = as fast, above 1 = "
            "faster; *best-of* divides the two best runs, *median* the two medians):", ""]
    out += ["| | best-of-%d | median |" % n, "|---|---:|---:|"]
    for tool in tools:
        if tool == "aws":
            continue
        best = sums["aws"]["best"] / sums[tool]["best"]
        med = sums["aws"]["median"] / sums[tool]["median"]
        ratios[tool] = (best, med)
        out.append(f"| {LABEL[tool]} / aws s3 cp | {best:.2f} | {med:.2f} |")
    if compare:
        best = sums["seqstore-a"]["best"] / sums["seqstore-b"]["best"]
        med = sums["seqstore-a"]["median"] / sums["seqstore-b"]["median"]
        out.append(f"| {LABEL['seqstore-b']} / {LABEL['seqstore-a']} | {best:.2f} | {med:.2f} |")

    out += ["", "## Memory", "", "| process | peak RSS |", "|---|---:|"]
    peaks = {}
    for what, kib in rss:
        out.append(f"| {what} (VmHWM) | {kib / 1024:.1f} MiB |")
        for v in ("a", "b"):
            if what.startswith(f"seqstore {v}: serve, start-up and"):
                peaks[v] = kib / 1024
    aws_rss = [it["maxrss"] for it in runs["aws"] if it["maxrss"] is not None]
    if aws_rss:
        out.append(f"| aws s3 cp, largest of {len(aws_rss)} runs (GNU time max RSS) | {max(aws_rss) / 1024:.1f} MiB |")

    best, med = ratios["seqstore-a"]
    ratio_met = best >= RATIO_TARGET and med >= RATIO_TARGET
    ratio_word = "yes" if ratio_met else ("partly: best-of only" if best >= RATIO_TARGET else "**no**")
    peak = peaks.get("a")
    rss_met = peak is not None and peak < RSS_LIMIT_MIB
    out += ["", "## Targets (issue #22, seqstore a)", "", "| target | measured | met |", "|---|---|---|",
            f"| throughput ≥ {RATIO_TARGET}× `aws s3 cp`'s | {best:.2f} best-of-{n} / {med:.2f} median | {ratio_word} |",
            f"| seqstore's peak RSS < {RSS_LIMIT_MIB} MiB | "
            + ("not measured" if peak is None else f"{peak:.1f} MiB") + f" | {'yes' if rss_met else '**no**'} |"]
    if compare:
        b_best, b_med = ratios["seqstore-b"]
        b_peak = peaks.get("b")
        out.append(f"| (b, for comparison) | {b_best:.2f} / {b_med:.2f}; "
                   + ("–" if b_peak is None else f"{b_peak:.1f} MiB") + " | – |")

    out += ["", "What bounds either side against moto, and what was tried: `bench/README.md`, Export throughput."]
    out += ["", "## How it is measured", "",
            "- **seqstore export job**: `StartReadSetExportJob` of the one read set to "
            "`s3://bench/seqstore-V-R/` → `GetReadSetExportJob` says COMPLETED, polled every 0.2 s by one boto3 "
            "process (model loaded and connection opened before the clock starts), a monotonic clock "
            "around it: the user-visible time, up to one poll interval late. *server clock* is the job's "
            "`completionTime − creationTime`. *tool CPU* is the server's user + system time over the transfer "
            "(`/proc/PID/stat`)."
            + (" *b* is a second binary (`--compare`) with its own data directory and import, run in the "
               "same rounds." if compare else ""),
            "- **aws s3 cp**: `aws s3 cp FILE s3://bench/cp-R/ --endpoint-url MOTO --no-progress`, the venv's "
            "AWS CLI v1 with no config file (its defaults: multipart threshold and chunk size 8 MiB, 10 "
            "concurrent requests), under GNU time; wall time of the whole command, Python start-up included "
            "(the fixed cost in the Machine table).",
            "- Each round runs every transfer once, the order rotated from round to round. All read the same "
            "bytes from the page cache (warmed first: the source for `aws s3 cp`, seqstore's stored copy for "
            "the export) and write to the same moto_server, which holds objects in its own process; each "
            "object is checked (one object of the file's size, no multipart upload left open; round 1's export "
            "also by the SHA-256 of its bytes read back) and deleted before the next transfer.",
            "- **Peak RSS**: `VmHWM` of `seqstore serve` restarted after the import, read after the last "
            "export: start-up plus every export round.",
            "- **MB/s** = file bytes / 10⁶ / wall seconds. *moto CPU* is moto_server's user + system time over "
            "the same transfer. *others' cores*: the whole machine's busy CPU time over the transfer "
            "(`/proc/stat`) less the tool's and moto's, per wall second — load from other processes (for the "
            "export this includes the polling boto3 process, a few hundredths of a second); on 2 cores "
            "anything above ~0.2 takes CPU from the transfer or from moto."]
    return "\n".join(out) + "\n", ratio_met and rss_met


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from rows_render import main

    main(render, __doc__)
