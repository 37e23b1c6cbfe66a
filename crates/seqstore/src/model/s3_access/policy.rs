//! The S3 access policy dialect: a JSON document in the shape of an S3 access point policy,
//! restricted to what seqstore can enforce.
//!
//! ```json
//! {"Version": "2012-10-17",
//!  "Statement": [{"Sid": "Lab", "Effect": "Allow",
//!                 "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
//!                 "Action": ["s3:GetObject", "s3:ListBucket"],
//!                 "Resource": ["ARN", "ARN/object/*"],
//!                 "Condition": {"StringEquals": {"s3:ExistingObjectTag/share": "lab"}}}]}
//! ```
//!
//! `Version` must be 2012-10-17; `Statement` is one statement or a list; each has an optional
//! `Sid` (unique), `Effect` (Allow or Deny), `Principal` `{"AWS": ARN or [ARNs]}` of account roots
//! (`arn:aws:iam::ACCOUNT:root`: every key of that account), `Action` (one or a list of
//! `s3:GetObject`, `s3:GetObjectTagging`, `s3:ListBucket`), `Resource` (the access point's ARN
//! itself for ListBucket; `ARN/object/KEY`, `ARN/object/PREFIX*` or `ARN/object/*` for objects)
//! and an optional `Condition` ([`super::condition`]). Anything else is refused with a
//! [`PolicyError`] naming it.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::condition::{self, Condition};
use super::error::{PolicyError, Problem};

/// The only policy language version accepted.
pub const VERSION: &str = "2012-10-17";

/// What a request through the access point does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// GetObject and HeadObject: read an object.
    GetObject,
    /// GetObjectTagging: read an object's tags.
    GetObjectTagging,
    /// ListObjects(V2): list keys.
    ListBucket,
}

wire_names!(Action {
    GetObject => "s3:GetObject",
    GetObjectTagging => "s3:GetObjectTagging",
    ListBucket => "s3:ListBucket",
});

impl Action {
    /// True for the actions on one object (their resource is an object, not the access point).
    pub fn on_object(self) -> bool {
        !matches!(self, Self::ListBucket)
    }

    /// Parses an action name as IAM does, ignoring ASCII case.
    fn parse_ignoring_case(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str().eq_ignore_ascii_case(s))
    }
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants the statement's actions.
    Allow,
    /// Refuses them, whatever any Allow says.
    Deny,
}

/// What a statement's `Resource` names, relative to the access point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The access point itself (`ARN`): what ListBucket acts on.
    AccessPoint,
    /// Every object whose key starts with the prefix (`ARN/object/PREFIX*`; `ARN/object/*` is
    /// every object).
    KeyPrefix(String),
    /// The one object of this key (`ARN/object/KEY`).
    Key(String),
}

impl Resource {
    /// True when `action` acts on resources of this kind (objects, or the access point).
    pub fn is_for(&self, action: Action) -> bool {
        matches!(self, Self::AccessPoint) != action.on_object()
    }

    /// True when `action` on `key` (an object key, or the prefix of a listing) is on this
    /// resource.
    pub fn covers(&self, action: Action, key: &str) -> bool {
        match self {
            Self::AccessPoint => !action.on_object(),
            Self::KeyPrefix(prefix) => action.on_object() && key.starts_with(prefix.as_str()),
            Self::Key(exact) => action.on_object() && key == exact,
        }
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Its `Sid`.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// The accounts whose keys it applies to.
    pub accounts: Vec<String>,
    /// The actions it applies to.
    pub actions: Vec<Action>,
    /// The resources it applies to.
    pub resources: Vec<Resource>,
    /// Conditions that must all hold for it to apply.
    pub conditions: Vec<Condition>,
}

/// A policy of the dialect, checked against one access point.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Its statements in document order.
    pub statements: Vec<Statement>,
}

