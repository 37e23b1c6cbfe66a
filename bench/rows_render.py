"""The command line every `bench/*.d/render.py` shares: `--rows FILE` (tab-separated rows, as the
benchmark's measure step wrote them) and `--out FILE` (the markdown summary); exit status 3 when a
target was missed, after writing the summary."""

import argparse
import sys


def main(render, doc):
    """Reads the rows, writes `render(rows)`'s text and exits 3 when its target flag is false."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rows", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.rows) as f:
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    text, met = render(rows)
    with open(args.out, "w") as f:
        f.write(text)
    if not met:
        print("render.py: a target was missed (see Targets)", file=sys.stderr)
    sys.exit(0 if met else 3)
