//! The `Condition` block of a statement: `{OPERATOR: {KEY: VALUE or [VALUES]}}`.
//!
//! Keys and the operators that test them:
//!
//! | key | value in a request | operators |
//! |---|---|---|
//! | `s3:ExistingObjectTag/TAG_KEY` | the object's tag (GetObject, GetObjectTagging) | String… |
//! | `s3:prefix` | the listing's prefix, `""` when none (ListBucket) | String… |
//! | `s3:signatureversion` | `AWS4-HMAC-SHA256` | String… |
//! | `aws:PrincipalArn` | `arn:aws:iam::ACCOUNT:user/ACCESS_KEY_ID` | Arn… |
//! | `s3:TlsVersion` | `1.2`, `1.3`; absent over plain HTTP | Numeric… |
//! | `aws:SecureTransport` | `true` over TLS | Bool |
//!
//! String…: StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase,
//! StringLike, StringNotLike (`*` and `?` wildcards). Arn…: ArnEquals, ArnLike, ArnNotEquals,
//! ArnNotLike (each of the six `:`-separated parts matched on its own, with wildcards, as IAM
//! does). Numeric…: NumericEquals, NumericNotEquals, NumericLessThan, NumericLessThanEquals,
//! NumericGreaterThan, NumericGreaterThanEquals. Key names ignore ASCII case; tag keys do not.
//!
//! As in IAM: the values of one key are alternatives (any may match); keys and operators must
//! all hold; a key the request does not have fails every operator but the negated ones
//! (`…NotEquals`, `…NotLike`), which it satisfies.

use std::borrow::Cow;

use serde_json::Value;

use super::error::{PolicyError, Problem};
use super::evaluate::Request;
use super::policy::object;

/// A condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// Exact match.
    StringEquals,
    /// No exact match.
    StringNotEquals,
    /// Match ignoring case.
    StringEqualsIgnoreCase,
    /// No match ignoring case.
    StringNotEqualsIgnoreCase,
    /// Match with `*` and `?`.
    StringLike,
    /// No match with `*` and `?`.
    StringNotLike,
    /// ARN match (as ArnLike).
    ArnEquals,
    /// No ARN match.
    ArnNotEquals,
    /// ARN match, part by part, with wildcards.
    ArnLike,
    /// No ARN match.
    ArnNotLike,
    /// `=`.
    NumericEquals,
    /// `≠`.
    NumericNotEquals,
    /// `<`.
    NumericLessThan,
    /// `≤`.
    NumericLessThanEquals,
    /// `>`.
    NumericGreaterThan,
    /// `≥`.
    NumericGreaterThanEquals,
    /// Boolean equality.
    Bool,
}

wire_names!(Operator {
    StringEquals => "StringEquals",
    StringNotEquals => "StringNotEquals",
    StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
    StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
    StringLike => "StringLike",
    StringNotLike => "StringNotLike",
    ArnEquals => "ArnEquals",
    ArnNotEquals => "ArnNotEquals",
    ArnLike => "ArnLike",
    ArnNotLike => "ArnNotLike",
    NumericEquals => "NumericEquals",
    NumericNotEquals => "NumericNotEquals",
    NumericLessThan => "NumericLessThan",
    NumericLessThanEquals => "NumericLessThanEquals",
    NumericGreaterThan => "NumericGreaterThan",
    NumericGreaterThanEquals => "NumericGreaterThanEquals",
    Bool => "Bool",
});

/// The kinds of values operators compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    Arn,
    Numeric,
    Bool,
}

impl Family {
    /// The operators of this family, for messages.
    fn operators(self) -> &'static str {
        match self {
            Self::String => {
                "StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike or \
                 StringNotLike"
            }
            Self::Arn => "ArnEquals, ArnLike, ArnNotEquals or ArnNotLike",
            Self::Numeric => {
                "NumericEquals, NumericNotEquals, NumericLessThan, NumericLessThanEquals, NumericGreaterThan or \
                 NumericGreaterThanEquals"
            }
            Self::Bool => "Bool",
        }
    }
}

const OPERATORS: &str = "StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, \
                         StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, NumericEquals, \
                         NumericNotEquals, NumericLessThan, NumericLessThanEquals, NumericGreaterThan, \
                         NumericGreaterThanEquals or Bool (no IfExists, ForAnyValue: or ForAllValues: forms)";

impl Operator {
    fn family(self) -> Family {
        use Operator as O;
        match self {
            O::StringEquals
            | O::StringNotEquals
            | O::StringEqualsIgnoreCase
            | O::StringNotEqualsIgnoreCase
            | O::StringLike
            | O::StringNotLike => Family::String,
            O::ArnEquals | O::ArnNotEquals | O::ArnLike | O::ArnNotLike => Family::Arn,
            O::NumericEquals
            | O::NumericNotEquals
            | O::NumericLessThan
            | O::NumericLessThanEquals
            | O::NumericGreaterThan
            | O::NumericGreaterThanEquals => Family::Numeric,
            O::Bool => Family::Bool,
        }
    }

