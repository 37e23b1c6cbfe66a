#!/usr/bin/env python3
"""Fill a sequence store with many tiny read sets for bench/read_sets.

  populate.py sources --dir D --count N           write N tiny distinct FASTQ files (untimed)
  populate.py import --endpoint URL --store S --dir D --jobs J --per-job K --concurrency C
                     --role-arn ARN --ids-out FILE

`sources` writes D/t00000.fastq … (2 records of 100 bp each, every file different, seeded, so
the bytes are the same on every run) unless D/.stamp says they are there.

`import` submits J StartReadSetImportJob calls of K `file://` sources each (source i of job j is
t{j*K+i}.fastq), keeping C jobs in flight: a new job is submitted as soon as one reaches
COMPLETED (every in-flight job is polled with GetReadSetImportJob every 0.2 s). It then walks
ListReadSets (maxResults 100) to check that the store holds exactly J*K ACTIVE read sets, and
writes the read set ids, one a line, to --ids-out. Prints one JSON line: seconds (first submit ->
last job seen COMPLETED), jobs, read_sets, per-job seconds (submit -> seen COMPLETED) p50/max.
Any job ending otherwise than COMPLETED is an error (exit 1).
"""

import argparse
import json
import os
import random
import sys
import time

RECORDS = 2
READ_LEN = 100


def write_sources(directory, count):
    stamp = os.path.join(directory, ".stamp")
    want = "count=%d records=%d len=%d v1" % (count, RECORDS, READ_LEN)
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(20240613)
    for i in range(count):
        lines = []
        for r in range(RECORDS):
            seq = rng.randbytes(READ_LEN).translate(b"ACGT" * 64).decode()
            lines.append("@tiny%05d.%d\n%s\n+\n%s\n" % (i, r, seq, "F" * READ_LEN))
        with open(os.path.join(directory, "t%05d.fastq" % i), "w") as f:
            f.write("".join(lines))
    with open(stamp, "w") as f:
        f.write(want)


def client(endpoint):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "omics", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="bench", aws_secret_access_key="bench",
        config=Config(inject_host_prefix=False, max_pool_connections=8,
                      retries={"max_attempts": 3}),
    )


def run_import(args):
    omics = client(args.endpoint)
    directory = os.path.abspath(args.dir)

    def sources(job):
        out = []
        for i in range(args.per_job):
            n = job * args.per_job + i
            out.append({
                "sourceFiles": {"source1": "file://%s/t%05d.fastq" % (directory, n)},
                "sourceFileType": "FASTQ",
                "subjectId": "subject-%03d" % job,
                "sampleId": "sample-%05d" % n,
                "name": "tiny-%05d" % n,
            })
        return out

    pending = list(range(args.jobs))
    in_flight = {}  # job id -> (job number, submitted at)
    durations = []
    job_ids = []
    t0 = time.monotonic()
    while pending or in_flight:
        while pending and len(in_flight) < args.concurrency:
            job = pending.pop(0)
            started = time.monotonic()
            resp = omics.start_read_set_import_job(sequenceStoreId=args.store,
                                                   roleArn=args.role_arn, sources=sources(job))
            in_flight[resp["id"]] = (job, started)
            job_ids.append(resp["id"])
        time.sleep(0.2)
        for job_id in list(in_flight):
            status = omics.get_read_set_import_job(sequenceStoreId=args.store, id=job_id)["status"]
            if status == "COMPLETED":
                durations.append(time.monotonic() - in_flight.pop(job_id)[1])
            elif status in ("FAILED", "COMPLETED_WITH_FAILURES", "CANCELLED"):
                detail = omics.get_read_set_import_job(sequenceStoreId=args.store, id=job_id)
                bad = [s.get("statusMessage") for s in detail["sources"] if s["status"] != "FINISHED"]
                raise SystemExit("import job %s ended %s: %s; first failed sources: %s"
                                 % (job_id, status, detail.get("statusMessage"), bad[:3]))
    seconds = time.monotonic() - t0

    ids = []
    token = None
    while True:
        kw = {"nextToken": token} if token else {}
        page = omics.list_read_sets(sequenceStoreId=args.store, maxResults=100, **kw)
        ids += [s["id"] for s in page["readSets"] if s["status"] == "ACTIVE"]
        token = page.get("nextToken")
        if not token:
            break
    want = args.jobs * args.per_job
    if len(ids) != want or len(set(ids)) != want:
        raise SystemExit("ListReadSets shows %d ACTIVE read sets (%d distinct), expected %d"
                         % (len(ids), len(set(ids)), want))
    with open(args.ids_out, "w") as f:
        f.write("\n".join(ids) + "\n")
    durations.sort()
    print(json.dumps({
        "seconds": round(seconds, 3), "jobs": args.jobs, "read_sets": want,
        "concurrency": args.concurrency,
        "job_p50": round(durations[len(durations) // 2], 3), "job_max": round(durations[-1], 3),
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sources")
    s.add_argument("--dir", required=True)
    s.add_argument("--count", type=int, required=True)
    i = sub.add_parser("import")
    i.add_argument("--endpoint", required=True)
    i.add_argument("--store", required=True)
    i.add_argument("--dir", required=True)
    i.add_argument("--jobs", type=int, required=True)
    i.add_argument("--per-job", type=int, required=True)
    i.add_argument("--concurrency", type=int, default=4)
    i.add_argument("--role-arn", default="arn:aws:iam::123456789012:role/Bench")
    i.add_argument("--ids-out", required=True)
    args = ap.parse_args()
    if args.cmd == "sources":
        write_sources(args.dir, args.count)
    else:
        run_import(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
