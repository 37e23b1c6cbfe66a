//! Floats as htslib prints them: C's `printf("%g", x)` for `f` values, and htslib's own `kputd`
//! for the elements of `B:f` arrays.

use std::io::Write as _;

/// Significant digits of `%g` without an explicit precision (C11 § 7.21.6.1).
const PRECISION: i32 = 6;

/// Appends `value` formatted as C's `%g`: 6 significant digits, `%e` style when the decimal
/// exponent is below -4 or at least 6, `%f` style otherwise, trailing zeros and a trailing
/// decimal point removed; `inf`, `-inf`, `nan` (`-nan` for a negative NaN, as glibc prints it).
///
/// An `f32` tag value must be widened with `f64::from` first, as C's varargs do.
pub fn write_g(buf: &mut Vec<u8>, value: f64) {
    if value.is_nan() {
        buf.extend_from_slice(if value.is_sign_negative() { b"-nan" } else { b"nan" });
        return;
    }
    if value.is_infinite() {
        buf.extend_from_slice(if value < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    // The exponent that `%e` would print, i.e. after rounding to PRECISION digits.
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, value);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    // Writing to a Vec cannot fail.
    if (-4..PRECISION).contains(&exponent) {
        let fixed = format!("{:.*}", (PRECISION - 1 - exponent) as usize, value);
        buf.extend_from_slice(strip_zeros(&fixed).as_bytes());
    } else {
        buf.extend_from_slice(strip_zeros(mantissa).as_bytes());
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(buf, "e{sign}{:02}", exponent.unsigned_abs());
    }
}

/// Appends `value` as htslib 1.16's `kputd` (`kstring.c`) formats it, which is how it prints the
/// elements of a `B:f` array: `%g` ([`write_g`]) outside `0.0001..=999999`, and inside it a
/// fixed-point rendering of its own (the value times 10^10 as an integer, plus a rounding term
/// by magnitude, cut to 6 significant digits), trailing zeros removed. Signed zeros print as `0`
/// and `-0`.
pub fn write_kputd(buf: &mut Vec<u8>, value: f64) {
    if value == 0.0 {
        buf.extend_from_slice(if value.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let mut d = value;
    if d < 0.0 {
        buf.push(b'-');
        d = -d;
    }
    if !(0.0001..=999_999.0).contains(&d) {
        // NaN lands here too, with its sign: `-nan` as glibc prints it.
        write_g(buf, d);
        return;
    }
    // `uint64_t i = d*10000000000LL`, then a rounding term by magnitude.
    let mut i = (d * 10_000_000_000.0) as u64;
    i += KPUTD_ROUNDING.iter().find(|(below, _)| d < *below).map_or(5_000_000_000, |(_, add)| *add);
    let digits = i.to_string().into_bytes();
    let p = digits.len();
    // `text` is the C buffer from `cp` on; `ep` indexes the last digit kept before culling zeros.
    let (mut text, mut ep) = if p <= 10 {
        // d < 1: six digits kept, zeros to make ten decimals, then "0.".
        let mut text = b"0.".to_vec();
        text.extend(std::iter::repeat_n(b'0', 10 - p));
        text.extend_from_slice(&digits[..p.min(6)]);
        let ep = 2 + (10 - p) + 5;
        (text, ep)
    } else {
        let whole = p - 10;
        let mut text = digits[..whole].to_vec();
        text.push(b'.');
        text.extend_from_slice(&digits[whole..]);
        text.truncate(7);
        if text[6] == b'.' {
            text.truncate(6);
        }
        (text, 6)
    };
    let at = |text: &[u8], k: usize| text.get(k).copied().unwrap_or(0);
    while at(&text, ep) == b'0' && ep > 0 {
        ep -= 1;
    }
    let z = ep + 1;
    while ep > 0 {
        if at(&text, ep) == b'.' {
            text.truncate(if at(&text, z - 1) == b'.' { z - 1 } else { z });
            break;
        }
        ep -= 1;
    }
    buf.extend_from_slice(&text);
}

/// `kputd`'s rounding terms: the first bound `d` is below picks the term added.
const KPUTD_ROUNDING: [(f64, u64); 10] = [
    (0.0001, 0),
    (0.001, 5),
    (0.01, 50),
    (0.1, 500),
    (1.0, 5_000),
    (10.0, 50_000),
    (100.0, 500_000),
    (1_000.0, 5_000_000),
    (10_000.0, 50_000_000),
    (100_000.0, 500_000_000),
];

fn strip_zeros(number: &str) -> &str {
    if number.contains('.') { number.trim_end_matches('0').trim_end_matches('.') } else { number }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(value: f64) -> String {
        let mut buf = Vec::new();
        write_g(&mut buf, value);
        String::from_utf8_lossy(&buf).into_owned()
    }

    fn kputd(value: f64) -> String {
        let mut buf = Vec::new();
        write_kputd(&mut buf, value);
        String::from_utf8_lossy(&buf).into_owned()
    }

    #[test]
    fn test_write_kputd() {
        // Expected values are htslib 1.16's kputd (`samtools view` of `B:f` arrays).
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (3.0, "3"),
            (12.5, "12.5"),
            (-2.25, "-2.25"),
            (100000.0, "100000"),
            (999999.0, "999999"),
            (999999.5, "1e+06"),
            (123456.7, "123457"),
            (0.000123456789, "0.000123457"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (f64::from(0.1f32), "0.1"),
            (f64::from(1.234_567_8_f32), "1.23457"),
            (f64::from(2.718_281_7_f32), "2.71828"),
            (1e20, "1e+20"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (value, expected) in cases {
            assert_eq!(kputd(value), expected, "{value:e}");
        }
    }

    #[test]
    fn test_write_g() {
        // Expected values are glibc's printf("%g").
        let cases = [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (100000.0, "100000"),
            (1000000.0, "1e+06"),
            (123456.7, "123457"),
            (999999.5, "1e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000001, "1e-06"),
            (1e20, "1e+20"),
            (1e100, "1e+100"),
            (1.23456789e-7, "1.23457e-07"),
            (3.0e-310, "3e-310"),
            (0.1, "0.1"),
            (f64::from(0.1f32), "0.1"),
            (f64::from(1e20f32), "1e+20"),
            (f64::from(0.000001f32), "1e-06"),
            (f64::from(2.718_281_7_f32), "2.71828"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (value, expected) in cases {
            assert_eq!(g(value), expected, "{value:e}");
        }
    }
}
