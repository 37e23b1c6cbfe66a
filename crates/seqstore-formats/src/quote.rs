//! Input bytes quoted safely in error messages: escaped text, one byte with its hex, hex runs.

use std::fmt;

/// Longest run of input bytes quoted in a message.
pub(crate) const MAX_QUOTED: usize = 48;

/// Input bytes as text: printable ASCII as is, anything else (and `\` and `'`) as `\xNN`, cut
/// after [`MAX_QUOTED`] bytes with `...`.
pub(crate) struct Escaped<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0.iter().take(MAX_QUOTED) {
            match b {
                b'\\' | b'\'' => write!(f, "\\x{b:02x}")?,
                b' '..=b'~' => write!(f, "{}", char::from(b))?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        if self.0.len() > MAX_QUOTED {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// One input byte, quoted then in hex: `'J' (0x4a)`, `'\x0d' (0x0d)`.
pub(crate) struct Byte(pub(crate) u8);

impl fmt::Display for Byte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' (0x{:02x})", Escaped(&[self.0]), self.0)
    }
}

/// Bytes in hex: `0x42 0x41`.
pub(crate) struct Hex<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            let separator = if i == 0 { "" } else { " " };
            write!(f, "{separator}0x{b:02x}")?;
        }
        Ok(())
    }
}
