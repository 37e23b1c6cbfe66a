#!/usr/bin/env python3
"""Render bench/results-limits.md from the raw files `bench/run --limits` writes.

  limits_render.py --runs RUNS.tsv --meta META.tsv [--out results-limits.md]

RUNS.tsv and META.tsv as for render.py (whose loader this uses); an input line's last field is the
SAM text's size in bytes. Tools: "seqstore import" (an MD5up store), "seqstore import, SHA256up",
"seqstore import, SHA512up", "pipeline: ..." and its "pipeline step: ..." rows, and
"chain: MD5|SHA-256|SHA-512 of the SAM text (memory, 1 thread)" (wall = hashing seconds alone).

Issue #28's restated limits: every aligned import is reported against the chain of its store's
digest (the MD5, SHA-256 or SHA-512 of the whole SAM text on one core, which no import can beat);
BAM into an MD5up store within 1.15x of its chain; CRAM 3.0 and 3.1 into MD5up stores at least
1.5x faster than the user's pipeline (ratio <= 1/1.5). Targets are reported, met or not; exit
status 3 only when a server's peak RSS reaches 512 MiB (results written all the same), 1 on bad
input. Standard library only.
"""

import statistics
from collections import OrderedDict

from render import RSS_LIMIT_MIB, cli, fmt_mib, fmt_s, machine_table, md_escape, runs_and_notes

IMPORT = "seqstore import"
PIPELINE = "pipeline: flagstat + index + view | md5sum + cp"
# store family -> (import row, chain row)
FAMILIES = OrderedDict([
    ("MD5up", (IMPORT, "chain: MD5 of the SAM text (memory, 1 thread)")),
    ("SHA256up", (IMPORT + ", SHA256up", "chain: SHA-256 of the SAM text (memory, 1 thread)")),
    ("SHA512up", (IMPORT + ", SHA512up", "chain: SHA-512 of the SAM text (memory, 1 thread)")),
])
BAM_CHAIN_BOUND = 1.15
CRAM_PIPELINE_BOUND = 1 / 1.5


def summarize(runs):
    """(format, tool) -> (median wall, best wall, max rss kib | None, median cpu | None, n)."""
    out = OrderedDict()
    for key, rs in runs.items():
        walls = [r[1] for r in rs]
        rss = [r[2] for r in rs if r[2] is not None]
        cpus = [r[3] for r in rs if r[3] is not None]
        out[key] = (statistics.median(walls), min(walls), max(rss) if rss else None,
                    statistics.median(cpus) if cpus else None, len(walls))
    return out


