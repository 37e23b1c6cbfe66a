//! htsget tickets for read sets (GA4GH htsget 1.3, reads): which parts of a read set's stored BAM
//! or CRAM a client fetches to read some regions, as inline bytes (a BAM header re-encoded, EOF
//! markers) and signed data URL tokens naming spans of the stored file ([`super::htsget_data`]
//! serves them). The plan itself is `seqstore_formats::htsget`, over the read set's index and the
//! file's first bytes, read here with ranged reads.

mod cache;
mod data;

use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use seqstore_formats::htsget::{self as plan, Target};

pub use cache::PlanCache;
pub use data::{DataSpan, SpanStream};

use cache::Planned;

use super::{Caller, Error, Service};
use crate::model::import::FileType;
use crate::model::read_set::{ReadSet, StoredFile};

/// What data URL tokens are signed for.
const DATA_CONTEXT: &str = "seqstore-htsget-data-v1";
/// How long a ticket's data URLs stay valid.
pub const DATA_URL_SECONDS: i64 = 900;
/// The most of a file's first bytes read to find its header.
const MAX_HEADER_BYTES: u64 = 64 << 20;

/// The formats of the reads API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtsgetFormat {
    /// BAM (also for uBAM read sets).
    Bam,
    /// CRAM.
    Cram,
}

impl HtsgetFormat {
    /// The wire name, `BAM` or `CRAM`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bam => "BAM",
            Self::Cram => "CRAM",
        }
    }

    /// The format of wire name `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "BAM" => Some(Self::Bam),
            "CRAM" => Some(Self::Cram),
            _ => None,
        }
    }
}

/// A region of a ticket request: a reference name (`*` for unplaced unmapped reads) and an
/// optional 0-based, half-open range, already checked (start ≤ end; none with `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Reference name as in the file's header, or `*`.
    pub name: String,
    /// First position, 0-based.
    pub start: Option<u64>,
    /// End, exclusive.
    pub end: Option<u64>,
}

/// A checked ticket request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRequest {
    /// The format asked for; `None` for the read set's own.
    pub format: Option<HtsgetFormat>,
    /// `class=header`: the header alone.
    pub header_only: bool,
    /// The regions; `None` for every read.
    pub regions: Option<Vec<Region>>,
}

/// Whether a ticket part is the file's header or its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartClass {
    /// The header (and, for CRAM, its header container).
    Header,
    /// Records (and the EOF marker).
    Body,
}

/// One URL of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketPart {
    /// Bytes the ticket carries itself, as a `data:` URI.
    Inline {
        /// The bytes.
        bytes: Vec<u8>,
        /// Its class.
        class: PartClass,
    },
    /// A span of the stored file, fetched from the data URL of this token.
    Data {
        /// A signed token for [`Service::htsget_data`].
        token: String,
        /// Its class.
        class: PartClass,
    },
}

/// A ticket: its format and URLs in the order their bytes are concatenated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The format of the concatenation.
    pub format: HtsgetFormat,
    /// Its parts.
    pub parts: Vec<TicketPart>,
}

/// Why a ticket cannot be given, in htsget's error kinds; any other failure is a
/// [`HtsgetError::Service`] error.
#[derive(Debug, thiserror::Error)]
pub enum HtsgetError {
    /// The read set is not BAM or CRAM, or not in the format asked for.
    #[error("{0}")]
    UnsupportedFormat(String),
    /// The request cannot be served as asked (a region query of a read set without index).
    #[error("{0}")]
    InvalidInput(String),
    /// The read set, or a reference name asked for, does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The data URL's token has expired.
    #[error("{0}")]
    InvalidAuthentication(String),
    /// The data URL's token is not one this server signed (or was altered): a guess.
    #[error("the data URL is not one this server issued: use a ticket's URLs as given")]
    Forged,
    /// A stored file that cannot be planned over (it was valid at import): logged, answered as a
    /// server error.
    #[error("{0}")]
    Internal(String),
    /// Any other failure of the use case (storage, database).
    #[error(transparent)]
    Service(#[from] Error),
}

/// What a data URL token says: whose read set, and which span of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DataToken {
    account: String,
    store: String,
    read_set: String,
    span: DataSpan,
    expires: i64,
}