    /// True for the operators that hold when no value matches (and when the key is absent).
    fn negated(self) -> bool {
        use Operator as O;
        matches!(
            self,
            O::StringNotEquals
                | O::StringNotEqualsIgnoreCase
                | O::StringNotLike
                | O::ArnNotEquals
                | O::ArnNotLike
                | O::NumericNotEquals
        )
    }
}

/// A condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// `s3:ExistingObjectTag/TAG_KEY`: the value of the object's tag.
    ExistingObjectTag(String),
    /// `s3:prefix`: the prefix of a listing.
    Prefix,
    /// `s3:signatureversion`.
    SignatureVersion,
    /// `s3:TlsVersion`.
    TlsVersion,
    /// `aws:PrincipalArn`: the calling key's ARN.
    PrincipalArn,
    /// `aws:SecureTransport`: whether the request came over TLS.
    SecureTransport,
}

const TAG_KEY_PREFIX: &str = "s3:ExistingObjectTag/";

impl Key {
    /// Parses a key name, ignoring ASCII case but in the tag key.
    fn parse(name: &str) -> Option<Self> {
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        if name.len() > TAG_KEY_PREFIX.len() && name.is_char_boundary(TAG_KEY_PREFIX.len()) {
            let (head, tag) = name.split_at(TAG_KEY_PREFIX.len());
            if head.eq_ignore_ascii_case(TAG_KEY_PREFIX) {
                return Some(Self::ExistingObjectTag(tag.to_owned()));
            }
        }
        Some(match () {
            () if is("s3:prefix") => Self::Prefix,
            () if is("s3:signatureversion") => Self::SignatureVersion,
            () if is("s3:TlsVersion") => Self::TlsVersion,
            () if is("aws:PrincipalArn") => Self::PrincipalArn,
            () if is("aws:SecureTransport") => Self::SecureTransport,
            () => return None,
        })
    }

    fn family(&self) -> Family {
        match self {
            Self::ExistingObjectTag(_) | Self::Prefix | Self::SignatureVersion => Family::String,
            Self::PrincipalArn => Family::Arn,
            Self::TlsVersion => Family::Numeric,
            Self::SecureTransport => Family::Bool,
        }
    }

    /// The key's value in `request`; `None` when the request has none.
    fn value<'a>(&self, request: &Request<'a>) -> Option<Actual<'a>> {
        match self {
            Self::ExistingObjectTag(tag) if request.action.on_object() => {
                request.tags.get(tag).map(|v| Actual::Text(Cow::Borrowed(v.as_str())))
            }
            Self::ExistingObjectTag(_) => None,
            Self::Prefix => (!request.action.on_object()).then_some(Actual::Text(Cow::Borrowed(request.key))),
            Self::SignatureVersion => Some(Actual::Text(Cow::Borrowed(request.signature_version))),
            Self::PrincipalArn => {
                Some(Actual::Text(Cow::Owned(super::key_principal(request.account, request.access_key_id))))
            }
            Self::TlsVersion => request.tls_version.map(Actual::Number),
            Self::SecureTransport => Some(Actual::Bool(request.tls_version.is_some())),
        }
    }
}

/// A key's value in a request.
enum Actual<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
}

/// The values a condition compares with, of its operator's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Strings or ARN patterns.
    Text(Vec<String>),
    /// Numbers.
    Number(Vec<f64>),
    /// Booleans.
    Bool(Vec<bool>),
}

/// One operator applied to one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator.
    pub operator: Operator,
    /// The key.
    pub key: Key,
    /// The values, any of which may match.
    pub values: Values,
}

impl Condition {
    /// True when the condition holds for `request`.
    pub fn holds(&self, request: &Request<'_>) -> bool {
        let matched = self.key.value(request).is_some_and(|actual| self.matches(&actual));
        matched != self.operator.negated()
    }

    /// True when `actual` matches one of the values (before negation).
    fn matches(&self, actual: &Actual<'_>) -> bool {
        use Operator as O;
        match (&self.values, actual) {
            (Values::Text(values), Actual::Text(actual)) => values.iter().any(|v| match self.operator {
                O::StringEquals | O::StringNotEquals => v == actual,
                O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase => v.to_lowercase() == actual.to_lowercase(),
                O::StringLike | O::StringNotLike => glob(v, actual),
                _ => arn_like(v, actual),
            }),
            (Values::Number(values), Actual::Number(actual)) => values.iter().any(|v| match self.operator {
                O::NumericLessThan => actual < v,
                O::NumericLessThanEquals => actual <= v,
                O::NumericGreaterThan => actual > v,
                O::NumericGreaterThanEquals => actual >= v,
                _ => actual == v,
            }),
            (Values::Bool(values), Actual::Bool(actual)) => values.contains(actual),
            _ => false,
        }
    }
}

