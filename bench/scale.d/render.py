#!/usr/bin/env python3
"""Turns bench/scale's raw rows (scale.py --raw) into results-scale.md; exit status 1 when a
target of issue #28 is missed (the summary is written all the same and lists them). With
`checks` as the fourth argument only the checks that do not depend on the machine's speed count
for the exit status (plans, errors, deadlocks, memory): what `.ci/run` enforces on a CI machine.

  render.py RAW OUT MACHINE_JSON [checks]
"""

import json
import re
import sys

METADATA_P99 = 5.0
LIST_P99 = 20.0
IMPORT_RATE = 500.0
FLAT = 1.5


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return "%.*f" % (digits, v)
    return str(v)


def main():
    raw, out, machine = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    checks_only = sys.argv[4:] == ["checks"]
    rows = [json.loads(line) for line in open(raw) if line.strip()]
    # A deep page is "page N" with N depending on the size: one operation across sizes.
    for r in rows:
        if r["kind"] == "latency":
            m = re.search(r", page (\d+)$", r["op"])
            if m:
                r["op"] = r["op"][:m.start()] + ", half way in"
                r["page"] = int(m.group(1))
    meta = next(r for r in rows if r["kind"] == "meta")
    backends = []
    for r in rows:
        if r.get("backend") and r["backend"] not in backends:
            backends.append(r["backend"])
    missed, timing = [], []
    md = ["# seqstore at scale: a store of many read sets, many small imports", "",
          "Written by `bench/scale` (see `bench/SCALE.md`), issue #28. Client and server on the same machine.", "",
          "## Machine", "", "| | |", "|---|---|"]
    for k, v in machine.items():
        md.append("| %s | %s |" % (k, v))
    md += ["| mode | %s (%s read sets imported%s) |" % (meta["mode"], format(meta.get("imported", 0), ","),
                                                       ", the rest bulk rows" if meta["mode"] == "full" else ""),
           "| load | open loop (`examples/scale.rs load`): GetReadSetMetadata at %g req/s, each list at %g req/s, "
           "%g s measured after 1 s untimed; latency from each request's scheduled time to its last byte |"
           % (meta["metadata_rate"], meta["list_rate"], meta["seconds"]),
           "| imports | jobs of %d tiny FASTQ sources (2 records of 100 bp, `file://`), %d jobs in flight, "
           "polled every 0.1 s by one ListReadSetImportJobs |" % (meta["per_job"], meta["in_flight"]),
           "| statistics | `VACUUM ANALYZE` (PostgreSQL; this machine's runs without autovacuum, a production "
           "server's autovacuum would do it) or `ANALYZE` (SQLite) before each measurement |", ""]

    md += ["## Many small imports", "",
           "| backend | read sets | jobs | seconds | read sets/s | job p50 s | job p99 s | job max s |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["kind"] == "import":
            md.append("| %s | %d–%d | %d | %.1f | %.0f | %.2f | %.2f | %.2f |" % (
                r["backend"], r["from"], r["from"] + r["read_sets"], r["jobs"], r["seconds"], r["rate"],
                r["job_p50"], r["job_p99"], r["job_max"]))
    md += ["", "Per 10,000 read sets (in job completion order):", "",
           "| backend | read sets | seconds | read sets/s |", "|---|---|---:|---:|"]
    for r in rows:
        if r["kind"] == "window":
            md.append("| %s | %d–%d | %.1f | %.0f |" % (r["backend"], r["from"], r["to"], r["seconds"], r["rate"]))
            if r["rate"] < IMPORT_RATE:
                timing.append("%s: %.0f read sets/s for read sets %d–%d (target >= %.0f)"
                              % (r["backend"], r["rate"], r["from"], r["to"], IMPORT_RATE))
    md.append("")

    sizes = sorted({r["size"] for r in rows if r["kind"] == "latency"})
    md += ["## Latency", "", "Milliseconds; `ok/sent` counts answers with 2xx; `page`: which page of the list (1 = "
           "first; half way in: the page half way through the read sets the filter matches, at most 5,000); p99 "
           "ratio: p99 at the largest size over p99 at the smallest (target <= %.1f)." % FLAT, ""]
    head = "| backend | operation | target |"
    line = "|---|---|---:|"
    for s in sizes:
        head += " %s: page | req/s | p50 | p99 | max | ok/sent |" % format(s, ",")
        line += "---:|---:|---:|---:|---:|---:|"
    if len(sizes) > 1:
        head += " p99 ratio |"
        line += "---:|"
    md += [head, line]
    for b in backends:
        ops = []
        for r in rows:
            if r["kind"] == "latency" and r["backend"] == b and r["op"] not in ops:
                ops.append(r["op"])
        for op in ops:
            by_size = {r["size"]: r for r in rows if r["kind"] == "latency" and r["backend"] == b and r["op"] == op}
            target = METADATA_P99 if op.startswith("GetReadSetMetadata") else LIST_P99
            cells = "| %s | %s | p99 < %g |" % (b, op, target)
            for s in sizes:
                r = by_size.get(s)
                if r is None:
                    cells += " | | | | | |"
                    continue
                cells += " %s | %.0f | %s | %s | %s | %d/%d |" % (
                    r.get("page", 1 if op.startswith("List") else "–"), r["rate"], fmt(r["p50"]), fmt(r["p99"]),
                    fmt(r["max"]), r["ok"], r["sent"])
                if r["errors"] or r["p99"] is None:
                    missed.append("%s %s at %d: %d errors" % (b, op, s, r["errors"]))
                elif r["p99"] >= target:
                    timing.append("%s %s at %d: p99 %s ms (target p99 < %g)" % (b, op, s, fmt(r["p99"]), target))
            if len(sizes) > 1:
                lo, hi = by_size.get(sizes[0]), by_size.get(sizes[-1])
                ratio = hi["p99"] / lo["p99"] if lo and hi and lo["p99"] else None
                cells += " %s |" % fmt(ratio)
                if ratio is not None and ratio > FLAT:
                    timing.append("%s %s: p99 %.2f× at %d of that at %d (target <= %.1f×)"
                                  % (b, op, ratio, sizes[-1], sizes[0], FLAT))
            md.append(cells)
    md.append("")

    md += ["## Size and memory", "", "| backend | read sets | database bytes | bytes per read set | server peak RSS MiB "
           "| deadlock lines in the server log |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r["kind"] == "size":
            md.append("| %s | %d | %d | %.0f | %.0f | %d |" % (r["backend"], r["size"], r["db_bytes"],
                                                              r["db_bytes"] / r["size"], r["peak_rss_mib"],
                                                              r["deadlocks"]))
            if r["peak_rss_mib"] >= 512:
                missed.append("%s: peak RSS %.0f MiB at %d (target < 512)" % (r["backend"], r["peak_rss_mib"], r["size"]))
            if r["deadlocks"]:
                missed.append("%s: %d deadlock lines in the server log" % (r["backend"], r["deadlocks"]))
    for r in rows:
        if r["kind"] == "fill":
            md += ["", "%s bulk rows: %d read sets and %d jobs through the database layer (`examples/scale.rs fill`) "
                   "in %.1f s." % (r["backend"], r["read_sets"], r["jobs"], r["seconds"])]
    md.append("")

    md += ["## Query plans", "",
           "SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`, of the statements the service runs "
           "(`db::read_sets::list_statement`, `db::import_jobs::list_statement`), first page and after a key "
           "in the middle of the store. A plan with a full scan, a sort or (PostgreSQL) the keyset as a filter "
           "is marked DEFECT.", ""]
    for r in rows:
        if r["kind"] == "plans":
            md += ["<details><summary>%s at %s read sets%s</summary>" % (
                r["backend"], format(r["size"], ","), "" if r["ok"] else " — DEFECTS"), "", "```", r["text"].rstrip(),
                "```", "", "</details>", ""]
            if not r["ok"]:
                missed.append("%s plans at %d: %s" % (r["backend"], r["size"], r["error"] or "defects"))
    md += ["## Targets missed", ""]
    md += ["- %s" % m for m in missed + timing] if missed or timing else ["None."]
    md.append("")
    with open(out, "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))
    return 1 if missed or (timing and not checks_only) else 0


if __name__ == "__main__":
    sys.exit(main())
