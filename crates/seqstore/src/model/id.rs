//! Resource ids: random 10-digit decimal strings, as HealthOmics issues them.

use rand::Rng;

/// Number of digits of every id seqstore issues.
pub const ID_DIGITS: usize = 10;

/// A new random id of [`ID_DIGITS`] digits without a leading zero. Uniqueness across the server is
/// the database's job (`db::ids::reserve`).
pub fn random() -> String {
    rand::rng().random_range(1_000_000_000u64..=9_999_999_999).to_string()
}

/// True when `s` has the shape of an id seqstore could have issued (all digits, 10 of them).
pub fn is_well_formed(s: &str) -> bool {
    s.len() == ID_DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_ten_digits() {
        for _ in 0..1000 {
            let id = random();
            assert!(is_well_formed(&id), "{id}");
            assert!(!id.starts_with('0'));
        }
        assert!(!is_well_formed("123"));
        assert!(!is_well_formed("12345678x0"));
    }
}