const TOP_ELEMENTS: &str = "a policy has only Version, Id and Statement";
const STATEMENT_ELEMENTS: &str = "a statement has only Sid, Effect, Principal, Action, Resource and Condition";
const PRINCIPAL_ELEMENTS: &str = "only {\"AWS\": \"arn:aws:iam::ACCOUNT:root\"} principals";

impl Policy {
    /// Parses and checks `text` as a policy of the access point `access_point_arn`; the first
    /// problem found is the error.
    pub fn parse(text: &str, access_point_arn: &str) -> Result<Self, PolicyError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError::new("the policy", Problem::NotJson { line: e.line(), column: e.column() }))?;
        let top = object(&value, "the policy")?;
        if let Some(key) = top.keys().find(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement")) {
            return Err(PolicyError::new(key.clone(), Problem::Element { allowed: TOP_ELEMENTS }));
        }
        let version = string(top.get("Version"), "Version")?;
        if version != VERSION {
            return Err(PolicyError::new("Version", Problem::Version { value: version.to_owned() }));
        }
        if let Some(id) = top.get("Id") {
            string(Some(id), "Id")?;
        }
        let statements = match top.get("Statement") {
            None => return Err(PolicyError::new("Statement", Problem::Missing)),
            Some(Value::Array(list)) if list.is_empty() => return Err(PolicyError::new("Statement", Problem::Empty)),
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one) => vec![one],
        };
        let mut sids = HashSet::new();
        let mut parsed = Vec::with_capacity(statements.len());
        for (i, statement) in statements.into_iter().enumerate() {
            let at = format!("Statement[{i}]");
            let statement = parse_statement(statement, &at, access_point_arn)?;
            if let Some(sid) = &statement.sid
                && !sids.insert(sid.clone())
            {
                return Err(PolicyError::new(format!("{at}.Sid"), Problem::DuplicateSid { sid: sid.clone() }));
            }
            parsed.push(statement);
        }
        Ok(Self { statements: parsed })
    }

    /// The policy every new store gets: the owner account may read everything through the
    /// access point.
    pub fn default_text(access_point_arn: &str, account: &str) -> String {
        let principal = super::account_principal(account);
        format!(
            "{{\"Version\":\"{VERSION}\",\"Statement\":[{{\"Sid\":\"OwnerAccountReads\",\"Effect\":\"Allow\",\
             \"Principal\":{{\"AWS\":\"{principal}\"}},\
             \"Action\":[\"s3:GetObject\",\"s3:GetObjectTagging\",\"s3:ListBucket\"],\
             \"Resource\":[\"{access_point_arn}\",\"{access_point_arn}/object/*\"]}}]}}"
        )
    }
}

