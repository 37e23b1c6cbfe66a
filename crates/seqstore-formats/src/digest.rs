//! ETag digests: the digest family of a store, an incremental digest over it, a reader that
//! hashes and counts bytes as they pass, and the reader of stored bytes (SHA-256 and MD5).

mod md5;
mod reader;
mod stored;
pub(crate) mod worker;

pub use self::reader::HashingReader;
pub(crate) use self::stored::{Stored, StoredReader};

use sha2::Digest as _;

/// ETag digest family of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5 (RFC 1321).
    Md5,
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-512 (FIPS 180-4).
    Sha512,
}

/// Incremental digest of one [`Algorithm`]: feed bytes with [`Digest::update`], then take the
/// lowercase hex text with [`Digest::finalize_hex`].
#[derive(Clone)]
pub struct Digest(State);

#[derive(Clone)]
enum State {
    Md5(self::md5::Md5),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Digest {
    /// Starts an empty digest of `algorithm`.
    pub fn new(algorithm: Algorithm) -> Self {
        Self(match algorithm {
            Algorithm::Md5 => State::Md5(self::md5::Md5::default()),
            Algorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => State::Sha512(sha2::Sha512::new()),
        })
    }

    /// The algorithm this digest computes.
    pub fn algorithm(&self) -> Algorithm {
        match self.0 {
            State::Md5(_) => Algorithm::Md5,
            State::Sha256(_) => Algorithm::Sha256,
            State::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// Appends `bytes` to the digested data.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            State::Md5(h) => h.update(bytes),
            State::Sha256(h) => h.update(bytes),
            State::Sha512(h) => h.update(bytes),
        }
    }

    /// Ends the digest and returns it as lowercase hex (32, 64 or 128 characters).
    pub fn finalize_hex(self) -> String {
        match self.0 {
            State::Md5(h) => hex::encode(h.finalize()),
            State::Sha256(h) => hex::encode(h.finalize()),
            State::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Digest").field(&self.algorithm()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_known_digests() {
        let cases = [
            (Algorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
            (Algorithm::Sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                Algorithm::Sha512,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ),
        ];
        for (algorithm, expected) in cases {
            let mut digest = Digest::new(algorithm);
            digest.update(b"a");
            digest.update(b"bc");
            assert_eq!(digest.algorithm(), algorithm);
            assert_eq!(digest.finalize_hex(), expected);
        }
    }
}
