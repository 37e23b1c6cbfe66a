//! The decision on one request through an access point: pure, no I/O.

use super::policy::{Action, Effect, Policy, Statement};
use crate::model::tags::Tags;

/// What the S3 endpoint knows of one request when it asks for a decision.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The account of the verified access key.
    pub account: &'a str,
    /// The access key id (`aws:PrincipalArn` is `arn:aws:iam::{account}:user/{access_key_id}`).
    pub access_key_id: &'a str,
    /// What the request does.
    pub action: Action,
    /// The object's key within the bucket (GetObject, GetObjectTagging), or the prefix of a
    /// listing, `""` when it has none (ListBucket).
    pub key: &'a str,
    /// The object's tags (`s3:ExistingObjectTag/…`); empty for a listing.
    pub tags: &'a Tags,
    /// The signature's algorithm (`s3:signatureversion`): `AWS4-HMAC-SHA256`.
    pub signature_version: &'a str,
    /// The TLS version of the connection, `1.2` or `1.3` (`s3:TlsVersion`); `None` over plain
    /// HTTP.
    pub tls_version: Option<f64>,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A statement allows the request and none denies it.
    Allow,
    /// A Deny statement applies; it beats every Allow.
    ExplicitDeny {
        /// The `Sid` of the first Deny statement that applies, if it has one.
        sid: Option<String>,
    },
    /// No statement allows the request, or the store has no policy.
    ImplicitDeny,
}

impl Decision {
    /// True for [`Decision::Allow`].
    pub fn allows(&self) -> bool {
        matches!(self, Self::Allow)
    }
}

/// Decides `request` under `policy` (`None`: the store has no policy, after
/// DeleteS3AccessPolicy). A statement applies when its principals name the request's account, its
/// actions the request's, one of its resources covers the key and all its conditions hold. Any
/// Deny that applies denies; otherwise any Allow that applies allows; otherwise the request is
/// denied.
pub fn evaluate(policy: Option<&Policy>, request: &Request<'_>) -> Decision {
    let Some(policy) = policy else { return Decision::ImplicitDeny };
    let mut allowed = false;
    for statement in policy.statements.iter().filter(|s| applies(s, request)) {
        match statement.effect {
            Effect::Deny => return Decision::ExplicitDeny { sid: statement.sid.clone() },
            Effect::Allow => allowed = true,
        }
    }
    if allowed { Decision::Allow } else { Decision::ImplicitDeny }
}

