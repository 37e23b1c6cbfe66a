#!/usr/bin/env python3
"""The timed part of bench/run's "seqstore import": one StartReadSetImportJob through boto3, then
GetReadSetImportJob every --poll seconds in the same process until the job ends.

One process and one kept-alive connection for the whole wait, so the measurement costs the 2-core
machine next to nothing while the import runs: polling with one `aws` CLI process per call, as
bench/run did before, spent about 0.4 s of CPU per poll (Python start-up and botocore's model) on
the cores the import needs, and rounded every import up to the next poll.

Prints `JOB_ID STATUS SECONDS`: the job's id, the status it ended with and the seconds from just
before the start call to the poll that saw it end (a monotonic clock). Exits 1 on a timeout or an
error of the API, with the error on stderr.
"""

import argparse
import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ENDED = ("COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--sequence-store-id", required=True)
    parser.add_argument("--role-arn", required=True)
    parser.add_argument("--sources", required=True, help="the sources member, as JSON")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between polls")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before giving up")
    args = parser.parse_args()

    client = boto3.client(
        "omics",
        endpoint_url=args.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 3, "mode": "standard"}),
    )
    sources = json.loads(args.sources)
    store = args.sequence_store_id
    # Outside the timed region: botocore loads its model and opens the connection on a first call.
    try:
        client.get_read_set_import_job(sequenceStoreId=store, id="1000000000")
    except ClientError:
        pass

    try:
        start = time.monotonic()
        job = client.start_read_set_import_job(sequenceStoreId=store, roleArn=args.role_arn, sources=sources)["id"]
        while True:
            status = client.get_read_set_import_job(sequenceStoreId=store, id=job)["status"]
            if status in ENDED:
                seconds = time.monotonic() - start
                break
            if time.monotonic() - start > args.timeout:
                sys.exit(f"import_wait.py: import job {job} still {status} after {args.timeout:.0f} s")
            time.sleep(args.poll)
    except (BotoCoreError, ClientError) as error:
        sys.exit(f"import_wait.py: {error}")
    print(job, status, f"{seconds:.3f}")


if __name__ == "__main__":
    main()
