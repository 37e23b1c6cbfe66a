//! Storage tiers: what one source of an archive or activation job is, and the copies a move
//! between tiers leaves to delete once nothing reads them any more.

use serde::{Deserialize, Serialize};

use super::read_set::Tier;
use super::time::Millis;

/// One source of an archive job (internal: made by the archiver or the extension
/// BatchArchiveReadSet): read set `read_set_id` of the job's store, copied to the archive tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveSource {
    /// The read set to archive.
    pub read_set_id: String,
}

/// One source of an activation job (StartReadSetActivationJob): read set `read_set_id` of the
/// job's store, copied back from the archive tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationSource {
    /// The read set to activate.
    pub read_set_id: String,
}

/// Copies of a read set's files that a move between tiers left behind in the tier it left: they
/// are deleted once `after` has passed (reads that began before the move finish first). Recorded
/// beside the read set (`read_sets.stale_copies`) in the transaction that moves it, so a crash
/// never loses them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleCopy {
    /// The tier they are in.
    #[serde(with = "tier_name")]
    pub tier: Tier,
    /// Their object keys in that tier.
    pub keys: Vec<String>,
    /// When they may be deleted (ms since the epoch).
    pub after: Millis,
}

mod tier_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Tier;

    pub fn serialize<S: Serializer>(tier: &Tier, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tier.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tier, D::Error> {
        let text = String::deserialize(d)?;
        Tier::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown tier {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_copies_round_trip() -> Result<(), serde_json::Error> {
        let copy = StaleCopy { tier: Tier::Hot, keys: vec!["s/readSet/1/source1".into()], after: 5 };
        let json = serde_json::to_string(&vec![copy.clone()])?;
        assert_eq!(json, r#"[{"tier":"hot","keys":["s/readSet/1/source1"],"after":5}]"#);
        assert_eq!(serde_json::from_str::<Vec<StaleCopy>>(&json)?, vec![copy]);
        Ok(())
    }
}
