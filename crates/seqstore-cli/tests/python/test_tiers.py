"""Storage tiers with boto3 and the AWS CLI v1 against a running seqstore (as
`tests/e2e/python.rs` starts it, through `run_client_script`):

    TEST_ENDPOINT_URL=http://127.0.0.1:PORT TEST_KEY_A_ID=... TEST_KEY_A_SECRET=... \
    TEST_ACCOUNT_A=... TEST_FILE_ROOT=DIR \
    .venv/bin/python crates/seqstore-cli/tests/python/test_tiers.py

Read sets are archived with seqstore's extension BatchArchiveReadSet (signed with botocore's own
SigV4 signer: no SDK knows the operation), answer as ARCHIVED through boto3 and the CLI, and come
back through StartReadSetActivationJob and the `read_set_activation_job_completed` waiter (boto3,
polling every second) and `aws omics wait read-set-activation-job-completed`.
"""

import json
import os
import random
import subprocess
import sys
import time
import unittest
import urllib.request
import uuid

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("TEST_ENDPOINT_URL", "")
REGION = os.environ.get("TEST_REGION", "us-east-1")
KEY = (os.environ.get("TEST_KEY_A_ID"), os.environ.get("TEST_KEY_A_SECRET"))
ACCOUNT = os.environ.get("TEST_ACCOUNT_A", "")
FILE_ROOT = os.environ.get("TEST_FILE_ROOT", "")
AWS_CLI = os.environ.get("TEST_AWS_CLI") or os.path.join(os.path.dirname(sys.executable), "aws")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Import"


