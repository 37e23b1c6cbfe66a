#!/usr/bin/env python3
"""The Python parts of bench/s3: the read set import and its S3 URL, and the open-loop
time-to-first-byte load generator.

  measure.py setup --endpoint URL --s3-endpoint URL --source file:///…/X.bam [--expires S]
      creates a sequence store, imports the BAM (boto3 omics, dev-mode keys), waits for COMPLETED,
      then finds the read set's source object through the S3 endpoint (ListObjectsV2 of the store's
      bucket alias, path style), HEADs it and presigns a GetObject URL valid for --expires seconds
      (default 6 hours). Prints `STORE READ_SET SECONDS BUCKET KEY SIZE ETAG URL` on one line.
  measure.py ttfb --url URL --size N [--rate 200] [--seconds 20] [--length 65536] [--threads 4]
                  [--seed 1] [--watch PID,PID…]
      an open-loop load: request i is due at t0 + i / rate, whatever became of the earlier ones;
      --threads workers, each with one persistent HTTP/1.1 connection (TCP_NODELAY, opened before
      t0), take the next due request, wait until it is due, send `GET` with
      `Range: bytes=a-(a+length-1)` (offsets from a seeded PRNG, the same for every server) and
      read the whole 206 answer. TTFB = monotonic time from the send to the first byte of the
      answer. Prints one JSON object (and a summary line on stderr): counts, TTFB percentiles (ms),
      those of the whole answer (send to last byte), the lag of sends behind their
      due time (the generator's own health: a lag near the TTFB means it could not keep the rate),
      and, over the run, the user + system CPU seconds of each --watch process, of this client and
      of the whole machine.

Errors go to stderr with exit status 1. Standard library + boto3 (the repo's venv). bench/htsget's
helper imports this file for `open_loop`, `Conn`, `percentile` and the CPU counters.
"""

import argparse
import json
import os
import random
import resource
import socket
import sys
import threading
import time
import urllib.parse

TICK = os.sysconf("SC_CLK_TCK")
ENDED = ("COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED", "CANCELLED")
REGION = "us-east-1"
DEV_KEY = ("bench", "bench")  # dev mode: any well-formed signature is accepted


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


# ---------------------------------------------------------------------------------------------
# setup


def setup(args):
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    common = dict(region_name=REGION, aws_access_key_id=DEV_KEY[0], aws_secret_access_key=DEV_KEY[1])
    omics = boto3.client("omics", endpoint_url=args.endpoint,
                         config=Config(inject_host_prefix=False, retries={"max_attempts": 3}), **common)
    s3 = boto3.client("s3", endpoint_url=args.s3_endpoint,
                      config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                    retries={"max_attempts": 3}), **common)
    try:
        store = omics.create_sequence_store(name="bench-s3")
        store_id = store["id"]
        account = store["arn"].split(":")[4]
        start = time.monotonic()
        job = omics.start_read_set_import_job(
            sequenceStoreId=store_id, roleArn=f"arn:aws:iam::{account}:role/Bench",
            sources=[{"sourceFiles": {"source1": args.source}, "sourceFileType": "BAM",
                      "subjectId": "s", "sampleId": "s", "name": "bench-s3"}])["id"]
        while True:
            got = omics.get_read_set_import_job(sequenceStoreId=store_id, id=job)
            if got["status"] in ENDED:
                break
            if time.monotonic() - start > args.timeout:
                sys.exit(f"measure.py: import job {job} still {got['status']} after {args.timeout:.0f} s")
            time.sleep(0.2)
        seconds = time.monotonic() - start
        if got["status"] != "COMPLETED":
            sys.exit(f"measure.py: import job {job} ended {got['status']}: {got.get('statusMessage')} "
                     f"{got['sources'][0].get('statusMessage')}")
        read_set = got["sources"][0]["readSetId"]

        bucket = f"{account}-{store_id}-s3alias"
        name = os.path.basename(urllib.parse.urlparse(args.source).path)
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys += [o["Key"] for o in page.get("Contents", [])]
        # The source, not its index: the key under the read set that ends in the file's own
        # name, or failing that its only non-index object.
        mine = [k for k in keys if f"/readSet/{read_set}/" in k]
        pick = [k for k in mine if k.endswith("/" + name)] or [k for k in mine if not k.endswith(".bai")]
        if len(pick) != 1:
            sys.exit(f"measure.py: cannot tell the read set's source object among {mine} (bucket {bucket})")
        key = pick[0]
        head = s3.head_object(Bucket=bucket, Key=key)
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                        ExpiresIn=args.expires)
    except (BotoCoreError, ClientError) as error:
        sys.exit(f"measure.py: {error}")
    print(store_id, read_set, f"{seconds:.3f}", bucket, key, head["ContentLength"],
          head["ETag"].strip('"'), url)


# ---------------------------------------------------------------------------------------------
# ttfb


