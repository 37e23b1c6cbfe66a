#!/usr/bin/env python3
"""Set up and measure the web dashboard for bench/ui.

  measure.py setup --endpoint URL --files DIR     create the store (prints its id) and write a FASTA
  measure.py run --endpoint URL --store S --files DIR --requests N --profile P --populate F --out FILE

`run` adds one import job of 100 sources that repeat the first 100 files (duplicates by ETag) and a
reference store with one 200-sequence reference, then finds each page's URL the way a visitor
would (the deepest read set page by following keyset links from a position near the end), requests
each page N times after 10 untimed requests, first one client at a time and then 4 clients at once,
checks that every answer is 200 with the expected content, and writes a Markdown table.
"""

import argparse
import http.client
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

ROLE = "arn:aws:iam::123456789012:role/Bench"


def omics(endpoint):
    import boto3
    from botocore.config import Config

    return boto3.client("omics", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench",
                        config=Config(inject_host_prefix=False))


def wait_job(get, **kw):
    while True:
        job = get(**kw)
        if job["status"] not in ("SUBMITTED", "IN_PROGRESS"):
            return job
        time.sleep(0.2)


def setup(args):
    client = omics(args.endpoint)
    store = client.create_sequence_store(name="ui-bench", eTagAlgorithmFamily="MD5up")["id"]
    rng = random.Random(7)
    with open(os.path.join(args.files, "ref.fa"), "w") as f:
        for i in range(200):
            seq = "".join(rng.choice("ACGT") for _ in range(500 + i))
            f.write(">chr%d\n%s\n" % (i, "\n".join(seq[j:j + 60] for j in range(0, len(seq), 60))))
    print(store)


class Conn:
    def __init__(self, endpoint):
        u = urllib.parse.urlparse(endpoint)
        self.host, self.port = u.hostname, u.port
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, path):
        self.c.request("GET", path)
        r = self.c.getresponse()
        body = r.read()
        return r.status, body


def page_urls(args):
    client = omics(args.endpoint)
    files = os.path.abspath(args.files)
    sources = [{"sourceFiles": {"source1": "file://%s/t%05d.fastq" % (files, i)}, "sourceFileType": "FASTQ",
                "subjectId": "dup", "sampleId": "dup-%03d" % i, "name": "dup-%03d" % i} for i in range(100)]
    dup_job = client.start_read_set_import_job(sequenceStoreId=args.store, roleArn=ROLE, sources=sources)["id"]
    wait_job(client.get_read_set_import_job, sequenceStoreId=args.store, id=dup_job)
    refs = client.create_reference_store(name="ui-bench-refs")["id"]
    ref_job = client.start_reference_import_job(referenceStoreId=refs, roleArn=ROLE, sources=[
        {"sourceFile": "file://%s/ref.fa" % files, "name": "bench-ref"}])["id"]
    done = wait_job(client.get_reference_import_job, referenceStoreId=refs, id=ref_job)
    if done["status"] != "COMPLETED":
        raise SystemExit("reference import ended %s" % done)
    ref = client.list_references(referenceStoreId=refs)["references"][0]["id"]
    some_job = client.list_read_set_import_jobs(sequenceStoreId=args.store, maxResults=1)["importJobs"][0]["id"]
    read_set = client.list_read_sets(sequenceStoreId=args.store, maxResults=1)["readSets"][0]
    etag = read_set["etag"]["source1"]

    conn = Conn(args.endpoint)
    base = "/ui/stores/%s" % args.store
    # The last page of read sets: follow keyset links from the first page, 50 read sets a page.
    path, pages = base, 0
    while True:
        status, body = conn.get(path)
        assert status == 200, (path, status)
        m = re.search(rb'<a class="next" href="([^"]+)"', body)
        if not m:
            break
        path = m.group(1).decode().replace("&amp;", "&")
        pages += 1
        if pages >= 150:
            break
    deep = path
    return [
        ("sequence stores", "/ui/", b"ui-bench"),
        ("read sets, first page", base, b"data-read-set="),
        ("read sets, page %d (keyset)" % pages, deep, b"data-read-set="),
        ("read sets, sample filter", base + "?sample=sample-05000", b"sample-05000"),
        ("read sets, subject filter", base + "?subject=subject-050", b"subject-050"),
        ("read sets, status + type", base + "?status=ACTIVE&type=FASTQ", b"data-read-set="),
        ("read sets, duplicates", base + "?duplicates=1", b"tiny-00000"),
        ("read sets, one ETag", base + "?etag=" + etag, etag.encode()),
        ("read set detail", "%s/readsets/%s" % (base, read_set["id"]), b"total-read-count"),
        ("part download", "%s/readsets/%s/source1/1" % (base, read_set["id"]), b"@tiny"),
        ("jobs and uploads", base + "/jobs", b"data-job="),
        ("job with 100 sources", "%s/jobs/%s" % (base, some_job), b"data-source=\"99\""),
        ("job progress (JSON)", "%s/jobs/%s/progress" % (base, some_job), b"FINISHED"),
        ("reference stores", "/ui/references", b"ui-bench-refs"),
        ("references", "/ui/references/%s" % refs, b"bench-ref"),
        ("reference, 200 sequences", "/ui/references/%s/%s" % (refs, ref), b"chr199"),
        ("import throughput", "/ui/throughput", b"throughput-chart"),
    ]


