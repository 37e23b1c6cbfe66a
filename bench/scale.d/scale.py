#!/usr/bin/env python3
"""bench/scale's driver (issue #28): a store grown to 10,000 read sets by imports (and, in full
mode, on to 100,000 by imports and 1,000,000 by bulk rows), on SQLite and PostgreSQL, with the
latency of the metadata and list operations measured at each size, the import throughput, the
query plans, memory and database bytes. Writes raw JSON rows to --raw; render.py turns them into
bench/results-scale.md. See bench/SCALE.md.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = "arn:aws:iam::123456789012:role/Bench"
PER_JOB = 100
IN_FLIGHT = 20
# The fill tool's values (examples/scale.rs FILTER_VALUES): imports use the same ones.
SAMPLES = ("sample-A", "sample-B")
RUNS = ("run-A", "run-B")


def log(msg):
    print("bench/scale: %s" % msg, file=sys.stderr, flush=True)


def write_sources(directory, count):
    """count tiny distinct FASTQ files t000000.fastq … (2 records of 100 bp), seeded."""
    stamp = os.path.join(directory, ".stamp")
    want = "count=%d v1" % count
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(20261206)
    for i in range(count):
        recs = []
        for r in range(2):
            seq = rng.randbytes(100).translate(b"ACGT" * 64).decode()
            recs.append("@s%06d.%d\n%s\n+\n%s\n" % (i, r, seq, "F" * 100))
        with open(os.path.join(directory, "t%06d.fastq" % i), "w") as f:
            f.write("".join(recs))
    with open(stamp, "w") as f:
        f.write(want)


class Server:
    """One `seqstore serve` process; its stderr kept in a log file."""

    def __init__(self, binary, data_dir, file_root, log_path, db_url=None, extra_env=None):
        env = dict(os.environ)
        env.update(extra_env or {})
        env["SEQSTORE_QUOTAS__READ_SETS_PER_STORE"] = "2000000"
        env["SEQSTORE_QUOTAS__CONCURRENT_IMPORT_JOBS"] = str(IN_FLIGHT)
        if db_url:
            env["SEQSTORE_DATABASE__URL"] = db_url
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--file-root", file_root],
            stdout=subprocess.PIPE, stderr=self.log, env=env, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            raise SystemExit("seqstore did not start: %r (see %s)" % (line, log_path))
        self.url = m.group(1)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def peak_rss_mib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return None

    def deadlocks(self):
        with open(self.log_path) as f:
            return sum(1 for line in f if "deadlock" in line.lower())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def client(endpoint):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "omics", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench",
        config=Config(inject_host_prefix=False, max_pool_connections=8, retries={"max_attempts": 3}))


def pct(values, p):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, max(0, int(len(values) * p / 100.0 + 0.999999) - 1))]


def import_jobs(omics, store, sources_dir, first_job, jobs, submit=None):
    """Jobs first_job … first_job+jobs-1 of PER_JOB sources each, IN_FLIGHT at a time, submitted in
    turn to each client of `submit` (default: omics alone), polled through omics; returns the
    per-job (submitted, completed) times."""
    submit = submit or [omics]
    def sources(job):
        out = []
        for i in range(PER_JOB):
            n = job * PER_JOB + i
            out.append({
                "sourceFiles": {"source1": "file://%s/t%06d.fastq" % (sources_dir, n)},
                "sourceFileType": "FASTQ", "subjectId": "subject-%03d" % (job % 1000),
                "sampleId": SAMPLES[n % 2], "generatedFrom": RUNS[(n % 4) // 2], "name": "tiny-%06d" % n,
            })
        return out

    pending = list(range(first_job, first_job + jobs))
    in_flight = {}  # job id -> (submitted at, creationTime)
    times = []
    while pending or in_flight:
        while pending and len(in_flight) < IN_FLIGHT:
            job = pending.pop(0)
            t = time.monotonic()
            resp = submit[job % len(submit)].start_read_set_import_job(sequenceStoreId=store, roleArn=ROLE,
                                                                       sources=sources(job))
            in_flight[resp["id"]] = (t, resp["creationTime"])
        time.sleep(0.1)
        # One ListReadSetImportJobs from the oldest job in flight (summaries, no sources) instead of
        # a GetReadSetImportJob per job: the polling must not be a load of its own.
        oldest = min(c for _, c in in_flight.values())
        token = None
        while True:
            kw = {"nextToken": token} if token else {}
            page = omics.list_read_set_import_jobs(sequenceStoreId=store, maxResults=100,
                                                   filter={"createdAfter": oldest}, **kw)
            now = time.monotonic()
            for summary in page["importJobs"]:
                job_id, status = summary["id"], summary["status"]
                if job_id not in in_flight:
                    continue
                if status == "COMPLETED":
                    times.append((in_flight.pop(job_id)[0], now))
                elif status in ("FAILED", "COMPLETED_WITH_FAILURES", "CANCELLED"):
                    detail = omics.get_read_set_import_job(sequenceStoreId=store, id=job_id)
                    bad = [x.get("statusMessage") for x in detail["sources"] if x["status"] != "FINISHED"]
                    raise SystemExit("import job %s ended %s: %s" % (job_id, status, bad[:3]))
            token = page.get("nextToken")
            if not token:
                break
    return times


def walk_token(omics, store, flt, page, jobs=False):
    """The nextToken that leads to page `page` (1 = first) of a list with filter flt."""
    token = None
    for _ in range(page - 1):
        kw = {"nextToken": token} if token else {}
        if jobs:
            resp = omics.list_read_set_import_jobs(sequenceStoreId=store, maxResults=100, filter=flt, **kw)
        else:
            resp = omics.list_read_sets(sequenceStoreId=store, maxResults=100, filter=flt, **kw)
        token = resp.get("nextToken")
        if not token:
            return None
    return token


def measure(args, server, omics, store, size, backend, emit):
    """Latency of every operation at the store's current size."""
    from urllib.parse import quote

    scratch = os.path.join(args.work, "requests")
    os.makedirs(scratch, exist_ok=True)
    ids = []
    token = None
    # Random ids of the whole store: a walk of ListReadSets (ids only kept).
    while True:
        kw = {"nextToken": token} if token else {}
        resp = omics.list_read_sets(sequenceStoreId=store, maxResults=100, **kw)
        ids += [s["id"] for s in resp["readSets"]]
        token = resp.get("nextToken")
        if not token:
            break
    if len(ids) != size:
        raise SystemExit("ListReadSets walked %d read sets, expected %d" % (len(ids), size))
    rng = random.Random(28)
    lines = ["GET\t/sequencestore/%s/readset/%s/metadata\t" % (store, rng.choice(ids)) for _ in range(20000)]
    ops = [("GetReadSetMetadata (random id)", "metadata", lines, args.metadata_rate)]
    half = size // 2
    filters = [
        ("unfiltered", {}, size),
        ("sampleId", {"sampleId": SAMPLES[0]}, half),
        ("status", {"status": "ACTIVE"}, size),
        ("createdAfter", {"createdAfter": "2020-01-01T00:00:00Z"}, size),
        ("createdBefore", {"createdBefore": "2100-01-01T00:00:00Z"}, size),
        ("generatedFrom", {"generatedFrom": RUNS[0]}, half),
    ]
    for name, flt, matching in filters:
        pages = (matching + 99) // 100
        deep = min(5000, max(2, pages // 2))
        body = json.dumps({"filter": flt}) if flt else "{}"
        path = "/sequencestore/%s/readsets?maxResults=100" % store
        ops.append(("ListReadSets %s, first page" % name, "list", ["POST\t%s\t%s" % (path, body)], args.list_rate))
        token = walk_token(omics, store, flt, deep)
        if token is None:
            raise SystemExit("ListReadSets %s has no page %d" % (name, deep))
        deep_path = "%s&nextToken=%s" % (path, quote(token, safe=""))
        # render.py names it "half way in", the page a column of its own.
        ops.append(("ListReadSets %s, page %d" % (name, deep), "list", ["POST\t%s\t%s" % (deep_path, body)],
                    args.list_rate))
    for status in ("COMPLETED", "FAILED"):
        body = json.dumps({"filter": {"status": status}})
        path = "/sequencestore/%s/importjobs?maxResults=100" % store
        ops.append(("ListReadSetImportJobs status %s, first page" % status, "jobs",
                    ["POST\t%s\t%s" % (path, body)], args.list_rate))
    for name, kind, lines, rate in ops:
        req = os.path.join(scratch, "req.tsv")
        with open(req, "w") as f:
            f.write("\n".join(lines) + "\n")
        # Untimed warm-up, then the measured run.
        run_load(args, server.url, req, rate, 1)
        result = run_load(args, server.url, req, rate, args.seconds)
        emit({"kind": "latency", "backend": backend, "size": size, "op": name, "family": kind,
              "target_rate": rate, **result})
        if result["errors"]:
            log("%s: %d errors" % (name, result["errors"]))


def run_load(args, url, req, rate, seconds):
    out = subprocess.run([args.scale_bin, "load", "--endpoint", url, "--requests", req, "--rate", str(rate),
                          "--seconds", str(seconds)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def analyze(backend, db_url, data_dir):
    """What a production server's autovacuum would have done: the planner's statistics."""
    if backend == "postgres":
        subprocess.run(["psql", db_url, "-qc", "VACUUM ANALYZE"], check=True)
    else:
        import sqlite3
        con = sqlite3.connect(os.path.join(data_dir, "seqstore.db"), timeout=60)
        con.execute("ANALYZE")
        con.close()


def plans(args, db_url, store, backend, size, emit):
    out = subprocess.run([args.scale_bin, "plans", "--db", db_url, "--store", store], capture_output=True, text=True)
    emit({"kind": "plans", "backend": backend, "size": size, "text": out.stdout, "ok": out.returncode == 0,
          "error": out.stderr.strip()[-2000:]})


def db_bytes(backend, db_url, data_dir):
    if backend == "postgres":
        out = subprocess.run(["psql", db_url, "-qtAc", "SELECT pg_database_size(current_database())"],
                             check=True, capture_output=True, text=True)
        return int(out.stdout.strip())
    return sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir)
               if f.startswith("seqstore.db"))


def fresh_postgres(base_url, name):
    subprocess.run(["psql", base_url, "-qc", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name], check=True)
    subprocess.run(["psql", base_url, "-qc", "CREATE DATABASE %s" % name], check=True)
    return re.sub(r"/[^/]*$", "/" + name, base_url)


def throughput_rows(backend, times, first_read_set, emit):
    """Read sets/s per 10,000 (by job completion order) and job latency percentiles."""
    times = sorted(times, key=lambda t: t[1])
    per_window = 10000 // PER_JOB
    for w in range(0, len(times), per_window):
        chunk = times[w:w + per_window]
        start = times[w - 1][1] if w else min(t[0] for t in chunk)
        seconds = chunk[-1][1] - start
        emit({"kind": "window", "backend": backend, "from": first_read_set + w * PER_JOB,
              "to": first_read_set + (w + len(chunk)) * PER_JOB, "seconds": seconds,
              "rate": len(chunk) * PER_JOB / seconds})
    lat = [c - s for s, c in times]
    total = times[-1][1] - min(t[0] for t in times)
    emit({"kind": "import", "backend": backend, "from": first_read_set, "jobs": len(times),
          "read_sets": len(times) * PER_JOB, "seconds": total, "rate": len(times) * PER_JOB / total,
          "job_p50": pct(lat, 50), "job_p99": pct(lat, 99), "job_max": max(lat)})


def run_backend(args, backend, emit):
    work = os.path.join(args.work, backend)
    subprocess.run(["rm", "-rf", work], check=True)
    data_dir = os.path.join(work, "data")
    os.makedirs(data_dir)
    db_url = fresh_postgres(args.postgres_url, "seqstore_scale") if backend == "postgres" else \
        "sqlite://%s/seqstore.db" % data_dir
    server = Server(args.seqstore_bin, data_dir, args.sources, os.path.join(work, "server.log"),
                    db_url if backend == "postgres" else None)
    try:
        omics = client(server.url)
        store = omics.create_sequence_store(name="scale-%s" % backend)["id"]
        first_jobs = 10000 // PER_JOB
        log("%s: importing 10,000 read sets (%d jobs, %d in flight)" % (backend, first_jobs, IN_FLIGHT))
        times = import_jobs(omics, store, args.sources, 0, first_jobs)
        throughput_rows(backend, times, 0, emit)
        analyze(backend, db_url, data_dir)
        plans(args, db_url, store, backend, 10000, emit)
        log("%s: measuring at 10,000" % backend)
        measure(args, server, omics, store, 10000, backend, emit)
        emit({"kind": "size", "backend": backend, "size": 10000, "db_bytes": db_bytes(backend, db_url, data_dir),
              "peak_rss_mib": server.peak_rss_mib(), "deadlocks": server.deadlocks()})
        if args.mode == "full":
            more = args.import_read_sets // PER_JOB - first_jobs
            if more:
                log("%s: importing %d more read sets" % (backend, more * PER_JOB))
                times = import_jobs(omics, store, args.sources, first_jobs, more)
                throughput_rows(backend, times, 10000, emit)
            if args.imports_only:
                return
            bulk = args.read_sets - args.import_read_sets
            log("%s: %d read sets and %d jobs in bulk" % (backend, bulk, args.bulk_jobs))
            out = subprocess.run([args.scale_bin, "fill", "--db", db_url, "--store", store, "--read-sets", str(bulk),
                                  "--jobs", str(args.bulk_jobs)], check=True, capture_output=True, text=True)
            emit({"kind": "fill", "backend": backend, **json.loads(out.stdout.strip().splitlines()[-1])})
            analyze(backend, db_url, data_dir)
            plans(args, db_url, store, backend, args.read_sets, emit)
            log("%s: measuring at %d" % (backend, args.read_sets))
            measure(args, server, omics, store, args.read_sets, backend, emit)
            emit({"kind": "size", "backend": backend, "size": args.read_sets,
                  "db_bytes": db_bytes(backend, db_url, data_dir), "peak_rss_mib": server.peak_rss_mib(),
                  "deadlocks": server.deadlocks()})
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("quick", "full"), default="quick")
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--seqstore-bin", required=True)
    ap.add_argument("--scale-bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                             "postgres://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--raw", required=True)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--metadata-rate", type=float, default=2000)
    ap.add_argument("--list-rate", type=float, default=200)
    ap.add_argument("--import", dest="import_read_sets", type=int, default=None,
                    help="full mode: read sets imported before the bulk rows (default 100,000; at least 10,000)")
    ap.add_argument("--imports-only", action="store_true",
                    help="full mode: stop after the imports (no bulk rows, no measurement at 1,000,000)")
    args = ap.parse_args()
    args.read_sets = 1000000 if args.mode == "full" else 10000
    if args.import_read_sets is None or args.mode == "quick":
        args.import_read_sets = 100000 if args.mode == "full" else 10000
    args.import_read_sets = max(10000, args.import_read_sets // PER_JOB * PER_JOB)
    args.bulk_jobs = 100000
    args.sources = os.path.join(args.work, "sources")
    write_sources(args.sources, args.import_read_sets)
    with open(args.raw, "w") as raw:
        def emit(row):
            raw.write(json.dumps(row) + "\n")
            raw.flush()
        emit({"kind": "meta", "mode": args.mode, "imported": args.import_read_sets, "seconds": args.seconds, "metadata_rate": args.metadata_rate,
              "list_rate": args.list_rate, "in_flight": IN_FLIGHT, "per_job": PER_JOB})
        for backend in args.backends.split(","):
            run_backend(args, backend, emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
