//! C's `printf("%g", x)`, as htslib prints `f` and `B:f` values.

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
