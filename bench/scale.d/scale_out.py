#!/usr/bin/env python3
"""bench/scale --scale-out (issue #28, target 2's last point): many small imports on PostgreSQL
with S3 storage (moto, started here), first with one `seqstore serve` process, then with two
processes sharing the database and the bucket, jobs submitted to each in turn. Reports read sets
per second of each and their ratio, and checks what two processes must never do: import a source
twice (every source FINISHED at its first attempt, one read set per source, one object directory
per read set in the bucket), deadlock, or leave a source unsettled. Writes a small markdown
summary; exit status 1 when a check fails (throughput is reported, not enforced). See
bench/SCALE.md.

  scale_out.py --seqstore-bin BIN --work DIR --out FILE --machine JSON [--read-sets N]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import IN_FLIGHT, PER_JOB, Server, client, fresh_postgres, log, pct, import_jobs, write_sources  # noqa: E402

BUCKET = "seqstore-scale-out"
KEY = "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(venv_bin, log_path):
    port = free_port()
    proc = subprocess.Popen([os.path.join(venv_bin, "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "w"))
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, "http://127.0.0.1:%d" % port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto_server did not start (see %s)" % log_path)


def s3_client(endpoint):
    import boto3
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=KEY, aws_secret_access_key=KEY)


def storage_env(endpoint, prefix):
    return {"SEQSTORE_STORAGE__KIND": "s3", "SEQSTORE_STORAGE__BUCKET": BUCKET, "SEQSTORE_STORAGE__PREFIX": prefix,
            "SEQSTORE_STORAGE__ENDPOINT": endpoint, "SEQSTORE_STORAGE__REGION": "us-east-1",
            "SEQSTORE_STORAGE__PATH_STYLE": "true", "SEQSTORE_STORAGE__ACCESS_KEY_ID": KEY,
            "SEQSTORE_STORAGE__SECRET_ACCESS_KEY": KEY,
            # The S3 endpoint's default port would be taken by the first process.
            "SEQSTORE_S3_API__LISTEN": ""}


def psql(url, sql):
    out = subprocess.run(["psql", url, "-qtAc", sql], check=True, capture_output=True, text=True)
    return [line.split("|") for line in out.stdout.strip().splitlines() if line]


def read_set_dirs(s3, prefix):
    """The read set ids that have objects under `prefix` (`{prefix}/{store}/readSet/{id}/…`)."""
    ids, token = set(), None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/", **kw)
        for obj in page.get("Contents", []):
            parts = obj["Key"].split("/")
            if "readSet" in parts and parts.index("readSet") + 1 < len(parts):
                ids.add(parts[parts.index("readSet") + 1])
        if not page.get("IsTruncated"):
            return ids
        token = page["NextContinuationToken"]


def run(args, processes, endpoint, s3):
    name = "seqstore_scale_out_%d" % processes
    db_url = fresh_postgres(args.postgres_url, name)
    prefix = "p%d" % processes
    servers = []
    try:
        for n in range(processes):
            data_dir = os.path.join(args.work, "p%d-%d" % (processes, n))
            subprocess.run(["rm", "-rf", data_dir], check=True)
            os.makedirs(data_dir)
            servers.append(Server(args.seqstore_bin, data_dir, args.sources, data_dir + ".log", db_url,
                                  storage_env(endpoint, prefix)))
        clients = [client(s.url) for s in servers]
        store = clients[0].create_sequence_store(name="scale-out-%d" % processes)["id"]
        jobs = args.read_sets // PER_JOB
        log("scale-out: %d process(es), %d read sets (%d jobs, %d in flight), PostgreSQL + S3 (moto)"
            % (processes, jobs * PER_JOB, jobs, IN_FLIGHT))
        times = import_jobs(clients[0], store, args.sources, 0, jobs, submit=clients)
        total = max(c for _, c in times) - min(s for s, _ in times)
        lat = [c - s for s, c in times]
        sources = psql(db_url, "SELECT status, COUNT(*), MAX(generation) FROM import_sources GROUP BY status")
        by_node = psql(db_url, "SELECT settled_by, COUNT(*) FROM import_sources GROUP BY settled_by ORDER BY settled_by")
        read_sets = int(psql(db_url, "SELECT COUNT(*) FROM read_sets")[0][0])
        dirs = read_set_dirs(s3, prefix)
        return {
            "processes": processes, "read_sets_expected": jobs * PER_JOB, "seconds": total,
            "rate": jobs * PER_JOB / total, "job_p50": pct(lat, 50), "job_p99": pct(lat, 99),
            "sources": {st: (int(n), int(g)) for st, n, g in sources},
            "by_node": [int(n) for _, n in by_node], "read_sets": read_sets, "object_dirs": len(dirs),
            "deadlocks": sum(s.deadlocks() for s in servers),
            "peak_rss_mib": max(s.peak_rss_mib() or 0 for s in servers),
        }
    finally:
        for s in servers:
            s.stop()


def checks(r):
    """What must hold whatever the machine: every source FINISHED at its first attempt (generation
    1: never claimed twice), one read set per source, one object directory per read set, no
    deadlock."""
    bad = []
    n = r["read_sets_expected"]
    finished = r["sources"].get("FINISHED", (0, 0))
    if finished[0] != n or len(r["sources"]) != 1:
        bad.append("sources by status: %s (want %d FINISHED)" % (r["sources"], n))
    if finished[1] != 1:
        bad.append("a source was claimed more than once (largest generation %d)" % finished[1])
    if r["read_sets"] != n:
        bad.append("%d read sets for %d sources" % (r["read_sets"], n))
    if r["object_dirs"] != n:
        bad.append("%d read set directories in the bucket for %d read sets" % (r["object_dirs"], n))
    if r["deadlocks"]:
        bad.append("%d deadlock lines in the server logs" % r["deadlocks"])
    if len(r["by_node"]) != r["processes"]:
        bad.append("sources settled by %d process(es) of %d" % (len(r["by_node"]), r["processes"]))
    return bad


def render(out, machine, results):
    one, two = results
    md = ["# seqstore scale-out: many small imports on PostgreSQL + S3, one process and two", "",
          "Written by `bench/scale --scale-out` (see `bench/SCALE.md`), issue #28. Client, servers, "
          "PostgreSQL and the S3 server (moto) on the same machine.", "", "## Machine", "", "| | |", "|---|---|"]
    md += ["| %s | %s |" % kv for kv in machine.items()]
    md += ["| imports | jobs of %d tiny FASTQ sources (2 records of 100 bp, `file://`), %d jobs in flight, submitted "
           "to the processes in turn, polled every 0.1 s |" % (PER_JOB, IN_FLIGHT), "",
           "| processes | read sets | seconds | read sets/s | job p50 s | job p99 s | settled per process | "
           "largest attempt | read sets | object directories | deadlock lines | peak RSS MiB |",
           "|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        md.append("| %d | %d | %.1f | %.0f | %.2f | %.2f | %s | %d | %d | %d | %d | %.0f |" % (
            r["processes"], r["read_sets_expected"], r["seconds"], r["rate"], r["job_p50"], r["job_p99"],
            " / ".join(str(n) for n in r["by_node"]), r["sources"].get("FINISHED", (0, 0))[1], r["read_sets"],
            r["object_dirs"], r["deadlocks"], r["peak_rss_mib"]))
    failed = [(r["processes"], b) for r in results for b in checks(r)]
    md += ["", "Two processes against one: **%.2f×** the read sets per second (target: no lower, 1.00×)."
           % (two["rate"] / one["rate"]), ""]
    md += ["Checks (each source FINISHED at its first attempt, one read set and one object directory per "
           "source, no deadlock, both processes settling): %s." % (
               "all hold" if not failed else "; ".join("%d process(es): %s" % f for f in failed)), ""]
    open(out, "w").write("\n".join(md))
    return failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seqstore-bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--read-sets", type=int, default=10000)
    ap.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                             "postgres://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    args.read_sets = max(PER_JOB, args.read_sets // PER_JOB * PER_JOB)
    args.work = os.path.join(args.work, "scale-out")
    os.makedirs(args.work, exist_ok=True)
    args.sources = os.path.join(os.path.dirname(args.work), "sources")
    write_sources(args.sources, max(10000, args.read_sets))
    moto, endpoint = start_moto(os.path.dirname(sys.executable), os.path.join(args.work, "moto.log"))
    try:
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        results = [run(args, 1, endpoint, s3), run(args, 2, endpoint, s3)]
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    failed = render(args.out, json.loads(args.machine), results)
    for r in results:
        log("scale-out: %d process(es): %.0f read sets/s" % (r["processes"], r["rate"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
