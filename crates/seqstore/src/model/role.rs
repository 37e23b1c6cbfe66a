//! IAM role ARNs passed as `roleArn`.

/// A parsed `arn:aws:iam::{account}:role/{path/name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    /// 12-digit account that owns the role.
    pub account: String,
    /// Role name with its path.
    pub name: String,
}

impl RoleArn {
    /// Parses an IAM role ARN; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("arn:aws:iam::")?;
        let (account, resource) = rest.split_once(':')?;
        let name = resource.strip_prefix("role/")?;
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        (account_ok && !name.is_empty()).then(|| Self { account: account.to_owned(), name: name.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_role_arns_only() {
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/service/Import").expect("role");
        assert_eq!((role.account.as_str(), role.name.as_str()), ("123456789012", "service/Import"));
        for bad in
            ["arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x", "arn:aws:iam::123456789012:role/", "x"]
        {
            assert_eq!(RoleArn::parse(bad), None, "{bad}");
        }
    }
}
