#!/usr/bin/env python3
"""A stand-in for `seqstore serve`, only to test bench/run itself (never for figures).

  BENCH_SEQSTORE_BIN=bench/fake_seqstore.py bench/run --quick --out /tmp/r.md

Speaks just enough of the HealthOmics wire for bench/run: CreateSequenceStore,
StartReadSetImportJob, GetReadSetImportJob, GetReadSetMetadata, CreateReferenceStore,
StartReferenceImportJob, GetReferenceImportJob, GetReferenceMetadata (no SigV4 check). An import
really reads the file:// source (FASTQ: gzip + MD5 in a thread; BAM/CRAM: `samtools view
[-T REF] | MD5`, REF being the file a referenceArn was imported from) and copies it into the data
dir, so timing, polling, VmHWM and the cross-checks all see real work. Standard library (and
samtools for BAM/CRAM) only. FAKE_SEQSTORE_FAIL=import makes every import FAIL; =etag reports a
wrong ETag (to test the checks).
"""

import gzip
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STORES, JOBS, READSETS = {}, {}, {}
REF_STORES, REF_JOBS, REFERENCES = {}, {}, {}  # REFERENCES: arn -> {"path", "meta"}
LOCK = threading.Lock()
ARGS = {}


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id():
    return "%010d" % random.randrange(10**9, 10**10)


def scan_fastq(path, md5):
    reads, bases, line_no = 0, 0, 0
    with gzip.open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            md5.update(block)
    with gzip.open(path, "rb") as f:  # second pass: count like a parser would
        for line in f:
            if line_no % 4 == 1:
                reads += 1
                bases += len(line) - 1
            line_no += 1
    return reads, bases


def scan_aligned(path, ref, md5):
    """Records as `samtools view [-T ref]` prints them: MD5, count, sum of SEQ lengths."""
    cmd = ["samtools", "view"] + (["-T", ref] if ref else []) + [path]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=dict(os.environ, REF_PATH="/nonexistent"))
    reads = bases = 0
    for line in proc.stdout:
        md5.update(line)
        reads += 1
        seq = line.split(b"\t", 10)[9]
        bases += 0 if seq == b"*" else len(seq)
    if proc.wait() != 0:
        raise ValueError("samtools view failed on the source (fake)")
    return reads, bases


def run_import(store, job_id, path, file_type, ref_arn, path2=None):
    job = JOBS[job_id]
    job["status"] = "IN_PROGRESS"
    src = job["sources"][0]
    src["status"] = "IN_PROGRESS"
    try:
        md5 = hashlib.md5()
        if os.environ.get("FAKE_SEQSTORE_FAIL") == "import":
            raise ValueError("record 7: sequence and quality lengths differ (fake failure)")
        md5_2 = hashlib.md5() if path2 else None
        if file_type == "FASTQ":
            reads, bases = scan_fastq(path, md5)
            if path2:
                reads2, bases2 = scan_fastq(path2, md5_2)
                reads, bases = reads + reads2, bases + bases2
        else:
            reads, bases = scan_aligned(path, REFERENCES[ref_arn]["path"] if ref_arn else None, md5)
        if os.environ.get("FAKE_SEQSTORE_FAIL") == "etag":
            md5.update(b"x")
        rs = src["readSetId"]
        dest = os.path.join(ARGS["data_dir"], store, rs)
        os.makedirs(dest, exist_ok=True)
        shutil.copyfile(path, os.path.join(dest, "source1"))
        READSETS[(store, rs)] = {
            "id": rs, "arn": "arn:aws:omics:us-east-1:123456789012:sequenceStore/%s/readSet/%s" % (store, rs),
            "sequenceStoreId": store, "status": "ACTIVE", "fileType": file_type,
            "creationTime": now_iso(),
            "sequenceInformation": {"totalReadCount": reads, "totalBaseCount": bases,
                                    "alignment": "UNALIGNED" if file_type == "FASTQ" else "ALIGNED"},
            "etag": {"algorithm": "%s_MD5up" % file_type, "source1": md5.hexdigest()},
        }
        if md5_2 is not None:
            READSETS[(store, rs)]["etag"]["source2"] = md5_2.hexdigest()
        src["status"] = "FINISHED"
        job["status"] = "COMPLETED"
    except Exception as e:  # noqa: BLE001 - report anything as the source's failure
        src["status"] = "FAILED"
        src["statusMessage"] = str(e)[:127]
        job["status"] = "FAILED"
    job["completionTime"] = now_iso()


def run_reference_import(store, job_id, path):
    job = REF_JOBS[job_id]
    src = job["sources"][0]
    try:
        md5 = hashlib.md5()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                md5.update(block)
        rid = src["referenceId"]
        arn = "arn:aws:omics:us-east-1:123456789012:referenceStore/%s/reference/%s" % (store, rid)
        REFERENCES[arn] = {"path": path, "meta": {
            "id": rid, "arn": arn, "referenceStoreId": store, "md5": md5.hexdigest(),
            "status": "ACTIVE", "name": src["name"], "creationTime": now_iso()}}
        src["status"] = "FINISHED"
        job["status"] = "COMPLETED"
    except Exception as e:  # noqa: BLE001
        src["status"] = "FAILED"
        src["statusMessage"] = str(e)[:127]
        job["status"] = "FAILED"
    job["completionTime"] = now_iso()