def measure(endpoint, path, expect, n, clients):
    times = []
    lock = threading.Lock()
    errors = []

    def worker(count):
        conn = Conn(endpoint)
        for i in range(count + 10):
            t0 = time.perf_counter()
            status, body = conn.get(path)
            dt = time.perf_counter() - t0
            if status != 200 or expect not in body:
                errors.append((path, status, body[:200]))
            if i >= 10:
                with lock:
                    times.append(dt)

    threads = [threading.Thread(target=worker, args=(n // clients,)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit("bad answers: %s" % errors[:3])
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(round(p * (len(times) - 1))))] * 1000
    return q(0.5), q(0.95), times[-1] * 1000


def run(args):
    urls = page_urls(args)
    populate = json.load(open(args.populate))
    rows, worst = [], 0.0
    for name, path, expect in urls:
        one = measure(args.endpoint, path, expect, args.requests, 1)
        four = measure(args.endpoint, path, expect, args.requests, 4)
        worst = max(worst, one[1], four[1])
        rows.append((name, path, one, four))
        print("%-36s p95 %7.1f ms (1 client) %7.1f ms (4 clients)" % (name, one[1], four[1]), file=sys.stderr)
    cpu = "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except Exception:
        pass
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    ok = worst <= 200.0
    with open(args.out, "w") as f:
        f.write("# Web dashboard latency (bench/ui)\n\n")
        f.write("Generated by `bench/ui --profile %s --requests %d` on %s.\n\n" % (args.profile, args.requests,
                time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
        f.write("- seqstore git %s, `cargo build%s`, `serve` in dev mode, SQLite, default config\n"
                % (rev, " --release" if args.profile == "release" else " (debug profile)"))
        f.write("- machine: %s, %d CPUs, %s\n" % (cpu, os.cpu_count(), platform.platform()))
        f.write("- one store with %d imported read sets (%d jobs of 100, imported in %.0f s) plus 100 duplicates "
                "by ETag (one more job); a reference with 200 sequences\n"
                % (populate["read_sets"], populate["jobs"], populate["seconds"]))
        f.write("- each page requested %d times after 10 untimed requests: by one client, then by 4 clients "
                "at once (%d each); keep-alive HTTP/1.1 from Python's http.client; every answer checked for "
                "status 200 and expected content\n" % (args.requests, args.requests // 4))
        f.write("- pages list 50 items (read sets, jobs, stores), a reference page 500 sequences\n\n")
        f.write("| page | path | p50 ms (1) | p95 ms (1) | max ms (1) | p50 ms (4) | p95 ms (4) | max ms (4) |\n")
        f.write("|---|---|---:|---:|---:|---:|---:|---:|\n")
        for name, path, one, four in rows:
            shown = path if len(path) < 60 else path[:57] + "…"
            f.write("| %s | `%s` | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n" % ((name, shown) + one + four))
        f.write("\nTarget: every page's p95 at most 200 ms — %s (worst p95 %.1f ms).\n"
                % ("met" if ok else "NOT met", worst))
    print("wrote %s; worst p95 %.1f ms" % (args.out, worst), file=sys.stderr)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--files", required=True)
    r = sub.add_parser("run")
    for a in ("--endpoint", "--store", "--files", "--profile", "--populate", "--out"):
        r.add_argument(a, required=True)
    r.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    return setup(args) if args.cmd == "setup" else run(args)


if __name__ == "__main__":
    sys.exit(main() or 0)
