#!/usr/bin/env python3
"""What moto's CompleteMultipartUpload costs with and without a checksum algorithm: the evidence
behind bench/README.md's "Export throughput" analysis.

  .venv/bin/python bench/export.d/moto_complete.py --file FILE [--parts 128] [--rounds 2]

Starts its own moto_server (the one beside this Python, i.e. the venv's) on a free port, then for
each algorithm — none (what seqstore's exports send), CRC32 (what `aws s3 cp` sends), SHA256 —
uploads the first --parts 8 MiB parts of FILE with boto3 one after another and completes the
upload, timing the parts and the completion separately with moto's CPU seconds over each phase.
With no algorithm moto emulates S3's default full-object CRC64NVME: it copies every part into one
more buffer, copies that once more and checksums the whole object (CRC32 without awscrt), all in
Python on one thread; with CRC32 or SHA256 it checksums part by part (composite). Prints one line
per upload. Standard library + boto3 + moto (the repo's venv).
"""

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

PART = 8 << 20
TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", required=True)
    parser.add_argument("--parts", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    moto = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1",
                             "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test",
                          config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required"))
        s3.create_bucket(Bucket="bench")
        with open(args.file, "rb") as f:
            data = f.read(args.parts * PART)
        count = len(data) // PART
        print(f"{count} parts of 8 MiB ({count * PART / 2**30:.2f} GiB), moto pid {moto.pid}")
        for _ in range(args.rounds):
            for algo in ("none", "CRC32", "SHA256"):
                key = f"exp-{algo}"
                kw = {} if algo == "none" else {"ChecksumAlgorithm": algo}
                upload = s3.create_multipart_upload(Bucket="bench", Key=key, **kw)["UploadId"]
                t0, c0 = time.monotonic(), cpu(moto.pid)
                parts = []
                for i in range(count):
                    r = s3.upload_part(Bucket="bench", Key=key, UploadId=upload, PartNumber=i + 1,
                                       Body=data[i * PART:(i + 1) * PART], **kw)
                    part = {"PartNumber": i + 1, "ETag": r["ETag"]}
                    part.update({k: v for k, v in r.items() if k in ("ChecksumCRC32", "ChecksumSHA256")})
                    parts.append(part)
                t1, c1 = time.monotonic(), cpu(moto.pid)
                s3.complete_multipart_upload(Bucket="bench", Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
                t2, c2 = time.monotonic(), cpu(moto.pid)
                s3.delete_object(Bucket="bench", Key=key)
                print(f"{algo:7s} parts {t1 - t0:6.2f} s (moto CPU {c1 - c0:5.2f} s)   "
                      f"complete {t2 - t1:5.2f} s (moto CPU {c2 - c1:5.2f} s)", flush=True)
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