def local_source(uri):
    """The path of a file:// URI inside --file-root, or None."""
    if not uri.startswith("file://"):
        return None
    path = uri[len("file://"):]
    root = os.path.realpath(ARGS["file_root"])
    return path if os.path.realpath(path).startswith(root + os.sep) else None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("fake_seqstore: " + (fmt % args) + "\n")

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", new_id())
        if code >= 400:
            self.send_header("x-amzn-ErrorType", body.get("__type", "ValidationException"))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def do_POST(self):
        req = self.body()
        if self.path == "/sequencestore":
            sid = new_id()
            STORES[sid] = req
            return self.reply(200, {"id": sid, "arn": "arn:aws:omics:us-east-1:123456789012:sequenceStore/" + sid,
                                    "creationTime": now_iso(), "name": req.get("name")})
        if self.path == "/referencestore":
            sid = new_id()
            REF_STORES[sid] = req
            return self.reply(200, {"id": sid, "arn": "arn:aws:omics:us-east-1:123456789012:referenceStore/" + sid,
                                    "creationTime": now_iso(), "name": req.get("name")})
        m = re.fullmatch(r"/referencestore/(\d+)/importjob", self.path)
        if m and m.group(1) in REF_STORES:
            store, src = m.group(1), req["sources"][0]
            path = local_source(src["sourceFile"])
            if path is None:
                return self.reply(403, {"__type": "AccessDeniedException", "message": "fake: file:// inside --file-root only"})
            jid = new_id()
            job = {"id": jid, "referenceStoreId": store, "roleArn": req["roleArn"], "status": "IN_PROGRESS",
                   "creationTime": now_iso(),
                   "sources": [dict(src, status="IN_PROGRESS", referenceId=new_id())]}
            REF_JOBS[jid] = job
            threading.Thread(target=run_reference_import, args=(store, jid, path), daemon=True).start()
            return self.reply(200, {k: job[k] for k in ("id", "referenceStoreId", "roleArn", "status",
                                                        "creationTime")})
        m = re.fullmatch(r"/sequencestore/(\d+)/importjob", self.path)
        if m and m.group(1) in STORES:
            store, src = m.group(1), req["sources"][0]
            path = local_source(src["sourceFiles"]["source1"])
            if path is None:
                return self.reply(403, {"__type": "AccessDeniedException", "message": "fake: file:// inside --file-root only"})
            ref_arn = src.get("referenceArn")
            if src["sourceFileType"] == "CRAM" and ref_arn not in REFERENCES:
                return self.reply(400, {"message": "fake: CRAM needs the referenceArn of an imported reference"})
            jid = new_id()
            job = {"id": jid, "sequenceStoreId": store, "roleArn": req["roleArn"], "status": "SUBMITTED",
                   "creationTime": now_iso(),
                   "sources": [dict(src, status="NOT_STARTED", readSetId=new_id())]}
            JOBS[jid] = job
            path2 = local_source(src["sourceFiles"]["source2"]) if "source2" in src["sourceFiles"] else None
            threading.Thread(target=run_import, args=(store, jid, path, src["sourceFileType"], ref_arn, path2),
                             daemon=True).start()
            return self.reply(200, {k: job[k] for k in ("id", "sequenceStoreId", "roleArn", "status",
                                                        "creationTime")})
        self.reply(404, {"__type": "ResourceNotFoundException", "message": "fake: no route"})

    def do_GET(self):
        m = re.fullmatch(r"/referencestore/(\d+)/importjob/(\d+)", self.path)
        if m and m.group(2) in REF_JOBS:
            return self.reply(200, REF_JOBS[m.group(2)])
        m = re.fullmatch(r"/referencestore/(\d+)/reference/(\d+)/metadata", self.path)
        if m:
            for ref in REFERENCES.values():
                if (ref["meta"]["referenceStoreId"], ref["meta"]["id"]) == m.groups():
                    return self.reply(200, ref["meta"])
        m = re.fullmatch(r"/sequencestore/(\d+)/importjob/(\d+)", self.path)
        if m and m.group(2) in JOBS:
            return self.reply(200, JOBS[m.group(2)])
        m = re.fullmatch(r"/sequencestore/(\d+)/readset/(\d+)/metadata", self.path)
        if m and (m.group(1), m.group(2)) in READSETS:
            return self.reply(200, READSETS[(m.group(1), m.group(2))])
        self.reply(404, {"__type": "ResourceNotFoundException", "message": "fake: not found"})


def main():
    argv = sys.argv[1:]
    if argv[:1] != ["serve"]:
        sys.exit("usage: fake_seqstore.py serve --listen H:P --data-dir D --file-root R")
    if "--help" in argv:
        print("fake seqstore serve: --listen HOST:PORT --data-dir DIR --file-root DIR")
        return
    opts = dict(zip(argv[1::2], argv[2::2]))
    ARGS["data_dir"] = opts["--data-dir"]
    ARGS["file_root"] = opts["--file-root"]
    os.makedirs(ARGS["data_dir"], exist_ok=True)
    host, port = opts["--listen"].rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    print("seqstore listening on http://%s:%d" % server.server_address, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
