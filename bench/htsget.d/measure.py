#!/usr/bin/env python3
"""The Python parts of bench/htsget: the imports, the region loop and the refget load.

  measure.py setup --endpoint URL --bam file:///…/X.bam --fasta file:///…/ref.fa
      creates a sequence store and imports the BAM (no reference), creates a reference store and
      imports the FASTA (boto3 omics, dev-mode keys), both jobs at once, waits for COMPLETED.
      Prints one JSON object: store, read_set, reference_store, reference, seconds.
  measure.py regions --endpoint URL --store ID --read-set ID --bam LOCAL.bam [--regions 200]
                     [--length 10000] [--seed 1] [--warmup 3] [--watch PID] --out FILE.json
      for N seeded random regions of LENGTH bases (reference chosen in proportion to its length,
      start uniform so that the region lies within it), in an order rotated from region to region:
        local     `samtools view -c LOCAL.bam ref:S+1-E` (the BAM's own index beside it)
        htsget    `samtools view -c URL?referenceName=ref&start=S&end=E` (htslib's htsget client)
        header    `samtools view -c URL?class=header` (0 records): the fixed cost of an htsget read
                  with samtools (its libcurl plugin, a ticket, the inline header), no data URL
        floor     `samtools view -c http://127.0.0.1:1/none.bam`, which fails at once (connection
                  refused): what any samtools read of a URL costs before a server answers (htslib's
                  libcurl plugin loaded, libcurl started), with no server involved
        breakdown over one persistent connection: the region's ticket GET, a `class=header`
                  ticket GET (no index read: the difference is what the index costs), then every
                  data URL of the region's ticket (the bytes samtools fetched)
      each timed with a monotonic clock around it (the samtools rows include process start-up, as
      a user's command does). The counts must satisfy htsget >= local (exit 1 otherwise). The first
      --warmup regions (another seed) run untimed. Writes every sample to --out; prints a summary
      line on stderr.
  measure.py refget --endpoint URL --fasta ref.fa [--rate 500] [--seconds 20] [--length 1000]
                    [--threads 4] [--seed 1] [--watch PID]
      checks each sequence's metadata (length, by its MD5) and 50 random ranges' bases against the
      FASTA, then the open loop of bench/s3's `ttfb` (s3.d/measure.py's open_loop, imported, not
      copied): `GET /ga4gh/refget/v2/sequence/{md5}?start=S&end=S+LENGTH` at seeded random
      positions, RATE requests/s for SECONDS over THREADS persistent connections; every answer must
      be a 200 of LENGTH bytes. Prints open_loop's JSON (`p50_ms`… is the time to first byte,
      `total_p50_ms`… the whole answer).

Errors go to stderr with exit status 1. Standard library + boto3 (the repo's venv).
"""

import argparse
import hashlib
import http.client
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("s3_measure", os.path.join(HERE, "..", "s3.d", "measure.py"))
s3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(s3)

REGION = "us-east-1"
DEV_KEY = ("bench", "bench")  # dev mode: any well-formed signature is accepted
REFGET = "/ga4gh/refget/v2/sequence"
CLOSED_URL = "http://127.0.0.1:1/none.bam"  # nothing listens on port 1: the connection is refused


def fail(message):
    sys.exit(f"measure.py: {message}")


# ---------------------------------------------------------------------------------------------
# setup


