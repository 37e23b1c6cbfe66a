#!/usr/bin/env python3
"""Measures ListSequenceStores latency from 127.0.0.2 before and during a flood of slow clients from
127.0.0.1 against a dev-mode `seqstore serve` (see bench/flood). Standard library only."""

import argparse
import asyncio
import datetime
import os
import platform
import resource
import socket
import statistics
import threading
import time


def list_request(host):
    """A dev-mode ListSequenceStores: the signature is well formed, its HMAC is not checked."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    auth = (
        f"AWS4-HMAC-SHA256 Credential=bench/{amz_date[:8]}/us-east-1/omics/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}"
    )
    body = b"{}"
    head = (
        f"POST /sequencestores HTTP/1.1\r\nhost: {host}\r\nx-amz-date: {amz_date}\r\n"
        f"authorization: {auth}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


def timed_request(server, source, timeout=10.0):
    """(seconds, None) for a 200, else (seconds, what went wrong)."""
    started = time.perf_counter()
    try:
        with socket.create_connection(server, timeout=timeout, source_address=(source, 0)) as sock:
            sock.sendall(list_request(f"{server[0]}:{server[1]}"))
            response = b""
            while chunk := sock.recv(65536):
                response += chunk
    except OSError as error:
        return time.perf_counter() - started, type(error).__name__
    status = response[9:12].decode(errors="replace") if response else "no answer"
    return time.perf_counter() - started, None if status == "200" else status


def phase(name, server, source, requests):
    latencies, failures = [], {}
    for _ in range(requests):
        seconds, failure = timed_request(server, source)
        if failure is None:
            latencies.append(seconds)
        else:
            failures[failure] = failures.get(failure, 0) + 1
    return {"name": name, "latencies": latencies, "failures": failures, "requests": requests}


class Flood:
    """Slow clients from 127.0.0.1 in an asyncio loop on their own thread."""

    def __init__(self, server, clients):
        self.server, self.clients = server, clients
        self.connects = self.cut_off = 0
        self.stop = False
        self.head = (
            f"POST /sequencestore HTTP/1.1\r\nhost: {server[0]}:{server[1]}\r\n"
            "content-type: application/json\r\ncontent-length: 100000\r\n\r\n"
        ).encode()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True)

    async def client(self):
        while not self.stop:
            try:
                reader, writer = await asyncio.open_connection(*self.server, local_addr=("127.0.0.1", 0))
            except OSError:
                await asyncio.sleep(1)
                continue
            self.connects += 1
            try:
                writer.write(self.head)
                await writer.drain()
                while not self.stop:
                    await asyncio.sleep(1)
                    writer.write(b"x")
                    await writer.drain()
            except OSError:
                self.cut_off += 1
                await asyncio.sleep(1)
            finally:
                writer.close()

    async def run(self):
        await asyncio.gather(*(self.client() for _ in range(self.clients)), return_exceptions=True)


def proc_status(pid):
    files = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return files, rss // 1024


def row(result):
    lat = sorted(result["latencies"])
    if lat:
        p50 = statistics.median(lat) * 1000
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000
        stats = f"{p50:.1f} | {p95:.1f} | {lat[-1] * 1000:.1f}"
    else:
        stats = "– | – | –"
    failed = ", ".join(f"{count} {kind}" for kind, count in sorted(result["failures"].items())) or "none"
    return f"| {result['name']} | {len(lat)}/{result['requests']} | {stats} | {failed} |"


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--endpoint", "--out", "--profile", "--commit"):
        parser.add_argument(flag, required=True)
    for flag in ("--pid", "--clients", "--requests", "--files"):
        parser.add_argument(flag, type=int, required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.clients + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    host, port = args.endpoint.removeprefix("http://").rsplit(":", 1)
    server = (host, int(port))

    phase("warm-up", server, "127.0.0.2", 5)
    results = [phase("127.0.0.2, no flood", server, "127.0.0.2", args.requests)]
    idle_files, idle_rss = proc_status(args.pid)
    flood = Flood(server, args.clients)
    flood.thread.start()
    deadline = time.monotonic() + 120
    while flood.connects < args.clients and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)
    results.append(phase(f"127.0.0.2, {args.clients} slow clients on 127.0.0.1", server, "127.0.0.2", args.requests))
    flood_files, flood_rss = proc_status(args.pid)
    results.append(phase("127.0.0.1 itself, during the flood", server, "127.0.0.1", args.requests))
    connects, cut_off = flood.connects, flood.cut_off
    flood.stop = True

    lines = [
        "# bench/flood — ListSequenceStores while slow clients hold connections",
        "",
        f"`bench/flood --clients {args.clients} --requests {args.requests} --files {args.files}` on "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.profile} build of {args.commit}, "
        f"{datetime.date.today()}. Each request is a new connection (`connection: close`); times in ms.",
        "",
        "| phase | answered 200 | p50 | p95 | max | failed |",
        "|---|---|---|---|---|---|",
        *map(row, results),
        "",
        f"Slow clients: {connects} connections opened, {cut_off} cut off by the server. Server open files: "
        f"{idle_files} idle, {flood_files} during the flood (limit {args.files}); RSS {idle_rss} MiB idle, "
        f"{flood_rss} MiB during the flood.",
        "",
    ]
    with open(args.out, "w") as out:
        out.write("\n".join(lines))
    print("\n".join(lines))
    ok = all(not r["failures"] for r in results[:2])
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
