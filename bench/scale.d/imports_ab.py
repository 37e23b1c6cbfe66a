#!/usr/bin/env python3
"""Many small imports, server A against server B (issue #28): the A/B behind the throughput
changes in bench/SCALE.md.

    .venv/bin/python bench/scale.d/imports_ab.py A_BINARY B_BINARY [--backend sqlite|postgres]
        [--jobs 50] [--rounds 2] [--env KEY=VALUE ...]

Each round runs A then B, each a fresh `seqstore serve` with a fresh data directory (and, on
PostgreSQL, a fresh database `seqstore_imports_ab` at $TEST_POSTGRES_URL), importing --jobs jobs of
100 tiny FASTQ sources with 20 in flight (`scale.py`'s jobs and sources); prints read sets per
second and job p99 of every run and the median of each binary's rounds, and their ratio. Data
directories go under $BENCH_DIR/scale/ab (default ~/.cache/seqstore-bench), each run's its own and
deleted only at the end: deleting tens of thousands of files just before a run slows the next
one's file creation on ext4 without a journal (this machine's), which is not what is measured.
"""

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("scale", os.path.join(HERE, "scale.py"))
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)


def run(binary, backend, jobs, work, sources, env):
    data = os.path.join(work, "%s-%d" % (backend, time.time_ns()))
    os.makedirs(data)
    db = None
    if backend == "postgres":
        db = scale.fresh_postgres(os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"),
                                  "seqstore_imports_ab")
    server = scale.Server(binary, data, sources, data + ".log", db, env)
    try:
        omics = scale.client(server.url)
        store = omics.create_sequence_store(name="ab")["id"]
        started = time.monotonic()
        times = scale.import_jobs(omics, store, sources, 0, jobs)
        seconds = time.monotonic() - started
        latency = [done - submitted for submitted, done in times]
        return {"rate": jobs * scale.PER_JOB / seconds, "p99": scale.pct(latency, 99),
                "deadlocks": server.deadlocks()}
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--jobs", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for both servers")
    args = ap.parse_args()
    env = dict(kv.split("=", 1) for kv in args.env)
    bench = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/seqstore-bench"))
    sources = os.path.join(bench, "scale", "sources")
    scale.write_sources(sources, args.jobs * scale.PER_JOB)
    work = os.path.join(bench, "scale", "ab")
    os.makedirs(work, exist_ok=True)
    rates = {"a": [], "b": []}
    try:
        for n in range(args.rounds):
            for which in ("a", "b"):
                r = run(getattr(args, which), args.backend, args.jobs, work, sources, env)
                rates[which].append(r["rate"])
                print(json.dumps({"round": n + 1, "server": which, "backend": args.backend,
                                  "read_sets": args.jobs * scale.PER_JOB, "rate": round(r["rate"], 1),
                                  "job_p99_s": round(r["p99"], 2), "deadlocks": r["deadlocks"]}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a, b = statistics.median(rates["a"]), statistics.median(rates["b"])
    print("median read sets/s: A %.1f, B %.1f, B/A %.2f" % (a, b, b / a))


if __name__ == "__main__":
    main()
