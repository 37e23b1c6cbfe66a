"""Second-client compatibility tests: boto3 and the AWS CLI v1 against a running seqstore.

Run with the venv from scripts/python-venv:
    TEST_ENDPOINT_URL=http://127.0.0.1:PORT TEST_KEY_A_ID=... TEST_KEY_A_SECRET=... \
    TEST_ACCOUNT_A=... TEST_KEY_B_ID=... TEST_KEY_B_SECRET=... TEST_ACCOUNT_B=... \
    .venv/bin/python crates/seqstore/tests/python/test_clients.py [TestClass[.test_name] ...]

Every store name carries a per-run suffix, so reruns against the same server never collide.
botocore checks only `min` bounds and required members on the client (no max lengths, no
enums, no patterns), so those rules are tested against the server here.
"""

import datetime
import json
import os
import re
import socket
import subprocess
import sys
import unittest
import uuid
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("TEST_ENDPOINT_URL", "")
REGION = os.environ.get("TEST_REGION", "us-east-1")
KEYS = {
    "A": (os.environ.get("TEST_KEY_A_ID"), os.environ.get("TEST_KEY_A_SECRET")),
    "B": (os.environ.get("TEST_KEY_B_ID"), os.environ.get("TEST_KEY_B_SECRET")),
}
ACCOUNTS = {"A": os.environ.get("TEST_ACCOUNT_A"), "B": os.environ.get("TEST_ACCOUNT_B")}
AWS_CLI = os.environ.get("TEST_AWS_CLI") or os.path.join(os.path.dirname(sys.executable), "aws")
RUN = uuid.uuid4().hex[:10]
STATUS = {
    "ValidationException": 400,
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "ResourceNotFoundException": 404,
}
MISSING_ID = "1234567890"
KMS_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def client(key="A", *, key_id=None, secret=None, prefix=False):
    """A boto3 omics client for account `key`; host-prefix injection off unless `prefix`."""
    kid, ksecret = KEYS[key]
    return boto3.session.Session().client(
        "omics",
        region_name=REGION,
        endpoint_url=ENDPOINT,
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

        got = self.a.get_sequence_store(id=store["id"])
        for member in ("id", "arn", "name", "description", "sseConfig", "creationTime",
                       "fallbackLocation", "propagatedSetLevelTags", "eTagAlgorithmFamily",
                       "status"):
            self.assertEqual(got[member], store[member], member)
        self.assertEqual(got["s3Access"]["accessLogLocation"], "s3://log-bucket/logs/")

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
        self.a.update_sequence_store(id=store["id"], description="one", clientToken=token)
        self.a.update_sequence_store(id=store["id"], description="two")
        again = self.a.update_sequence_store(id=store["id"], description="one", clientToken=token)
        self.assertEqual(again["description"], "two")
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

    def aws(self, *args, ok=True):
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