impl Service {
    /// The ticket for `request` on read set `id` of `caller` in `store`, its data URLs valid for
    /// [`DATA_URL_SECONDS`] from `now` (seconds since the epoch).
    pub async fn htsget_ticket(
        &self,
        caller: &Caller,
        store: &str,
        id: &str,
        request: &TicketRequest,
        now: i64,
    ) -> Result<Ticket, HtsgetError> {
        let set = self.htsget_read_set(caller, store, id).await?;
        let format = match set.file_type {
            FileType::Bam | FileType::Ubam => HtsgetFormat::Bam,
            FileType::Cram => HtsgetFormat::Cram,
            FileType::Fastq => {
                return Err(HtsgetError::UnsupportedFormat(format!(
                    "read set {id} is FASTQ: htsget serves BAM and CRAM read sets; download it with GetReadSet"
                )));
            }
        };
        if let Some(asked) = request.format
            && asked != format
        {
            return Err(HtsgetError::UnsupportedFormat(format!(
                "read set {id} is stored as {}, and is served only as {}: ask for format={} (or leave format out)",
                format.name(),
                format.name(),
                format.name()
            )));
        }
        let file = set.files.source1.clone().ok_or_else(|| missing_file(&set))?;
        let token = |span: DataSpan, class| {
            let fields = DataToken {
                account: caller.account.clone(),
                store: store.to_owned(),
                read_set: set.id.clone(),
                span,
                expires: now + DATA_URL_SECONDS,
            };
            TicketPart::Data { token: self.sign_data(&fields), class }
        };
        if !request.header_only && request.regions.is_none() {
            let whole = token(DataSpan::Bytes { start: 0, end: file.content_length }, PartClass::Body);
            return Ok(Ticket { format, parts: vec![whole] });
        }
        let index = match (&set.files.index, &request.regions) {
            (Some(index), _) => Some(index),
            (None, Some(_)) => {
                let why = set.status_message.as_deref().unwrap_or("it was not imported coordinate-sorted");
                return Err(HtsgetError::InvalidInput(format!(
                    "read set {id} has no index ({why}), so it cannot be queried by region: ask for the whole \
                     file (no referenceName)"
                )));
            }
            (None, None) => None,
        };
        let plan = Plan { set: &set, file: &file, index, request, token: &token };
        let parts = match format {
            HtsgetFormat::Bam => self.bam_parts(&plan).await?,
            HtsgetFormat::Cram => self.cram_parts(&plan).await?,
        };
        Ok(Ticket { format, parts })
    }

    async fn bam_parts(&self, plan: &Plan<'_>) -> Result<Vec<TicketPart>, HtsgetError> {
        let Plan { set, file, index, request, token } = *plan;
        let planned = self.bam_planned(set, file, index).await?;
        let header = &planned.header;
        let mut parts = vec![TicketPart::Inline { bytes: planned.compressed_header.clone(), class: PartClass::Header }];
        if let (Some(regions), Some(index)) = (&request.regions, &planned.index)
            && !request.header_only
        {
            let targets = targets(set, &header.references, regions)?;
            let spans = plan::bam_spans(index, &targets, header.first_record).map_err(|e| unreadable(set, e))?;
            parts.extend(
                spans.into_iter().map(|s| token(DataSpan::Virtual { start: s.start, end: s.end }, PartClass::Body)),
            );
        }
        parts.push(TicketPart::Inline { bytes: plan::BGZF_EOF.to_vec(), class: PartClass::Body });
        Ok(parts)
    }

    /// The header and index of a stored BAM, from the cache or read (and then kept).
    async fn bam_planned(
        &self,
        set: &ReadSet,
        file: &StoredFile,
        index: Option<&StoredFile>,
    ) -> Result<Arc<Planned>, HtsgetError> {
        let key = format!("{}/{}", file.sha256, index.map_or("", |i| i.sha256.as_str()));
        if let Some(planned) = self.htsget_cache.get(&key) {
            return Ok(planned);
        }
        let header = self.bam_header(set, file).await?;
        let index = match index {
            Some(index) => {
                let bytes = self.read_whole(index).await?;
                Some(plan::BamIndex::read(&bytes).map_err(|e| unreadable(set, e))?)
            }
            None => None,
        };
        let compressed_header = plan::compress(&header.raw);
        let planned = Arc::new(Planned { header, compressed_header, index });
        self.htsget_cache.put(key, Arc::clone(&planned));
        Ok(planned)
    }

    async fn cram_parts(&self, plan: &Plan<'_>) -> Result<Vec<TicketPart>, HtsgetError> {
        let Plan { set, file, index, request, token } = *plan;
        let len = file.content_length;
        let tail = self.read_range(file, len.saturating_sub(38), len).await?;
        let eof_len = plan::cram_eof_len(&tail);
        let data_end = len - eof_len;
        let crai = match index {
            Some(index) => Some(plan::CramIndex::read(&self.read_whole(index).await?).map_err(|e| unreadable(set, e))?),
            None => None,
        };
        let first = crai.as_ref().and_then(plan::CramIndex::first_container);
        let header_end = first.unwrap_or(data_end);
        let mut parts = vec![token(DataSpan::Bytes { start: 0, end: header_end }, PartClass::Header)];
        if let (Some(regions), Some(crai)) = (&request.regions, &crai)
            && !request.header_only
        {
            let prefix = self.read_range(file, 0, header_end.min(MAX_HEADER_BYTES)).await?;
            let header = plan::cram_header(&prefix).map_err(|e| unreadable(set, e))?;
            let targets = targets(set, &header.references, regions)?;
            let ranges = crai.containers(&targets, data_end);
            parts.extend(
                ranges.into_iter().map(|r| token(DataSpan::Bytes { start: r.start, end: r.end }, PartClass::Body)),
            );
        }
        if eof_len > 0 {
            parts.push(TicketPart::Inline {
                bytes: tail[tail.len() - eof_len as usize..].to_vec(),
                class: PartClass::Body,
            });
        }
        Ok(parts)
    }