fn parse_statement(value: &Value, at: &str, arn: &str) -> Result<Statement, PolicyError> {
    let fields = object(value, at)?;
    let known = ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"];
    if let Some(key) = fields.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(PolicyError::new(format!("{at}.{key}"), Problem::Element { allowed: STATEMENT_ELEMENTS }));
    }
    let sid = fields.get("Sid").map(|sid| string(Some(sid), &format!("{at}.Sid")).map(str::to_owned)).transpose()?;
    let effect = match string(fields.get("Effect"), &format!("{at}.Effect"))? {
        "Allow" => Effect::Allow,
        "Deny" => Effect::Deny,
        other => return Err(PolicyError::new(format!("{at}.Effect"), Problem::Effect { value: other.to_owned() })),
    };
    let accounts = principals(fields.get("Principal"), &format!("{at}.Principal"))?;
    let at_action = format!("{at}.Action");
    let actions = strings(fields.get("Action"), &at_action)?
        .into_iter()
        .map(|a| {
            Action::parse_ignoring_case(a)
                .ok_or_else(|| PolicyError::new(&at_action, Problem::Action { value: a.to_owned() }))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let at_resource = format!("{at}.Resource");
    let resources = strings(fields.get("Resource"), &at_resource)?
        .into_iter()
        .map(|r| resource(r, arn).map_err(|problem| PolicyError::new(&at_resource, problem)))
        .collect::<Result<Vec<_>, _>>()?;
    for &action in &actions {
        if !resources.iter().any(|r| r.is_for(action)) {
            let needs = if action.on_object() { "an object resource ARN/object/…" } else { "the access point ARN" };
            return Err(PolicyError::new(at, Problem::Unused { action, needs }));
        }
    }
    let conditions = match fields.get("Condition") {
        Some(block) => condition::parse(block, &format!("{at}.Condition"))?,
        None => Vec::new(),
    };
    Ok(Statement { sid, effect, accounts, actions, resources, conditions })
}

/// The accounts of `{"AWS": ARN or [ARNs]}`.
fn principals(value: Option<&Value>, at: &str) -> Result<Vec<String>, PolicyError> {
    let value = value.ok_or_else(|| PolicyError::new(at, Problem::Missing))?;
    if let Value::String(s) = value {
        return Err(PolicyError::new(at, Problem::Principal { value: s.clone() }));
    }
    let kinds = object(value, at)?;
    if let Some(kind) = kinds.keys().find(|k| k.as_str() != "AWS") {
        return Err(PolicyError::new(format!("{at}.{kind}"), Problem::Element { allowed: PRINCIPAL_ELEMENTS }));
    }
    let at = format!("{at}.AWS");
    strings(kinds.get("AWS"), &at)?
        .into_iter()
        .map(|arn| account_of_root(arn).ok_or_else(|| PolicyError::new(&at, Problem::Principal { value: arn.into() })))
        .collect()
}

/// The account of `arn:aws:iam::ACCOUNT:root`.
fn account_of_root(arn: &str) -> Option<String> {
    let account = arn.strip_prefix("arn:aws:iam::")?.strip_suffix(":root")?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then(|| account.to_owned())
}

fn resource(text: &str, arn: &str) -> Result<Resource, Problem> {
    if text == arn {
        return Ok(Resource::AccessPoint);
    }
    let not_ours = || Problem::Resource { value: text.to_owned(), arn: arn.to_owned() };
    let pattern = text.strip_prefix(arn).and_then(|rest| rest.strip_prefix("/object/")).ok_or_else(not_ours)?;
    if pattern.is_empty() {
        return Err(not_ours());
    }
    let (key, prefix) = match pattern.strip_suffix('*') {
        Some(key) => (key, true),
        None => (pattern, false),
    };
    if key.contains(['*', '?']) {
        return Err(Problem::ResourceWildcard { value: text.to_owned() });
    }
    Ok(if prefix { Resource::KeyPrefix(key.to_owned()) } else { Resource::Key(key.to_owned()) })
}

/// `value` as an object.
pub(super) fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, PolicyError> {
    value.as_object().ok_or_else(|| PolicyError::new(at, Problem::Type { expected: "a JSON object" }))
}

/// A required string.
fn string<'a>(value: Option<&'a Value>, at: &str) -> Result<&'a str, PolicyError> {
    match value {
        None => Err(PolicyError::new(at, Problem::Missing)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(PolicyError::new(at, Problem::Type { expected: "a string" })),
    }
}

