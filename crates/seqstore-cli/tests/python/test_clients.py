"""Second-client compatibility tests: boto3 and the AWS CLI v1 against a running seqstore.

Run with the venv from scripts/python-venv:
    TEST_ENDPOINT_URL=http://127.0.0.1:PORT TEST_KEY_A_ID=... TEST_KEY_A_SECRET=... \
    TEST_ACCOUNT_A=... TEST_KEY_B_ID=... TEST_KEY_B_SECRET=... TEST_ACCOUNT_B=... \
    TEST_FILE_ROOT=DIR \
    .venv/bin/python crates/seqstore-cli/tests/python/test_clients.py [TestClass[.test_name] ...]

TEST_FILE_ROOT is the directory the server was started with (`--file-root DIR`); the Imports,
References and ReadSets tests write FASTQ and FASTA files there and are skipped when it is
unset. ReadSets expects the server's part size lowered to 1 MiB (`[storage] part_size = 1048576`
in its config), so that a read set of about 4 MB has more than 3 parts.

Every store name carries a per-run suffix, so reruns against the same server never collide.
botocore checks only `min` bounds and required members on the client (no max lengths, no
enums, no patterns), so those rules are tested against the server here.
"""

import concurrent.futures
import datetime
import gzip
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

ENDPOINT = os.environ.get("TEST_ENDPOINT_URL", "")
# A second server whose workers read 1 KiB/s, so an upload stays PROCESSING_UPLOAD for minutes.
HELD_ENDPOINT = os.environ.get("TEST_HELD_ENDPOINT_URL", "")
REGION = os.environ.get("TEST_REGION", "us-east-1")
KEYS = {
    "A": (os.environ.get("TEST_KEY_A_ID"), os.environ.get("TEST_KEY_A_SECRET")),
    "B": (os.environ.get("TEST_KEY_B_ID"), os.environ.get("TEST_KEY_B_SECRET")),
}
ACCOUNTS = {"A": os.environ.get("TEST_ACCOUNT_A"), "B": os.environ.get("TEST_ACCOUNT_B")}
FILE_ROOT = os.environ.get("TEST_FILE_ROOT", "")  # the server's --file-root; imports skip if unset
AWS_CLI = os.environ.get("TEST_AWS_CLI") or os.path.join(os.path.dirname(sys.executable), "aws")
RUN = uuid.uuid4().hex[:10]
STATUS = {
    "ValidationException": 400,
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "RangeNotSatisfiableException": 416,
}
MISSING_ID = "1234567890"
KMS_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def client(key="A", *, key_id=None, secret=None, prefix=False, endpoint=None):
    """A boto3 omics client for account `key`; host-prefix injection off unless `prefix`."""
    kid, ksecret = KEYS[key]
    return boto3.session.Session().client(
        "omics",
        region_name=REGION,
        endpoint_url=endpoint or ENDPOINT,
        aws_access_key_id=key_id or kid,
        aws_secret_access_key=secret or ksecret,
        config=Config(inject_host_prefix=prefix, retries={"max_attempts": 1}),
    )


def unique(label):
    return f"py-{RUN}-{label}-{uuid.uuid4().hex[:6]}"


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def ids_of(stores):
    return [s["id"] for s in stores]