def omics():
    return boto3.session.Session().client(
        "omics", region_name=REGION, endpoint_url=ENDPOINT, aws_access_key_id=KEY[0],
        aws_secret_access_key=KEY[1], config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def fastq(reads, seed):
    rng = random.Random(seed)
    lines = []
    for i in range(reads):
        seq = "".join(rng.choice("ACGT") for _ in range(60))
        lines += [f"@r{i}", seq, "+", "I" * 60]
    return ("\n".join(lines) + "\n").encode()


def extension(path, body):
    """POSTs `body` to seqstore's extension operation at `path`, signed as account A."""
    credentials = Credentials(KEY[0], KEY[1])
    request = AWSRequest(method="POST", url=ENDPOINT + path, data=json.dumps(body).encode(),
                         headers={"content-type": "application/json"})
    SigV4Auth(credentials, "omics", REGION).add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    with urllib.request.urlopen(req, timeout=30) as answer:
        return json.loads(answer.read())


class Tiers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.omics = omics()
        cls.store = cls.omics.create_sequence_store(name=f"tiers-{uuid.uuid4().hex[:8]}")["id"]
        cls.bytes = []
        sources = []
        for i in range(3):
            data = fastq(200 + i, i)
            path = os.path.join(FILE_ROOT, f"tiers-{uuid.uuid4().hex[:8]}.fq")
            with open(path, "wb") as f:
                f.write(data)
            cls.bytes.append(data)
            sources.append({"sourceFiles": {"source1": "file://" + path}, "sourceFileType": "FASTQ",
                            "subjectId": "s", "sampleId": "s"})
        job = cls.omics.start_read_set_import_job(sequenceStoreId=cls.store, roleArn=ROLE, sources=sources)
        cls.omics.get_waiter("read_set_import_job_completed").wait(
            sequenceStoreId=cls.store, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        got = cls.omics.get_read_set_import_job(sequenceStoreId=cls.store, id=job["id"])
        cls.ids = [s["readSetId"] for s in got["sources"]]

    def aws(self, *args, ok=True):
        """`aws omics ARGS` as account A: the parsed JSON output (or the process when not `ok`)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=KEY[0], AWS_SECRET_ACCESS_KEY=KEY[1], AWS_DEFAULT_REGION=REGION,
            AWS_DISABLE_HOST_PREFIX_INJECTION="true", AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_MAX_ATTEMPTS="1", AWS_PAGER="",
            AWS_EC2_METADATA_DISABLED="true",
        )
        proc = subprocess.run([AWS_CLI, "omics", *args, "--endpoint-url", ENDPOINT, "--output", "json"],
                              env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if not ok:
            return proc
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def archived(self, ids):
        answer = extension(f"/sequencestore/{self.store}/readset/batch/archive", {"ids": ids})
        self.assertEqual(answer["errors"], [])
        deadline = time.monotonic() + 60
        for read_set in ids:
            while self.omics.get_read_set_metadata(sequenceStoreId=self.store, id=read_set)["status"] != "ARCHIVED":
                self.assertLess(time.monotonic(), deadline, f"{read_set} not archived")
                time.sleep(0.2)

    def download(self, read_set):
        got = self.omics.get_read_set(sequenceStoreId=self.store, id=read_set, partNumber=1)
        return got["payload"].read()

    def test_1_archived_read_sets_answer_as_archived(self):
        self.archived(self.ids[:2])
        meta = self.omics.get_read_set_metadata(sequenceStoreId=self.store, id=self.ids[0])
        self.assertEqual(meta["status"], "ARCHIVED")
        listed = self.omics.list_read_sets(sequenceStoreId=self.store, filter={"status": "ARCHIVED"})
        self.assertEqual(sorted(r["id"] for r in listed["readSets"]), sorted(self.ids[:2]))
        cli = self.aws("list-read-sets", "--sequence-store-id", self.store, "--filter", "status=ARCHIVED")
        self.assertEqual(sorted(r["id"] for r in cli["readSets"]), sorted(self.ids[:2]))
        with self.assertRaises(ClientError) as refused:
            self.download(self.ids[0])
        self.assertEqual(refused.exception.response["Error"]["Code"], "ConflictException")
        self.assertIn("archived", refused.exception.response["Error"]["Message"])
        proc = self.aws("get-read-set", "--sequence-store-id", self.store, "--id", self.ids[0],
                        "--part-number", "1", os.devnull, ok=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("ConflictException", proc.stderr)
        # An ACTIVE read set cannot be activated.
        with self.assertRaises(ClientError) as refused:
            self.omics.start_read_set_activation_job(sequenceStoreId=self.store,
                                                     sources=[{"readSetId": self.ids[2]}])
        self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException")

    def test_2_boto3_activation_and_its_waiter(self):
        self.archived([self.ids[0]])
        job = self.omics.start_read_set_activation_job(
            sequenceStoreId=self.store, sources=[{"readSetId": self.ids[0]}], clientToken=uuid.uuid4().hex)
        self.assertEqual(job["sequenceStoreId"], self.store)
        self.assertIn(job["status"], ("SUBMITTED", "IN_PROGRESS", "COMPLETED"))
        self.omics.get_waiter("read_set_activation_job_completed").wait(
            sequenceStoreId=self.store, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        got = self.omics.get_read_set_activation_job(sequenceStoreId=self.store, id=job["id"])
        self.assertEqual(got["status"], "COMPLETED")
        self.assertEqual([(s["readSetId"], s["status"]) for s in got["sources"]], [(self.ids[0], "FINISHED")])
        self.assertIn("completionTime", got)
        self.assertEqual(self.download(self.ids[0]), self.bytes[0])
        listed = self.omics.list_read_set_activation_jobs(sequenceStoreId=self.store,
                                                          filter={"status": "COMPLETED"})
        self.assertIn(job["id"], [j["id"] for j in listed["activationJobs"]])

    def test_3_aws_cli_activation_and_wait(self):
        self.archived([self.ids[1]])
        job = self.aws("start-read-set-activation-job", "--sequence-store-id", self.store,
                       "--sources", f"readSetId={self.ids[1]}")
        # The CLI's waiter polls every 30 s: it is run once the job has ended, when its first poll
        # answers.
        deadline = time.monotonic() + 60
        while self.omics.get_read_set_activation_job(sequenceStoreId=self.store, id=job["id"])["status"] \
                in ("SUBMITTED", "IN_PROGRESS"):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        started = time.monotonic()
        self.aws("wait", "read-set-activation-job-completed", "--sequence-store-id", self.store, "--id", job["id"])
        self.assertLess(time.monotonic() - started, 25)
        got = self.aws("get-read-set-activation-job", "--sequence-store-id", self.store, "--id", job["id"])
        self.assertEqual(got["status"], "COMPLETED")
        listed = self.aws("list-read-set-activation-jobs", "--sequence-store-id", self.store)
        self.assertIn(job["id"], [j["id"] for j in listed["activationJobs"]])
        meta = self.aws("get-read-set-metadata", "--sequence-store-id", self.store, "--id", self.ids[1])
        self.assertEqual(meta["status"], "ACTIVE")
        self.assertEqual(self.download(self.ids[1]), self.bytes[1])


class Counting(unittest.TextTestResult):
    passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    missing = [n for n in ("TEST_ENDPOINT_URL", "TEST_KEY_A_ID", "TEST_KEY_A_SECRET", "TEST_ACCOUNT_A",
                           "TEST_FILE_ROOT") if not os.environ.get(n)]
    if missing:
        sys.exit(f"test_tiers.py: set {', '.join(missing)}")
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=Counting, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"python-tiers: {result.passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not result.passed else 0)


if __name__ == "__main__":
    main()
