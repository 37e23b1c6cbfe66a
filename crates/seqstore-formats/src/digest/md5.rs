//! MD5 (RFC 1321), written for throughput: the ETag of every BAM and CRAM import is the MD5 of
//! several times the file's size of SAM text, on one core, so MD5 bounds the import.
//!
//! Each step adds the message word and constant to `a` before the round function, so only the
//! round function of the newest `b`, one add, the rotation and the last add depend on the
//! previous step; round 2 adds its two halves instead of or-ing them (they never share a bit).
//! The constants are loaded through an opaque reference, not written as immediates: the
//! optimiser moves immediates to the end of a sum, onto that chain, and an earlier version that
//! summed word and constant into a table per block spent a tenth of its time building the table.
//! `benches/scanners.rs` (`digest`) compares it with the md-5 crate.

/// Incremental MD5: [`Md5::update`] any number of times, then [`Md5::finalize`].
#[derive(Clone)]
pub(crate) struct Md5 {
    state: [u32; 4],
    block: [u8; 64],
    buffered: usize,
    length: u64,
}

impl Default for Md5 {
    fn default() -> Self {
        Self { state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476], block: [0; 64], buffered: 0, length: 0 }
    }
}

impl Md5 {
    /// Appends `bytes` to the digested message.
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        self.length = self.length.wrapping_add(bytes.len() as u64);
        if self.buffered > 0 {
            let n = bytes.len().min(64 - self.buffered);
            self.block[self.buffered..self.buffered + n].copy_from_slice(&bytes[..n]);
            self.buffered += n;
            bytes = &bytes[n..];
            if self.buffered < 64 {
                return;
            }
            compress(&mut self.state, &self.block);
            self.buffered = 0;
        }
        let (blocks, rest) = bytes.as_chunks::<64>();
        for block in blocks {
            compress(&mut self.state, block);
        }
        self.block[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    /// The 16-byte digest (RFC 1321 § 3.5).
    pub(crate) fn finalize(mut self) -> [u8; 16] {
        let bits = self.length.wrapping_mul(8);
        // § 3.1–3.2: a 1 bit, zeros up to 56 mod 64, then the length in bits.
        let zeros = (119 - self.buffered) % 64;
        let mut padding = [0u8; 72];
        padding[0] = 0x80;
        padding[1 + zeros..9 + zeros].copy_from_slice(&bits.to_le_bytes());
        let length = self.length;
        self.update(&padding[..9 + zeros]);
        debug_assert_eq!(self.buffered, 0, "{length}");
        let mut digest = [0; 16];
        for (out, word) in digest.as_chunks_mut::<4>().0.iter_mut().zip(self.state) {
            *out = word.to_le_bytes();
        }
        digest
    }
}

/// Per-step constants, `floor(abs(sin(i + 1)) * 2^32)` (§ 3.4).
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// One 64-byte block (§ 3.4).
fn compress(state: &mut [u32; 4], block: &[u8; 64]) {
    let mut x = [0u32; 16];
    for (word, bytes) in x.iter_mut().zip(block.as_chunks::<4>().0) {
        *word = u32::from_le_bytes(*bytes);
    }
    // The constants are read through a reference the optimiser cannot see through: as
    // immediates they would be added after the round function, on the chain of dependent
    // operations; as loads they are summed with `a` and the message word off it.
    let k = std::hint::black_box(&K);
    let [mut a, mut b, mut c, mut d] = *state;
    macro_rules! step {
        ($f:expr, $a:ident, $b:ident, $c:ident, $d:ident, $k:expr, $s:expr, $i:expr) => {
            $a = $a
                .wrapping_add(x[$k])
                .wrapping_add(k[$i])
                .wrapping_add($f($b, $c, $d))
                .rotate_left($s)
                .wrapping_add($b);
        };
    }
    let f = |b: u32, c: u32, d: u32| d ^ (b & (c ^ d));
    // (b & d) and (c & !d) never share a bit, so adding them is or-ing them.
    let g = |b: u32, c: u32, d: u32| (c & !d).wrapping_add(b & d);
    let h = |b: u32, c: u32, d: u32| b ^ c ^ d;
    let i = |b: u32, c: u32, d: u32| c ^ (b | !d);
    for r in 0..4 {
        step!(f, a, b, c, d, 4 * r, 7, 4 * r);
        step!(f, d, a, b, c, 4 * r + 1, 12, 4 * r + 1);
        step!(f, c, d, a, b, 4 * r + 2, 17, 4 * r + 2);
        step!(f, b, c, d, a, 4 * r + 3, 22, 4 * r + 3);
    }
    for r in 0..4 {
        step!(g, a, b, c, d, (20 * r + 1) % 16, 5, 16 + 4 * r);
        step!(g, d, a, b, c, (20 * r + 6) % 16, 9, 17 + 4 * r);
        step!(g, c, d, a, b, (20 * r + 11) % 16, 14, 18 + 4 * r);
        step!(g, b, c, d, a, (20 * r) % 16, 20, 19 + 4 * r);
    }
    for r in 0..4 {
        step!(h, a, b, c, d, (12 * r + 5) % 16, 4, 32 + 4 * r);
        step!(h, d, a, b, c, (12 * r + 8) % 16, 11, 33 + 4 * r);
        step!(h, c, d, a, b, (12 * r + 11) % 16, 16, 34 + 4 * r);
        step!(h, b, c, d, a, (12 * r + 14) % 16, 23, 35 + 4 * r);
    }
    for r in 0..4 {
        step!(i, a, b, c, d, (28 * r) % 16, 6, 48 + 4 * r);
        step!(i, d, a, b, c, (28 * r + 7) % 16, 10, 49 + 4 * r);
        step!(i, c, d, a, b, (28 * r + 14) % 16, 15, 50 + 4 * r);
        step!(i, b, c, d, a, (28 * r + 5) % 16, 21, 51 + 4 * r);
    }
    for (word, add) in state.iter_mut().zip([a, b, c, d]) {
        *word = word.wrapping_add(add);
    }
}

#[cfg(test)]
mod tests {
    use ::md5::Digest as _;

    use super::*;

    fn hex(bytes: &[u8]) -> String {
        let mut md5 = Md5::default();
        md5.update(bytes);
        hex::encode(md5.finalize())
    }

    #[test]
    fn test_rfc_1321_suite() {
        let cases = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(hex(text.as_bytes()), expected, "{text:?}");
        }
    }

    #[test]
    fn test_matches_md5_crate_at_every_length_and_split() {
        let data: Vec<u8> = (0..300u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
        for len in 0..data.len() {
            let expected = ::md5::Md5::digest(&data[..len]);
            assert_eq!(hex(&data[..len]), hex::encode(expected), "{len}");
            for split in [1, 63, 64, 65, 130] {
                let mut md5 = Md5::default();
                for piece in data[..len].chunks(split) {
                    md5.update(piece);
                }
                assert_eq!(md5.finalize()[..], expected[..], "{len} in pieces of {split}");
            }
        }
    }
}