class Case(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = client("A")
        cls.b = client("B")

    def create(self, c=None, **kw):
        """Create a store (unique name unless given) and delete it when the test ends."""
        c = c or self.a
        kw.setdefault("name", unique(self.id().rsplit(".", 1)[-1]))
        store = c.create_sequence_store(**kw)
        self.addCleanup(self.delete_quietly, c, store["id"])
        return store

    @staticmethod
    def delete_quietly(c, store_id):
        try:
            c.delete_sequence_store(id=store_id)
        except ClientError:
            pass

    def raises(self, code, fn, *args, mentions=None, **kw):
        """Assert fn raises ClientError `code` with its HTTP status; returns the response."""
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kw)
        resp = cm.exception.response
        self.assertEqual(resp["Error"]["Code"], code, resp)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], STATUS[code], resp)
        if mentions:
            self.assertIn(mentions, resp["Error"]["Message"])
        return resp

    def list_all(self, c=None, page_size=3, **filt):
        """Every store matching `filt`, through the boto3 paginator; also returns the pages."""
        pager = (c or self.a).get_paginator("list_sequence_stores")
        pages = [p["sequenceStores"] for p in pager.paginate(
            filter=filt, PaginationConfig={"PageSize": page_size})]
        return [s for page in pages for s in page], pages

    def aws(self, *args, ok=True):
        """Runs `aws omics ARGS` (CLI v1) as account A; the parsed JSON output, or the process
        when not `ok`. Host-prefix injection is switched off through the environment."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=KEYS["A"][0], AWS_SECRET_ACCESS_KEY=KEYS["A"][1],
            AWS_DEFAULT_REGION=REGION, AWS_DISABLE_HOST_PREFIX_INJECTION="true",
            AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_MAX_ATTEMPTS="1", AWS_PAGER="",
        )
        proc = subprocess.run(
            [AWS_CLI, "omics", *args, "--endpoint-url", ENDPOINT, "--output", "json"],
            env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if ok:
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout) if proc.stdout.strip() else {}
        return proc

    def assertRequestId(self, resp):
        rid = resp["ResponseMetadata"].get("RequestId", "")
        self.assertRegex(rid.lower(), r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$",
                         "x-amzn-RequestId should be a UUID")


class SequenceStores(Case):
    def test_create_echoes_every_member(self):
        req = dict(
            description="a store for python clients",
            sseConfig={"type": "KMS", "keyArn": KMS_ARN},
            tags={"team": "genomics"},
            fallbackLocation="s3://fallback-bucket/prefix/",
            propagatedSetLevelTags=["sample", "batch"],
            s3AccessConfig={"accessLogLocation": "s3://log-bucket/logs/"},
        )
        store = self.create(**req)
        self.assertRegex(store["id"], r"^[0-9]{10}$")
        self.assertEqual(store["arn"],
                         f"arn:aws:omics:{REGION}:{ACCOUNTS['A']}:sequenceStore/{store['id']}")
        self.assertIsInstance(store["creationTime"], datetime.datetime)
        self.assertEqual(store["eTagAlgorithmFamily"], "MD5up")
        self.assertEqual(store["status"], "ACTIVE")
        for member in ("description", "sseConfig", "fallbackLocation", "propagatedSetLevelTags"):
            self.assertEqual(store[member], req[member], member)
        self.assertEqual(store["s3Access"]["accessLogLocation"], "s3://log-bucket/logs/")
        account, sid = ACCOUNTS["A"], store["id"]
        access = {"s3Uri": f"s3://{account}-{sid}-s3alias/{account}/sequenceStore/{sid}/",
                  "s3AccessPointArn": f"arn:aws:s3:{REGION}:{account}:accesspoint/{sid}",
                  "accessLogLocation": "s3://log-bucket/logs/"}
        self.assertEqual(store["s3Access"], access)

        got = self.a.get_sequence_store(id=store["id"])
        for member in ("id", "arn", "name", "description", "sseConfig", "creationTime",
                       "fallbackLocation", "propagatedSetLevelTags", "eTagAlgorithmFamily",
                       "status"):
            self.assertEqual(got[member], store[member], member)
        self.assertEqual(got["s3Access"], access)

    def test_etag_algorithm_family(self):
        self.assertEqual(self.create(eTagAlgorithmFamily="SHA256up")["eTagAlgorithmFamily"],
                         "SHA256up")
        # Not an enum value; botocore does not check enums, so the server must.
        self.raises("ValidationException", self.create, eTagAlgorithmFamily="CRC32")

    def test_client_token_is_idempotent(self):
        token, name = str(uuid.uuid4()), unique("token")
        first = self.create(name=name, description="one", clientToken=token)
        again = self.a.create_sequence_store(name=name, description="one", clientToken=token)
        self.assertEqual(again["id"], first["id"])
        self.assertEqual(again["arn"], first["arn"])
        self.raises("ValidationException", self.a.create_sequence_store,
                    name=name, description="two", clientToken=token, mentions="clientToken")

    def test_get_missing_and_request_ids(self):
        err = self.raises("ResourceNotFoundException", self.a.get_sequence_store, id=MISSING_ID)
        self.assertRequestId(err)
        self.assertRequestId(self.a.get_sequence_store(id=self.create()["id"]))

    def test_update(self):
        store = self.create(description="before")
        upd = self.a.update_sequence_store(
            id=store["id"], name=store["name"] + "-renamed", description="after",
            fallbackLocation="s3://other-bucket/fb/", propagatedSetLevelTags=["lane"],
            s3AccessConfig={"accessLogLocation": "s3://log-bucket/updated/"})
        self.assertEqual(upd["id"], store["id"])
        self.assertEqual(upd["name"], store["name"] + "-renamed")
        self.assertEqual(upd["description"], "after")
        self.assertEqual(upd["fallbackLocation"], "s3://other-bucket/fb/")
        self.assertEqual(upd["propagatedSetLevelTags"], ["lane"])
        self.assertEqual(upd["s3Access"]["accessLogLocation"], "s3://log-bucket/updated/")
        self.assertEqual(upd["creationTime"], store["creationTime"])
        self.assertIsInstance(upd["updateTime"], datetime.datetime)
        got = self.a.get_sequence_store(id=store["id"])
        self.assertEqual((got["name"], got["description"]), (upd["name"], "after"))

    def test_update_repeated_client_token_is_a_no_op(self):
        store, token = self.create(), str(uuid.uuid4())
        first = self.a.update_sequence_store(id=store["id"], description="one", clientToken=token)
        same = self.a.update_sequence_store(id=store["id"], description="one", clientToken=token)
        self.assertEqual((same["description"], same["updateTime"]),
                         (first["description"], first["updateTime"]))
        self.a.update_sequence_store(id=store["id"], description="two")
        again = self.a.update_sequence_store(id=store["id"], description="one", clientToken=token)
        self.assertEqual(again["description"], "two")
        self.assertEqual(self.a.get_sequence_store(id=store["id"])["description"], "two")
        # The token with another body: 400 naming it, as for every other operation (#20).
        self.raises("ValidationException", self.a.update_sequence_store, id=store["id"],
                    description="three", clientToken=token, mentions="clientToken")
        self.assertEqual(self.a.get_sequence_store(id=store["id"])["description"], "two")

    def test_delete(self):
        store = self.create()
        self.a.delete_sequence_store(id=store["id"])
        self.raises("ResourceNotFoundException", self.a.get_sequence_store, id=store["id"])
        self.raises("ResourceNotFoundException", self.a.delete_sequence_store, id=store["id"])

    def test_validation(self):
        name = "é" * 127  # the limit counts characters, not bytes
        self.assertEqual(self.create(name=name)["name"], name)
        # botocore checks no max length, so 128 characters reach the server.
        self.raises("ValidationException", self.create, name="x" * 128, mentions="name")
        self.raises("ValidationException", self.create, description="two\nlines",
                    mentions="description")


class Listing(Case):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.since = now() - datetime.timedelta(seconds=1)
        cls.tag = unique("list")
        cls.stores = [cls.a.create_sequence_store(name=f"{cls.tag}-{i}") for i in range(7)]

    @classmethod
    def tearDownClass(cls):
        for s in cls.stores:
            cls.delete_quietly(cls.a, s["id"])

    def ours(self, stores):
        mine = set(ids_of(self.stores))
        return [s["id"] for s in stores if s["id"] in mine]

    def test_paginator_returns_each_store_once_in_order(self):
        stores, pages = self.list_all(createdAfter=self.since)
        self.assertGreaterEqual(len(pages), 3)
        self.assertTrue(all(len(p) <= 3 for p in pages), [len(p) for p in pages])
        keys = [(s["creationTime"], s["id"]) for s in stores]
        self.assertEqual(keys, sorted(keys))
        expected = [s["id"] for s in sorted(self.stores, key=lambda s: (s["creationTime"], s["id"]))]
        self.assertEqual(self.ours(stores), expected)

    def test_created_bounds(self):
        pivot = self.stores[3]["creationTime"]
        before = [s["id"] for s in self.stores if s["creationTime"] < pivot]
        after = [s["id"] for s in self.stores if s["creationTime"] >= pivot]
        got, _ = self.list_all(createdAfter=self.since, createdBefore=pivot)  # exclusive
        self.assertEqual(sorted(self.ours(got)), sorted(before))
        got, _ = self.list_all(createdAfter=pivot)  # inclusive
        self.assertEqual(sorted(self.ours(got)), sorted(after))

    def test_name_filter_is_exact(self):
        name = self.stores[0]["name"]
        got, _ = self.list_all(name=name)
        self.assertEqual(ids_of(got), [self.stores[0]["id"]])
        got, _ = self.list_all(name=name[:-1])
        self.assertNotIn(self.stores[0]["id"], ids_of(got))

    def test_status_filter(self):
        got, _ = self.list_all(createdAfter=self.since, status="ACTIVE")
        self.assertEqual(len(self.ours(got)), len(self.stores))
        got, _ = self.list_all(createdAfter=self.since, status="DELETING")
        self.assertEqual(self.ours(got), [])

    def test_updated_bounds(self):
        store = self.stores[5]
        updated = self.a.update_sequence_store(id=store["id"], description="touched")["updateTime"]
        ms = datetime.timedelta(milliseconds=1)
        within, _ = self.list_all(updatedAfter=updated - ms, updatedBefore=updated + ms)
        self.assertIn(store["id"], ids_of(within))
        late, _ = self.list_all(createdAfter=self.since, updatedAfter=updated + ms)
        self.assertNotIn(store["id"], ids_of(late))
        early, _ = self.list_all(createdAfter=self.since, updatedBefore=updated - ms)
        self.assertNotIn(store["id"], ids_of(early))

    def test_bad_paging_input(self):
        self.raises("ValidationException", self.a.list_sequence_stores, nextToken="garbage-token")
        # botocore checks maxResults >= 1 only; the upper bound (100) is the server's job.
        self.raises("ValidationException", self.a.list_sequence_stores, maxResults=101)


class Tags(Case):
    def test_tag_list_untag(self):
        store = self.create(tags={"created": "yes"})
        arn = store["arn"]
        resp = self.a.tag_resource(resourceArn=arn, tags={"k1": "v1", "k2": ""})
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertEqual(self.a.list_tags_for_resource(resourceArn=arn)["tags"],
                         {"created": "yes", "k1": "v1", "k2": ""})
        resp = self.a.untag_resource(resourceArn=arn, tagKeys=["k1", "created"])
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertEqual(self.a.list_tags_for_resource(resourceArn=arn)["tags"], {"k2": ""})

    def test_invalid_tags(self):
        arn = self.create()["arn"]
        self.raises("ValidationException", self.a.tag_resource,
                    resourceArn=arn, tags={"aws:reserved": "x"})
        # botocore does not check the 50-tag maximum, so the server sees all 51.
        self.raises("ValidationException", self.a.tag_resource,
                    resourceArn=arn, tags={f"k{i}": "v" for i in range(51)})
        self.assertEqual(self.a.list_tags_for_resource(resourceArn=arn)["tags"], {})


class S3AccessPolicies(Case):
    def test_default_put_get_delete(self):
        store = self.create()
        arn = f"arn:aws:s3:{REGION}:{ACCOUNTS['A']}:accesspoint/{store['id']}"
        got = self.a.get_s3_access_policy(s3AccessPointArn=arn)
        self.assertEqual((got["s3AccessPointArn"], got["storeId"], got["storeType"]),
                         (arn, store["id"], "SEQUENCE_STORE"))
        self.assertIsInstance(got["updateTime"], datetime.datetime)
        default = json.loads(got["s3AccessPolicy"])
        self.assertEqual(default["Statement"][0]["Principal"],
                         {"AWS": f"arn:aws:iam::{ACCOUNTS['A']}:root"})
        policy = {"Version": "2012-10-17", "Statement": [{
            "Sid": "Lab", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['B']}:root"},
            "Action": ["s3:GetObject", "s3:GetObjectTagging"], "Resource": f"{arn}/object/*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNTS['B']}:user/*"}}}]}
        put = self.a.put_s3_access_policy(s3AccessPointArn=arn, s3AccessPolicy=json.dumps(policy))
        self.assertEqual((put["storeId"], put["storeType"]), (store["id"], "SEQUENCE_STORE"))
        got = self.a.get_s3_access_policy(s3AccessPointArn=arn)
        self.assertEqual(json.loads(got["s3AccessPolicy"]), policy)
        self.raises("ResourceNotFoundException", self.b.get_s3_access_policy, s3AccessPointArn=arn)
        bad = dict(policy, Statement=[dict(policy["Statement"][0], Action="s3:PutObject")])
        self.raises("ValidationException", self.a.put_s3_access_policy, s3AccessPointArn=arn,
                    s3AccessPolicy=json.dumps(bad),
                    mentions="Statement[0].Action s3:PutObject is not supported")
        # The AWS CLI, which percent-encodes the ARN as boto3 does.
        self.assertEqual(json.loads(self.aws("get-s3-access-policy", "--s3-access-point-arn", arn)
                                    ["s3AccessPolicy"]), policy)
        self.aws("delete-s3-access-policy", "--s3-access-point-arn", arn)
        self.raises("ResourceNotFoundException", self.a.get_s3_access_policy, s3AccessPointArn=arn)


class Accounts(Case):
    def test_other_account_cannot_see_store(self):
        store = self.create(tags={"owner": "a"})
        sid = store["id"]
        self.raises("ResourceNotFoundException", self.b.get_sequence_store, id=sid)
        self.raises("ResourceNotFoundException", self.b.update_sequence_store,
                    id=sid, description="hijack")
        self.raises("ResourceNotFoundException", self.b.delete_sequence_store, id=sid)
        self.raises("ResourceNotFoundException", self.b.tag_resource,
                    resourceArn=store["arn"], tags={"x": "y"})
        listed, _ = self.list_all(self.b, page_size=100, createdAfter=store["creationTime"])
        self.assertNotIn(sid, ids_of(listed))
        listed, _ = self.list_all(self.b, name=store["name"])
        self.assertEqual(listed, [])
        got = self.a.get_sequence_store(id=sid)
        self.assertNotIn("description", got)
        self.assertEqual(self.a.list_tags_for_resource(resourceArn=store["arn"])["tags"],
                         {"owner": "a"})

    def test_arn_names_the_callers_account(self):
        store = self.create(self.b)
        self.assertIn(f":{ACCOUNTS['B']}:sequenceStore/", store["arn"])


class Auth(Case):
    def test_unknown_access_key(self):
        c = client(key_id="AKIDUNKNOWN" + RUN.upper())
        self.raises("UnrecognizedClientException", c.list_sequence_stores)

    def test_wrong_secret(self):
        c = client(secret="not-the-secret-" + RUN)
        self.raises("InvalidSignatureException", c.list_sequence_stores)


class HostPrefix(Case):
    """Keep botocore's host prefixes and make the prefixed names resolve, so the server sees
    (and verifies the signature over) `Host: control-storage-…` and `Host: tags-…`."""

    def test_prefixed_hosts(self):
        host = urlsplit(ENDPOINT).hostname
        real = socket.getaddrinfo

        def resolve(name, *args, **kw):
            for prefix in ("control-storage-", "storage-", "tags-"):
                if name == prefix + host:
                    name = host
            return real(name, *args, **kw)

        socket.getaddrinfo = resolve
        self.addCleanup(setattr, socket, "getaddrinfo", real)
        c = client(prefix=True)
        netlocs = []
        c.meta.events.register("before-send",
                               lambda request, **_: netlocs.append(urlsplit(request.url).netloc))

        store = self.create(c)
        self.assertEqual(c.get_sequence_store(id=store["id"])["id"], store["id"])
        c.tag_resource(resourceArn=store["arn"], tags={"via": "prefix"})
        self.assertEqual(c.list_tags_for_resource(resourceArn=store["arn"])["tags"],
                         {"via": "prefix"})
        c.delete_sequence_store(id=store["id"])
        port = urlsplit(ENDPOINT).netloc[len(host):]
        self.assertEqual(netlocs, [f"control-storage-{host}{port}"] * 2
                         + [f"tags-{host}{port}"] * 2 + [f"control-storage-{host}{port}"])


class Cli(Case):
    """AWS CLI v1; host-prefix injection is switched off through the environment."""

    def test_cli_round_trip(self):
        since = (now() - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        name = unique("cli")
        store = self.aws("create-sequence-store", "--name", name, "--tags", "k=v")
        self.addCleanup(self.delete_quietly, self.a, store["id"])
        self.assertRegex(store["id"], r"^[0-9]{10}$")
        self.assertEqual(self.aws("get-sequence-store", "--id", store["id"])["name"], name)
        others = [self.create()["id"] for _ in range(2)]

        created = {store["id"], *others}
        filt = json.dumps({"createdAfter": since})
        listed = self.aws("list-sequence-stores", "--page-size", "2", "--filter", filt)
        self.assertLessEqual(created, set(ids_of(listed["sequenceStores"])))
        # --max-results is the limit key: the CLI turns auto-pagination off and returns one page.
        page = self.aws("list-sequence-stores", "--max-results", "2", "--filter", filt)
        self.assertEqual(len(page["sequenceStores"]), 2)
        self.assertIn("nextToken", page)

        upd = self.aws("update-sequence-store", "--id", store["id"], "--description", "via cli")
        self.assertEqual(upd["description"], "via cli")
        self.assertIn("updateTime", upd)

        self.aws("tag-resource", "--resource-arn", store["arn"], "--tags", "a=1,b=2")
        tags = self.aws("list-tags-for-resource", "--resource-arn", store["arn"])["tags"]
        self.assertEqual(tags, {"k": "v", "a": "1", "b": "2"})
        self.aws("untag-resource", "--resource-arn", store["arn"], "--tag-keys", "a", "k")
        tags = self.aws("list-tags-for-resource", "--resource-arn", store["arn"])["tags"]
        self.assertEqual(tags, {"b": "2"})

        self.aws("delete-sequence-store", "--id", store["id"])
        proc = self.aws("get-sequence-store", "--id", store["id"], ok=False)
        self.assertIn(proc.returncode, (254, 255), proc.stderr)
        self.assertIn("ResourceNotFoundException", proc.stderr)

    def test_cli_error(self):
        proc = self.aws("get-sequence-store", "--id", MISSING_ID, ok=False)
        self.assertIn(proc.returncode, (254, 255), proc.stderr)
        self.assertIn("ResourceNotFoundException", proc.stderr)


def fastq(count=1000, length=50, mate=None, seed=0):
    """`count` deterministic FASTQ records of `length` bases, named `@r{i}` (`@r{i}/{mate}`);
    `seed` varies the bases."""
    suffix = f"/{mate}" if mate else ""
    records = []
    for i in range(count):
        seq = "".join("ACGT"[(i * 7 + j * (3 + 2 * seed) + (mate or 0)) % 4] for j in range(length))
        records.append(f"@r{i}{suffix}\n{seq}\n+\n{'I' * length}\n")
    return "".join(records).encode()


class Imports(Case):
    """StartReadSetImportJob with `file://` FASTQ sources under the server's `--file-root`
    (TEST_FILE_ROOT), read back through the job, the waiter, the read set metadata and lists."""

    READS, LENGTH = 1000, 50
    TERMINAL = {"COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"}

    @classmethod
    def setUpClass(cls):
        if not FILE_ROOT:
            raise unittest.SkipTest("TEST_FILE_ROOT is unset: start seqstore with "
                                    "`--file-root DIR` and set TEST_FILE_ROOT=DIR to run imports")
        super().setUpClass()
        cls.role = f"arn:aws:iam::{ACCOUNTS['A']}:role/Import"
        cls.dir = os.path.join(FILE_ROOT, f"py-{RUN}")
        os.makedirs(cls.dir)
        cls.plain = cls.write("single.fastq", fastq(cls.READS, cls.LENGTH))
        cls.gz = cls.write("single.fastq.gz",
                           gzip.compress(fastq(cls.READS, cls.LENGTH, seed=1), mtime=0))
        cls.r1 = cls.write("pair_1.fastq", fastq(cls.READS, cls.LENGTH, 1))
        cls.r2 = cls.write("pair_2.fastq", fastq(cls.READS, cls.LENGTH, 2))
        # A record cut short: its quality line is missing.
        cls.bad = cls.write("truncated.fastq",
                            fastq(10, cls.LENGTH) + b"@r10\n" + b"A" * cls.LENGTH + b"\n+\n")

        cls.store = cls.a.create_sequence_store(name=unique("imports"))
        cls.sid = cls.store["id"]
        cls.good = cls.a.start_read_set_import_job(
            sequenceStoreId=cls.sid, roleArn=cls.role,
            sources=[cls.source(cls.gz, name="single-gz"),
                     cls.source(cls.r1, cls.r2, name="paired")])
        cls.mixed = cls.a.start_read_set_import_job(
            sequenceStoreId=cls.sid, roleArn=cls.role,
            sources=[cls.source(cls.plain, name="plain"), cls.source(cls.bad, name="truncated")])

    @classmethod
    def tearDownClass(cls):
        for job in (cls.good, cls.mixed):
            try:
                cls.settle(job["id"])
            except (ClientError, AssertionError):
                pass
        cls.delete_quietly(cls.a, cls.sid)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    @staticmethod
    def source(path1, path2=None, **kw):
        files = {"source1": "file://" + path1}
        if path2:
            files["source2"] = "file://" + path2
        return dict(sourceFiles=files, sourceFileType="FASTQ", subjectId="subject-1",
                    sampleId="sample-1", **kw)

    @classmethod
    def settle(cls, job_id, timeout=60):
        """Polls GetReadSetImportJob until the job is in a terminal state; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            job = cls.a.get_read_set_import_job(sequenceStoreId=cls.sid, id=job_id)
            if job["status"] in cls.TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"import job {job_id} still {job['status']} after {timeout}s")
            time.sleep(0.5)

    def wait(self, job_id, store_id=None):
        self.a.get_waiter("read_set_import_job_completed").wait(
            sequenceStoreId=store_id or self.sid, id=job_id,
            WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    def assertReadSet(self, read_set_id, job_id, paths, name, store_id=None):
        """The metadata of an imported read set: counts and MD5up etags of `paths`."""
        meta = self.a.get_read_set_metadata(sequenceStoreId=store_id or self.sid, id=read_set_id)
        texts = []
        for path in paths:
            with open(path, "rb") as f:
                data = f.read()
            texts.append(gzip.decompress(data) if path.endswith(".gz") else data)
        reads = sum(t.count(b"\n") // 4 for t in texts)
        self.assertEqual(meta["id"], read_set_id)
        self.assertEqual(meta["sequenceStoreId"], store_id or self.sid)
        self.assertEqual(meta["fileType"], "FASTQ")
        self.assertEqual(meta["status"], "ACTIVE")
        self.assertEqual(meta["creationType"], "IMPORT")
        self.assertEqual(meta.get("creationJobId"), job_id)
        self.assertEqual((meta["subjectId"], meta["sampleId"], meta["name"]),
                         ("subject-1", "sample-1", name))
        account, sid = ACCOUNTS["A"], store_id or self.sid
        prefix = f"s3://{account}-{sid}-s3alias/{account}/sequenceStore/{sid}/readSet/{read_set_id}/"
        for file in meta["files"].values():
            self.assertTrue(file["s3Access"]["s3Uri"].startswith(prefix), meta["files"])
        info = meta["sequenceInformation"]
        self.assertEqual((info["totalReadCount"], info["totalBaseCount"]),
                         (reads, reads * self.LENGTH), meta)
        self.assertEqual(meta["etag"]["algorithm"], "FASTQ_MD5up", meta)
        for member, text in zip(("source1", "source2"), texts):
            self.assertEqual(meta["etag"].get(member), hashlib.md5(text).hexdigest(),
                             f"etag.{member}: {meta}")
        if len(texts) == 1:
            self.assertNotIn("source2", meta["etag"])
        return meta

    def test_import_completes(self):
        job_id = self.good["id"]
        self.assertRegex(job_id, r"^[0-9]{10,36}$")
        self.assertEqual(self.good["sequenceStoreId"], self.sid)
        self.assertEqual(self.good["roleArn"], self.role)
        self.assertIn(self.good["status"], ("SUBMITTED", "IN_PROGRESS", "COMPLETED"))
        self.assertIsInstance(self.good["creationTime"], datetime.datetime)
        self.wait(job_id)

        job = self.a.get_read_set_import_job(sequenceStoreId=self.sid, id=job_id)
        self.assertEqual(job["status"], "COMPLETED", job)
        self.assertIsInstance(job["completionTime"], datetime.datetime)
        self.assertGreaterEqual(job["completionTime"], job["creationTime"])
        self.assertEqual([s["status"] for s in job["sources"]], ["FINISHED", "FINISHED"], job)
        self.assertEqual(job["sources"][1]["sourceFiles"],
                         {"source1": "file://" + self.r1, "source2": "file://" + self.r2})
        ids = [s.get("readSetId") for s in job["sources"]]
        for rid in ids:
            self.assertRegex(rid or "", r"^[0-9]{10,36}$", job)
        self.assertEqual(len(set(ids)), 2)

        self.assertReadSet(ids[0], job_id, [self.gz], "single-gz")
        meta = self.assertReadSet(ids[1], job_id, [self.r1, self.r2], "paired")
        self.assertEqual(meta["sequenceInformation"]["totalReadCount"], 2 * self.READS)

        pager = self.a.get_paginator("list_read_sets")
        listed = [r for p in pager.paginate(sequenceStoreId=self.sid,
                                            PaginationConfig={"PageSize": 1})
                  for r in p["readSets"]]
        # The store also holds the read set of the other job's good source.
        self.assertLessEqual(set(ids), {r["id"] for r in listed})
        self.assertEqual(len(listed), len({r["id"] for r in listed}), "each read set once")
        item = next(r for r in listed if r["id"] == ids[0])
        self.assertEqual((item["fileType"], item["status"], item["name"]),
                         ("FASTQ", "ACTIVE", "single-gz"))

    def test_truncated_source_fails_alone(self):
        job_id = self.mixed["id"]
        with self.assertRaises(WaiterError) as cm:
            self.wait(job_id)
        self.assertEqual(cm.exception.last_response.get("status"), "COMPLETED_WITH_FAILURES",
                         cm.exception.last_response)
        job = self.a.get_read_set_import_job(sequenceStoreId=self.sid, id=job_id)
        self.assertEqual(job["status"], "COMPLETED_WITH_FAILURES", job)
        good, bad = job["sources"]
        self.assertEqual(good["status"], "FINISHED", job)
        self.assertRegex(good.get("readSetId", ""), r"^[0-9]{10,36}$", job)
        self.assertEqual(bad["status"], "FAILED", job)
        self.assertTrue(bad.get("statusMessage"), job)
        self.assertLessEqual(len(bad["statusMessage"]), 127, job)
        self.assertNotIn("readSetId", bad, job)
        self.assertReadSet(good["readSetId"], job_id, [self.plain], "plain")

    def test_list_import_jobs(self):
        for job in (self.good, self.mixed):
            self.settle(job["id"])
        jobs = self.a.list_read_set_import_jobs(sequenceStoreId=self.sid)["importJobs"]
        self.assertEqual(sorted(j["id"] for j in jobs),
                         sorted([self.good["id"], self.mixed["id"]]))
        by_id = {j["id"]: j for j in jobs}
        self.assertEqual(by_id[self.good["id"]]["status"], "COMPLETED")
        self.assertEqual(by_id[self.mixed["id"]]["status"], "COMPLETED_WITH_FAILURES")
        for j in jobs:
            self.assertEqual((j["sequenceStoreId"], j["roleArn"]), (self.sid, self.role))
            self.assertIsInstance(j["completionTime"], datetime.datetime)
        done = self.a.list_read_set_import_jobs(sequenceStoreId=self.sid,
                                                filter={"status": "COMPLETED"})["importJobs"]
        self.assertEqual([j["id"] for j in done], [self.good["id"]])
        pager = self.a.get_paginator("list_read_set_import_jobs")
        pages = [p["importJobs"] for p in pager.paginate(sequenceStoreId=self.sid,
                                                         PaginationConfig={"PageSize": 1})]
        self.assertEqual(sorted(j["id"] for p in pages for j in p), sorted(by_id))

    def test_cli_import(self):
        store = self.create()
        with tempfile.TemporaryDirectory() as tmp:
            sources = os.path.join(tmp, "sources.json")
            with open(sources, "w") as f:
                json.dump([self.source(self.plain, name="cli")], f)
            job = self.aws("start-read-set-import-job", "--sequence-store-id", store["id"],
                           "--role-arn", self.role, "--sources", "file://" + sources)
        self.assertRegex(job["id"], r"^[0-9]{10,36}$")
        # The CLI waiter sleeps 30 s between polls and cannot be told otherwise; poll quickly
        # first, then `aws omics wait` sees COMPLETED on its first poll.
        deadline = time.monotonic() + 60
        while True:
            got = self.aws("get-read-set-import-job", "--sequence-store-id", store["id"],
                           "--id", job["id"])
            if got["status"] in self.TERMINAL or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(got["status"], "COMPLETED", got)
        started = time.monotonic()
        self.aws("wait", "read-set-import-job-completed", "--sequence-store-id", store["id"],
                 "--id", job["id"])
        self.assertLess(time.monotonic() - started, 25, "the CLI waiter should succeed at once")
        rid = got["sources"][0]["readSetId"]
        meta = self.aws("get-read-set-metadata", "--sequence-store-id", store["id"], "--id", rid)
        self.assertEqual(meta["sequenceInformation"]["totalReadCount"], self.READS)
        self.assertEqual(meta["sequenceInformation"]["totalBaseCount"], self.READS * self.LENGTH)
        with open(self.plain, "rb") as f:
            self.assertEqual(meta["etag"]["source1"], hashlib.md5(f.read()).hexdigest())
        self.assertEqual(meta["creationJobId"], job["id"])


def extension_client(key="A"):
    """A boto3 omics client that also sends `filter` members the service model lacks (the
    ListReadSets `etag` extension). `parameter_validation=False` is not enough by itself: the
    rest-json serializer looks every member up in the model and raises KeyError on unknown ones.
    So the unknown members are taken out before serialization and put back into the JSON body
    before the request is signed."""
    kid, ksecret = KEYS[key]
    c = boto3.session.Session().client(
        "omics", region_name=REGION, endpoint_url=ENDPOINT,
        aws_access_key_id=kid, aws_secret_access_key=ksecret,
        config=Config(parameter_validation=False, inject_host_prefix=False,
                      retries={"max_attempts": 1}))

    def split(params, model, context, **_):
        filt, shape = params.get("filter"), model.input_shape
        if not isinstance(filt, dict) or shape is None or "filter" not in shape.members:
            return
        known = shape.members["filter"].members
        context["extension_filter"] = {k: v for k, v in filt.items() if k not in known}
        params["filter"] = {k: v for k, v in filt.items() if k in known}

    def merge(params, context, **_):
        extra = context.get("extension_filter")
        if extra:
            body = json.loads(params["body"] or b"{}")
            body.setdefault("filter", {}).update(extra)
            params["body"] = json.dumps(body).encode()

    c.meta.events.register("before-parameter-build.omics", split)
    c.meta.events.register("before-call.omics", merge)
    return c


def unvalidated_client(key="A"):
    """A boto3 omics client that sends what its parameters say, even values the model forbids."""
    kid, ksecret = KEYS[key]
    return boto3.session.Session().client(
        "omics", region_name=REGION, endpoint_url=ENDPOINT,
        aws_access_key_id=kid, aws_secret_access_key=ksecret,
        config=Config(parameter_validation=False, inject_host_prefix=False,
                      retries={"max_attempts": 1}))


class NormalisedPaths(Case):
    """An empty, `.` or `..` path label: botocore sends the path as it is (`/sequencestore//…`,
    `/sequencestore/..`) and signs its normal form (`//` collapsed, dot segments removed, with
    or without the trailing slash a final `..` leaves). seqstore verifies that signature and
    answers what the raw path's route answers: 400 naming the label; it never acts on the
    resource the normal form names (#20)."""

    def test_empty_and_dot_labels_get_their_routes_answer(self):
        c = unvalidated_client()
        store = self.create()["id"]
        cases = [
            (c.get_read_set_metadata, dict(sequenceStoreId="", id=MISSING_ID), "'sequenceStoreId'"),
            (c.get_read_set_metadata, dict(sequenceStoreId="..", id=MISSING_ID), "'sequenceStoreId'"),
            (c.get_read_set_metadata, dict(sequenceStoreId=".", id=MISSING_ID), "'sequenceStoreId'"),
            (c.get_read_set_metadata, dict(sequenceStoreId=store, id=".."), "'id'"),
            (c.get_read_set_metadata, dict(sequenceStoreId=store, id=""), "'id'"),
            (c.get_sequence_store, dict(id=""), "'id'"),
            (c.get_sequence_store, dict(id=".."), "'id'"),
            (c.get_sequence_store, dict(id="."), "'id'"),
            (c.update_sequence_store, dict(id="..", description="x"), "'id'"),
            (c.delete_sequence_store, dict(id=".."), "'id'"),
            (c.get_reference, dict(referenceStoreId=MISSING_ID, id="..", partNumber=1), "'id'"),
            (c.get_reference, dict(referenceStoreId=MISSING_ID, id=".", partNumber=1), "'id'"),
            (c.list_read_sets, dict(sequenceStoreId=".."), "'sequenceStoreId'"),
        ]
        for fn, kw, member in cases:
            with self.subTest(operation=fn.__name__, **kw):
                self.raises("ValidationException", fn, mentions=member, **kw)
        self.assertEqual(self.a.get_sequence_store(id=store)["id"], store)


class ReadSets(Case):
    """Read sets imported from `file://` FASTQ with the server's part size lowered to 1 MiB
    (`[storage] part_size = 1048576`, as the launcher configures it): parallel part downloads,
    416/404 cases, the duplicate note, the `etag` list filter, system tags and
    BatchDeleteReadSet."""

    READS, LENGTH = 20000, 100  # about 4.2 MB of FASTQ: more than 3 parts of 1 MiB
    PART_SIZE = 1024 * 1024

    @classmethod
    def setUpClass(cls):
        if not FILE_ROOT:
            raise unittest.SkipTest("TEST_FILE_ROOT is unset: start seqstore with "
                                    "`--file-root DIR` and set TEST_FILE_ROOT=DIR to run imports")
        super().setUpClass()
        cls.role = f"arn:aws:iam::{ACCOUNTS['A']}:role/Import"
        cls.dir = os.path.join(FILE_ROOT, f"py-{RUN}-read-sets")
        os.makedirs(cls.dir)
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.text = fastq(cls.READS, cls.LENGTH)
        cls.plain = cls.write("big.fastq", cls.text)
        cls.gz = cls.write("big-copy.fastq.gz", gzip.compress(cls.text, mtime=0))
        cls.small = cls.write("small.fastq", fastq(100, 50, seed=2))

        cls.store = cls.a.create_sequence_store(name=unique("read-sets"))
        cls.sid = cls.store["id"]
        cls.addClassCleanup(cls.drop_store, cls.a, cls.sid)
        # One job after the other, so which read set came first is certain.
        cls.job1 = cls.import_and_wait(cls.sid, [cls.source(cls.plain, "big")])
        cls.job2 = cls.import_and_wait(cls.sid, [cls.source(cls.gz, "big-copy"),
                                                 cls.source(cls.small, "small")])
        cls.first = cls.job1["sources"][0]["readSetId"]
        cls.copy, cls.other = (s["readSetId"] for s in cls.job2["sources"])

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    @staticmethod
    def source(path, name):
        return dict(sourceFiles={"source1": "file://" + path}, sourceFileType="FASTQ",
                    subjectId="subject-rs", sampleId="sample-rs", name=name,
                    tags={"run": RUN})

    @classmethod
    def import_and_wait(cls, store_id, sources):
        """Starts an import as account A, waits with the waiter (Delay 1); the finished job."""
        job = cls.a.start_read_set_import_job(sequenceStoreId=store_id, roleArn=cls.role,
                                              sources=sources)
        cls.a.get_waiter("read_set_import_job_completed").wait(
            sequenceStoreId=store_id, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        job = cls.a.get_read_set_import_job(sequenceStoreId=store_id, id=job["id"])
        if job["status"] != "COMPLETED" or any("readSetId" not in s for s in job["sources"]):
            raise AssertionError(f"import job did not complete: {job}")
        return job

    @staticmethod
    def list_ids(c, store_id, **filt):
        pager = c.get_paginator("list_read_sets")
        return [r["id"] for p in pager.paginate(sequenceStoreId=store_id, filter=filt)
                for r in p["readSets"]]

    @classmethod
    def drop_store(cls, c, store_id):
        """Deletes every read set of the store, then the store; ignores errors."""
        try:
            ids = cls.list_ids(c, store_id)
            for i in range(0, len(ids), 100):
                c.batch_delete_read_set(sequenceStoreId=store_id, ids=ids[i:i + 100])
            c.delete_sequence_store(id=store_id)
        except ClientError:
            pass

    def test_parallel_part_download(self):
        meta = self.a.get_read_set_metadata(sequenceStoreId=self.sid, id=self.first)
        source1 = meta["files"]["source1"]
        total = source1["totalParts"]
        self.assertGreater(total, 3, meta["files"])
        self.assertEqual(source1["contentLength"], len(self.text), meta["files"])
        self.assertEqual(source1["partSize"], self.PART_SIZE, meta["files"])
        self.assertEqual(total, -(-len(self.text) // self.PART_SIZE), meta["files"])
        self.assertNotIn("source2", meta["files"])
        self.assertNotIn("index", meta["files"])

        def part(number):
            return self.a.get_read_set(sequenceStoreId=self.sid, id=self.first,
                                       partNumber=number)["payload"].read()

        with concurrent.futures.ThreadPoolExecutor(max_workers=total) as pool:
            parts = list(pool.map(part, range(1, total + 1)))
        self.assertEqual([len(p) for p in parts[:-1]], [self.PART_SIZE] * (total - 1))
        joined = b"".join(parts)
        self.assertEqual(len(joined), len(self.text))
        self.assertTrue(joined == self.text, "the reassembled parts differ from the file")

        self.raises("RangeNotSatisfiableException", self.a.get_read_set,
                    sequenceStoreId=self.sid, id=self.first, partNumber=total + 1)
        for file in ("SOURCE2", "INDEX"):
            self.raises("ResourceNotFoundException", self.a.get_read_set, sequenceStoreId=self.sid,
                        id=self.first, partNumber=1, file=file, mentions=file)

    def test_duplicate_note(self):
        (plain,) = self.job1["sources"]
        self.assertEqual(plain["status"], "FINISHED", self.job1)
        self.assertNotIn("statusMessage", plain, self.job1)
        copy, other = self.job2["sources"]
        self.assertEqual((copy["status"], other["status"]), ("FINISHED", "FINISHED"), self.job2)
        self.assertEqual(copy.get("statusMessage"), f"same content as read set {self.first}",
                         self.job2)
        self.assertNotIn("statusMessage", other, self.job2)
        md5 = hashlib.md5(self.text).hexdigest()
        for rid in (self.first, self.copy):
            meta = self.a.get_read_set_metadata(sequenceStoreId=self.sid, id=rid)
            self.assertEqual(meta["etag"]["source1"], md5, meta)

    def test_etag_filter(self):
        c = extension_client()
        md5 = hashlib.md5(self.text).hexdigest()
        got = c.list_read_sets(sequenceStoreId=self.sid, filter={"etag": md5})["readSets"]
        self.assertEqual(sorted(ids_of(got)), sorted([self.first, self.copy]), got)
        self.assertTrue(all(r["etag"]["source1"] == md5 for r in got if "etag" in r), got)
        with open(self.small, "rb") as f:
            small_md5 = hashlib.md5(f.read()).hexdigest()
        got = c.list_read_sets(sequenceStoreId=self.sid, filter={"etag": small_md5})["readSets"]
        self.assertEqual(ids_of(got), [self.other], got)
        got = c.list_read_sets(sequenceStoreId=self.sid,
                               filter={"etag": md5, "name": "big-copy"})["readSets"]
        self.assertEqual(ids_of(got), [self.copy], got)
        got = c.list_read_sets(sequenceStoreId=self.sid, filter={"etag": "0" * 32})["readSets"]
        self.assertEqual(got, [])

    def test_system_tags(self):
        arn = self.a.get_read_set_metadata(sequenceStoreId=self.sid, id=self.first)["arn"]
        self.assertEqual(arn, f"arn:aws:omics:{REGION}:{ACCOUNTS['A']}:"
                              f"sequenceStore/{self.sid}/readSet/{self.first}")
        tags = self.a.list_tags_for_resource(resourceArn=arn)["tags"]
        self.assertEqual(tags.get("aws:omics:sampleId"), "sample-rs", tags)
        self.assertEqual(tags.get("aws:omics:subjectId"), "subject-rs", tags)
        self.assertEqual(tags.get("run"), RUN, tags)
        self.assertEqual(self.job1["sources"][0].get("tags", {}).get("aws:omics:sampleId"),
                         "sample-rs", self.job1)
        for key in ("aws:omics:sampleId", "aws:custom"):
            self.raises("ValidationException", self.a.tag_resource,
                        resourceArn=arn, tags={key: "x"})
        self.raises("ValidationException", self.a.untag_resource,
                    resourceArn=arn, tagKeys=["aws:omics:subjectId"])
        self.assertEqual(self.a.list_tags_for_resource(resourceArn=arn)["tags"], tags)

    def test_batch_delete(self):
        # Its own store, so the class's read sets stay for the other tests.
        store = self.a.create_sequence_store(name=unique("batch-delete"))
        sid = store["id"]
        self.addCleanup(self.drop_store, self.a, sid)
        job = self.import_and_wait(sid, [self.source(self.plain, "big"),
                                         self.source(self.small, "small")])
        first, kept = (s["readSetId"] for s in job["sources"])
        self.assertEqual(sorted(self.list_ids(self.a, sid)), sorted([first, kept]))
        # Another account sees neither the store nor its read sets.
        self.raises("ResourceNotFoundException", self.b.batch_delete_read_set,
                    sequenceStoreId=sid, ids=[kept])

        resp = self.a.batch_delete_read_set(sequenceStoreId=sid, ids=[first, "1000000000"])
        errors = resp.get("errors", [])
        self.assertEqual([(e["id"], e["code"]) for e in errors],
                         [("1000000000", "ResourceNotFoundException")], resp)
        self.assertEqual(self.list_ids(self.a, sid), [kept])
        self.raises("ResourceNotFoundException", self.a.get_read_set_metadata,
                    sequenceStoreId=sid, id=first)
        self.raises("ResourceNotFoundException", self.a.get_read_set,
                    sequenceStoreId=sid, id=first, partNumber=1)

        self.raises("ConflictException", self.a.delete_sequence_store, id=sid)
        resp = self.a.batch_delete_read_set(sequenceStoreId=sid, ids=[kept])
        self.assertEqual(resp.get("errors", []), [], resp)
        self.a.delete_sequence_store(id=sid)
        self.raises("ResourceNotFoundException", self.a.get_sequence_store, id=sid)


def fasta(sequences, width=60):
    """A deterministic FASTA: `sequences` is [(name, length)]; lines of `width` bases, every
    third run of 50 bases lowercase (soft-masked). Headers carry a description after the name."""
    out = []
    for k, (name, length) in enumerate(sequences):
        bases = "".join("ACGT"[(i * 5 + i // 7 + k * 3) % 4] for i in range(length))
        bases = "".join(b.lower() if (i // 50) % 3 == 1 else b for i, b in enumerate(bases))
        out.append(f">{name} sequence {k} of the test genome\n")
        out.extend(bases[i:i + width] + "\n" for i in range(0, length, width))
    return "".join(out).encode()


def fai(text):
    """The samtools `.fai` of a FASTA with uniform lines and `\\n` endings, computed here:
    name, length, offset of the first base, bases per line, bytes per line."""
    rows, offset, current = [], 0, None
    for line in text.splitlines(keepends=True):
        if line.startswith(b">"):
            if current:
                rows.append(current)
            current = [line[1:].split()[0].decode(), 0, offset + len(line), 0, 0]
        elif current is not None:
            bases = len(line.rstrip(b"\n"))
            current[1] += bases
            if not current[3]:
                current[3], current[4] = bases, len(line)
        offset += len(line)
    rows.append(current)
    return "".join("\t".join(map(str, row)) + "\n" for row in rows)


class References(Case):
    """Reference stores and StartReferenceImportJob with `file://` FASTA sources (plain and
    gzip) under the server's `--file-root`: the waiter, metadata, GetReference bytes, ranges and
    the `.fai`, a bad FASTA, listing and the deletion rules."""

    SEQUENCES = [("chr1", 5000), ("chr2", 2000), ("chrM", 700)]
    TERMINAL = {"COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"}

    @classmethod
    def setUpClass(cls):
        if not FILE_ROOT:
            raise unittest.SkipTest("TEST_FILE_ROOT is unset: start seqstore with "
                                    "`--file-root DIR` and set TEST_FILE_ROOT=DIR to run imports")
        super().setUpClass()
        cls.role = f"arn:aws:iam::{ACCOUNTS['A']}:role/Import"
        cls.dir = os.path.join(FILE_ROOT, f"py-{RUN}-references")
        os.makedirs(cls.dir)
        # Class cleanups run last first, and also when setUpClass fails part way.
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.text = fasta(cls.SEQUENCES)
        cls.plain = cls.write("x.fa", cls.text)
        cls.gz = cls.write("x.fa.gz", gzip.compress(cls.text, mtime=0))
        cls.dup = cls.write("dup.fa", fasta([("dup", 120)]) + fasta([("dup", 60)]))

        cls.name = unique("references")
        cls.store = cls.a.create_reference_store(name=cls.name, description="python references")
        cls.sid = cls.store["id"]
        cls.addClassCleanup(cls.drop_store, cls.sid)
        # Names have at least 3 characters (botocore checks the minimum).
        cls.good = cls.start(cls.sid, [cls.source(cls.plain, "xfa"), cls.source(cls.gz, "xgz")])
        cls.addClassCleanup(cls.settle_quietly, cls.sid, cls.good["id"])
        cls.bad = cls.start(cls.sid, [cls.source(cls.dup, "dup")])
        cls.addClassCleanup(cls.settle_quietly, cls.sid, cls.bad["id"])

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    @staticmethod
    def source(path, name):
        return {"sourceFile": "file://" + path, "name": name}

    @classmethod
    def start(cls, store_id, sources):
        return cls.a.start_reference_import_job(referenceStoreId=store_id, roleArn=cls.role,
                                                sources=sources)

    @classmethod
    def settle(cls, store_id, job_id, timeout=60):
        """Polls GetReferenceImportJob until the job is in a terminal state; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            job = cls.a.get_reference_import_job(referenceStoreId=store_id, id=job_id)
            if job["status"] in cls.TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"reference import job {job_id} still {job['status']} "
                                     f"after {timeout}s")
            time.sleep(0.5)

    @classmethod
    def settle_quietly(cls, store_id, job_id):
        try:
            cls.settle(store_id, job_id)
        except (ClientError, AssertionError):
            pass

    @classmethod
    def drop_store(cls, store_id):
        """Deletes every reference of the store, then the store; ignores errors."""
        try:
            for page in cls.a.get_paginator("list_references").paginate(
                    referenceStoreId=store_id):
                for ref in page["references"]:
                    try:
                        cls.a.delete_reference(referenceStoreId=store_id, id=ref["id"])
                    except ClientError:
                        pass
            cls.a.delete_reference_store(id=store_id)
        except ClientError:
            pass

    def wait(self, job_id, store_id=None):
        self.a.get_waiter("reference_import_job_completed").wait(
            referenceStoreId=store_id or self.sid, id=job_id,
            WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    def references(self, store_id):
        pager = self.a.get_paginator("list_references")
        return [r for p in pager.paginate(referenceStoreId=store_id,
                                          PaginationConfig={"PageSize": 1})
                for r in p["references"]]

    def get(self, ref_id, **kw):
        return self.a.get_reference(referenceStoreId=self.sid, id=ref_id, partNumber=1,
                                    **kw)["payload"].read()

    def finished(self):
        """Waits for the good job; returns it and the two reference ids (xfa, xgz)."""
        self.wait(self.good["id"])
        job = self.a.get_reference_import_job(referenceStoreId=self.sid, id=self.good["id"])
        self.assertEqual(job["status"], "COMPLETED", job)
        self.assertEqual([s["status"] for s in job["sources"]], ["FINISHED", "FINISHED"], job)
        ids = [s.get("referenceId", "") for s in job["sources"]]
        for ref_id in ids:
            self.assertRegex(ref_id, r"^[0-9]{10,36}$", job)
        self.assertEqual(len(set(ids)), 2, job)
        return job, ids

    def test_store_create_get_list(self):
        store = self.store
        self.assertRegex(self.sid, r"^[0-9]{10,36}$")
        self.assertEqual(store["arn"],
                         f"arn:aws:omics:{REGION}:{ACCOUNTS['A']}:referenceStore/{self.sid}")
        self.assertEqual((store["name"], store["description"]), (self.name, "python references"))
        self.assertIsInstance(store["creationTime"], datetime.datetime)
        got = self.a.get_reference_store(id=self.sid)
        for member in ("id", "arn", "name", "description", "creationTime"):
            self.assertEqual(got[member], store[member], member)
        pager = self.a.get_paginator("list_reference_stores")
        listed = [s for p in pager.paginate(PaginationConfig={"PageSize": 2})
                  for s in p["referenceStores"]]
        mine = [s for s in listed if s["id"] == self.sid]
        self.assertEqual(len(mine), 1, listed)
        self.assertEqual((mine[0]["name"], mine[0]["arn"]), (self.name, store["arn"]))
        named = self.a.list_reference_stores(filter={"name": self.name})["referenceStores"]
        self.assertEqual(ids_of(named), [self.sid])
        self.raises("ResourceNotFoundException", self.b.get_reference_store, id=self.sid)
        self.raises("ResourceNotFoundException", self.a.get_reference_store, id=MISSING_ID)

    def test_import_completes(self):
        self.assertRegex(self.good["id"], r"^[0-9]{10,36}$")
        self.assertEqual((self.good["referenceStoreId"], self.good["roleArn"]),
                         (self.sid, self.role))
        self.assertIn(self.good["status"], ("SUBMITTED", "IN_PROGRESS", "COMPLETED"))
        self.assertIsInstance(self.good["creationTime"], datetime.datetime)
        job, ids = self.finished()
        self.assertIsInstance(job["completionTime"], datetime.datetime)
        self.assertGreaterEqual(job["completionTime"], job["creationTime"])
        self.assertEqual([(s["sourceFile"], s["name"]) for s in job["sources"]],
                         [("file://" + self.plain, "xfa"), ("file://" + self.gz, "xgz")])

        md5 = hashlib.md5(self.text).hexdigest()
        for ref_id, path, name in zip(ids, (self.plain, self.gz), ("xfa", "xgz")):
            with open(path, "rb") as f:
                raw = f.read()
            meta = self.a.get_reference_metadata(referenceStoreId=self.sid, id=ref_id)
            self.assertEqual((meta["id"], meta["referenceStoreId"], meta["name"]),
                             (ref_id, self.sid, name))
            self.assertEqual(meta["arn"], f"arn:aws:omics:{REGION}:{ACCOUNTS['A']}:"
                                          f"referenceStore/{self.sid}/reference/{ref_id}")
            self.assertEqual(meta["md5"], md5, f"{name}: md5 of the uncompressed FASTA")
            self.assertEqual(meta["status"], "ACTIVE")
            self.assertEqual(meta.get("creationType"), "IMPORT")
            self.assertEqual(meta.get("creationJobId"), self.good["id"])
            source = meta["files"]["source"]
            self.assertEqual(source["contentLength"], len(raw), f"{name}: {meta['files']}")
            account, extension = ACCOUNTS["A"], "fasta" if path == self.plain else "fasta.gz"
            uri = (f"s3://{account}-{self.sid}-s3alias/{account}/referenceStore/{self.sid}"
                   f"/reference/{ref_id}/{ref_id}.{extension}")
            self.assertEqual(source["s3Access"]["s3Uri"], uri, meta["files"])
            self.assertEqual(meta["files"]["index"]["s3Access"]["s3Uri"], uri + ".fai", meta["files"])
            self.assertEqual(source["totalParts"], 1, meta["files"])

            self.assertEqual(self.get(ref_id), raw, f"{name}: the stored bytes")
            # The model's Range pattern, [\p{N}||\p{P}]+, admits digits and punctuation only:
            # no `bytes=` unit.
            self.assertEqual(self.get(ref_id, range="0-99"), raw[:100], name)
            self.assertEqual(self.get(ref_id, file="SOURCE", range="-10"), raw[-10:], name)
            self.raises("RangeNotSatisfiableException", self.a.get_reference,
                        referenceStoreId=self.sid, id=ref_id, partNumber=2)

            index = self.get(ref_id, file="INDEX").decode()
            rows = [line.split("\t") for line in index.splitlines()]
            self.assertEqual([(r[0], int(r[1])) for r in rows], self.SEQUENCES, index)
            self.assertTrue(all(len(r) == 5 for r in rows), index)
            self.assertEqual(index, fai(self.text), f"{name}: the .fai of the uncompressed text")
            self.assertEqual(meta["files"]["index"]["contentLength"], len(index.encode()))

        self.raises("ResourceNotFoundException", self.a.get_reference_metadata,
                    referenceStoreId=self.sid, id=MISSING_ID)
        self.raises("ResourceNotFoundException", self.b.get_reference_metadata,
                    referenceStoreId=self.sid, id=ids[0])

    def test_bad_fasta_fails(self):
        with self.assertRaises(WaiterError) as cm:
            self.wait(self.bad["id"])
        self.assertEqual(cm.exception.last_response.get("status"), "FAILED",
                         cm.exception.last_response)
        job = self.a.get_reference_import_job(referenceStoreId=self.sid, id=self.bad["id"])
        self.assertEqual(job["status"], "FAILED", job)
        (item,) = job["sources"]
        self.assertEqual(item["status"], "FAILED", job)
        self.assertIn("dup", item.get("statusMessage", ""), job)
        self.assertNotIn("referenceId", item, job)

    def test_list_references(self):
        _, ids = self.finished()
        self.settle(self.sid, self.bad["id"])
        listed = self.references(self.sid)
        self.assertEqual(sorted(r["id"] for r in listed), sorted(ids), listed)
        md5 = hashlib.md5(self.text).hexdigest()
        by_id = {r["id"]: r for r in listed}
        for ref_id, name in zip(ids, ("xfa", "xgz")):
            item = by_id[ref_id]
            self.assertEqual((item["name"], item["md5"], item["status"], item["referenceStoreId"]),
                             (name, md5, "ACTIVE", self.sid), item)
        named = self.a.list_references(referenceStoreId=self.sid,
                                       filter={"name": "xgz"})["references"]
        self.assertEqual(ids_of(named), [ids[1]])
        jobs = self.a.list_reference_import_jobs(referenceStoreId=self.sid)["importJobs"]
        self.assertEqual(sorted(j["id"] for j in jobs), sorted([self.good["id"], self.bad["id"]]))

    def test_delete_rules(self):
        store = self.a.create_reference_store(name=unique("refdelete"))
        sid = store["id"]
        self.addCleanup(self.drop_store, sid)
        job = self.start(sid, [self.source(self.plain, "xfa"), self.source(self.gz, "xgz")])
        self.wait(job["id"], sid)
        ids = [s["referenceId"] for s in self.a.get_reference_import_job(
            referenceStoreId=sid, id=job["id"])["sources"]]
        self.assertEqual(sorted(ids_of(self.references(sid))), sorted(ids))

        self.a.delete_reference(referenceStoreId=sid, id=ids[0])
        self.raises("ResourceNotFoundException", self.a.get_reference_metadata,
                    referenceStoreId=sid, id=ids[0])
        self.raises("ResourceNotFoundException", self.a.delete_reference,
                    referenceStoreId=sid, id=ids[0])
        self.assertEqual(ids_of(self.references(sid)), [ids[1]])

        self.raises("ConflictException", self.a.delete_reference_store, id=sid)
        self.assertEqual(self.a.get_reference_store(id=sid)["id"], sid)
        self.a.delete_reference(referenceStoreId=sid, id=ids[1])
        self.a.delete_reference_store(id=sid)
        self.raises("ResourceNotFoundException", self.a.get_reference_store, id=sid)


class Uploads(Case):
    """Direct multipart uploads through boto3: a paired FASTQ.gz and a coordinate-sorted BAM with
    its reference, each uploaded in three parts, equal imports of the same files (statistics,
    ETags, bytes); a wrong checksum and an abort give the modelled answers. The BAM is made with
    `samtools sort` from a conformance SAM in TEST_DATA_DIR (skipped without samtools, unless
    CI=true)."""

    TERMINAL = {"COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED"}

    @classmethod
    def setUpClass(cls):
        if not FILE_ROOT:
            raise unittest.SkipTest("TEST_FILE_ROOT is unset: start seqstore with "
                                    "`--file-root DIR` and set TEST_FILE_ROOT=DIR to run uploads")
        super().setUpClass()
        cls.role = f"arn:aws:iam::{ACCOUNTS['A']}:role/Import"
        cls.dir = os.path.join(FILE_ROOT, f"py-{RUN}-uploads")
        os.makedirs(cls.dir)
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.sid = cls.a.create_sequence_store(name=unique("uploads"), eTagAlgorithmFamily="SHA512up")["id"]

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def upload(self, file_type, files, pieces=3, **kw):
        """Uploads each of `files` (bytes) in `pieces` parts and completes; returns the read set id."""
        up = self.a.create_multipart_read_set_upload(
            sequenceStoreId=self.sid, sourceFileType=file_type, subjectId="subject-1",
            sampleId="sample-1", name="uploaded", **kw)
        self.assertRegex(up["uploadId"], r"^[0-9]{10,36}$")
        self.assertIsInstance(up["creationTime"], datetime.datetime)
        parts = []
        for data, source in zip(files, ("SOURCE1", "SOURCE2")):
            size = -(-len(data) // pieces)
            for n, start in enumerate(range(0, len(data), size), 1):
                resp = self.a.upload_read_set_part(
                    sequenceStoreId=self.sid, uploadId=up["uploadId"], partSource=source,
                    partNumber=n, payload=data[start:start + size])
                parts.append({"partNumber": n, "partSource": source, "checksum": resp["checksum"]})
        listed = self.a.list_read_set_upload_parts(sequenceStoreId=self.sid, uploadId=up["uploadId"],
                                                   partSource="SOURCE1")["parts"]
        self.assertEqual([p["partNumber"] for p in listed], list(range(1, pieces + 1)))
        done = self.a.complete_multipart_read_set_upload(sequenceStoreId=self.sid,
                                                         uploadId=up["uploadId"], parts=parts)
        return done["readSetId"]

    def settled(self, read_set_id, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            meta = self.a.get_read_set_metadata(sequenceStoreId=self.sid, id=read_set_id)
            if meta["status"] != "PROCESSING_UPLOAD":
                return meta
            if time.monotonic() > deadline:
                raise AssertionError(f"read set {read_set_id} still processing after {timeout}s")
            time.sleep(0.3)

    def imported(self, file_type, paths, **kw):
        files = {"source1": "file://" + paths[0]}
        if len(paths) > 1:
            files["source2"] = "file://" + paths[1]
        job = self.a.start_read_set_import_job(
            sequenceStoreId=self.sid, roleArn=self.role,
            sources=[dict(sourceFiles=files, sourceFileType=file_type, subjectId="subject-1",
                          sampleId="sample-1", name="imported", **kw)])
        self.a.get_waiter("read_set_import_job_completed").wait(
            sequenceStoreId=self.sid, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        job = self.a.get_read_set_import_job(sequenceStoreId=self.sid, id=job["id"])
        return self.a.get_read_set_metadata(sequenceStoreId=self.sid, id=job["sources"][0]["readSetId"])

    def download(self, read_set_id, file="SOURCE1"):
        return self.a.get_read_set(sequenceStoreId=self.sid, id=read_set_id, file=file,
                                   partNumber=1)["payload"].read()

    def assertSameReadSet(self, uploaded, imported, files):
        self.assertEqual(uploaded["status"], "ACTIVE", uploaded)
        self.assertEqual(uploaded["creationType"], "UPLOAD")
        for member in ("sequenceInformation", "etag", "fileType"):
            self.assertEqual(uploaded[member], imported[member], member)
        sizes = lambda meta: {k: v["contentLength"] for k, v in meta["files"].items()}
        self.assertEqual(sizes(uploaded), sizes(imported))
        for data, source in zip(files, ("SOURCE1", "SOURCE2")):
            self.assertEqual(self.download(uploaded["id"], source), data)

    def test_paired_fastq_gz(self):
        r1 = gzip.compress(fastq(3000, 120, 1, seed=3), mtime=0)
        r2 = gzip.compress(fastq(3000, 120, 2, seed=3), mtime=0)
        uploaded = self.settled(self.upload("FASTQ", [r1, r2]))
        imported = self.imported("FASTQ", [self.write("r1.fq.gz", r1), self.write("r2.fq.gz", r2)])
        self.assertEqual(uploaded["etag"]["algorithm"], "FASTQ_SHA512up")
        self.assertEqual(uploaded["etag"]["source2"], hashlib.sha512(gzip.decompress(r2)).hexdigest())
        self.assertSameReadSet(uploaded, imported, [r1, r2])

    def test_bam_with_reference(self):
        if not shutil.which("samtools"):
            if os.environ.get("CI") == "true":
                self.fail("CI=true but samtools is not installed")
            self.skipTest("samtools is not installed")
        data = os.environ.get("TEST_DATA_DIR", "")
        sam = os.path.join(data, "hts-specs/cram3.0/passed/1406_index_long.sam")
        bam_path = os.path.join(self.dir, "sorted.bam")
        subprocess.run(["samtools", "sort", "-o", bam_path, sam], check=True, capture_output=True)
        with open(bam_path, "rb") as f:
            bam = f.read()
        ce = self.write("ce.fa", open(os.path.join(data, "hts-specs/ref/ce.fa"), "rb").read())
        ref_store = self.a.create_reference_store(name=unique("upload-ref"))["id"]
        job = self.a.start_reference_import_job(referenceStoreId=ref_store, roleArn=self.role,
                                                sources=[{"sourceFile": "file://" + ce, "name": "ce-ref"}])
        self.a.get_waiter("reference_import_job_completed").wait(
            referenceStoreId=ref_store, id=job["id"], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        job = self.a.get_reference_import_job(referenceStoreId=ref_store, id=job["id"])
        arn = f"arn:aws:omics:{REGION}:{ACCOUNTS['A']}:referenceStore/{ref_store}/reference/" \
              f"{job['sources'][0]['referenceId']}"
        uploaded = self.settled(self.upload("BAM", [bam], referenceArn=arn))
        imported = self.imported("BAM", [bam_path], referenceArn=arn)
        self.assertEqual(uploaded["etag"]["algorithm"], "BAM_SHA512up")
        self.assertEqual(uploaded["referenceArn"], arn)
        self.assertSameReadSet(uploaded, imported, [bam])
        self.assertEqual(self.download(uploaded["id"], "INDEX"), self.download(imported["id"], "INDEX"))

    def test_upload_without_reference_or_provenance(self):
        """The model marks referenceArn (and generatedFrom in list items) required; with no value
        they are left out (README, Wire compatibility), and boto3 takes the responses as they are."""
        up = self.a.create_multipart_read_set_upload(
            sequenceStoreId=self.sid, sourceFileType="FASTQ", subjectId="s", sampleId="s", name="bare")
        self.addCleanup(self.a.abort_multipart_read_set_upload, sequenceStoreId=self.sid, uploadId=up["uploadId"])
        self.assertNotIn("referenceArn", up)
        listed = self.a.list_multipart_read_set_uploads(sequenceStoreId=self.sid)["uploads"]
        item = next(u for u in listed if u["uploadId"] == up["uploadId"])
        self.assertNotIn("referenceArn", item)
        self.assertNotIn("generatedFrom", item)
        self.assertIsInstance(item["creationTime"], datetime.datetime)

    def test_failed_upload_download_is_a_conflict(self):
        bad = fastq(50, 40) + b"@broken\nACGT\n+\nII\n"
        meta = self.settled(self.upload("FASTQ", [bad], pieces=1))
        self.assertEqual(meta["status"], "UPLOAD_FAILED", meta)
        for member in ("etag", "files", "sequenceInformation"):
            self.assertNotIn(member, meta)
        self.raises("ConflictException", self.download, meta["id"], mentions="is UPLOAD_FAILED, not ACTIVE")

    def test_download_right_after_upload_is_a_conflict(self):
        """What aws-healthomics-tools' download_read_set does right after upload_read_set: on the
        server whose processing is held, the read set is PROCESSING_UPLOAD and GetReadSet a 409."""
        if not HELD_ENDPOINT:
            self.skipTest("TEST_HELD_ENDPOINT_URL is unset")
        held = client("A", endpoint=HELD_ENDPOINT)
        sid = held.create_sequence_store(name=unique("held"))["id"]
        up = held.create_multipart_read_set_upload(
            sequenceStoreId=sid, sourceFileType="FASTQ", subjectId="s", sampleId="s", name="held")
        data = fastq(2000, 50, seed=9)
        part = held.upload_read_set_part(sequenceStoreId=sid, uploadId=up["uploadId"], partSource="SOURCE1",
                                         partNumber=1, payload=data)
        done = held.complete_multipart_read_set_upload(
            sequenceStoreId=sid, uploadId=up["uploadId"],
            parts=[{"partNumber": 1, "partSource": "SOURCE1", "checksum": part["checksum"]}])
        with self.assertRaises(ClientError) as cm:
            held.get_read_set(sequenceStoreId=sid, id=done["readSetId"], partNumber=1)
        error = cm.exception.response
        self.assertEqual(error["Error"]["Code"], "ConflictException", error)
        self.assertEqual(error["ResponseMetadata"]["HTTPStatusCode"], 409)
        self.assertIn("is PROCESSING_UPLOAD, not ACTIVE", error["Error"]["Message"])
        meta = held.get_read_set_metadata(sequenceStoreId=sid, id=done["readSetId"])
        self.assertEqual(meta["status"], "PROCESSING_UPLOAD")
        for member in ("etag", "files", "sequenceInformation"):
            self.assertNotIn(member, meta)

    def test_wrong_checksum_and_abort(self):
        up = self.a.create_multipart_read_set_upload(
            sequenceStoreId=self.sid, sourceFileType="FASTQ", subjectId="s", sampleId="s", name="bad")
        uid = up["uploadId"]
        self.a.upload_read_set_part(sequenceStoreId=self.sid, uploadId=uid, partSource="SOURCE1",
                                    partNumber=1, payload=fastq(10, 20))
        self.raises("ValidationException", self.a.complete_multipart_read_set_upload,
                    sequenceStoreId=self.sid, uploadId=uid,
                    parts=[{"partNumber": 1, "partSource": "SOURCE1", "checksum": "bm90IGl0"}],
                    mentions="checksum")
        ids = [u["uploadId"] for u in self.a.list_multipart_read_set_uploads(sequenceStoreId=self.sid)["uploads"]]
        self.assertIn(uid, ids)
        self.a.abort_multipart_read_set_upload(sequenceStoreId=self.sid, uploadId=uid)
        ids = [u["uploadId"] for u in self.a.list_multipart_read_set_uploads(sequenceStoreId=self.sid)["uploads"]]
        self.assertNotIn(uid, ids)
        self.raises("ResourceNotFoundException", self.a.abort_multipart_read_set_upload,
                    sequenceStoreId=self.sid, uploadId=uid)


class Counting(unittest.TextTestResult):
    """Counts passes directly: a failing setUpClass is an error without a test run."""

    passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    required = ["TEST_ENDPOINT_URL", "TEST_KEY_A_ID", "TEST_KEY_A_SECRET", "TEST_ACCOUNT_A",
                "TEST_KEY_B_ID", "TEST_KEY_B_SECRET", "TEST_ACCOUNT_B"]
    missing = [name for name in required if not os.environ.get(name)]
    if missing:
        sys.exit(f"test_clients.py: set {', '.join(missing)} (TEST_ENDPOINT_URL is the URL of a "
                 "running seqstore, e.g. http://127.0.0.1:41234)")
    for name in ("TEST_ACCOUNT_A", "TEST_ACCOUNT_B"):
        if not re.fullmatch(r"[0-9]{12}", os.environ[name]):
            sys.exit(f"test_clients.py: {name} must be 12 digits")
    # Keep the developer's own AWS profile, config and credentials out of the clients.
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    module = sys.modules[__name__]
    loader = unittest.defaultTestLoader
    suite = (loader.loadTestsFromNames(sys.argv[1:], module) if sys.argv[1:]
             else loader.loadTestsFromModule(module))
    result = unittest.TextTestRunner(resultclass=Counting, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"python-clients: {result.passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed or not result.passed else 0)


if __name__ == "__main__":
    main()