/// Parses a `Condition` block at `at` (e.g. `Statement[0].Condition`).
pub(super) fn parse(block: &Value, at: &str) -> Result<Vec<Condition>, PolicyError> {
    let mut conditions = Vec::new();
    for (name, keys) in object(block, at)? {
        let operator = Operator::parse(name)
            .ok_or_else(|| PolicyError::new(at, Problem::Operator { operator: name.clone(), allowed: OPERATORS }))?;
        let at = format!("{at}.{name}");
        let keys = object(keys, &at)?;
        if keys.is_empty() {
            return Err(PolicyError::new(at, Problem::Empty));
        }
        for (key_name, values) in keys {
            let key =
                Key::parse(key_name).ok_or_else(|| PolicyError::new(&at, Problem::Key { key: key_name.clone() }))?;
            let family = key.family();
            if operator.family() != family {
                let problem = Problem::KeyOperator {
                    key: key_name.clone(),
                    operator: operator.as_str(),
                    allowed: family.operators(),
                };
                return Err(PolicyError::new(&at, problem));
            }
            let at = format!("{at}.{key_name}");
            let values = parse_values(values, family).map_err(|problem| PolicyError::new(&at, problem))?;
            conditions.push(Condition { operator, key, values });
        }
    }
    Ok(conditions)
}

/// A value or a non-empty list of values, each of `family`'s kind.
fn parse_values(value: &Value, family: Family) -> Result<Values, Problem> {
    let list: Vec<&Value> = match value {
        Value::Array(list) if list.is_empty() => return Err(Problem::Empty),
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    let wrong = |expected| move |v: &&Value| Problem::Value { value: v.to_string(), expected };
    Ok(match family {
        Family::String => Values::Text(
            list.iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong("a string")(v)))
                .collect::<Result<_, _>>()?,
        ),
        Family::Arn => Values::Text(
            list.iter()
                .map(|v| {
                    v.as_str().filter(|s| s.split(':').count() >= 6).map(str::to_owned).ok_or_else(|| {
                        wrong("an ARN (arn:aws:iam::ACCOUNT:user/ACCESS_KEY_ID; six parts separated by ':')")(v)
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Family::Numeric => Values::Number(
            list.iter()
                .map(|v| {
                    let number = match v {
                        Value::Number(n) => n.as_f64(),
                        Value::String(s) => s.trim().parse::<f64>().ok(),
                        _ => None,
                    };
                    number.filter(|n| n.is_finite()).ok_or_else(|| wrong("a number")(v))
                })
                .collect::<Result<_, _>>()?,
        ),
        Family::Bool => Values::Bool(
            list.iter()
                .map(|v| match v {
                    Value::Bool(b) => Ok(*b),
                    Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
                    Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
                    _ => Err(wrong("true or false")(v)),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// IAM's `*` (any run of characters) and `?` (one character) match of `text` against `pattern`.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and where in the text its run ended so far.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_pi, star_ti)) = star {
            pi = star_pi + 1;
            ti = star_ti + 1;
            star = Some((star_pi, star_ti + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// IAM's ARN match: the six `:`-separated parts each matched with [`glob`].
fn arn_like(pattern: &str, arn: &str) -> bool {
    let (p, a): (Vec<&str>, Vec<&str>) = (pattern.splitn(6, ':').collect(), arn.splitn(6, ':').collect());
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| glob(p, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_as_iam_does() {
        for (pattern, text) in
            [("*", ""), ("*", "abc"), ("a*c", "abbbc"), ("a?c", "abc"), ("*.bam", "x/y.bam"), ("", "")]
        {
            assert!(glob(pattern, text), "{pattern} ~ {text}");
        }
        for (pattern, text) in [("a?c", "ac"), ("a*c", "abd"), ("abc", "abcd"), ("", "a"), ("*.bam", "x.bai")] {
            assert!(!glob(pattern, text), "{pattern} !~ {text}");
        }
    }

    #[test]
    fn arn_like_matches_each_part_alone() {
        let arn = "arn:aws:iam::111111111111:user/AKIDEXAMPLE";
        assert!(arn_like("arn:aws:iam::111111111111:user/*", arn));
        assert!(arn_like("arn:aws:iam::*:user/AKID*", arn));
        assert!(arn_like(arn, arn));
        assert!(!arn_like("arn:aws:iam::*", arn), "a * never spans a ':'");
        assert!(!arn_like("arn:aws:iam::222222222222:user/*", arn));
    }

    #[test]
    fn key_names_ignore_case_but_tag_keys_do_not() {
        assert_eq!(Key::parse("S3:PREFIX"), Some(Key::Prefix));
        assert_eq!(Key::parse("aws:principalarn"), Some(Key::PrincipalArn));
        assert_eq!(Key::parse("s3:existingobjecttag/Share"), Some(Key::ExistingObjectTag("Share".into())));
        assert_eq!(Key::parse("s3:ExistingObjectTag/"), None);
        assert_eq!(Key::parse("s3:x-amz-acl"), None);
    }
}
