//! The digest chain alone: how fast one core computes an ETag digest over a file's bytes held in
//! memory, with the same [`Digest`] an import runs on its helper thread.
//!
//!     cargo run --release -p seqstore-formats --example digest_chain -- md5|sha256|sha512 FILE
//!
//! `bench/run --limits` gives it the SAM text of an aligned file (`samtools view` written to a
//! file once, untimed): a BAM or CRAM import must digest all of that text, one byte after the
//! other, so no import is faster than this chain (issue #28). The file is read into memory in
//! windows of up to [`WINDOW`] bytes, each read untimed and then digested timed, so the figure is
//! the chain's own, not the disk's or the page cache's; memory is one window.
//!
//! Prints one line, tab-separated: digest seconds (monotonic clock, the windows' sum), bytes,
//! the lowercase hex digest (the bench checks it against the import's ETag and `md5sum`).

use std::io::Read as _;
use std::time::{Duration, Instant};

use seqstore_formats::digest::{Algorithm, Digest};

/// Largest slice of the file held in memory at once.
const WINDOW: usize = 1 << 30;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [algorithm, path] = args.as_slice() else {
        eprintln!("usage: digest_chain md5|sha256|sha512 FILE");
        std::process::exit(2);
    };
    let algorithm = match algorithm.as_str() {
        "md5" => Algorithm::Md5,
        "sha256" => Algorithm::Sha256,
        "sha512" => Algorithm::Sha512,
        other => {
            eprintln!("digest_chain: unknown algorithm {other:?} (md5, sha256 or sha512)");
            std::process::exit(2);
        }
    };
    let mut file = std::fs::File::open(path).unwrap_or_else(|e| {
        eprintln!("digest_chain: cannot open {path}: {e}");
        std::process::exit(1);
    });
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut window = vec![0u8; WINDOW.min(usize::try_from(size).unwrap_or(WINDOW)).max(1)];
    let mut digest = Digest::new(algorithm);
    let mut hashing = Duration::ZERO;
    let mut bytes = 0u64;
    loop {
        let filled = fill(&mut file, &mut window).unwrap_or_else(|e| {
            eprintln!("digest_chain: cannot read {path}: {e}");
            std::process::exit(1);
        });
        if filled == 0 {
            break;
        }
        let start = Instant::now();
        digest.update(&window[..filled]);
        hashing += start.elapsed();
        bytes += filled as u64;
    }
    let start = Instant::now();
    let hex = digest.finalize_hex();
    hashing += start.elapsed();
    println!("{:.3}\t{bytes}\t{hex}", hashing.as_secs_f64());
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn fill(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
