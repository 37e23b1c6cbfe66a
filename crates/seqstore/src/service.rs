//! Use cases shared by the API and the workers: idempotency, quotas, existence and ownership
//! checks, pagination. Every operation acts for one [`Caller`] and sees only its account's
//! resources.

pub mod access;
pub mod bearer;
pub mod dashboard;
pub mod downloads;
pub mod engine;
pub mod error;
pub mod exports;
mod file_names;
pub mod guesses;
pub mod health;
pub mod htsget;
pub mod imports;
mod jobs;
pub mod meter;
pub mod page_token;
pub mod qc;
mod quotas;
pub mod read_sets;
pub mod reference_reader;
pub mod references;
pub mod refget;
pub mod s3_access_policies;
pub mod s3_objects;
pub mod scrub;
pub mod sequence_stores;
pub mod signing;
pub mod stored_md5;
pub mod tags;
pub mod tiers;
pub mod uploads;

pub use error::Error;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::{Config, QuotasConfig, UploadsConfig};
use crate::config::{Role, SourcesConfig};
use crate::db::{self, Db};
use crate::model::export::S3Prefix;
use crate::storage::objects::{self, DataStore};
use meter::Meter;
use page_token::PageTokens;

/// Why [`Service::open`] could not open the configured state.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database could not be opened or migrated, or its settings read.
    #[error(transparent)]
    Db(#[from] db::Error),
    /// The object storage could not be prepared.
    #[error(transparent)]
    Objects(#[from] objects::Error),
}

/// Who is asking: the account of the verified access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// 12-digit account id.
    pub account: String,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Items of this page, in listing order.
    pub items: Vec<T>,
    /// Token for the next page; `None` on the last page.
    pub next_token: Option<String>,
}

impl<T> Page<T> {
    /// Cuts `items` — fetched with one more than `limit` to learn whether more follow — to a page,
    /// with a token for the position after its last item within `scope`.
    fn cut(mut items: Vec<T>, limit: i64, tokens: &PageTokens, scope: &str, key: impl Fn(&T) -> (i64, String)) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next_token = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| tokens.issue(scope, &key(last)))
        } else {
            None
        };
        Self { items, next_token }
    }
}

/// Where a listing starts: the scope its tokens are bound to, the position after which it
/// continues, and the page size.
struct Listing {
    scope: String,
    after: Option<(i64, String)>,
    limit: i64,
}

/// The application's use cases over one database.
#[derive(Debug, Clone)]
pub struct Service {
    db: Db,
    data: DataStore,
    /// The archive tier (`[archive.storage]`).
    archive: DataStore,
    /// When read sets are archived and how long the copies a move leaves stay.
    tiers: tiers::TierSettings,
    region: String,
    quotas: QuotasConfig,
    tokens: PageTokens,
    /// Signs bearer tokens and htsget data URLs, with the key of `tokens`.
    signer: signing::SigningKey,
    /// Parsed headers and indexes of the BAMs htsget tickets were planned over last.
    htsget_cache: Arc<htsget::PlanCache>,
    /// When this process last wrote each read set's last-access time.
    access: Arc<access::AccessClock>,
    imports: ImportSettings,
    /// `[qc] enabled`.
    qc: bool,
    uploads: UploadsConfig,
    wake: Arc<Notify>,
    metrics: Arc<dyn Meter>,
}

/// What import submissions are checked against.
#[derive(Debug, Clone)]
struct ImportSettings {
    roles: Vec<Role>,
    sources: SourcesConfig,
    /// The server's own S3 storage, which no export may write into.
    own_storage: Option<S3Prefix>,
}

impl Service {
    /// Builds the service over `data` (the store's own storage) and the archive tier the
    /// configuration names. The pagination-token key comes from `auth.token_key` or, when unset,
    /// from the database, where the first process to start stores a random one for all.
    pub async fn new(config: &Config, db: Db, data: DataStore) -> Result<Self, OpenError> {
        let archive = DataStore::archive(&config.archive.storage, &config.data_dir)?;
        let key = match &config.auth.token_key {
            Some(key) => key.clone(),
            None => db::settings::get_or_init(&db, "page_token_key", page_token::random_key).await?,
        };
        Ok(Self {
            db,
            data,
            archive,
            tiers: tiers::TierSettings { after: config.archive.after(), grace: config.archive.grace() },
            region: config.region.clone(),
            quotas: config.quotas.clone(),
            tokens: PageTokens::new(key.as_bytes()),
            signer: signing::SigningKey::new(key.as_bytes()),
            htsget_cache: Arc::default(),
            access: Arc::default(),
            imports: ImportSettings {
                roles: config.roles.clone(),
                sources: config.sources.clone(),
                own_storage: config.storage.s3_prefix(),
            },
            qc: config.qc.enabled,
            uploads: config.uploads.clone(),
            wake: Arc::new(Notify::new()),
            metrics: Arc::new(meter::Unmetered),
        })
    }

    /// Opens the configured database and object storage and builds the service over them, for a
    /// process that runs use cases without serving (`seqstore verify`); [`Service::close`] closes
    /// the database when it is done.
    pub async fn open(config: &Config) -> Result<Self, OpenError> {
        let db = Db::connect(&config.database_url()).await?;
        let data = match DataStore::new(&config.storage, &config.data_dir) {
            Ok(data) => data,
            Err(e) => {
                db.close().await;
                return Err(e.into());
            }
        };
        match Self::new(config, db.clone(), data).await {
            Ok(service) => Ok(service),
            Err(e) => {
                db.close().await;
                Err(e)
            }
        }
    }

    /// Closes the database: every clone of this service fails its use cases from then on.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Opens a listing of `operation` for `caller` in `store` (empty for account-wide listings)
    /// with `filter`: a `next_token` must have been issued for exactly that scope; the page size
    /// defaults to 100.
    fn listing(
        &self,
        operation: &str,
        caller: &Caller,
        store: &str,
        filter: &impl serde::Serialize,
        max_results: Option<i64>,
        next_token: Option<&str>,
    ) -> Result<Listing, Error> {
        let filter = serde_json::to_string(filter).expect("filters serialize");
        let scope = format!("{operation}\n{}\n{store}\n{filter}", caller.account);
        let after = next_token.map(|t| self.tokens.open(&scope, t)).transpose()?;
        Ok(Listing { scope, after, limit: max_results.unwrap_or(100) })
    }

    /// Notified whenever work is submitted; workers wait on it between polls.
    pub fn wake(&self) -> &Arc<Notify> {
        &self.wake
    }

    /// This service counting its events into `meter` (see [`meter::Meter`]); the service is
    /// built counting nothing.
    pub fn with_meter(mut self, meter: Arc<dyn Meter>) -> Self {
        self.metrics = meter;
        self
    }

    /// Where this process counts its events (rendered at `/metrics` by the server's meter).
    pub fn metrics(&self) -> &dyn Meter {
        &*self.metrics
    }

    /// The region that appears in ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }
}
