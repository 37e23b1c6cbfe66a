//! Bounds on what a file may make a scan hold in memory. A file declares sizes (header text,
//! reference count, a CRAM block's raw size, a container's length) before the data behind them;
//! each declaration is checked against [`Limits`] before anything is allocated for it, so memory is
//! bounded by the caller's configuration, never by what a file claims.

use std::fmt;

/// What a scan accepts from a file before it refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of SAM header text: BAM `l_text`, or the text of the CRAM file header.
    pub header_bytes: u64,
    /// Reference sequences: BAM `n_ref`, and `@SQ` lines of the header text (BAM and CRAM).
    pub reference_sequences: u64,
    /// Bytes of one CRAM container: its length as stored, and the raw (decompressed) sizes of its
    /// blocks together, as declared before any is inflated.
    pub cram_block_bytes: u64,
}

impl Limits {
    /// No bound beyond what the formats can express: for files the caller already trusts (a
    /// download being verified on the user's own machine).
    pub const UNBOUNDED: Self =
        Self { header_bytes: u64::MAX, reference_sequences: u64::MAX, cram_block_bytes: u64::MAX };

    /// `Err` naming `limit` when `declared` is more than it allows.
    pub(crate) fn check(&self, limit: Limit, declared: u64) -> Result<(), Exceeded> {
        let allowed = self.get(limit);
        if declared > allowed { Err(Exceeded { limit, declared: Some(declared), allowed }) } else { Ok(()) }
    }

    /// The bound of `limit`.
    pub fn get(&self, limit: Limit) -> u64 {
        match limit {
            Limit::HeaderBytes => self.header_bytes,
            Limit::ReferenceSequences => self.reference_sequences,
            Limit::CramBlockBytes => self.cram_block_bytes,
        }
    }
}

impl Default for Limits {
    /// 64 MiB of header text, 1,000,000 reference sequences, 256 MiB per CRAM container.
    fn default() -> Self {
        Self { header_bytes: 64 << 20, reference_sequences: 1_000_000, cram_block_bytes: 256 << 20 }
    }
}

/// One field of [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`Limits::header_bytes`].
    HeaderBytes,
    /// [`Limits::reference_sequences`].
    ReferenceSequences,
    /// [`Limits::cram_block_bytes`].
    CramBlockBytes,
}

/// A file went beyond one of its [`Limits`]. `Display` says what the file declared (or that it
/// holds more than allowed, when it declares nothing ahead) and the bound, e.g.
/// `declares 1.5 GiB of SAM header text, over the 64 MiB limit`, or
/// `holds more SAM header text than the 64 MiB limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct Exceeded {
    /// Which limit.
    pub limit: Limit,
    /// What the file declared, when it declares the size before the data.
    pub declared: Option<u64>,
    /// The bound in force.
    pub allowed: u64,
}

impl Exceeded {
    /// A file that holds more than `limit` allows without having declared how much.
    pub(crate) fn holds_more(limit: Limit, allowed: u64) -> Self {
        Self { limit, declared: None, allowed }
    }
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (of, what) = match self.limit {
            Limit::HeaderBytes => ("of ", "SAM header text"),
            Limit::ReferenceSequences => ("", "reference sequences"),
            Limit::CramBlockBytes => ("of ", "block data"),
        };
        let allowed = amount(self.limit, self.allowed, false);
        match self.declared {
            Some(declared) => {
                let mut shown = amount(self.limit, declared, false);
                let mut allowed = allowed;
                // Sizes that round alike are shown exactly.
                if shown == allowed {
                    (shown, allowed) = (amount(self.limit, declared, true), amount(self.limit, self.allowed, true));
                }
                write!(f, "declares {shown} {of}{what}, over the {allowed} limit")
            }
            None => write!(f, "holds more {what} than the {allowed} limit"),
        }
    }
}

/// A count, or a size in bytes (`exact`), or else in the largest binary unit that keeps it at
/// least 1, with one decimal when it is not whole (`1.5 GiB`).
fn amount(limit: Limit, n: u64, exact: bool) -> String {
    if limit == Limit::ReferenceSequences {
        return n.to_string();
    }
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 && !exact {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} bytes"),
        _ if value.fract() == 0.0 => format!("{value} {}", UNITS[unit]),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_check() {
        let limits = Limits::default();
        assert_eq!(limits.check(Limit::HeaderBytes, 64 << 20), Ok(()));
        let error = limits.check(Limit::HeaderBytes, 1536 << 20).err();
        assert_eq!(error, Some(Exceeded { limit: Limit::HeaderBytes, declared: Some(1536 << 20), allowed: 64 << 20 }));
        assert_eq!(Limits::UNBOUNDED.check(Limit::CramBlockBytes, u64::MAX), Ok(()));
    }

    #[test]
    fn test_display() {
        let header = Exceeded { limit: Limit::HeaderBytes, declared: Some(1_610_612_736), allowed: 64 << 20 };
        assert_eq!(header.to_string(), "declares 1.5 GiB of SAM header text, over the 64 MiB limit");
        let references = Exceeded { limit: Limit::ReferenceSequences, declared: Some(4_000_000), allowed: 1_000_000 };
        assert_eq!(references.to_string(), "declares 4000000 reference sequences, over the 1000000 limit");
        let held = Exceeded::holds_more(Limit::HeaderBytes, 1000);
        assert_eq!(held.to_string(), "holds more SAM header text than the 1000 bytes limit");
        let block = Exceeded { limit: Limit::CramBlockBytes, declared: Some(1 << 30), allowed: 256 << 20 };
        assert_eq!(block.to_string(), "declares 1 GiB of block data, over the 256 MiB limit");
        let odd = Exceeded { limit: Limit::HeaderBytes, declared: Some(3536), allowed: 3535 };
        assert_eq!(odd.to_string(), "declares 3536 bytes of SAM header text, over the 3535 bytes limit");
    }
}
