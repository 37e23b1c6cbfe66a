"""seqstore's read-only S3 endpoint through unchanged S3 clients: boto3's S3 client, the AWS CLI
(`aws s3 ls/cp/presign`, `aws s3api get-object --range`), rclone (listing and copying with its MD5
check) and samtools (region queries on a BAM and a CRAM through `s3+http://`, which need the
index beside the file), plus the S3 access policies the endpoint enforces. Run by
`tests/e2e/s3_api.rs` against the client servers (`tests/e2e/client_servers.rs`):

    TEST_ENDPOINT_URL=… TEST_S3_API_ENDPOINT=… TEST_HELD_ENDPOINT_URL=… TEST_HELD_S3_API_ENDPOINT=… \
    TEST_KEY_A_ID=… TEST_KEY_A_SECRET=… TEST_ACCOUNT_A=… TEST_KEY_B_ID=… TEST_KEY_B_SECRET=… \
    TEST_ACCOUNT_B=… TEST_FILE_ROOT=DIR .venv/bin/python crates/seqstore-cli/tests/python/test_s3_api.py

Every request goes to 127.0.0.1.
"""

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("TEST_ENDPOINT_URL", "")
S3_API = os.environ.get("TEST_S3_API_ENDPOINT", "")
HELD_ENDPOINT = os.environ.get("TEST_HELD_ENDPOINT_URL", "")
HELD_S3_API = os.environ.get("TEST_HELD_S3_API_ENDPOINT", "")
KEYS = {
    "A": (os.environ.get("TEST_KEY_A_ID"), os.environ.get("TEST_KEY_A_SECRET"), os.environ.get("TEST_ACCOUNT_A")),
    "B": (os.environ.get("TEST_KEY_B_ID"), os.environ.get("TEST_KEY_B_SECRET"), os.environ.get("TEST_ACCOUNT_B")),
}
FILE_ROOT = os.environ.get("TEST_FILE_ROOT", "")
AWS_CLI = os.environ.get("TEST_AWS_CLI") or os.path.join(os.path.dirname(sys.executable), "aws")
REGION = "us-east-1"
RUN = uuid.uuid4().hex[:8]


def omics(who="A", endpoint=None):
    key_id, secret, _ = KEYS[who]
    return boto3.session.Session().client(
        "omics", region_name=REGION, endpoint_url=endpoint or ENDPOINT, aws_access_key_id=key_id,
        aws_secret_access_key=secret, config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def s3(who="A", endpoint=None):
    key_id, secret, _ = KEYS[who]
    return boto3.session.Session().client(
        "s3", region_name=REGION, endpoint_url=endpoint or S3_API, aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}))


def code(error):
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def run(args, env=None, **kw):
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, **kw)
    if out.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out.stdout


def make_data(directory):
    """A reference of two contigs, a coordinate-sorted BAM of reads taken from it, its CRAM, and a
    FASTQ pair: (fasta, bam, cram, r1, r2)."""
    rng = random.Random(23)
    contigs = {"ctgA": "".join(rng.choice("ACGT") for _ in range(60000)),
               "ctgB": "".join(rng.choice("ACGT") for _ in range(40000))}
    fasta = os.path.join(directory, "ref.fa")
    with open(fasta, "w") as f:
        for name, seq in contigs.items():
            f.write(f">{name}\n")
            for i in range(0, len(seq), 60):
                f.write(seq[i:i + 60] + "\n")
    sam = os.path.join(directory, "reads.sam")
    with open(sam, "w") as f:
        for name, seq in contigs.items():
            f.write(f"@SQ\tSN:{name}\tLN:{len(seq)}\n")
        n = 0
        for name, seq in contigs.items():
            for pos in sorted(rng.randrange(0, len(seq) - 100) for _ in range(3000)):
                n += 1
                f.write(f"r{n}\t0\t{name}\t{pos + 1}\t60\t100M\t*\t0\t0\t{seq[pos:pos + 100]}\t{'I' * 100}\n")
    bam = os.path.join(directory, "sample.bam")
    cram = os.path.join(directory, "sample.cram")
    run(["samtools", "sort", "-o", bam, sam])
    run(["samtools", "view", "-C", "-T", fasta, "-o", cram, bam])
    pair = []
    for mate in (1, 2):
        path = os.path.join(directory, f"pair_R{mate}.fastq")
        with open(path, "w") as f:
            for i in range(500):
                seq = "".join(rng.choice("ACGT") for _ in range(80))
                f.write(f"@p{i}/{mate}\n{seq}\n+\n{'F' * 80}\n")
        pair.append(path)
    return fasta, bam, cram, pair[0], pair[1]