def setup(args):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    omics = boto3.client("omics", endpoint_url=args.endpoint, region_name=REGION,
                         aws_access_key_id=DEV_KEY[0], aws_secret_access_key=DEV_KEY[1],
                         config=Config(inject_host_prefix=False, retries={"max_attempts": 3}))
    try:
        store = omics.create_sequence_store(name="bench-htsget")
        store_id = store["id"]
        account = store["arn"].split(":")[4]
        role = f"arn:aws:iam::{account}:role/Bench"
        ref_store = omics.create_reference_store(name="bench-htsget")["id"]
        start = time.monotonic()
        ref_job = omics.start_reference_import_job(
            referenceStoreId=ref_store, roleArn=role,
            sources=[{"sourceFile": args.fasta, "name": "benchref"}])["id"]
        bam_job = omics.start_read_set_import_job(
            sequenceStoreId=store_id, roleArn=role,
            sources=[{"sourceFiles": {"source1": args.bam}, "sourceFileType": "BAM",
                      "subjectId": "s", "sampleId": "s", "name": "bench-htsget"}])["id"]
        ref_done = bam_done = None
        while ref_done is None or bam_done is None:
            if ref_done is None:
                got = omics.get_reference_import_job(referenceStoreId=ref_store, id=ref_job)
                if got["status"] not in ("SUBMITTED", "IN_PROGRESS", "CANCELLING"):
                    ref_done = got
            if bam_done is None:
                got = omics.get_read_set_import_job(sequenceStoreId=store_id, id=bam_job)
                if got["status"] not in ("SUBMITTED", "IN_PROGRESS", "CANCELLING"):
                    bam_done = got
            if time.monotonic() - start > args.timeout:
                fail(f"imports not done after {args.timeout:.0f} s")
            time.sleep(0.2)
        seconds = time.monotonic() - start
        if ref_done["status"] != "COMPLETED":
            fail(f"reference import ended {ref_done['status']}: {ref_done.get('statusMessage')} {ref_done['sources']}")
        if bam_done["status"] != "COMPLETED":
            fail(f"BAM import ended {bam_done['status']}: {bam_done.get('statusMessage')} {bam_done['sources']}")
    except (BotoCoreError, ClientError) as error:
        fail(str(error))
    print(json.dumps({"store": store_id, "read_set": bam_done["sources"][0]["readSetId"],
                      "reference_store": ref_store, "reference": ref_done["sources"][0]["referenceId"],
                      "seconds": round(seconds, 3)}))


# ---------------------------------------------------------------------------------------------
# regions


def references(bam):
    """(name, length) of each @SQ of a BAM's header."""
    header = subprocess.run(["samtools", "view", "-H", bam], check=True, capture_output=True, text=True).stdout
    refs = []
    for line in header.splitlines():
        if line.startswith("@SQ"):
            f = dict(x.split(":", 1) for x in line.split("\t")[1:] if ":" in x)
            refs.append((f["SN"], int(f["LN"])))
    if not refs:
        fail(f"{bam} has no @SQ lines")
    return refs


def pick_regions(refs, n, length, seed):
    rng = random.Random(seed)
    usable = [(name, ln) for name, ln in refs if ln >= length]
    weights = [ln for _, ln in usable]
    out = []
    for _ in range(n):
        name, ln = rng.choices(usable, weights)[0]
        start = rng.randrange(0, ln - length + 1)
        out.append((name, start, start + length))
    return out


