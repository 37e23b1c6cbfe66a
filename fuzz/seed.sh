#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ (not committed) with the committed seeds of fuzz/seeds/<target>/ and
# small real files of the repository's testdata/ (or $SEQSTORE_TESTDATA), with the
# framing each harness expects (fuzz/harness/*.rs). Existing corpus files are kept, so a corpus
# grows across runs. Usage: fuzz/seed.sh [TARGET...] (default: every target).
set -euo pipefail
cd "$(dirname "$0")"
data="${SEQSTORE_TESTDATA:-../testdata}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sniff fastq fastq_pair fasta fai gzi fasta_read bam cram sigv4 input validate)

# copy TARGET NAME [PREFIX_BYTE_OCTAL] < data: one corpus file, optionally behind a selector byte.
put() {
  local out="corpus/$1/$2"
  if [ $# -ge 3 ]; then { printf "\\$3"; cat; } > "$out"; else cat > "$out"; fi
}
# pair TARGET NAME FILE1 FILE2: the fastq_pair framing, a u16 little-endian length then both files.
pair() {
  local n; n=$(stat -c %s "$3")
  { printf "\\$(printf %03o $((n & 255)))\\$(printf %03o $((n >> 8)))"; cat "$3" "$4"; } > "corpus/$1/$2"
}

for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
  [ -d "$data" ] || continue
  case $target in
    sniff)
      for f in "$data"/derived/* "$data"/htslib/fastq/*.fq "$data"/hts-specs/cram3.0/passed/0400_mapped.*; do
        head -c 256 "$f" | put sniff "td-$(basename "$f")"
      done ;;
    fastq)
      for f in "$data"/htslib/fastq/*.fq "$data"/derived/{r1.fq.gz,r1.fq.bgz,r1.truncated.fq.gz,r1r2.multimember.fq.gz,empty.fq.gz,empty.fq.bgz}; do
        put fastq "td-$(basename "$f")" < "$f"
      done ;;
    fastq_pair)
      pair fastq_pair td-r1r2.fq "$data"/htslib/fastq/r1.fq "$data"/htslib/fastq/r2.fq
      pair fastq_pair td-r1gz-r1bgz "$data"/derived/r1.fq.gz "$data"/derived/r1.fq.bgz ;;
    bam)
      put bam td-r1r2.ubam-ubam 001 < "$data"/derived/r1r2.ubam.bam
      put bam td-r1r2.ubam-bam 000 < "$data"/derived/r1r2.ubam.bam ;;
    cram)
      # The conformance suite is aligned to C. elegans, not to the harness's reference: these reach
      # the framing, the header and unmapped records, and the header check.
      for f in "$data"/hts-specs/cram3.0/passed/*.cram "$data"/hts-specs/cram3.0/failed/*.cram; do
        [ "$(stat -c %s "$f")" -le 65536 ] && put cram "td-$(basename "$f")" 000 < "$f"
      done ;;
  esac
done
ls corpus | while read -r t; do echo "$t: $(ls "corpus/$t" | wc -l) files"; done