    /// The header of a stored BAM, reading its first bytes (more while the header goes on).
    async fn bam_header(&self, set: &ReadSet, file: &StoredFile) -> Result<plan::BamHeader, HtsgetError> {
        let mut want = (256u64 << 10).min(file.content_length);
        loop {
            let prefix = self.read_range(file, 0, want).await?;
            if let Some(header) = plan::bam_header(&prefix).map_err(|e| unreadable(set, e))? {
                return Ok(header);
            }
            if want >= file.content_length || want >= MAX_HEADER_BYTES {
                let what = format!("its header is not within the first {want} bytes");
                return Err(HtsgetError::Internal(format!("read set {}: {what}", set.id)));
            }
            want = (want * 4).min(file.content_length).min(MAX_HEADER_BYTES);
        }
    }

    async fn read_whole(&self, file: &StoredFile) -> Result<Bytes, Error> {
        self.read_range(file, 0, file.content_length).await
    }

    async fn read_range(&self, file: &StoredFile, start: u64, end: u64) -> Result<Bytes, Error> {
        if start >= end {
            return Ok(Bytes::new());
        }
        let key = Path::from(file.key.as_str());
        let read = self.data.object_store().get_range(&key, start..end).await;
        read.map_err(|e| Error::Storage {
            what: "the read set's file could not be read",
            source: Box::new(crate::storage::objects::Error::Object { key: file.key.clone(), source: e }),
        })
    }

    /// Read set `id` of `caller` in `store` if it is ACTIVE: a missing one, another account's, or
    /// one in another status (named) is htsget's `NotFound`.
    async fn htsget_read_set(&self, caller: &Caller, store: &str, id: &str) -> Result<ReadSet, HtsgetError> {
        self.active_read_set(caller, store, id).await.map_err(|e| match e {
            Error::NotFound { .. } | Error::ReadSetNotActive { .. } => HtsgetError::NotFound(e.to_string()),
            e => HtsgetError::Service(e),
        })
    }

    fn sign_data(&self, token: &DataToken) -> String {
        let (kind, start, end) = token.span.fields();
        let expires = token.expires.to_string();
        let fields = [token.account.as_str(), &token.store, &token.read_set, kind, &start, &end, &expires];
        self.signer.sign(DATA_CONTEXT, &fields)
    }

    fn open_data(&self, token: &str, now: i64) -> Result<DataToken, HtsgetError> {
        let invalid = || HtsgetError::Forged;
        let fields = self.signer.open(DATA_CONTEXT, token).ok_or_else(invalid)?;
        let [account, store, read_set, kind, start, end, expires] =
            <[String; 7]>::try_from(fields).map_err(|_| invalid())?;
        let span = DataSpan::from_fields(&kind, &start, &end).ok_or_else(invalid)?;
        let expires: i64 = expires.parse().map_err(|_| invalid())?;
        if expires <= now {
            return Err(HtsgetError::InvalidAuthentication(format!(
                "the data URL expired at {expires} (Unix time): ask for a new ticket"
            )));
        }
        Ok(DataToken { account, store, read_set, span, expires })
    }
}

/// What a ticket is planned over: the read set, its stored file and index, the request, and how a
/// span becomes a signed data URL part.
#[derive(Clone, Copy)]
struct Plan<'a> {
    set: &'a ReadSet,
    file: &'a StoredFile,
    index: Option<&'a StoredFile>,
    request: &'a TicketRequest,
    token: &'a (dyn Fn(DataSpan, PartClass) -> TicketPart + Sync),
}

/// The targets of `regions` in a file whose references are `names`.
/// A range past a reference's length holds nothing and is left out; an end past it is cut to it
/// (an index cannot be asked beyond the positions it can hold).
fn targets(set: &ReadSet, references: &[(String, u64)], regions: &[Region]) -> Result<Vec<Target>, HtsgetError> {
    let names: Vec<&str> = references.iter().map(|(n, _)| n.as_str()).collect();
    let mut targets = Vec::with_capacity(regions.len());
    for region in regions {
        if region.name == "*" {
            targets.push(Target::Unplaced);
            continue;
        }
        let id = names.iter().position(|n| *n == region.name).ok_or_else(|| {
            let some: Vec<&str> = names.iter().take(5).copied().collect();
            let more = if names.len() > 5 { ", …" } else { "" };
            HtsgetError::NotFound(format!(
                "read set {} has no reference sequence named '{}' (its header names {}: {}{more})",
                set.id,
                region.name,
                names.len(),
                some.join(", ")
            ))
        })?;
        let length = references[id].1;
        if region.start.is_some_and(|s| s >= length) {
            continue;
        }
        targets.push(Target::Reference { id, start: region.start, end: region.end.map(|e| e.min(length)) });
    }
    Ok(targets)
}

fn missing_file(set: &ReadSet) -> HtsgetError {
    HtsgetError::Internal(format!("read set {} has no stored file", set.id))
}

fn unreadable(set: &ReadSet, e: plan::PlanError) -> HtsgetError {
    HtsgetError::Internal(format!("read set {}: {e}", set.id))
}
