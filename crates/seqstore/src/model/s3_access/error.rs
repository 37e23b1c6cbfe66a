//! Why an S3 access policy is refused: where in the document, and what is wrong there.

use super::policy::Action;

/// A policy refused by [`super::Policy::parse`]. Its text is `{at} {problem}`, e.g.
/// `Statement[1].Action s3:PutObject is not supported: only s3:GetObject, s3:GetObjectTagging and
/// s3:ListBucket (no wildcards)`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{at} {problem}")]
pub struct PolicyError {
    /// Where: `the policy`, `Version`, `Statement[0].Principal.AWS`,
    /// `Statement[2].Condition.StringLike.s3:prefix` … (statements counted from 0).
    pub at: String,
    /// What is wrong there.
    pub problem: Problem,
}

impl PolicyError {
    /// `problem` at `at`.
    pub fn new(at: impl Into<String>, problem: Problem) -> Self {
        Self { at: at.into(), problem }
    }
}

/// What is wrong at one place of a policy: each variant is one class of refusal.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// The text is not JSON.
    #[error("is not valid JSON (line {line}, column {column})")]
    NotJson {
        /// 1-based line of the first error.
        line: usize,
        /// 1-based column of the first error.
        column: usize,
    },
    /// A required element is missing.
    #[error("is required")]
    Missing,
    /// An element has the wrong JSON type.
    #[error("must be {expected}")]
    Type {
        /// What it must be, e.g. "a string or a list of strings".
        expected: &'static str,
    },
    /// A list (or object) that must have members has none.
    #[error("must not be empty")]
    Empty,
    /// An element the dialect does not have (`NotAction`, `NotPrincipal`, a `Service` principal …).
    #[error("is not supported: {allowed}")]
    Element {
        /// What is allowed in its place.
        allowed: &'static str,
    },
    /// A `Version` other than 2012-10-17.
    #[error("{value} is not supported: use 2012-10-17")]
    Version {
        /// The version given.
        value: String,
    },
    /// An `Effect` other than Allow or Deny.
    #[error("{value} is not supported: use Allow or Deny")]
    Effect {
        /// The effect given.
        value: String,
    },
    /// A principal other than an account root ARN (`*` included).
    #[error("{value} is not supported: only arn:aws:iam::ACCOUNT:root (every key of that account)")]
    Principal {
        /// The principal given.
        value: String,
    },
    /// An action other than the three (wildcards included).
    #[error("{value} is not supported: only s3:GetObject, s3:GetObjectTagging and s3:ListBucket (no wildcards)")]
    Action {
        /// The action given.
        value: String,
    },
    /// A resource that is not this access point or its objects.
    #[error(
        "{value} is not a resource of this access point: use {arn} (for s3:ListBucket), or {arn}/object/KEY or \
         {arn}/object/PREFIX* (for objects)"
    )]
    Resource {
        /// The resource given.
        value: String,
        /// This access point's ARN.
        arn: String,
    },
    /// An object pattern with a wildcard before its end.
    #[error("{value} is not supported: '*' may only end an object key pattern, and '?' is not supported")]
    ResourceWildcard {
        /// The resource given.
        value: String,
    },
    /// An action none of the statement's resources is for.
    #[error("{action} applies to no resource of the statement: it needs {needs}")]
    Unused {
        /// The action.
        action: Action,
        /// The resource it needs.
        needs: &'static str,
    },
    /// Two statements with the same `Sid`.
    #[error("{sid} is used by two statements: each Sid must be unique")]
    DuplicateSid {
        /// The Sid.
        sid: String,
    },
    /// A condition operator the dialect does not have.
    #[error("{operator} is not supported: use {allowed}")]
    Operator {
        /// The operator given.
        operator: String,
        /// The operators there are.
        allowed: &'static str,
    },
    /// A condition key the dialect does not have.
    #[error(
        "{key} is not supported: only s3:ExistingObjectTag/TAG_KEY, s3:prefix, s3:signatureversion, s3:TlsVersion, \
         aws:PrincipalArn and aws:SecureTransport"
    )]
    Key {
        /// The key given.
        key: String,
    },
    /// A key tested with an operator of the wrong kind (`s3:TlsVersion` with `StringEquals`).
    #[error("{key} cannot be tested with {operator}: use {allowed}")]
    KeyOperator {
        /// The key.
        key: String,
        /// The operator.
        operator: &'static str,
        /// The operators that test it.
        allowed: &'static str,
    },
    /// A condition value that does not fit its operator.
    #[error("{value} is not {expected}")]
    Value {
        /// The value given, as JSON.
        value: String,
        /// What it must be, e.g. "a number".
        expected: &'static str,
    },
}
