//! GA4GH refget v2's use cases: a sequence of the caller's references found by digest (its MD5 or
//! its GA4GH identifier, through `reference_sequences`, without reading every reference), and its
//! bases streamed upper-cased in bounded memory. The identifiers of references imported before
//! they were computed are filled by the start-up backfill ([`Service::backfill_refget`]).

pub mod backfill;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream;

use super::reference_reader::OpenedReference;
use super::{Caller, Error, Service};
use crate::db::reference_sequences::{self, DigestKind};
use crate::db::{self, references};
use crate::model::reference::Reference;

/// Bases read from storage per chunk of [`Service::refget_bases`].
pub const CHUNK_BASES: u64 = 1 << 20;

/// A sequence id as refget clients send it, normalised to how it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SequenceId {
    /// Lowercase hex MD5 of the upper-cased bases.
    Md5(String),
    /// GA4GH identifier, `SQ.` + 32 URL-safe base64 characters (`sha512t24u`).
    Refget(String),
}

impl SequenceId {
    /// Parses a refget id: 32 hex digits of either case, optionally after `md5:` (an MD5), or
    /// `SQ.` and 32 URL-safe base64 characters, optionally after `ga4gh:` (a GA4GH identifier);
    /// `None` for anything else (which refget answers as an unknown sequence).
    pub fn parse(id: &str) -> Option<Self> {
        if let Some(digest) = id.strip_prefix("ga4gh:").unwrap_or(id).strip_prefix("SQ.") {
            let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            // 24 bytes are 32 characters without padding; the last one carries all 6 bits.
            return (digest.len() == 32 && digest.bytes().all(base64url)).then(|| Self::Refget(format!("SQ.{digest}")));
        }
        let hex = match id.get(..4) {
            Some(prefix) if prefix.eq_ignore_ascii_case("md5:") => &id[4..],
            _ => id,
        };
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self::Md5(hex.to_ascii_lowercase()))
    }

    fn kind_and_value(&self) -> (DigestKind, &str) {
        match self {
            Self::Md5(md5) => (DigestKind::Md5, md5),
            Self::Refget(refget) => (DigestKind::Refget, refget),
        }
    }
}

/// A reference sequence found by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefgetSequence {
    /// Lowercase hex MD5 of the upper-cased bases.
    pub md5: String,
    /// GA4GH identifier (`SQ.…`); `None` until the backfill records it for a reference imported
    /// before identifiers were computed.
    pub refget: Option<String>,
    /// Number of bases.
    pub length: u64,
    /// The sequence's name in its reference (refget's alias).
    pub name: String,
    /// The ACTIVE reference that holds it.
    pub reference: Reference,
}

impl Service {
    /// The sequence `id` names (see [`SequenceId::parse`]) among `caller`'s references; `None`
    /// when the id is malformed or no reference of the caller's account holds the sequence (a
    /// sequence only another account holds is not distinguishable from a missing one). When
    /// several references hold it, the oldest (creation time, then id) is chosen, so the answer
    /// does not change until that reference is deleted. Committed references are ACTIVE (a
    /// reference's sequences are recorded in the transaction that commits it and deleted with
    /// it).
    ///
    /// # Errors
    ///
    /// The database failed.
    pub async fn refget_sequence(&self, caller: &Caller, id: &str) -> Result<Option<RefgetSequence>, Error> {
        let Some(id) = SequenceId::parse(id) else { return Ok(None) };
        let (kind, value) = id.kind_and_value();
        let mut conn = self.db.pool().acquire().await.map_err(db::Error::from)?;
        let Some(found) = reference_sequences::find(&mut conn, &caller.account, kind, value).await? else {
            return Ok(None);
        };
        let reference = references::get(&mut conn, &caller.account, &found.store_id, &found.reference_id).await?;
        // Deleted between the two reads: as if it had been deleted before.
        let Some(reference) = reference else { return Ok(None) };
        let Some(sequence) = reference.sequences.get(found.index) else {
            return Err(db::Error::Corrupt { what: "reference sequences" }.into());
        };
        Ok(Some(RefgetSequence {
            md5: sequence.md5.clone(),
            refget: sequence.refget.clone().or(found.refget),
            length: sequence.length,
            name: sequence.name.clone(),
            reference,
        }))
    }