/// A required string or non-empty list of strings.
fn strings<'a>(value: Option<&'a Value>, at: &str) -> Result<Vec<&'a str>, PolicyError> {
    let wrong = || PolicyError::new(at, Problem::Type { expected: "a string or a list of strings" });
    match value {
        None => Err(PolicyError::new(at, Problem::Missing)),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(list)) if list.is_empty() => Err(PolicyError::new(at, Problem::Empty)),
        Some(Value::Array(list)) => list.iter().map(|v| v.as_str().ok_or_else(wrong)).collect(),
        Some(_) => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::condition::{Key, Operator, Values};
    use super::*;

    const ARN: &str = "arn:aws:s3:us-east-1:111111111111:accesspoint/1234567890";
    const ROOT: &str = "arn:aws:iam::222222222222:root";

    /// A policy of `statement` (one statement or a list).
    fn with(statement: Value) -> String {
        json!({"Version": VERSION, "Statement": statement}).to_string()
    }

    /// A statement granting `action` on `resource` to account 222222222222, with `extra` merged in.
    fn statement(action: &str, resource: &str, extra: Value) -> Value {
        let mut s = json!({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": action, "Resource": resource});
        for (k, v) in extra.as_object().into_iter().flatten() {
            s[k] = v.clone();
        }
        s
    }

    fn refused(text: &str) -> PolicyError {
        Policy::parse(text, ARN).expect_err(text)
    }

    /// The error for one statement with `extra` merged into a GetObject grant.
    fn refused_statement(extra: Value) -> PolicyError {
        refused(&with(statement("s3:GetObject", &format!("{ARN}/object/*"), extra)))
    }

    #[test]
    fn the_default_policy_grants_the_owner_every_read() -> Result<(), PolicyError> {
        let policy = Policy::parse(&Policy::default_text(ARN, "111111111111"), ARN)?;
        let expected = Statement {
            sid: Some("OwnerAccountReads".into()),
            effect: Effect::Allow,
            accounts: vec!["111111111111".into()],
            actions: vec![Action::GetObject, Action::GetObjectTagging, Action::ListBucket],
            resources: vec![Resource::AccessPoint, Resource::KeyPrefix(String::new())],
            conditions: vec![],
        };
        assert_eq!(policy.statements, [expected]);
        Ok(())
    }

    #[test]
    fn accepts_one_statement_and_single_strings() -> Result<(), PolicyError> {
        let one = statement("s3:GetObject", &format!("{ARN}/object/111111111111/x.bam"), json!({}));
        let text = json!({"Version": VERSION, "Id": "p1", "Statement": one});
        let policy = Policy::parse(&text.to_string(), ARN)?;
        let s = &policy.statements[0];
        assert_eq!((s.sid.as_deref(), s.effect), (None, Effect::Allow));
        assert_eq!(s.accounts, ["222222222222"]);
        assert_eq!(s.actions, [Action::GetObject]);
        assert_eq!(s.resources, [Resource::Key("111111111111/x.bam".into())]);
        Ok(())
    }

    #[test]
    fn accepts_lists_of_principals_actions_and_resources() -> Result<(), PolicyError> {
        let text = with(json!([{
            "Sid": "Lab", "Effect": "Deny",
            "Principal": {"AWS": [ROOT, "arn:aws:iam::333333333333:root"]},
            "Action": ["s3:GetObject", "S3:getobjecttagging", "s3:ListBucket"],
            "Resource": [ARN, format!("{ARN}/object/*"), format!("{ARN}/object/111111111111/sequenceStore/*"),
                         format!("{ARN}/object/a/b.cram")]
        }]));
        let s = &Policy::parse(&text, ARN)?.statements[0];
        assert_eq!((s.sid.as_deref(), s.effect), (Some("Lab"), Effect::Deny));
        assert_eq!(s.accounts, ["222222222222", "333333333333"]);
        assert_eq!(s.actions, [Action::GetObject, Action::GetObjectTagging, Action::ListBucket]);
        assert_eq!(
            s.resources,
            [
                Resource::AccessPoint,
                Resource::KeyPrefix(String::new()),
                Resource::KeyPrefix("111111111111/sequenceStore/".into()),
                Resource::Key("a/b.cram".into()),
            ]
        );
        Ok(())
    }

    #[test]
    fn accepts_every_condition_key_with_its_operators() -> Result<(), PolicyError> {
        let condition = json!({
            "StringEquals": {"s3:ExistingObjectTag/share": "lab", "s3:signatureversion": "AWS4-HMAC-SHA256"},
            "StringNotEquals": {"s3:ExistingObjectTag/share": ["x", "y"]},
            "StringEqualsIgnoreCase": {"s3:ExistingObjectTag/share": "LAB"},
            "StringNotEqualsIgnoreCase": {"s3:prefix": "private/"},
            "StringLike": {"s3:prefix": ["runs/*", "r?ns/"]},
            "StringNotLike": {"s3:ExistingObjectTag/x": "*secret*"},
            "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:user/AKIDEXAMPLE"},
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:user/*"},
            "ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:user/AKIDOTHER"},
            "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:user/AKIDBAD*"]},
            "NumericEquals": {"s3:TlsVersion": 1.3},
            "NumericNotEquals": {"s3:TlsVersion": "1.0"},
            "NumericLessThan": {"s3:TlsVersion": 2},
            "NumericLessThanEquals": {"s3:TlsVersion": "1.3"},
            "NumericGreaterThan": {"s3:TlsVersion": 1.1},
            "NumericGreaterThanEquals": {"s3:TlsVersion": ["1.2"]},
            "Bool": {"aws:SecureTransport": "true"}
        });
        let extra = json!({"Condition": condition});
        let text = with(json!([
            statement("s3:ListBucket", ARN, extra.clone()),
            statement("s3:GetObject", &format!("{ARN}/object/*"), extra)
        ]));
        let policy = Policy::parse(&text, ARN)?;
        let conditions = &policy.statements[0].conditions;
        assert_eq!(conditions.len(), 18);
        let operators: HashSet<Operator> = conditions.iter().map(|c| c.operator).collect();
        assert_eq!(operators.len(), Operator::ALL.len(), "every operator");
        let tls = conditions.iter().find(|c| c.operator == Operator::NumericGreaterThanEquals).expect("tls");
        assert_eq!((&tls.key, &tls.values), (&Key::TlsVersion, &Values::Number(vec![1.2])));
        let secure = conditions.iter().find(|c| c.operator == Operator::Bool).expect("bool");
        assert_eq!(secure.values, Values::Bool(vec![true]));
        Ok(())
    }

    #[test]
    fn refuses_what_is_not_json_or_not_an_object() {
        let e = refused("{\"Version\": ");
        assert!(matches!(e.problem, Problem::NotJson { line: 1, .. }), "{e}");
        assert!(e.to_string().starts_with("the policy is not valid JSON"), "{e}");
        assert_eq!(refused("[]").to_string(), "the policy must be a JSON object");
        assert_eq!(
            refused_statement(json!({"Principal": ["x"]})).to_string(),
            "Statement[0].Principal must be a JSON object"
        );
    }

    #[test]
    fn refuses_missing_elements() {
        assert_eq!(refused(&json!({"Statement": []}).to_string()).to_string(), "Version is required");
        assert_eq!(refused(&json!({"Version": VERSION}).to_string()).to_string(), "Statement is required");
        for element in ["Effect", "Principal", "Action", "Resource"] {
            let mut s = statement("s3:GetObject", &format!("{ARN}/object/*"), json!({}));
            s.as_object_mut().expect("object").remove(element);
            assert_eq!(refused(&with(s)).to_string(), format!("Statement[0].{element} is required"));
        }
    }

    #[test]
    fn refuses_wrong_types() {
        assert_eq!(refused(&json!({"Version": 2012}).to_string()).to_string(), "Version must be a string");
        let e = refused_statement(json!({"Action": 7}));
        assert_eq!(e.to_string(), "Statement[0].Action must be a string or a list of strings");
        let e = refused_statement(json!({"Resource": [ARN, 1]}));
        assert_eq!(e.to_string(), "Statement[0].Resource must be a string or a list of strings");
        assert_eq!(refused_statement(json!({"Sid": 1})).to_string(), "Statement[0].Sid must be a string");
    }

    #[test]
    fn refuses_empty_lists() {
        assert_eq!(refused(&with(json!([]))).to_string(), "Statement must not be empty");
        assert_eq!(refused_statement(json!({"Action": []})).to_string(), "Statement[0].Action must not be empty");
        let e = refused_statement(json!({"Condition": {"StringEquals": {"s3:prefix": []}}}));
        assert_eq!(e.to_string(), "Statement[0].Condition.StringEquals.s3:prefix must not be empty");
    }

    #[test]
    fn refuses_elements_outside_the_dialect() {
        let e = refused(&json!({"Version": VERSION, "Statement": [], "Extra": 1}).to_string());
        assert_eq!(e.to_string(), format!("Extra is not supported: {TOP_ELEMENTS}"));
        let e = refused_statement(json!({"NotAction": "s3:PutObject"}));
        assert_eq!(e.to_string(), format!("Statement[0].NotAction is not supported: {STATEMENT_ELEMENTS}"));
        let e = refused_statement(json!({"Principal": {"Service": "omics.amazonaws.com"}}));
        assert_eq!(e.at, "Statement[0].Principal.Service");
        assert!(matches!(e.problem, Problem::Element { .. }), "{e}");
    }

    #[test]
    fn refuses_other_versions_and_effects() {
        let e = refused(&json!({"Version": "2008-10-17", "Statement": []}).to_string());
        assert_eq!(e.to_string(), "Version 2008-10-17 is not supported: use 2012-10-17");
        let e = refused_statement(json!({"Effect": "allow"}));
        assert_eq!(e.to_string(), "Statement[0].Effect allow is not supported: use Allow or Deny");
    }

    #[test]
    fn refuses_principals_other_than_account_roots() {
        let e = refused_statement(json!({"Principal": "*"}));
        assert_eq!(
            e.to_string(),
            "Statement[0].Principal * is not supported: only arn:aws:iam::ACCOUNT:root (every key of that account)"
        );
        for principal in ["*", "222222222222", "arn:aws:iam::222222222222:user/alice", "arn:aws:iam::2222:root"] {
            let e = refused_statement(json!({"Principal": {"AWS": [ROOT, principal]}}));
            assert_eq!(e.at, "Statement[0].Principal.AWS");
            assert_eq!(e.problem, Problem::Principal { value: principal.into() });
        }
    }

    #[test]
    fn refuses_other_actions_and_wildcards() {
        let text = with(json!([
            statement("s3:GetObject", &format!("{ARN}/object/*"), json!({})),
            statement("s3:PutObject", &format!("{ARN}/object/*"), json!({}))
        ]));
        assert_eq!(
            refused(&text).to_string(),
            "Statement[1].Action s3:PutObject is not supported: only s3:GetObject, s3:GetObjectTagging and \
             s3:ListBucket (no wildcards)"
        );
        for action in ["s3:Get*", "*", "s3:*", "omics:GetReadSet"] {
            let e = refused_statement(json!({"Action": action}));
            assert_eq!(e.problem, Problem::Action { value: action.into() });
        }
    }

    #[test]
    fn refuses_resources_of_anything_but_this_access_point() {
        for resource in [
            "*".to_owned(),
            "arn:aws:s3:::bucket/*".to_owned(),
            "arn:aws:s3:us-east-1:111111111111:accesspoint/9999999999/object/*".to_owned(),
            format!("{ARN}/object/"),
            format!("{ARN}/*"),
            format!("{ARN}*"),
        ] {
            let e = refused_statement(json!({"Resource": resource}));
            assert_eq!(e.at, "Statement[0].Resource");
            assert_eq!(e.problem, Problem::Resource { value: resource.clone(), arn: ARN.into() }, "{resource}");
        }
        assert!(
            refused_statement(json!({"Resource": "*"})).to_string().contains(&format!("use {ARN} (for s3:ListBucket)"))
        );
    }

    #[test]
    fn refuses_wildcards_inside_object_keys() {
        for resource in [format!("{ARN}/object/a*/b"), format!("{ARN}/object/a?"), format!("{ARN}/object/**")] {
            let e = refused_statement(json!({"Resource": resource}));
            assert_eq!(e.problem, Problem::ResourceWildcard { value: resource.clone() });
        }
    }

    #[test]
    fn refuses_an_action_without_a_resource_for_it() {
        let e = refused(&with(statement("s3:ListBucket", &format!("{ARN}/object/*"), json!({}))));
        assert_eq!(
            e.to_string(),
            "Statement[0] s3:ListBucket applies to no resource of the statement: it needs the access point ARN"
        );
        let e = refused(&with(statement("s3:GetObjectTagging", ARN, json!({}))));
        assert_eq!(
            e.problem,
            Problem::Unused { action: Action::GetObjectTagging, needs: "an object resource ARN/object/…" }
        );
    }

    #[test]
    fn refuses_a_sid_used_twice() {
        let one = statement("s3:GetObject", &format!("{ARN}/object/*"), json!({"Sid": "Same"}));
        let e = refused(&with(json!([one.clone(), one])));
        assert_eq!(e.to_string(), "Statement[1].Sid Same is used by two statements: each Sid must be unique");
    }

    #[test]
    fn refuses_other_condition_operators() {
        for operator in ["StringEqualsIfExists", "ForAnyValue:StringLike", "Null", "IpAddress", "DateLessThan"] {
            let e = refused_statement(json!({"Condition": {operator: {"s3:prefix": "x"}}}));
            assert_eq!(e.at, "Statement[0].Condition");
            assert!(matches!(&e.problem, Problem::Operator { operator: o, .. } if o == operator), "{e}");
        }
        let e = refused_statement(json!({"Condition": "x"}));
        assert_eq!(e.to_string(), "Statement[0].Condition must be a JSON object");
    }

    #[test]
    fn refuses_other_condition_keys() {
        for key in ["aws:SourceIp", "s3:x-amz-acl", "s3:ExistingObjectTag/", "aws:username"] {
            let e = refused_statement(json!({"Condition": {"StringEquals": {key: "x"}}}));
            assert_eq!(e.problem, Problem::Key { key: key.into() }, "{key}");
            assert!(e.to_string().contains("is not supported: only s3:ExistingObjectTag/TAG_KEY"), "{e}");
        }
    }

    #[test]
    fn refuses_a_key_tested_with_the_wrong_kind_of_operator() {
        let e = refused_statement(json!({"Condition": {"StringEquals": {"s3:TlsVersion": "1.2"}}}));
        assert!(
            e.to_string().starts_with(
                "Statement[0].Condition.StringEquals s3:TlsVersion cannot be tested with StringEquals: use \
                 NumericEquals"
            ),
            "{e}"
        );
        for (operator, key) in [
            ("StringLike", "aws:PrincipalArn"),
            ("ArnLike", "s3:prefix"),
            ("Bool", "s3:TlsVersion"),
            ("NumericEquals", "aws:SecureTransport"),
        ] {
            let e = refused_statement(json!({"Condition": {operator: {key: "1"}}}));
            assert!(matches!(e.problem, Problem::KeyOperator { .. }), "{operator} {key}: {e}");
        }
    }

    #[test]
    fn refuses_condition_values_of_the_wrong_kind() {
        let cases = [
            ("NumericLessThan", "s3:TlsVersion", json!("one.two"), "a number"),
            ("ArnEquals", "aws:PrincipalArn", json!("AKIDEXAMPLE"), "an ARN"),
            ("Bool", "aws:SecureTransport", json!("yes"), "true or false"),
            ("StringEquals", "s3:prefix", json!(5), "a string"),
            ("StringEquals", "s3:prefix", json!({"a": 1}), "a string"),
        ];
        for (operator, key, value, expected) in cases {
            let e = refused_statement(json!({"Condition": {operator: {key: value}}}));
            assert!(
                matches!(&e.problem, Problem::Value { expected: x, .. } if x.starts_with(expected)),
                "{operator} {key}: {e}"
            );
        }
    }
}