class Store:
    """A sequence store of account A holding a BAM, a CRAM and a FASTQ pair imported from files,
    with the reference they use, as the S3 endpoint shows them."""

    def __init__(self):
        self.a = omics("A")
        account = KEYS["A"][2]
        self.account = account
        self.role = f"arn:aws:iam::{account}:role/Import"
        self.dir = os.path.join(FILE_ROOT, f"s3api-{RUN}-{uuid.uuid4().hex[:6]}")
        os.makedirs(self.dir)
        self.fasta, self.bam, self.cram, self.r1, self.r2 = make_data(self.dir)
        ref_store = self.a.create_reference_store(name=f"s3api-refs-{RUN}")["id"]
        job = self.a.start_reference_import_job(
            referenceStoreId=ref_store, roleArn=self.role,
            sources=[dict(sourceFile="file://" + self.fasta, name="ref")])
        self.a.get_waiter("reference_import_job_completed").wait(
            referenceStoreId=ref_store, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 90})
        job = self.a.get_reference_import_job(referenceStoreId=ref_store, id=job["id"])
        self.reference_store = ref_store
        self.reference_id = job["sources"][0]["referenceId"]
        self.reference_arn = f"arn:aws:omics:{REGION}:{account}:referenceStore/{ref_store}/reference/{self.reference_id}"
        self.id = self.a.create_sequence_store(name=f"s3api-{RUN}")["id"]
        self.bucket = f"{account}-{self.id}-s3alias"
        sources = [
            dict(sourceFiles={"source1": "file://" + self.bam}, sourceFileType="BAM", subjectId="subject-1",
                 sampleId="sample-bam", name="bam", referenceArn=self.reference_arn),
            dict(sourceFiles={"source1": "file://" + self.cram}, sourceFileType="CRAM", subjectId="subject-1",
                 sampleId="sample-cram", name="cram", referenceArn=self.reference_arn),
            dict(sourceFiles={"source1": "file://" + self.r1, "source2": "file://" + self.r2},
                 sourceFileType="FASTQ", subjectId="subject-1", sampleId="sample-fastq", name="pair"),
        ]
        job = self.a.start_read_set_import_job(sequenceStoreId=self.id, roleArn=self.role, sources=sources)
        self.a.get_waiter("read_set_import_job_completed").wait(
            sequenceStoreId=self.id, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        job = self.a.get_read_set_import_job(sequenceStoreId=self.id, id=job["id"])
        assert job["status"] == "COMPLETED", job
        self.bam_id, self.cram_id, self.pair_id = [s["readSetId"] for s in job["sources"]]
        self.a.tag_resource(
            resourceArn=f"arn:aws:omics:{REGION}:{account}:sequenceStore/{self.id}/readSet/{self.bam_id}",
            tags={"project": "alpha"})
        self.dir_key = f"{account}/sequenceStore/{self.id}/readSet/"
        self.bam_key = f"{self.dir_key}{self.bam_id}/sample.bam"
        self.cram_key = f"{self.dir_key}{self.cram_id}/sample.cram"
        self.keys = sorted([
            self.bam_key, self.bam_key + ".bai", self.cram_key, self.cram_key + ".crai",
            f"{self.dir_key}{self.pair_id}/pair_R1.fastq", f"{self.dir_key}{self.pair_id}/pair_R2.fastq"])

    def arn(self):
        return f"arn:aws:s3:{REGION}:{self.account}:accesspoint/{self.id}"

    def put_policy(self, statements):
        policy = {"Version": "2012-10-17", "Statement": statements}
        self.a.put_s3_access_policy(s3AccessPointArn=self.arn(), s3AccessPolicy=json.dumps(policy))

    def statement(self, who, actions=("s3:GetObject", "s3:GetObjectTagging", "s3:ListBucket"), effect="Allow",
                  condition=None):
        s = {"Effect": effect, "Principal": {"AWS": f"arn:aws:iam::{KEYS[who][2]}:root"}, "Action": list(actions),
             "Resource": [self.arn(), f"{self.arn()}/object/*"]}
        if condition:
            s["Condition"] = condition
        return s


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Objects(unittest.TestCase):
    """What the owner reads through boto3's S3 client."""

    @classmethod
    def setUpClass(cls):
        cls.store = Store()
        cls.s3 = s3("A")

    def test_listing_v2_with_delimiter_and_pages(self):
        st = self.store
        top = self.s3.list_objects_v2(Bucket=st.bucket, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in top["CommonPrefixes"]], [f"{st.account}/"])
        self.assertEqual(top["KeyCount"], 1)
        sets = self.s3.list_objects_v2(Bucket=st.bucket, Prefix=st.dir_key, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in sets["CommonPrefixes"]],
                         sorted(f"{st.dir_key}{i}/" for i in (st.bam_id, st.cram_id, st.pair_id)))
        self.assertNotIn("Contents", sets)
        keys, pages = [], 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=st.bucket, PaginationConfig={"PageSize": 2}):
            pages += 1
            keys += [o["Key"] for o in page.get("Contents", [])]
        self.assertEqual(keys, st.keys)
        self.assertEqual(pages, 3)
        # Delimited pages that end on a common prefix continue after it.
        prefixes = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=st.bucket, Prefix=st.dir_key, Delimiter="/", PaginationConfig={"PageSize": 1}):
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        self.assertEqual(len(prefixes), 3)
        self.assertEqual(len(set(prefixes)), 3)
        after = self.s3.list_objects_v2(Bucket=st.bucket, StartAfter=st.keys[2])
        self.assertEqual([o["Key"] for o in after["Contents"]], st.keys[3:])
        none = self.s3.list_objects_v2(Bucket=st.bucket, Prefix="elsewhere/")
        self.assertEqual(none["KeyCount"], 0)

    def test_listing_v1_with_markers(self):
        st = self.store
        keys = []
        for page in self.s3.get_paginator("list_objects").paginate(Bucket=st.bucket, PaginationConfig={"PageSize": 4}):
            keys += [o["Key"] for o in page.get("Contents", [])]
            for o in page.get("Contents", []):
                self.assertEqual(o["Owner"]["ID"], st.account)
        self.assertEqual(keys, st.keys)
        page = self.s3.list_objects(Bucket=st.bucket, Prefix=st.dir_key, Delimiter="/", MaxKeys=1)
        self.assertTrue(page["IsTruncated"])
        self.assertEqual(page["NextMarker"], page["CommonPrefixes"][0]["Prefix"])

    def test_objects_are_the_files_with_their_md5_as_etag(self):
        st = self.store
        listed = {o["Key"]: o for o in self.s3.list_objects_v2(Bucket=st.bucket)["Contents"]}
        for key, path in [(st.bam_key, st.bam), (st.cram_key, st.cram),
                          (f"{st.dir_key}{st.pair_id}/pair_R2.fastq", st.r2)]:
            got = self.s3.get_object(Bucket=st.bucket, Key=key)
            body = got["Body"].read()
            self.assertEqual(body, read(path), key)
            self.assertEqual(got["ETag"], f'"{md5(path)}"')
            self.assertEqual(got["ContentLength"], os.path.getsize(path))
            self.assertEqual(listed[key]["ETag"], got["ETag"])
            self.assertEqual(listed[key]["Size"], len(body))
            head = self.s3.head_object(Bucket=st.bucket, Key=key)
            self.assertEqual(head["ETag"], got["ETag"])
            self.assertEqual(head["LastModified"], got["LastModified"])
        index = self.s3.get_object(Bucket=st.bucket, Key=st.bam_key + ".bai")["Body"].read()
        self.assertEqual(index[:4], b"BAI\x01")

    def test_ranges_and_conditions(self):
        st = self.store
        data = read(st.bam)
        got = self.s3.get_object(Bucket=st.bucket, Key=st.bam_key, Range="bytes=100-4195")
        self.assertEqual(got["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(got["ContentRange"], f"bytes 100-4195/{len(data)}")
        self.assertEqual(got["Body"].read(), data[100:4196])
        tail = self.s3.get_object(Bucket=st.bucket, Key=st.bam_key, Range="bytes=-10")["Body"].read()
        self.assertEqual(tail, data[-10:])
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=st.bucket, Key=st.bam_key, Range=f"bytes={len(data)}-")
        self.assertEqual(code(e.exception), ("InvalidRange", 416))
        etag = f'"{md5(st.bam)}"'
        self.assertEqual(self.s3.get_object(Bucket=st.bucket, Key=st.bam_key, IfMatch=etag)["ContentLength"], len(data))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=st.bucket, Key=st.bam_key, IfMatch='"0123"')
        self.assertEqual(code(e.exception), ("PreconditionFailed", 412))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=st.bucket, Key=st.bam_key, IfNoneMatch=etag)
        self.assertEqual(code(e.exception)[1], 304)

    def test_the_api_names_what_the_endpoint_serves(self):
        st = self.store
        store = st.a.get_sequence_store(id=st.id)["s3Access"]
        self.assertEqual(store["s3Uri"], f"s3://{st.bucket}/{st.account}/sequenceStore/{st.id}/")
        self.assertEqual(store["s3AccessPointArn"], st.arn())
        files = st.a.get_read_set_metadata(sequenceStoreId=st.id, id=st.bam_id)["files"]
        self.assertEqual(files["source1"]["s3Access"]["s3Uri"], f"s3://{st.bucket}/{st.bam_key}")
        for name in ("source1", "index"):
            bucket, key = files[name]["s3Access"]["s3Uri"].removeprefix("s3://").split("/", 1)
            head = self.s3.head_object(Bucket=bucket, Key=key)
            self.assertEqual(head["ContentLength"], files[name]["contentLength"])
        ref = st.a.get_reference_metadata(referenceStoreId=st.reference_store, id=st.reference_id)["files"]
        bucket, key = ref["source"]["s3Access"]["s3Uri"].removeprefix("s3://").split("/", 1)
        self.assertEqual(bucket, f"{st.account}-{st.reference_store}-s3alias")
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read(), read(st.fasta))
        listed = [o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket)["Contents"]]
        self.assertEqual(listed, [key, key + ".fai"])

    def test_tags_buckets_and_errors(self):
        st = self.store
        tags = {t["Key"]: t["Value"] for t in self.s3.get_object_tagging(Bucket=st.bucket, Key=st.bam_key)["TagSet"]}
        self.assertEqual(tags["project"], "alpha")
        self.assertEqual(tags["omics:sampleId"], "sample-bam")
        self.assertEqual(tags["omics:readSetId"], st.bam_id)
        self.assertEqual(tags["omics:referenceArn"], st.reference_arn)
        head = self.s3.head_bucket(Bucket=st.bucket)
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"], REGION)
        self.assertIn(self.s3.get_bucket_location(Bucket=st.bucket)["LocationConstraint"], (None, ""))
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=st.bucket, Key=st.dir_key + "9999999999/none.bam")
        self.assertEqual(code(e.exception), ("NoSuchKey", 404))
        with self.assertRaises(ClientError) as e:
            self.s3.list_objects_v2(Bucket=f"{st.account}-9999999999-s3alias")
        self.assertEqual(code(e.exception), ("NoSuchBucket", 404))
        for write in (lambda: self.s3.put_object(Bucket=st.bucket, Key=st.bam_key, Body=b"x"),
                      lambda: self.s3.delete_object(Bucket=st.bucket, Key=st.bam_key)):
            with self.assertRaises(ClientError) as e:
                write()
            self.assertEqual(code(e.exception), ("AccessDenied", 403))
        with self.assertRaises(ClientError) as e:
            self.s3.get_bucket_acl(Bucket=st.bucket)
        self.assertEqual(code(e.exception), ("NotImplemented", 501))
        wrong = boto3.session.Session().client(
            "s3", region_name=REGION, endpoint_url=S3_API, aws_access_key_id=KEYS["A"][0],
            aws_secret_access_key="not-the-secret", config=Config(s3={"addressing_style": "path"}))
        with self.assertRaises(ClientError) as e:
            wrong.get_object(Bucket=st.bucket, Key=st.bam_key)
        self.assertEqual(code(e.exception), ("SignatureDoesNotMatch", 403))

    def test_presigned_urls_and_their_expiry(self):
        st = self.store
        url = self.s3.generate_presigned_url("get_object", Params={"Bucket": st.bucket, "Key": st.cram_key},
                                             ExpiresIn=300)
        with urllib.request.urlopen(url, timeout=30) as response:
            self.assertEqual(response.read(), read(st.cram))
        request = urllib.request.Request(url, headers={"Range": "bytes=0-3"})
        with urllib.request.urlopen(request, timeout=30) as response:
            self.assertEqual(response.status, 206)
            self.assertEqual(response.read(), b"CRAM")
        other = url.replace("sample.cram", "sample.cram.crai")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(other, timeout=30)
        self.assertEqual(e.exception.code, 403)
        self.assertIn(b"SignatureDoesNotMatch", e.exception.read())
        short = self.s3.generate_presigned_url("get_object", Params={"Bucket": st.bucket, "Key": st.cram_key},
                                               ExpiresIn=1)
        time.sleep(2.1)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(short, timeout=30)
        self.assertEqual(e.exception.code, 403)
        self.assertIn(b"Request has expired", e.exception.read())