class Conn:
    """One persistent HTTP/1.1 connection that sends range GETs and reads whole answers."""

    def __init__(self, host, port):
        self.addr = (host, port)
        self.sock = None
        self.reconnects = -1

    def connect(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = socket.create_connection(self.addr, timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reconnects += 1

    def get(self, request, length, status="206"):
        """Sends `request`; returns (send time, first-byte time, last-byte time), all monotonic,
        after reading the whole answer, which must have `status` and `length` bytes."""
        for attempt in (1, 2):
            sent = time.monotonic()
            try:
                self.sock.sendall(request)
                first = self.sock.recv(65536 + 4096)
                first_at = time.monotonic()
            except OSError:
                first = b""
            if first:
                break
            # The server closed the kept-alive connection (idle or request limit): reconnect once.
            if attempt == 2:
                raise ConnectionError("the server closed the connection twice in a row")
            self.connect()
        buf = first
        while b"\r\n\r\n" not in buf:
            more = self.sock.recv(65536)
            if not more:
                raise ConnectionError("connection closed inside the answer's head")
            buf += more
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        got_status = lines[0].split(" ", 2)[1]
        fields = {ln.split(":", 1)[0].strip().lower(): ln.split(":", 1)[1].strip() for ln in lines[1:] if ":" in ln}
        clen = int(fields.get("content-length", "-1"))
        if got_status != status or clen != length:
            raise ValueError(f"answer {got_status} with content-length {clen}, wanted {status} of {length}")
        got = len(body)
        while got < clen:
            more = self.sock.recv(min(262144, clen - got))
            if not more:
                raise ConnectionError("connection closed inside the answer's body")
            got += len(more)
        if got != clen:
            raise ValueError(f"{got} body bytes, wanted {clen}")
        last_at = time.monotonic()
        if fields.get("connection", "").lower() == "close":
            self.connect()
        return sent, first_at, last_at


def percentile(sorted_values, p):
    """The nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def ttfb(args):
    url = urllib.parse.urlsplit(args.url)
    host, port = url.hostname, url.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("measure.py: ttfb only loads servers on this machine (127.0.0.1)")
    target = url.path + (f"?{url.query}" if url.query else "")
    host_header = url.netloc
    total = int(args.rate * args.seconds)
    rng = random.Random(args.seed)
    offsets = [rng.randrange(0, args.size - args.length + 1) for _ in range(total)]
    requests = [(f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nRange: bytes={a}-{a + args.length - 1}\r\n"
                 "User-Agent: bench-s3-ttfb\r\nAccept: */*\r\n\r\n").encode("latin-1") for a in offsets]
    watch = [int(p) for p in args.watch.split(",") if p] if args.watch else []
    out, errors = open_loop(host, port, requests, args.length, "206", args.rate, args.threads, watch)
    print(json.dumps(out))
    print(f"{out['answered']} answers at {out['rate']}/s, TTFB p50 {out['p50_ms']} ms, p99 {out['p99_ms']} ms, "
          f"max {out['max_ms']} ms; whole answer p99 {out['total_p99_ms']} ms; send lag p99 {out['lag_p99_ms']} ms"
          + (f"; {len(errors)} errors, first: {errors[0]}" if errors else ""), file=sys.stderr)
    if errors:
        sys.exit(1)


def open_loop(host, port, requests, length, status, rate, threads, watch):
    """Sends the encoded HTTP/1.1 `requests` open loop: request i is due at t0 + i / `rate`,
    taken by the next free one of `threads` workers, each with one persistent connection to
    host:port (opened, and used once with requests[0], before t0). Every answer must have
    `status` and `length` bytes. Returns (the summary dict that `ttfb` prints, the error messages);
    `watch` are PIDs whose CPU time over the run goes into `server_cpu_s`."""
    total = len(requests)
    conns = [Conn(host, port) for _ in range(threads)]
    for c in conns:
        c.connect()
    # One request on each connection before the clock: the first answer of a connection is not
    # what is measured.
    for c in conns:
        c.get(requests[0], length, status)

    lock = threading.Lock()
    state = {"next": 0}
    ttfb_s, total_s, lag_s, errors = [], [], [], []

    def worker(conn):
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= total:
                return
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                sent, first, last = conn.get(requests[i], length, status)
            except (OSError, ValueError) as error:
                with lock:
                    errors.append(str(error))
                try:
                    conn.connect()
                except OSError:
                    return
                continue
            with lock:
                ttfb_s.append(first - sent)
                total_s.append(last - sent)
                lag_s.append(max(0.0, sent - due))

    cpu0 = [cpu_ticks(p) for p in watch]
    busy0 = busy_ticks()
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic() + 0.05
    workers = [threading.Thread(target=worker, args=(c,), daemon=True) for c in conns]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    wall = time.monotonic() - t0
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    busy1 = busy_ticks()
    cpu1 = [cpu_ticks(p) for p in watch]
    for c in conns:
        c.sock.close()

    ms = sorted(x * 1000 for x in ttfb_s)
    lag = sorted(x * 1000 for x in lag_s)
    whole = sorted(x * 1000 for x in total_s)
    out = {
        "requests": total, "answered": len(ms), "errors": len(errors), "first_error": errors[0] if errors else None,
        "reconnects": sum(c.reconnects for c in conns), "wall_s": round(wall, 3),
        "rate": round(len(ms) / wall, 1) if wall > 0 else None,
        "p50_ms": percentile(ms, 50), "p90_ms": percentile(ms, 90), "p99_ms": percentile(ms, 99),
        "p999_ms": percentile(ms, 99.9), "max_ms": ms[-1] if ms else None,
        "total_p50_ms": percentile(whole, 50), "total_p99_ms": percentile(whole, 99),
        "lag_p99_ms": percentile(lag, 99), "lag_max_ms": lag[-1] if lag else None,
        "server_cpu_s": round(sum(b - a for a, b in zip(cpu0, cpu1)) / TICK, 2),
        "client_cpu_s": round(self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime, 2),
        "busy_cpu_s": round((busy1 - busy0) / TICK, 2),
    }
    for k in ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "total_p50_ms", "total_p99_ms", "lag_p99_ms",
              "lag_max_ms"):
        if out[k] is not None:
            out[k] = round(out[k], 3)
    return out, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("setup")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--s3-endpoint", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--expires", type=int, default=6 * 3600)
    p.add_argument("--timeout", type=float, default=3600.0)
    p = sub.add_parser("ttfb")
    p.add_argument("--url", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--length", type=int, default=65536)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--watch", default="")
    args = parser.parse_args()
    {"setup": setup, "ttfb": ttfb}[args.cmd](args)


if __name__ == "__main__":
    main()
