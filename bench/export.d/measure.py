#!/usr/bin/env python3
"""The boto3 parts of bench/export: the read set import, the timed export, and the checks of what
landed in the S3 server (moto).

  measure.py import  --endpoint URL --key ID --secret S --role-arn ARN --source file:///…
      creates a sequence store, imports the FASTQ, waits; prints `STORE READ_SET SECONDS`.
  measure.py export  --endpoint URL --key ID --secret S --role-arn ARN --store ID --read-set ID
                     --destination s3://bucket/prefix/ [--poll 0.2] [--watch PID,PID…]
      StartReadSetExportJob, then GetReadSetExportJob every --poll seconds in the same process
      until the job ends; prints `JOB STATUS SECONDS SERVER_SECONDS [CPU…] BUSY` (a monotonic clock
      from just before the start call to the poll that saw the end; the job's completionTime −
      creationTime, or `-`; over the same span, the user + system CPU seconds of each --watch
      process and the whole machine's busy CPU seconds). Exits 1 when the job does not end
      COMPLETED.
  measure.py check   --s3 URL --bucket B --prefix P --size N [--sha256 HEX] [--delete]
      exactly one object under the prefix, of N bytes (and, with --sha256, whose bytes hash to
      HEX, read back in one GET); prints its key; --delete then removes everything under the
      prefix (moto holds objects in its own process: 1 GB per round would add up).

Errors go to stderr with exit status 1. Standard library + boto3 (the repo's venv).
"""

import argparse
import hashlib
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ENDED = ("COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """User + system clock ticks of process `pid` (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def busy_ticks():
    """Clock ticks the whole machine spent busy so far (user, nice, system, irq, softirq, steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]


def snapshot(pids):
    return [cpu_ticks(p) for p in pids] + [busy_ticks()]


def omics(args):
    return boto3.client(
        "omics",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id=args.key,
        aws_secret_access_key=args.secret,
        config=Config(inject_host_prefix=False, retries={"max_attempts": 3, "mode": "standard"}),
    )


def s3(url):
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
    )


def run_import(args):
    client = omics(args)
    store = client.create_sequence_store(name="bench-export")["id"]
    start = time.monotonic()
    job = client.start_read_set_import_job(
        sequenceStoreId=store,
        roleArn=args.role_arn,
        sources=[{
            "sourceFiles": {"source1": args.source},
            "sourceFileType": "FASTQ",
            "subjectId": "bench",
            "sampleId": "bench",
            "name": "bench-export",
        }],
    )["id"]
    while True:
        out = client.get_read_set_import_job(sequenceStoreId=store, id=job)
        if out["status"] in ENDED:
            break
        if time.monotonic() - start > args.timeout:
            sys.exit(f"measure.py: import job {job} still {out['status']} after {args.timeout:.0f} s")
        time.sleep(0.5)
    seconds = time.monotonic() - start
    if out["status"] != "COMPLETED":
        sys.exit(f"measure.py: import job {job} ended {out['status']}: {out['sources'][0].get('statusMessage')}")
    print(store, out["sources"][0]["readSetId"], f"{seconds:.3f}")


def run_export(args):
    client = omics(args)
    # Outside the timed region: botocore loads its model and opens the connection on a first call.
    try:
        client.get_read_set_export_job(sequenceStoreId=args.store, id="1000000000")
    except ClientError:
        pass
    pids = [int(p) for p in args.watch.split(",")] if args.watch else []
    before = snapshot(pids)
    start = time.monotonic()
    job = client.start_read_set_export_job(
        sequenceStoreId=args.store,
        destination=args.destination,
        roleArn=args.role_arn,
        sources=[{"readSetId": args.read_set}],
    )["id"]
    while True:
        out = client.get_read_set_export_job(sequenceStoreId=args.store, id=job)
        if out["status"] in ENDED:
            seconds = time.monotonic() - start
            after = snapshot(pids)
            break
        if time.monotonic() - start > args.timeout:
            sys.exit(f"measure.py: export job {job} still {out['status']} after {args.timeout:.0f} s")
        time.sleep(args.poll)
    if out["status"] != "COMPLETED":
        detail = [(s.get("readSetId"), s.get("status"), s.get("statusMessage")) for s in out.get("readSets", [])]
        sys.exit(f"measure.py: export job {job} ended {out['status']}: {out.get('statusMessage')} {detail}")
    server = "-"
    created, completed = out.get("creationTime"), out.get("completionTime")
    if created and completed and (created.microsecond or completed.microsecond):
        server = f"{(completed - created).total_seconds():.3f}"
    cpu = [f"{(b - a) / TICK:.2f}" for a, b in zip(before, after)]
    print(job, out["status"], f"{seconds:.3f}", server, *cpu)


def run_check(args):
    client = s3(args.s3)
    listed = client.list_objects_v2(Bucket=args.bucket, Prefix=args.prefix).get("Contents", [])
    keys = [(o["Key"], o["Size"]) for o in listed]
    if len(keys) != 1:
        sys.exit(f"measure.py: expected one object under s3://{args.bucket}/{args.prefix}, found {keys}")
    key, size = keys[0]
    head = client.head_object(Bucket=args.bucket, Key=key)["ContentLength"]
    if size != args.size or head != args.size:
        sys.exit(f"measure.py: s3://{args.bucket}/{key} is {size} bytes (HEAD: {head}), the file {args.size}")
    if args.sha256:
        digest = hashlib.sha256()
        # One GET, streamed (moto answers each ranged GET by slicing the whole value: slow).
        for chunk in client.get_object(Bucket=args.bucket, Key=key)["Body"].iter_chunks(1 << 20):
            digest.update(chunk)
        if digest.hexdigest() != args.sha256:
            sys.exit(f"measure.py: SHA-256 of s3://{args.bucket}/{key} is {digest.hexdigest()}, the file's {args.sha256}")
    if args.delete:
        for o in listed:
            client.delete_object(Bucket=args.bucket, Key=o["Key"])
        open_uploads = client.list_multipart_uploads(Bucket=args.bucket).get("Uploads", [])
        if open_uploads:
            sys.exit(f"measure.py: multipart uploads left open in {args.bucket}: {open_uploads}")
    print(key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("import", "export"):
        p = sub.add_parser(name)
        p.add_argument("--endpoint", required=True)
        p.add_argument("--key", required=True)
        p.add_argument("--secret", required=True)
        p.add_argument("--role-arn", required=True)
        p.add_argument("--timeout", type=float, default=1800.0)
    imp = sub.choices["import"]
    imp.add_argument("--source", required=True)
    exp = sub.choices["export"]
    exp.add_argument("--store", required=True)
    exp.add_argument("--read-set", required=True)
    exp.add_argument("--destination", required=True)
    exp.add_argument("--poll", type=float, default=0.2)
    exp.add_argument("--watch", help="PIDs whose CPU time to report, comma-separated")
    chk = sub.add_parser("check")
    chk.add_argument("--s3", required=True)
    chk.add_argument("--bucket", required=True)
    chk.add_argument("--prefix", required=True)
    chk.add_argument("--size", type=int, required=True)
    chk.add_argument("--sha256")
    chk.add_argument("--delete", action="store_true")
    args = parser.parse_args()
    try:
        {"import": run_import, "export": run_export, "check": run_check}[args.command](args)
    except (BotoCoreError, ClientError) as error:
        sys.exit(f"measure.py {args.command}: {error}")


if __name__ == "__main__":
    main()
