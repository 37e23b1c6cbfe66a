//! Use cases shared by the API and the workers: idempotency, quotas, existence and ownership
//! checks, pagination. Every operation acts for one [`Caller`] and sees only its account's
//! resources.

pub mod error;
pub mod page_token;
pub mod sequence_stores;
pub mod tags;

pub use error::Error;

use crate::config::{Config, QuotasConfig};
use crate::db::{self, Db};
use page_token::PageTokens;

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

/// The application's use cases over one database.
#[derive(Debug, Clone)]
pub struct Service {
    db: Db,
    region: String,
    quotas: QuotasConfig,
    tokens: PageTokens,
}

impl Service {
    /// Builds the service. The pagination-token key comes from `auth.token_key` or, when unset,
    /// from the database, where the first process to start stores a random one for all.
    pub async fn new(config: &Config, db: Db) -> Result<Self, db::Error> {
        let key = match &config.auth.token_key {
            Some(key) => key.clone(),
            None => db::settings::get_or_init(&db, "page_token_key", page_token::random_key).await?,
        };
        Ok(Self {
            db,
            region: config.region.clone(),
            quotas: config.quotas.clone(),
            tokens: PageTokens::new(key.as_bytes()),
        })
    }

    /// The database behind the service.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The region that appears in ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }
}
