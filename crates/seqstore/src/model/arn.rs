//! ARNs of seqstore resources: `arn:aws:omics:{region}:{account}:{resource}`.

use std::fmt;

/// What an ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `sequenceStore/{id}`.
    SequenceStore {
        /// Store id.
        id: String,
    },
    /// `sequenceStore/{store}/readSet/{id}`.
    ReadSet {
        /// Store id.
        store: String,
        /// Read set id.
        id: String,
    },
    /// `referenceStore/{id}`.
    ReferenceStore {
        /// Store id.
        id: String,
    },
    /// `referenceStore/{store}/reference/{id}`.
    Reference {
        /// Store id.
        store: String,
        /// Reference id.
        id: String,
    },
}

/// A parsed omics storage ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    /// Region part.
    pub region: String,
    /// 12-digit account part.
    pub account: String,
    /// The resource named.
    pub resource: Resource,
}

impl Arn {
    /// Builds the ARN of `resource` in `region` and `account`.
    pub fn new(region: &str, account: &str, resource: Resource) -> Self {
        Self { region: region.to_owned(), account: account.to_owned(), resource }
    }

    /// Parses an ARN of one of the four storage resource kinds; `None` for anything else
    /// (another service, another partition, a malformed resource part).
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        let (arn, partition, service) = (parts.next()?, parts.next()?, parts.next()?);
        let (region, account, resource) = (parts.next()?, parts.next()?, parts.next()?);
        if arn != "arn" || partition != "aws" || service != "omics" || region.is_empty() {
            return None;
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let resource = Self::parse_resource(resource)?;
        Some(Self::new(region, account, resource))
    }

    fn parse_resource(s: &str) -> Option<Resource> {
        let segments: Vec<&str> = s.split('/').collect();
        let ok = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
        let owned = |id: &str| id.to_owned();
        match segments.as_slice() {
            ["sequenceStore", id] if ok(id) => Some(Resource::SequenceStore { id: owned(id) }),
            ["sequenceStore", store, "readSet", id] if ok(store) && ok(id) => {
                Some(Resource::ReadSet { store: owned(store), id: owned(id) })
            }
            ["referenceStore", id] if ok(id) => Some(Resource::ReferenceStore { id: owned(id) }),
            ["referenceStore", store, "reference", id] if ok(store) && ok(id) => {
                Some(Resource::Reference { store: owned(store), id: owned(id) })
            }
            _ => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SequenceStore { id } => write!(f, "sequenceStore/{id}"),
            Self::ReadSet { store, id } => write!(f, "sequenceStore/{store}/readSet/{id}"),
            Self::ReferenceStore { id } => write!(f, "referenceStore/{id}"),
            Self::Reference { store, id } => write!(f, "referenceStore/{store}/reference/{id}"),
        }
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:aws:omics:{}:{}:{}", self.region, self.account, self.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        for text in [
            "arn:aws:omics:us-east-1:123456789012:sequenceStore/1234567890",
            "arn:aws:omics:us-east-1:123456789012:sequenceStore/1234567890/readSet/1234567891",
            "arn:aws:omics:eu-west-1:123456789012:referenceStore/1234567890",
            "arn:aws:omics:eu-west-1:123456789012:referenceStore/1234567890/reference/1234567891",
        ] {
            let arn = Arn::parse(text).expect(text);
            assert_eq!(arn.to_string(), text);
        }
    }

    #[test]
    fn rejects_other_arns() {
        for text in [
            "arn:aws:s3:::bucket",
            "arn:aws:omics:us-east-1:12345:sequenceStore/1",
            "arn:aws:omics:us-east-1:123456789012:sequenceStore/",
            "arn:aws:omics:us-east-1:123456789012:sequenceStore/12/extra",
            "arn:aws:omics:us-east-1:123456789012:workflow/1",
            "arn:aws-cn:omics:us-east-1:123456789012:sequenceStore/1",
            "arn:aws:omics::123456789012:sequenceStore/1",
        ] {
            assert_eq!(Arn::parse(text), None, "{text}");
        }
    }
}
