"""Export jobs with boto3 and the AWS CLI v1 against a running seqstore whose role may write to an
S3-compatible server (moto), as `tests/e2e/exports.rs` starts them:

    TEST_ENDPOINT_URL=http://127.0.0.1:PORT TEST_KEY_A_ID=... TEST_KEY_A_SECRET=... \
    TEST_ROLE_ARN=arn:aws:iam::ACCOUNT:role/NAME TEST_FILE_ROOT=DIR \
    TEST_S3_ENDPOINT=http://127.0.0.1:PORT TEST_BUCKET=exports \
    .venv/bin/python crates/seqstore-cli/tests/python/test_exports.py

The role reads TEST_FILE_ROOT and writes s3://TEST_BUCKET/out/ at TEST_S3_ENDPOINT (moto keys
test/test); nothing else.
"""

import json
import os
import random
import subprocess
import sys
import time
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("TEST_ENDPOINT_URL", "")
KEY = (os.environ.get("TEST_KEY_A_ID"), os.environ.get("TEST_KEY_A_SECRET"))
ROLE = os.environ.get("TEST_ROLE_ARN", "")
FILE_ROOT = os.environ.get("TEST_FILE_ROOT", "")
S3_ENDPOINT = os.environ.get("TEST_S3_ENDPOINT", "")
BUCKET = os.environ.get("TEST_BUCKET", "exports")
AWS_CLI = os.environ.get("TEST_AWS_CLI") or os.path.join(os.path.dirname(sys.executable), "aws")
TERMINAL = {"COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"}


def omics():
    return boto3.session.Session().client(
        "omics", region_name="us-east-1", endpoint_url=ENDPOINT, aws_access_key_id=KEY[0],
        aws_secret_access_key=KEY[1], config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def s3():
    return boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=S3_ENDPOINT, aws_access_key_id="test",
        aws_secret_access_key="test")


def fastq(reads, seed):
    rng = random.Random(seed)
    lines = []
    for i in range(reads):
        seq = "".join(rng.choice("ACGT") for _ in range(60))
        lines += [f"@r{i}", seq, "+", "I" * 60]
    return ("\n".join(lines) + "\n").encode()