def render(runs, meta, inputs):
    out = []
    w = out.append
    summary = summarize(runs)
    formats = list(OrderedDict.fromkeys(f for f, _ in runs))
    w("# seqstore import against the digest chain (issue #28)")
    w("")
    w("Written by `bench/run%s --limits`; re-run it to refresh, do not edit by hand. What the figures "
      "mean: `bench/README.md`, \"Restated import limits\"." % (
          " --quick" if meta.get("mode", "").startswith("quick") else ""))
    w("")
    machine_table(w, meta, ("date", "date-end", "mode", "runs", "cpu", "nproc", "memory", "kernel",
                            "seqstore", "tools", "load-start", "load-end"))
    w("## Inputs")
    w("")
    w("| format | file | file MB | records | SAM text MB |")
    w("|---|---|---:|---:|---:|")
    for fmt, (name, size, records, raw) in inputs.items():
        w("| %s | %s | %.1f | %s | %s |" % (fmt, name, size / 1e6, "{:,}".format(records),
                                          "%.1f" % (raw / 1e6) if raw else "-"))
    w("")
    w("## Wall time")
    w("")
    w("Each row ran %s times, interleaved (one of each per round). SAM MB/s = the file's SAM text "
      "(what the ETag digests) / 10^6 / wall seconds. Imports: submit -> COMPLETED, a fresh server "
      "each, QC statistics on; peak RSS is the server's VmHWM; CPU s the server's user + system "
      "seconds. Chains: the digest alone over the SAM text held in memory, one thread (wall = CPU)."
      % meta.get("runs", "N"))
    w("")
    w("| format | row | runs | median s | best s | SAM MB/s median | SAM MB/s best | peak RSS MiB | CPU s |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (fmt, tool), (med, best, rss, cpu, n) in summary.items():
        raw = inputs.get(fmt, (None, 0, 0, None))[3]
        w("| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
            fmt, md_escape(tool), n, fmt_s(med), fmt_s(best),
            "%.1f" % (raw / 1e6 / med) if raw else "-", "%.1f" % (raw / 1e6 / best) if raw else "-",
            fmt_mib(rss) if rss is not None else "-", fmt_s(cpu) if cpu is not None else "-"))
    w("")
    w("## Each import against its chain")
    w("")
    w("Import wall time / the chain's time for the store's digest (best-of-N against best-of-N, "
      "median against median): 1.00 = the import runs at the speed of its digest alone; "
      "nothing else it does (inflate, decode, render, count, index, QC, store) shows. Beside it, "
      "import / the user's pipeline (below 1 = faster than the pipeline; 0.67 = 1.5x faster).")
    w("")
    w("| format | store | import / chain best | import / chain median | import / pipeline best | import / pipeline median |")
    w("|---|---|---:|---:|---:|---:|")
    ratios = {}
    for fmt in formats:
        pipe = summary.get((fmt, PIPELINE))
        for family, (imp, chain) in FAMILIES.items():
            i, c = summary.get((fmt, imp)), summary.get((fmt, chain))
            if i is None:
                continue
            rc = (i[1] / c[1], i[0] / c[0]) if c else None
            rp = (i[1] / pipe[1], i[0] / pipe[0]) if pipe else None
            ratios[(fmt, family)] = (rc, rp)
            w("| %s | %s | %s | %s | %s | %s |" % (
                fmt, family, "%.2f" % rc[0] if rc else "-", "%.2f" % rc[1] if rc else "-",
                "%.2f" % rp[0] if rp else "-", "%.2f" % rp[1] if rp else "-"))
    w("")
    w("## Targets (issue #28, restated limits)")
    w("")
    w("Met when the ratio is at most the bound on best-of-N and median alike (\"best only\": on "
      "best-of-N only). The CRAM rows against the chain are reported, not targets: on two cores "
      "decoding, not the digest, bounds them.")
    w("")
    w("| format | target | bound | best-of-N | median | met |")
    w("|---|---|---:|---:|---:|---|")
    for fmt, family, which, bound, wording in (
            ("BAM", "MD5up", 0, BAM_CHAIN_BOUND, "within 1.15x of the MD5 chain"),
            ("CRAM 3.0", "MD5up", 1, CRAM_PIPELINE_BOUND, ">= 1.5x faster than the pipeline"),
            ("CRAM 3.1", "MD5up", 1, CRAM_PIPELINE_BOUND, ">= 1.5x faster than the pipeline")):
        r = ratios.get((fmt, family), (None, None))[which]
        if r is None:
            continue
        met = "yes" if max(r) <= bound else "best only" if r[0] <= bound else "no"
        w("| %s | %s | %.2f | %.2f | %.2f | %s |" % (fmt, wording, bound, r[0], r[1], met))
    w("")
    w("## Memory")
    w("")
    w("| format | store | peak server RSS MiB (max over runs) | limit MiB | result |")
    w("|---|---|---:|---:|---|")
    failed = False
    for fmt in formats:
        for family, (imp, _) in FAMILIES.items():
            i = summary.get((fmt, imp))
            if i is None or i[2] is None:
                continue
            ok = i[2] < RSS_LIMIT_MIB * 1024
            failed |= not ok
            w("| %s | %s | %s | %d | %s |" % (fmt, family, fmt_mib(i[2]), RSS_LIMIT_MIB,
                                             "PASS" if ok else "FAIL"))
    w("")
    runs_and_notes(w, runs, meta, "row")
    return "\n".join(out), failed


if __name__ == "__main__":
    cli(render, "render bench/results-limits.md")