class Tools(unittest.TestCase):
    """The AWS CLI, rclone and samtools, unchanged, pointed at the endpoint."""

    @classmethod
    def setUpClass(cls):
        cls.store = Store()
        cls.tmp = tempfile.mkdtemp(prefix="s3api-tools-")
        key_id, secret, _ = KEYS["A"]
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        cls.env = dict(base, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=REGION,
                       AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                       AWS_EC2_METADATA_DISABLED="true")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def aws(self, *args):
        return run([AWS_CLI, *args, "--endpoint-url", S3_API], env=self.env)

    def test_aws_cli(self):
        st = self.store
        listing = self.aws("s3", "ls", f"s3://{st.bucket}/{st.dir_key}{st.bam_id}/")
        self.assertIn("sample.bam.bai", listing)
        self.assertIn(str(os.path.getsize(st.bam)), listing)
        recursive = self.aws("s3", "ls", "--recursive", f"s3://{st.bucket}/")
        self.assertEqual(len(recursive.strip().splitlines()), len(st.keys))
        out = os.path.join(self.tmp, "cli.cram")
        self.aws("s3", "cp", f"s3://{st.bucket}/{st.cram_key}", out)
        self.assertEqual(read(out), read(st.cram))
        part = os.path.join(self.tmp, "part.bin")
        meta = json.loads(self.aws("s3api", "get-object", "--bucket", st.bucket, "--key", st.bam_key,
                                   "--range", "bytes=0-99", part))
        self.assertEqual(meta["ContentRange"], f"bytes 0-99/{os.path.getsize(st.bam)}")
        self.assertEqual(read(part), read(st.bam)[:100])
        # The CLI v1 presigns with signature version 2 by default (AWSAccessKeyId, Expires,
        # Signature): accepted, as is a version 4 presigned URL.
        url = self.aws("s3", "presign", f"s3://{st.bucket}/{st.bam_key}", "--expires-in", "120").strip()
        self.assertIn("AWSAccessKeyId=", url)
        fetched = os.path.join(self.tmp, "presigned.bam")
        status = run(["curl", "-s", "-o", fetched, "-w", "%{http_code}", url]).strip()
        self.assertEqual((status, read(fetched)), ("200", read(st.bam)))
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url.replace("sample.bam", "sample.bam.bai"), timeout=30)
        self.assertEqual(e.exception.code, 403)
        config = os.path.join(self.tmp, "aws-config")
        with open(config, "w") as f:
            f.write("[default]\ns3 =\n    signature_version = s3v4\n")
        env = dict(self.env, AWS_CONFIG_FILE=config)
        url = run([AWS_CLI, "s3", "presign", f"s3://{st.bucket}/{st.bam_key}", "--endpoint-url", S3_API],
                  env=env).strip()
        self.assertIn("X-Amz-Signature=", url)
        with urllib.request.urlopen(url, timeout=30) as response:
            self.assertEqual(response.read(), read(st.bam))

    def test_rclone_lists_and_copies_with_its_checksum_check(self):
        if shutil.which("rclone") is None:
            if os.environ.get("CI") == "true":
                self.fail("CI=true but rclone is missing: apt-get install rclone")
            self.skipTest("rclone is not installed")
        st = self.store
        key_id, secret, _ = KEYS["A"]
        env = dict(self.env, RCLONE_CONFIG_SEQ_TYPE="s3", RCLONE_CONFIG_SEQ_PROVIDER="Other",
                   RCLONE_CONFIG_SEQ_ENDPOINT=S3_API, RCLONE_CONFIG_SEQ_ACCESS_KEY_ID=key_id,
                   RCLONE_CONFIG_SEQ_SECRET_ACCESS_KEY=secret, RCLONE_CONFIG_SEQ_REGION=REGION,
                   RCLONE_CONFIG_SEQ_FORCE_PATH_STYLE="true", RCLONE_CONFIG=os.devnull)
        remote = f"seq:{st.bucket}/{st.dir_key}"
        listed = run(["rclone", "lsf", "-R", "--files-only", remote], env=env).split()
        self.assertEqual(sorted(st.dir_key + k for k in listed), st.keys)
        local = os.path.join(self.tmp, "rclone")
        run(["rclone", "copy", remote, local], env=env)
        self.assertEqual(read(os.path.join(local, st.bam_id, "sample.bam")), read(st.bam))
        checked = subprocess.run(["rclone", "check", remote, local], env=env, capture_output=True, text=True,
                                 timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(checked.returncode, 0, checked.stderr)
        self.assertIn("0 differences found", checked.stderr)
        self.assertIn(f"{len(st.keys)} matching files", checked.stderr)
        self.assertNotIn("hashes could not be checked", checked.stderr)

    def test_samtools_region_queries_use_the_index(self):
        st = self.store
        host = S3_API.removeprefix("http://")
        env = dict(self.env, HTS_S3_HOST=host, HTS_S3_ADDRESS_STYLE="path")
        indexed = os.path.join(self.tmp, "indexed")
        os.makedirs(indexed, exist_ok=True)
        for key, path, extra in [(st.bam_key, st.bam, []), (st.cram_key, st.cram, ["-T", st.fasta])]:
            url = f"s3+http://{st.bucket}/{key}"
            path = shutil.copy(path, indexed)
            run(["samtools", "index", path])
            # htslib fetches a remote file's index into the working directory (and reuses one found
            # there): a fresh directory per file, so that what it reads is the endpoint's index.
            cwd = tempfile.mkdtemp(dir=self.tmp)
            for region in ("ctgA:20001-30000", "ctgB:1-5000"):
                remote = run(["samtools", "view", "-c", *extra, url, region], env=env, cwd=cwd).strip()
                local = run(["samtools", "view", "-c", *extra, path, region]).strip()
                self.assertEqual(remote, local, f"{key} {region}")
                self.assertGreater(int(remote), 0)
            index = os.path.basename(key) + (".bai" if key.endswith(".bam") else ".crai")
            self.assertEqual(os.listdir(cwd), [index], "the region query read the endpoint's index")
            header = run(["samtools", "view", "-H", *extra, url], env=env, cwd=cwd)
            self.assertIn("SN:ctgA", header)
        # The reference itself, through its store's bucket: faidx reads the .fai beside it.
        reference = f"s3+http://{st.account}-{st.reference_store}-s3alias/{st.account}/referenceStore/" \
                    f"{st.reference_store}/reference/{st.reference_id}/{st.reference_id}.fasta"
        cwd = tempfile.mkdtemp(dir=self.tmp)
        remote = run(["samtools", "faidx", reference, "ctgB:101-160"], env=env, cwd=cwd)
        self.assertEqual(remote, run(["samtools", "faidx", st.fasta, "ctgB:101-160"]))


class Policies(unittest.TestCase):
    """Who may read: the default policy, grants to a second account, every condition key, Deny over
    Allow, and no policy at all."""

    @classmethod
    def setUpClass(cls):
        cls.store = Store()
        cls.a, cls.b = s3("A"), s3("B")

    def setUp(self):
        # Each test starts from the default policy (the owner reads).
        self.store.put_policy([self.store.statement("A")])

    def can_get(self, client, key=None):
        try:
            client.get_object(Bucket=self.store.bucket, Key=key or self.store.bam_key)["Body"].read()
            return True
        except ClientError as e:
            self.assertEqual(code(e), ("AccessDenied", 403))
            return False

    def can_list(self, client, prefix=""):
        try:
            client.list_objects_v2(Bucket=self.store.bucket, Prefix=prefix)
            return True
        except ClientError as e:
            self.assertEqual(code(e), ("AccessDenied", 403))
            return False

    def test_a_second_account_is_denied_then_allowed_then_denied_by_a_tag(self):
        st = self.store
        self.assertTrue(self.can_get(self.a))
        self.assertFalse(self.can_get(self.b))
        self.assertFalse(self.can_list(self.b))
        missing = st.dir_key + "9999999999/none.bam"
        with self.assertRaises(ClientError) as e:
            self.b.get_object(Bucket=st.bucket, Key=missing)
        self.assertEqual(code(e.exception), ("AccessDenied", 403), "a missing key looks like a denied one")
        st.put_policy([st.statement("A"), st.statement("B")])
        self.assertTrue(self.can_get(self.b))
        self.assertTrue(self.can_list(self.b))
        with self.assertRaises(ClientError) as e:
            self.b.get_object(Bucket=st.bucket, Key=missing)
        self.assertEqual(code(e.exception), ("NoSuchKey", 404), "who may list learns that it is missing")
        st.put_policy([st.statement("B", condition={"StringEquals": {"s3:ExistingObjectTag/project": "beta"}})])
        self.assertFalse(self.can_get(self.b))
        st.put_policy([st.statement("B", condition={"StringEquals": {"s3:ExistingObjectTag/project": "alpha"}})])
        self.assertTrue(self.can_get(self.b))
        self.assertFalse(self.can_get(self.b, st.cram_key), "the CRAM has no project tag")
        st.put_policy([st.statement("B", condition={"StringEquals": {"s3:ExistingObjectTag/omics:sampleId": "sample-cram"}})])
        self.assertTrue(self.can_get(self.b, st.cram_key))
        self.assertFalse(self.can_get(self.b, st.bam_key))

    def test_deny_beats_allow(self):
        st = self.store
        st.put_policy([st.statement("B"), st.statement("B", actions=["s3:GetObject"], effect="Deny")])
        self.assertFalse(self.can_get(self.b))
        self.assertTrue(self.can_list(self.b))

    def test_prefix_condition(self):
        st = self.store
        st.put_policy([st.statement("B", actions=["s3:ListBucket"],
                                    condition={"StringLike": {"s3:prefix": f"{st.dir_key}*"}})])
        self.assertTrue(self.can_list(self.b, st.dir_key))
        self.assertFalse(self.can_list(self.b, ""))
        self.assertFalse(self.can_get(self.b))

    def test_signature_version_condition(self):
        st = self.store
        st.put_policy([st.statement("B", condition={"StringEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}})])
        self.assertTrue(self.can_get(self.b))
        st.put_policy([st.statement("B", condition={"StringNotEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}})])
        self.assertFalse(self.can_get(self.b))

    def test_tls_version_condition(self):
        st = self.store
        st.put_policy([st.statement("B", condition={"NumericGreaterThanEquals": {"s3:TlsVersion": "1.2"}})])
        self.assertFalse(self.can_get(self.b), "plain HTTP has no TLS version: the condition does not hold")

    def test_principal_arn_condition(self):
        st = self.store
        key_b, _, account_b = KEYS["B"]
        st.put_policy([st.statement("B", condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{account_b}:user/{key_b}"}})])
        self.assertTrue(self.can_get(self.b))
        st.put_policy([st.statement("B", condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{account_b}:user/NOBODY*"}})])
        self.assertFalse(self.can_get(self.b))

    def test_no_policy_no_access_not_even_for_the_owner(self):
        st = self.store
        st.a.delete_s3_access_policy(s3AccessPointArn=st.arn())
        self.assertFalse(self.can_get(self.a))
        self.assertFalse(self.can_list(self.a))


class NotActive(unittest.TestCase):
    def test_a_read_set_still_processing_is_invalid_object_state(self):
        if not (HELD_ENDPOINT and HELD_S3_API):
            self.skipTest("TEST_HELD_ENDPOINT_URL / TEST_HELD_S3_API_ENDPOINT unset")
        held = omics("A", endpoint=HELD_ENDPOINT)
        store = held.create_sequence_store(name=f"s3api-held-{RUN}")["id"]
        up = held.create_multipart_read_set_upload(sequenceStoreId=store, sourceFileType="FASTQ",
                                                   subjectId="s", sampleId="s", name="held")
        payload = b"@r1\nACGT\n+\nIIII\n" * 2000
        part = held.upload_read_set_part(sequenceStoreId=store, uploadId=up["uploadId"], partSource="SOURCE1",
                                         partNumber=1, payload=payload)
        done = held.complete_multipart_read_set_upload(
            sequenceStoreId=store, uploadId=up["uploadId"],
            parts=[{"partNumber": 1, "partSource": "SOURCE1", "checksum": part["checksum"]}])
        account = KEYS["A"][2]
        key = f"{account}/sequenceStore/{store}/readSet/{done['readSetId']}/{done['readSetId']}_1.fastq"
        with self.assertRaises(ClientError) as e:
            s3("A", endpoint=HELD_S3_API).get_object(Bucket=f"{account}-{store}-s3alias", Key=key)
        self.assertEqual(code(e.exception), ("InvalidObjectState", 403))


class Counting(unittest.TextTestResult):
    passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    missing = [n for n in ("TEST_ENDPOINT_URL", "TEST_S3_API_ENDPOINT", "TEST_KEY_A_ID", "TEST_KEY_A_SECRET",
                           "TEST_ACCOUNT_A", "TEST_KEY_B_ID", "TEST_KEY_B_SECRET", "TEST_ACCOUNT_B",
                           "TEST_FILE_ROOT") if not os.environ.get(n)]
    if missing:
        sys.exit(f"test_s3_api.py: set {', '.join(missing)}")
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=Counting, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print(f"python-s3-api: {result.passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not result.passed else 0)


if __name__ == "__main__":
    main()