fn applies(statement: &Statement, request: &Request<'_>) -> bool {
    statement.accounts.iter().any(|a| a == request.account)
        && statement.actions.contains(&request.action)
        && statement.resources.iter().any(|r| r.covers(request.action, request.key))
        && statement.conditions.iter().all(|c| c.holds(request))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::PolicyError;
    use super::*;

    const ARN: &str = "arn:aws:s3:us-east-1:111111111111:accesspoint/1234567890";
    const OWNER: &str = "111111111111";
    const OTHER: &str = "222222222222";
    const READS: &str = "111111111111/sequenceStore/1234567890/readSet/5555555555/reads.bam";

    /// A request of `account` with its key `AKID{account}`, over TLS 1.3, untagged.
    fn request<'a>(account: &'a str, action: Action, key: &'a str, tags: &'a Tags) -> Request<'a> {
        Request {
            account,
            access_key_id: if account == OWNER { "AKIDOWNER" } else { "AKIDOTHER" },
            action,
            key,
            tags,
            signature_version: "AWS4-HMAC-SHA256",
            tls_version: Some(1.3),
        }
    }

    fn policy(statements: Value) -> Result<Policy, PolicyError> {
        Policy::parse(&json!({"Version": "2012-10-17", "Statement": statements}).to_string(), ARN)
    }

    /// One statement of `effect` for account OTHER: every action on everything, under `condition`.
    fn everything(effect: &str, condition: Value) -> Value {
        json!({"Effect": effect, "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")},
               "Action": ["s3:GetObject", "s3:GetObjectTagging", "s3:ListBucket"],
               "Resource": [ARN, format!("{ARN}/object/*")], "Condition": condition})
    }

    /// Whether OTHER may GetObject READS tagged `tags`, over `tls`, under an Allow with `condition`.
    fn allowed(condition: Value, tags: &Tags, tls: Option<f64>) -> Result<bool, PolicyError> {
        let policy = policy(json!([everything("Allow", condition)]))?;
        let request = Request { tls_version: tls, ..request(OTHER, Action::GetObject, READS, tags) };
        Ok(evaluate(Some(&policy), &request).allows())
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_default_policy_lets_the_owner_read_and_no_one_else() -> Result<(), PolicyError> {
        let policy = Policy::parse(&Policy::default_text(ARN, OWNER), ARN)?;
        let none = Tags::new();
        for action in Action::ALL.iter().copied() {
            let key = if action.on_object() { READS } else { "" };
            assert_eq!(evaluate(Some(&policy), &request(OWNER, action, key, &none)), Decision::Allow, "{action}");
            assert_eq!(evaluate(Some(&policy), &request(OTHER, action, key, &none)), Decision::ImplicitDeny);
        }
        Ok(())
    }

    #[test]
    fn no_policy_denies_everyone() {
        let none = Tags::new();
        for action in Action::ALL.iter().copied() {
            assert_eq!(evaluate(None, &request(OWNER, action, READS, &none)), Decision::ImplicitDeny);
        }
    }

    #[test]
    fn deny_beats_allow() -> Result<(), PolicyError> {
        let deny = json!({"Sid": "NoCram", "Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")},
                          "Action": "s3:GetObject", "Resource": format!("{ARN}/object/{OWNER}/secret/*")});
        let policy = policy(json!([everything("Allow", json!({})), deny]))?;
        let none = Tags::new();
        let secret = format!("{OWNER}/secret/a.cram");
        let denied = evaluate(Some(&policy), &request(OTHER, Action::GetObject, &secret, &none));
        assert_eq!(denied, Decision::ExplicitDeny { sid: Some("NoCram".into()) });
        assert!(!denied.allows());
        assert_eq!(evaluate(Some(&policy), &request(OTHER, Action::GetObject, READS, &none)), Decision::Allow);
        // The Deny names only GetObject: tagging of the same key is still allowed.
        assert_eq!(evaluate(Some(&policy), &request(OTHER, Action::GetObjectTagging, &secret, &none)), Decision::Allow);
        Ok(())
    }

    #[test]
    fn statements_apply_to_their_principals_actions_and_resources() -> Result<(), PolicyError> {
        let grant = json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")},
                           "Action": "s3:GetObject",
                           "Resource": [format!("{ARN}/object/{OWNER}/shared/*"), format!("{ARN}/object/one.bam")]});
        let policy = policy(json!([grant]))?;
        let none = Tags::new();
        let decide = |account, action, key| evaluate(Some(&policy), &request(account, action, key, &none)).allows();
        assert!(decide(OTHER, Action::GetObject, "111111111111/shared/x.bam"), "a key under the prefix");
        assert!(decide(OTHER, Action::GetObject, "one.bam"), "the exact key");
        assert!(!decide(OTHER, Action::GetObject, "one.bam.bai"), "an exact key is no prefix");
        assert!(!decide(OTHER, Action::GetObject, "111111111111/other/x.bam"), "outside the prefix");
        assert!(!decide(OTHER, Action::GetObjectTagging, "one.bam"), "another action");
        assert!(!decide(OTHER, Action::ListBucket, ""), "listing needs the access point resource");
        assert!(!decide(OWNER, Action::GetObject, "one.bam"), "another account, the owner included");
        Ok(())
    }

    #[test]
    fn existing_object_tag() -> Result<(), PolicyError> {
        let lab = tags(&[("share", "lab")]);
        let other = tags(&[("share", "public"), ("Share", "lab")]);
        let condition = json!({"StringEquals": {"s3:ExistingObjectTag/share": ["lab", "team"]}});
        assert!(allowed(condition.clone(), &lab, Some(1.3))?);
        assert!(!allowed(condition.clone(), &other, Some(1.3))?, "tag keys are case-sensitive");
        assert!(!allowed(condition, &Tags::new(), Some(1.3))?, "an untagged object fails StringEquals");
        let not = json!({"StringNotEquals": {"s3:ExistingObjectTag/share": "private"}});
        assert!(allowed(not.clone(), &Tags::new(), Some(1.3))?, "and passes StringNotEquals");
        assert!(!allowed(not, &tags(&[("share", "private")]), Some(1.3))?);
        assert!(allowed(json!({"StringLike": {"s3:ExistingObjectTag/share": "l?b*"}}), &lab, None)?);
        assert!(allowed(json!({"StringEqualsIgnoreCase": {"s3:ExistingObjectTag/share": "LAB"}}), &lab, None)?);
        // A listing has no object, so no object tags.
        let policy =
            policy(json!([everything("Allow", json!({"StringEquals": {"s3:ExistingObjectTag/share": "lab"}}))]))?;
        assert!(!evaluate(Some(&policy), &request(OTHER, Action::ListBucket, "", &lab)).allows());
        Ok(())
    }

    #[test]
    fn prefix() -> Result<(), PolicyError> {
        let policy =
            policy(json!([everything("Allow", json!({"StringLike": {"s3:prefix": ["111111111111/shared/*", ""]}}))]))?;
        let none = Tags::new();
        let list = |prefix| evaluate(Some(&policy), &request(OTHER, Action::ListBucket, prefix, &none)).allows();
        assert!(list("111111111111/shared/"));
        assert!(list(""), "no prefix is the empty prefix");
        assert!(!list("111111111111/private/"));
        // Object requests have no s3:prefix.
        assert!(!evaluate(Some(&policy), &request(OTHER, Action::GetObject, "111111111111/shared/x", &none)).allows());
        Ok(())
    }

    #[test]
    fn signature_version() -> Result<(), PolicyError> {
        let none = Tags::new();
        assert!(allowed(json!({"StringEquals": {"s3:signatureversion": "AWS4-HMAC-SHA256"}}), &none, None)?);
        assert!(!allowed(json!({"StringEquals": {"s3:signatureversion": "AWS"}}), &none, None)?);
        Ok(())
    }

    #[test]
    fn tls_version() -> Result<(), PolicyError> {
        let none = Tags::new();
        let at_least = json!({"NumericGreaterThanEquals": {"s3:TlsVersion": "1.2"}});
        assert!(allowed(at_least.clone(), &none, Some(1.3))?);
        assert!(allowed(at_least.clone(), &none, Some(1.2))?);
        assert!(!allowed(at_least, &none, None)?, "plain HTTP has no TLS version");
        assert!(!allowed(json!({"NumericGreaterThan": {"s3:TlsVersion": 1.3}}), &none, Some(1.3))?);
        assert!(allowed(json!({"NumericLessThan": {"s3:TlsVersion": 1.3}}), &none, Some(1.2))?);
        assert!(allowed(json!({"NumericLessThanEquals": {"s3:TlsVersion": 1.2}}), &none, Some(1.2))?);
        assert!(allowed(json!({"NumericEquals": {"s3:TlsVersion": [1.2, 1.3]}}), &none, Some(1.3))?);
        assert!(allowed(json!({"NumericNotEquals": {"s3:TlsVersion": 1.2}}), &none, None)?, "absent: negated holds");
        Ok(())
    }

    #[test]
    fn principal_arn() -> Result<(), PolicyError> {
        let none = Tags::new();
        let me = format!("arn:aws:iam::{OTHER}:user/AKIDOTHER");
        assert!(allowed(json!({"ArnEquals": {"aws:PrincipalArn": me}}), &none, None)?);
        assert!(allowed(json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/AKID*"}}), &none, None)?);
        assert!(!allowed(
            json!({"ArnEquals": {"aws:PrincipalArn": format!("arn:aws:iam::{OTHER}:user/AKIDOWNER")}}),
            &none,
            None
        )?);
        assert!(!allowed(json!({"ArnNotEquals": {"aws:PrincipalArn": me}}), &none, None)?);
        assert!(allowed(json!({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/AKIDOWNER"}}), &none, None)?);
        Ok(())
    }

    #[test]
    fn secure_transport() -> Result<(), PolicyError> {
        let none = Tags::new();
        let deny_plain = json!({"Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")},
                                "Action": "s3:GetObject", "Resource": format!("{ARN}/object/*"),
                                "Condition": {"Bool": {"aws:SecureTransport": false}}});
        let policy = policy(json!([everything("Allow", json!({})), deny_plain]))?;
        let over = |tls| {
            evaluate(Some(&policy), &Request { tls_version: tls, ..request(OTHER, Action::GetObject, READS, &none) })
        };
        assert_eq!(over(Some(1.2)), Decision::Allow);
        assert_eq!(over(None), Decision::ExplicitDeny { sid: None });
        Ok(())
    }

    #[test]
    fn every_key_and_operator_of_a_statement_must_hold() -> Result<(), PolicyError> {
        let lab = tags(&[("share", "lab")]);
        let both = json!({
            "StringEquals": {"s3:ExistingObjectTag/share": "lab", "s3:signatureversion": "AWS4-HMAC-SHA256"},
            "NumericGreaterThanEquals": {"s3:TlsVersion": 1.2}
        });
        assert!(allowed(both.clone(), &lab, Some(1.2))?);
        assert!(!allowed(both.clone(), &lab, None)?, "one operator fails");
        assert!(!allowed(both, &Tags::new(), Some(1.2))?, "one key fails");
        Ok(())
    }
}
