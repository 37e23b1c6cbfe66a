//! Timestamps: milliseconds since the Unix epoch inside seqstore, RFC 3339 UTC on the wire.

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, the precision every stored timestamp has.
pub type Millis = i64;

/// The current time, truncated to milliseconds.
pub fn now() -> Millis {
    Utc::now().timestamp_millis()
}

/// Renders `ms` as RFC 3339 UTC with exactly three fractional digits, e.g.
/// `2024-05-01T12:34:56.789Z`.
pub fn format(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 timestamp with 0–9 fractional digits and any offset into microseconds since
/// the epoch; `None` when it is not RFC 3339.
pub fn parse_micros(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_micros())
}

/// The smallest millisecond value not before `micros`: `t_ms >= ceil_millis(x)` is the same as
/// `t_ms * 1000 >= x`, which lets inclusive and exclusive bounds given in microseconds be applied to
/// millisecond columns exactly.
pub fn ceil_millis(micros: i64) -> Millis {
    micros.div_euclid(1000) + i64::from(micros.rem_euclid(1000) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(format(1_714_566_896_789), "2024-05-01T12:34:56.789Z");
        assert_eq!(format(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn parses_zero_to_six_fraction_digits() {
        assert_eq!(parse_micros("2024-01-02T03:04:05Z"), Some(1_704_164_645_000_000));
        assert_eq!(parse_micros("2024-01-02T03:04:05.1Z"), Some(1_704_164_645_100_000));
        assert_eq!(parse_micros("2024-01-02T03:04:05.123456Z"), Some(1_704_164_645_123_456));
        assert_eq!(parse_micros("2024-01-02T04:04:05+01:00"), Some(1_704_164_645_000_000));
        assert_eq!(parse_micros("2024-01-02"), None);
        assert_eq!(parse_micros("yesterday"), None);
    }

    #[test]
    fn ceil_millis_rounds_up_partial_milliseconds() {
        assert_eq!(ceil_millis(5_000), 5);
        assert_eq!(ceil_millis(5_001), 6);
        assert_eq!(ceil_millis(-1), 0);
    }
}
