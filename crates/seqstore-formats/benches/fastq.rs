//! Justifies the hand-written FASTQ validator: times it against noodles-fastq's
//! `Reader::read_record` on the same ~200 MB of generated plain FASTQ in memory, best of 3, and
//! times the whole one-pass `scan` (hashing, and gzip) for context. Run with
//! `cargo bench -p seqstore-formats --bench fastq`; figures are kept in `benches/README.md`.

use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use seqstore_formats::digest::{Algorithm, Digest, HashingReader};
use seqstore_formats::fastq::{self, Validator, Which};

const TARGET_BYTES: usize = 200_000_000;
const READ_LENGTH: usize = 150;
const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes --bench; run as a test (`cargo test --benches`) it is a 2 MB smoke run.
    let target = if std::env::args().any(|arg| arg == "--bench") { TARGET_BYTES } else { TARGET_BYTES / 100 };
    let text = generate(target);
    let mb = text.len() as f64 / 1e6;
    println!("{:.0} MB of plain FASTQ, {READ_LENGTH} bp reads, best of {RUNS}", mb);

    let noodles = best(|| {
        let mut reader = noodles_fastq::io::Reader::new(&text[..]);
        let mut record = noodles_fastq::Record::default();
        let (mut records, mut bases) = (0u64, 0u64);
        while reader.read_record(&mut record).expect("valid FASTQ") > 0 {
            records += 1;
            bases += record.sequence().len() as u64;
        }
        black_box((records, bases));
    });
    report("noodles_fastq::io::Reader::read_record", mb, noodles);

    let validator = best(|| {
        let mut validator = Validator::new(Which::Source1, &text[..]);
        while validator.read_record().expect("valid FASTQ") {}
        black_box((validator.records(), validator.bases()));
    });
    report("fastq::Validator::read_record (validating)", mb, validator);

    for algorithm in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512] {
        let digest = best(|| {
            let mut digest = Digest::new(algorithm);
            for chunk in text.chunks(256 * 1024) {
                digest.update(chunk);
            }
            black_box(digest.finalize_hex());
        });
        report(&format!("digest {algorithm:?} alone"), mb, digest);
    }

    for offloaded in [false, true] {
        let hashing = best(|| {
            let mut reader = if offloaded {
                HashingReader::offloaded(&text[..], Algorithm::Md5)
            } else {
                HashingReader::new(&text[..], Algorithm::Md5)
            };
            let mut buf = vec![0; 256 * 1024];
            while reader.read(&mut buf).expect("in memory") > 0 {}
            black_box(reader.into_parts().1.map(Digest::finalize_hex));
        });
        report(&format!("HashingReader Md5, offloaded: {offloaded}"), mb, hashing);
    }

    for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
        let scan = best(|| {
            black_box(fastq::scan(Which::Source1, &text[..], algorithm).expect("valid FASTQ"));
        });
        report(&format!("fastq::scan plain, ETag {algorithm:?} + stored SHA-256"), mb, scan);
    }

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(&text)?;
    let gz = encoder.finish()?;
    println!("gzip -6: {:.0} MB compressed", gz.len() as f64 / 1e6);
    let inflate = best(|| {
        let mut decoder = flate2::read::MultiGzDecoder::new(&gz[..]);
        std::io::copy(&mut decoder, &mut std::io::sink()).expect("valid gzip");
    });
    report("flate2 MultiGzDecoder alone (MB of FASTQ)", mb, inflate);
    let scan = best(|| {
        black_box(fastq::scan(Which::Source1, &gz[..], Algorithm::Md5).expect("valid FASTQ"));
    });
    report("fastq::scan gzip, ETag Md5 + stored SHA-256 (MB of FASTQ)", mb, scan);

    // BGZF blocks are inflated by libdeflate, gzip members by flate2 (`inflate/members.rs`).
    let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
    writer.write_all(&text)?;
    let bgz = writer.finish()?;
    println!("BGZF: {:.0} MB compressed", bgz.len() as f64 / 1e6);
    let scan = best(|| {
        black_box(fastq::scan(Which::Source1, &bgz[..], Algorithm::Md5).expect("valid FASTQ"));
    });
    report("fastq::scan BGZF, ETag Md5 + stored SHA-256 (MB of FASTQ)", mb, scan);
    // A pair keeps both cores busy (a thread and an MD5 helper per file): its speed is the
    // inverse of the CPU time per byte.
    for (what, raw) in [("gzip", &gz), ("BGZF", &bgz)] {
        let pair = best(|| {
            black_box(fastq::scan_pair(&raw[..], &raw[..], Algorithm::Md5).expect("valid pair"));
        });
        report(&format!("fastq::scan_pair {what}, both files (MB of FASTQ)"), 2.0 * mb, pair);
    }
    Ok(())
}

fn best(mut run: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn report(what: &str, mb: f64, elapsed: Duration) {
    println!("{:>8.0} MB/s  {what}", mb / elapsed.as_secs_f64());
}

// Illumina-like records from a fixed linear congruential generator, so runs are comparable.
fn generate(target: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let mut text = Vec::with_capacity(target + 1024);
    let mut i = 0u64;
    while text.len() < target {
        i += 1;
        let header = format!("@A00123:8:H5KJ7DSXX:1:1101:{}:{} 1:N:0:ACGTACGT\n", 1000 + i % 30000, i);
        text.extend_from_slice(header.as_bytes());
        text.extend((0..READ_LENGTH).map(|_| b"ACGT"[next() % 4]));
        text.extend_from_slice(b"\n+\n");
        text.extend((0..READ_LENGTH).map(|_| b"FFF:,#"[next() % 6]));
        text.push(b'\n');
    }
    text
}
