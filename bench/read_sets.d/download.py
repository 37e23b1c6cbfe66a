#!/usr/bin/env python3
"""Parallel part downloads for bench/read_sets: seqstore's GetReadSet next to ranged GETs.

  download.py hashes FILE --part-size P                 per-part and whole-file digests (JSON)
  download.py seqstore --endpoint URL --store S --read-set R --expect HASHES.json [options]
  download.py http --url URL --expect HASHES.json [options]

Both downloaders run the same loop: part k (1-based) of `part_size` bytes is fetched by one of
`--concurrency` threads and streamed in 1 MiB reads into a SHA-256 (or, with --reassemble OUT,
also written at its offset of OUT). `seqstore` fetches a part with boto3's
`get_read_set(partNumber=k)['payload']`; `http` with urllib3 and `Range: bytes=a-b` (the part's
bytes, expected 206). Both go through urllib3 connection pools of `max_pool_connections` = 8.

Prints one JSON line: seconds (first request sent -> last byte hashed, client set up before),
bytes, parts, ok, and on a mismatch the problem. Exit status 0 when every part's SHA-256 equals
the one in --expect (and, with --reassemble, OUT's whole SHA-256 equals the file's), 1 otherwise.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import sys
import time

CHUNK = 1 << 20


def file_hashes(path, part_size):
    size = os.path.getsize(path)
    whole, md5, parts = hashlib.sha256(), hashlib.md5(), []
    with open(path, "rb") as f:
        while True:
            part = hashlib.sha256()
            left = part_size
            while left:
                data = f.read(min(CHUNK * 8, left))
                if not data:
                    break
                part.update(data)
                whole.update(data)
                md5.update(data)
                left -= len(data)
            if left == part_size:
                break
            parts.append(part.hexdigest())
    return {"size": size, "part_size": part_size, "sha256": whole.hexdigest(),
            "md5": md5.hexdigest(), "parts": parts}


def drain(read, number, part_size, out_fd):
    """Reads a response body to its end; returns (part number, bytes, sha256 hex)."""
    h = hashlib.sha256()
    n = 0
    offset = (number - 1) * part_size
    while True:
        data = read(CHUNK)
        if not data:
            break
        h.update(data)
        if out_fd is not None:
            os.pwrite(out_fd, data, offset + n)
        n += len(data)
    return number, n, h.hexdigest()


def seqstore_fetcher(args):
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "omics",
        endpoint_url=args.endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(inject_host_prefix=False, max_pool_connections=8,
                      retries={"max_attempts": 1}, read_timeout=300),
    )

    def fetch(number, out_fd):
        resp = client.get_read_set(sequenceStoreId=args.store, id=args.read_set,
                                   partNumber=number)
        body = resp["payload"]
        try:
            return drain(body.read, number, args.part_size, out_fd)
        finally:
            body.close()

    return fetch


def http_fetcher(args):
    import urllib3

    pool = urllib3.PoolManager(maxsize=8, retries=False,
                               timeout=urllib3.Timeout(connect=10, read=300))

    def fetch(number, out_fd):
        start = (number - 1) * args.part_size
        end = min(start + args.part_size, args.size) - 1
        resp = pool.request("GET", args.url, headers={"Range": "bytes=%d-%d" % (start, end)},
                            preload_content=False, decode_content=False)
        try:
            if resp.status != 206:
                raise RuntimeError("part %d: HTTP %d, expected 206" % (number, resp.status))
            return drain(resp.read, number, args.part_size, out_fd)
        finally:
            resp.release_conn()

    return fetch


def download(args):
    expect = json.load(open(args.expect))
    args.part_size = expect["part_size"]
    args.size = expect["size"]
    fetch = seqstore_fetcher(args) if args.target == "seqstore" else http_fetcher(args)
    out_fd = None
    if args.reassemble:
        out_fd = os.open(args.reassemble, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    numbers = range(1, len(expect["parts"]) + 1)
    problems = []
    total = 0
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        for number, n, digest in pool.map(lambda k: fetch(k, out_fd), numbers):
            total += n
            if digest != expect["parts"][number - 1]:
                problems.append("part %d: %d bytes, sha256 %s, expected %s"
                                % (number, n, digest, expect["parts"][number - 1]))
    seconds = time.perf_counter() - t0
    if total != expect["size"]:
        problems.append("%d bytes in all, the file has %d" % (total, expect["size"]))
    if out_fd is not None:
        os.close(out_fd)
        h = hashlib.sha256()
        with open(args.reassemble, "rb") as f:
            for data in iter(lambda: f.read(CHUNK * 8), b""):
                h.update(data)
        if h.hexdigest() != expect["sha256"]:
            problems.append("reassembled sha256 %s, the file's %s" % (h.hexdigest(), expect["sha256"]))
    result = {"seconds": round(seconds, 4), "bytes": total, "parts": len(numbers),
              "ok": not problems}
    if args.reassemble:
        result["reassembled_sha256_ok"] = not problems
    if problems:
        result["problems"] = problems
    print(json.dumps(result))
    return 0 if not problems else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="target", required=True)
    h = sub.add_parser("hashes")
    h.add_argument("file")
    h.add_argument("--part-size", type=int, required=True)
    for name in ("seqstore", "http"):
        p = sub.add_parser(name)
        p.add_argument("--expect", required=True, help="JSON from `hashes`")
        p.add_argument("--concurrency", type=int, default=4)
        p.add_argument("--reassemble", metavar="OUT", help="also write the parts into OUT")
        if name == "seqstore":
            p.add_argument("--endpoint", required=True)
            p.add_argument("--store", required=True)
            p.add_argument("--read-set", required=True)
        else:
            p.add_argument("--url", required=True)
    args = ap.parse_args()
    if args.target == "hashes":
        print(json.dumps(file_hashes(args.file, args.part_size)))
        return 0
    try:
        return download(args)
    except Exception as e:  # one line for the runner's log, exit 1
        print(json.dumps({"ok": False, "problems": ["%s: %s" % (type(e).__name__, e)]}))
        return 1


if __name__ == "__main__":
    sys.exit(main())