    /// Bases `start..end` (0-based, end exclusive; `end` is cut to the sequence's length) of
    /// `sequence`, upper-cased, as chunks of at most [`CHUNK_BASES`] bases, each read from storage
    /// when the stream is polled for it (ranged reads through the `.fai`/`.gzi`, see
    /// [`Service::reference_bases`]): memory holds one chunk, never the sequence. Empty when
    /// `start >= end`. The stream owns what it needs (`'static`), so a response body can hold it;
    /// dropping it stops reading.
    ///
    /// # Errors (items)
    ///
    /// The reference's stored files are missing or not as recorded ([`Error::ReferenceRead`],
    /// [`Error::NotFound`] for a missing file), or storage failed; the stream ends after an error.
    pub fn refget_bases(
        &self,
        sequence: RefgetSequence,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
        let state = Chunks { service: self.clone(), end: end.min(sequence.length), sequence, opened: None, at: start };
        stream::try_unfold(state, Chunks::next)
    }
}

/// Where a [`Service::refget_bases`] stream stands.
struct Chunks {
    service: Service,
    sequence: RefgetSequence,
    opened: Option<OpenedReference>,
    at: u64,
    end: u64,
}

impl Chunks {
    /// The next chunk, upper-cased, and the state after it; `None` at the end.
    async fn next(mut self) -> Result<Option<(Bytes, Self)>, Error> {
        if self.at >= self.end {
            return Ok(None);
        }
        let reference = &self.sequence.reference;
        let Some(sequence) = reference.sequences.iter().find(|s| s.name == self.sequence.name) else {
            return Err(Error::NotFound { kind: "reference sequence", id: self.sequence.name.clone() });
        };
        let opened = match self.opened.take() {
            Some(opened) => opened,
            None => self.service.open_reference(reference).await?,
        };
        let len = (self.end - self.at).min(CHUNK_BASES);
        let mut bases = self.service.read_opened(&opened, sequence, self.at, len).await?.bases;
        bases.make_ascii_uppercase();
        self.at += len;
        self.opened = Some(opened);
        Ok(Some((Bytes::from(bases), self)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_md5s_or_ga4gh_identifiers() {
        let md5 = "6aef897c3d6ff0c78aff06ac189178dd";
        let expected = Some(SequenceId::Md5(md5.to_owned()));
        for id in
            [md5.to_owned(), md5.to_ascii_uppercase(), format!("md5:{md5}"), format!("MD5:{}", md5.to_uppercase())]
        {
            assert_eq!(SequenceId::parse(&id), expected, "{id}");
        }
        let sq = "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2";
        let expected = Some(SequenceId::Refget(sq.to_owned()));
        assert_eq!(SequenceId::parse(sq), expected);
        assert_eq!(SequenceId::parse(&format!("ga4gh:{sq}")), expected);
    }

    #[test]
    fn other_ids_parse_as_none() {
        let md5 = "6aef897c3d6ff0c78aff06ac189178dd";
        let sq = "SQ.aKF498dAxcJAqme6QYQ7EZ07-fiw8Kw2";
        let cases = [
            String::new(),
            md5[1..].to_owned(),
            format!("{md5}0"),
            md5.replace('a', "g"),
            format!("md5:{sq}"),
            format!("sha512:{md5}"),
            format!("ga4gh:{md5}"),
            sq.to_ascii_lowercase(),
            sq[..sq.len() - 1].to_owned(),
            format!("{sq}A"),
            sq.replace('-', "+"),
            format!("{sq}="),
            format!("GA4GH:{sq}"),
            format!("ga4gh:md5:{md5}"),
            "md5:".to_owned(),
            "é".repeat(16),
        ];
        for id in cases {
            assert_eq!(SequenceId::parse(&id), None, "{id}");
        }
    }
}