class Exports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.omics = omics()
        cls.store = cls.omics.create_sequence_store(name=f"exports-{uuid.uuid4().hex[:8]}")["id"]
        cls.bytes = fastq(500, 1)
        path = os.path.join(FILE_ROOT, f"py-{uuid.uuid4().hex[:8]}.fq")
        with open(path, "wb") as f:
            f.write(cls.bytes)
        cls.name = os.path.basename(path)
        job = cls.omics.start_read_set_import_job(
            sequenceStoreId=cls.store, roleArn=ROLE,
            sources=[{"sourceFiles": {"source1": "file://" + path}, "sourceFileType": "FASTQ",
                      "subjectId": "s", "sampleId": "s"}])
        cls.omics.get_waiter("read_set_import_job_completed").wait(
            sequenceStoreId=cls.store, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        got = cls.omics.get_read_set_import_job(sequenceStoreId=cls.store, id=job["id"])
        cls.read_set = got["sources"][0]["readSetId"]

    def exported(self, prefix):
        key = f"{prefix}{self.read_set}/{self.name}"
        return s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def aws(self, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=KEY[0], AWS_SECRET_ACCESS_KEY=KEY[1], AWS_DEFAULT_REGION="us-east-1",
                   AWS_DISABLE_HOST_PREFIX_INJECTION="true", AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_MAX_ATTEMPTS="1", AWS_PAGER="")
        out = subprocess.run([AWS_CLI, "omics", *args, "--endpoint-url", ENDPOINT, "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout) if out.stdout.strip() else None

    def test_boto3_export_with_waiter_and_listing(self):
        prefix = f"out/boto3-{uuid.uuid4().hex[:6]}/"
        job = self.omics.start_read_set_export_job(
            sequenceStoreId=self.store, destination=f"s3://{BUCKET}/{prefix}", roleArn=ROLE,
            clientToken="token-" + prefix.strip("/").replace("/", "-"),
            sources=[{"readSetId": self.read_set}])
        self.assertEqual(job["status"], "SUBMITTED")
        self.assertEqual(job["destination"], f"s3://{BUCKET}/{prefix}")
        again = self.omics.start_read_set_export_job(
            sequenceStoreId=self.store, destination=f"s3://{BUCKET}/{prefix}", roleArn=ROLE,
            clientToken="token-" + prefix.strip("/").replace("/", "-"),
            sources=[{"readSetId": self.read_set}])
        self.assertEqual(again["id"], job["id"], "the clientToken returns the first job")
        self.omics.get_waiter("read_set_export_job_completed").wait(
            sequenceStoreId=self.store, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        got = self.omics.get_read_set_export_job(sequenceStoreId=self.store, id=job["id"])
        self.assertEqual(got["status"], "COMPLETED", got)
        self.assertEqual([(r["id"], r["status"]) for r in got["readSets"]], [(self.read_set, "FINISHED")])
        self.assertEqual(self.exported(prefix), self.bytes)
        pages = self.omics.get_paginator("list_read_set_export_jobs").paginate(
            sequenceStoreId=self.store, PaginationConfig={"PageSize": 1})
        listed = [j for p in pages for j in p["exportJobs"]]
        self.assertIn(job["id"], [j["id"] for j in listed])
        completed = self.omics.list_read_set_export_jobs(sequenceStoreId=self.store,
                                                         filter={"status": "COMPLETED"})
        self.assertIn(job["id"], [j["id"] for j in completed["exportJobs"]])

    def test_boto3_refusal_outside_the_writable_location(self):
        with self.assertRaises(ClientError) as caught:
            self.omics.start_read_set_export_job(
                sequenceStoreId=self.store, destination=f"s3://{BUCKET}/elsewhere/", roleArn=ROLE,
                sources=[{"readSetId": self.read_set}])
        error = caught.exception.response
        self.assertEqual(error["Error"]["Code"], "AccessDeniedException")
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertIn("may not write", error["Error"]["Message"])

    def test_cli_export_and_waiter(self):
        prefix = f"out/cli-{uuid.uuid4().hex[:6]}/"
        job = self.aws("start-read-set-export-job", "--sequence-store-id", self.store,
                       "--destination", f"s3://{BUCKET}/{prefix}", "--role-arn", ROLE,
                       "--sources", f"readSetId={self.read_set}")
        deadline = time.monotonic() + 60
        while True:
            got = self.aws("get-read-set-export-job", "--sequence-store-id", self.store, "--id", job["id"])
            if got["status"] in TERMINAL or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(got["status"], "COMPLETED", got)
        # The CLI waiter sleeps 30 s between polls: it must see COMPLETED on its first.
        started = time.monotonic()
        self.aws("wait", "read-set-export-job-completed", "--sequence-store-id", self.store, "--id", job["id"])
        self.assertLess(time.monotonic() - started, 25)
        listed = self.aws("list-read-set-export-jobs", "--sequence-store-id", self.store)
        self.assertIn(job["id"], [j["id"] for j in listed["exportJobs"]])
        self.assertEqual(self.exported(prefix), self.bytes)


class Counting(unittest.TextTestResult):
    passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    missing = [n for n in ("TEST_ENDPOINT_URL", "TEST_KEY_A_ID", "TEST_KEY_A_SECRET", "TEST_ROLE_ARN",
                           "TEST_FILE_ROOT", "TEST_S3_ENDPOINT") if not os.environ.get(n)]
    if missing:
        sys.exit(f"test_exports.py: set {', '.join(missing)}")
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=Counting, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"python-exports: {result.passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not result.passed else 0)


if __name__ == "__main__":
    main()