def samtools_count(argv, env):
    """Runs `samtools view -c …`; (seconds, count)."""
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - t0
    if done.returncode != 0:
        fail(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds, int(done.stdout.strip())


class Client:
    """One persistent HTTP/1.1 connection to the server, reconnecting when it is closed."""

    def __init__(self, endpoint):
        u = urllib.parse.urlsplit(endpoint)
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None

    def get(self, target, headers=None):
        """(status, body) of GET target (a path with its query, or an absolute URL on this server)."""
        if target.startswith("http"):
            u = urllib.parse.urlsplit(target)
            if (u.hostname, u.port or 80) != (self.host, self.port):
                fail(f"a ticket URL on another server: {target}")
            target = u.path + (f"?{u.query}" if u.query else "")
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request("GET", target, headers=headers or {})
                answer = self.conn.getresponse()
                body = answer.read()
                if answer.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return answer.status, body
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def breakdown(client, ticket_path, header_path):
    """Times a region's ticket, a header-only ticket and the region ticket's data URLs."""
    t0 = time.monotonic()
    status, body = client.get(ticket_path)
    t1 = time.monotonic()
    if status != 200:
        fail(f"ticket {ticket_path}: {status} {body[:300]!r}")
    status, hbody = client.get(header_path)
    t2 = time.monotonic()
    if status != 200:
        fail(f"ticket {header_path}: {status} {hbody[:300]!r}")
    urls = json.loads(body)["htsget"]["urls"]
    data_bytes = inline_bytes = n_data = 0
    t3 = time.monotonic()
    for u in urls:
        if u["url"].startswith("data:"):
            inline_bytes += len(u["url"])
            continue
        status, data = client.get(u["url"], u.get("headers"))
        if status != 200 and status != 206:
            fail(f"data URL {u['url']}: {status} {data[:300]!r}")
        data_bytes += len(data)
        n_data += 1
    t4 = time.monotonic()
    return {"ticket_ms": (t1 - t0) * 1e3, "header_ticket_ms": (t2 - t1) * 1e3, "data_ms": (t4 - t3) * 1e3,
            "ticket_bytes": len(body), "urls": len(urls), "data_urls": n_data, "data_bytes": data_bytes,
            "inline_uri_chars": inline_bytes}


def regions(args):
    refs = references(args.bam)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTS_")}
    env["REF_PATH"] = "/nonexistent"  # BAM: htslib needs no reference; never fetch one
    base = f"/ga4gh/htsget/v1/reads/{args.store}/{args.read_set}"
    client = Client(args.endpoint)
    watch = [int(p) for p in args.watch.split(",") if p] if args.watch else []

    def one(i, name, start, end):
        local_region = f"{name}:{start + 1}-{end}"
        query = f"?referenceName={urllib.parse.quote(name)}&start={start}&end={end}"
        sample = {"i": i, "ref": name, "start": start, "end": end}

        def local():
            sample["local_s"], sample["local_count"] = samtools_count(
                ["samtools", "view", "-c", args.bam, local_region], env)

        def htsget():
            c0 = sum(s3.cpu_ticks(p) for p in watch)
            sample["htsget_s"], sample["htsget_count"] = samtools_count(
                ["samtools", "view", "-c", args.endpoint + base + query], env)
            sample["htsget_server_ticks"] = sum(s3.cpu_ticks(p) for p in watch) - c0

        def header():
            sample["header_s"], count = samtools_count(
                ["samtools", "view", "-c", args.endpoint + base + "?class=header"], env)
            if count != 0:
                fail(f"a class=header ticket gave {count} records")

        def floor():
            t0 = time.monotonic()
            done = subprocess.run(["samtools", "view", "-c", CLOSED_URL], capture_output=True, env=env)
            sample["floor_s"] = time.monotonic() - t0
            if done.returncode == 0:
                fail(f"samtools read {CLOSED_URL}: something listens on 127.0.0.1:1")

        def parts():
            c0 = sum(s3.cpu_ticks(p) for p in watch)
            sample.update(breakdown(client, base + query, base + "?class=header"))
            sample["breakdown_server_ticks"] = sum(s3.cpu_ticks(p) for p in watch) - c0

        steps = [local, htsget, header, floor, parts]
        for k in range(len(steps)):
            steps[(k + i) % len(steps)]()
        if sample["htsget_count"] < sample["local_count"]:
            fail(f"region {local_region}: htsget gave {sample['htsget_count']} records, "
                 f"the local file {sample['local_count']}")
        return sample

    for i, (name, start, end) in enumerate(pick_regions(refs, args.warmup, args.length, args.seed + 1_000_000)):
        one(i, name, start, end)
    samples = []
    t0 = time.monotonic()
    for i, (name, start, end) in enumerate(pick_regions(refs, args.regions, args.length, args.seed)):
        samples.append(one(i, name, start, end))
    wall = time.monotonic() - t0
    with open(args.out, "w") as f:
        json.dump({"references": refs, "length": args.length, "seed": args.seed, "wall_s": round(wall, 3),
                   "tick_s": 1 / s3.TICK, "samples": samples}, f)
    med = lambda key: sorted(s[key] for s in samples)[len(samples) // 2]  # noqa: E731
    print(f"{len(samples)} regions in {wall:.1f}s: median local {med('local_s') * 1e3:.1f} ms, "
          f"htsget {med('htsget_s') * 1e3:.1f} ms (ticket {med('ticket_ms'):.1f} ms, "
          f"data {med('data_ms'):.1f} ms)", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# refget


def read_fasta(path):
    """[(name, upper-case bases)] of a FASTA file."""
    seqs, name, chunks = [], None, []
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b">"):
                if name is not None:
                    seqs.append((name, b"".join(chunks).upper()))
                name, chunks = line[1:].split()[0].decode(), []
            else:
                chunks.append(line.strip())
    if name is not None:
        seqs.append((name, b"".join(chunks).upper()))
    return seqs


def refget(args):
    u = urllib.parse.urlsplit(args.endpoint)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        fail("refget only loads servers on this machine (127.0.0.1)")
    seqs = [(name, hashlib.md5(b).hexdigest(), b) for name, b in read_fasta(args.fasta)]
    usable = [s for s in seqs if len(s[2]) >= args.length]
    client = Client(args.endpoint)
    for name, md5, bases in seqs:
        status, body = client.get(f"{REFGET}/{md5}/metadata")
        if status != 200:
            fail(f"refget metadata of {name} ({md5}): {status} {body[:300]!r}")
        if json.loads(body)["metadata"]["length"] != len(bases):
            fail(f"refget metadata of {name}: {body[:300]!r}, the FASTA has {len(bases)} bases")
    check = random.Random(args.seed + 1_000_000)
    for _ in range(50):
        name, md5, bases = check.choice(usable)
        a = check.randrange(0, len(bases) - args.length + 1)
        status, body = client.get(f"{REFGET}/{md5}?start={a}&end={a + args.length}")
        if status != 200 or body != bases[a:a + args.length]:
            fail(f"refget {name}:{a}+{args.length} answered {status} with other bases than the FASTA's")
    client.conn.close()

    rng = random.Random(args.seed)
    weights = [len(s[2]) for s in usable]
    requests = []
    for _ in range(int(args.rate * args.seconds)):
        _, md5, bases = rng.choices(usable, weights)[0]
        a = rng.randrange(0, len(bases) - args.length + 1)
        requests.append((f"GET {REFGET}/{md5}?start={a}&end={a + args.length} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                         "User-Agent: bench-htsget-refget\r\nAccept: */*\r\n\r\n").encode("latin-1"))
    watch = [int(p) for p in args.watch.split(",") if p] if args.watch else []
    out, errors = s3.open_loop(u.hostname, u.port or 80, requests, args.length, "200", args.rate, args.threads, watch)
    out["asked_rate"] = args.rate
    out["sequences"] = [[name, md5, len(b)] for name, md5, b in seqs]
    print(json.dumps(out))
    print(f"{out['answered']} answers at {out['rate']}/s, first byte p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms; "
          f"whole answer p50 {out['total_p50_ms']} ms, p99 {out['total_p99_ms']} ms, max {out['max_ms']} ms; "
          f"send lag p99 {out['lag_p99_ms']} ms" + (f"; {len(errors)} errors, first: {errors[0]}" if errors else ""),
          file=sys.stderr)
    if errors:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--bam", required=True)
    p.add_argument("--fasta", required=True)
    p.add_argument("--timeout", type=float, default=3600.0)
    p = sub.add_parser("regions")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--read-set", required=True)
    p.add_argument("--bam", required=True)
    p.add_argument("--regions", type=int, default=200)
    p.add_argument("--length", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--watch", default="")
    p.add_argument("--out", required=True)
    p = sub.add_parser("refget")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--fasta", required=True)
    p.add_argument("--rate", type=float, default=500.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--length", type=int, default=1000)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--watch", default="")
    args = parser.parse_args()
    {"setup": setup, "regions": regions, "refget": refget}[args.cmd](args)


if __name__ == "__main__":
    main()
