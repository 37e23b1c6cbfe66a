//! The one typed configuration of seqstore.
//!
//! Layers, lowest first: built-in defaults < TOML file (`--config`) < `SEQSTORE_*` environment
//! variables (nested keys joined by `__`, e.g. `SEQSTORE_DATABASE__URL`) < command-line flags.
//! Unknown keys in any layer are rejected. Secrets are redacted in `Debug` and in [`Config::redacted`].

pub mod archive;
pub mod limits;
pub mod qc;
pub mod s3_api;
pub mod sources;
pub mod storage;
pub mod ui;
pub mod worker;

pub use archive::{ArchiveConfig, ArchiveStorageConfig, parse_duration};
pub use limits::{LimitsConfig, QuotasConfig, TlsConfig};
pub use s3_api::S3ApiConfig;
pub use sources::{Access, Location, Role, SourcesConfig};
pub use storage::{StorageConfig, StorageKind};
pub use worker::WorkerConfig;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4870";
/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./seqstore-data";
/// Account that owns every resource in dev mode (no keys configured).
pub const DEV_ACCOUNT_ID: &str = "123456789012";

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `HOST:PORT` the API listens on.
    pub listen: String,
    /// Directory for the embedded database and local data.
    pub data_dir: PathBuf,
    /// The AWS region the server pretends to be; it appears in ARNs and must match the SigV4 scope.
    pub region: String,
    /// Metadata database.
    pub database: DatabaseConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Per-account quotas.
    pub quotas: QuotasConfig,
    /// IAM roles callers may pass to import jobs, with the locations each may read.
    pub roles: Vec<sources::Role>,
    /// Default source locations, used when no `[[roles]]` are configured.
    pub sources: sources::SourcesConfig,
    /// Import workers.
    pub worker: worker::WorkerConfig,
    /// Layout of stored data.
    pub storage: storage::StorageConfig,
    /// `[uploads]`.
    pub uploads: UploadsConfig,
    /// `[tls]`: HTTPS when set.
    pub tls: TlsConfig,
    /// `[ui]`: the web dashboard.
    pub ui: ui::UiConfig,
    /// `[s3_api]`: the read-only S3-compatible endpoint.
    pub s3_api: s3_api::S3ApiConfig,
    /// `[archive]`: the archive tier.
    pub archive: archive::ArchiveConfig,
    /// `[qc]`: quality-control statistics.
    pub qc: qc::QcConfig,
}

/// `[database]`.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; unset means SQLite at `{data_dir}/seqstore.db`.
    pub url: Option<String>,
}

/// `[auth]`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Key that signs pagination tokens, bearer tokens and htsget data URLs; shared by every
    /// process. Unset: generated once and kept in the database.
    pub token_key: Option<String>,
    /// Longest lifetime of a bearer token (`seqstore token --expires`), in seconds (default 12 h).
    pub max_token_seconds: u64,
    /// Access keys. Empty means dev mode.
    pub keys: Vec<AccessKey>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { token_key: None, max_token_seconds: 12 * 3600, keys: Vec::new() }
    }
}

/// One `[[auth.keys]]` table: an access key pair and the account it acts for.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    /// The access key id clients put in their credential scope.
    pub access_key_id: String,
    /// The secret that signs requests.
    pub secret_access_key: String,
    /// The 12-digit account that owns what this key creates.
    pub account_id: String,
}

/// `[uploads]`: direct multipart read set uploads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadsConfig {
    /// Largest part UploadReadSetPart accepts, in bytes (HealthOmics: 100 MiB).
    pub max_part_bytes: u64,
    /// An upload that receives no part for this long is aborted by the sweep (default 7 days).
    pub abandon_after_seconds: u64,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        Self { max_part_bytes: 100 * 1024 * 1024, abandon_after_seconds: 7 * 24 * 3600 }
    }
}

/// Values given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--file-root` and `--source-s3-endpoint`.
    #[serde(skip_serializing_if = "SourceOverrides::is_empty")]
    pub sources: SourceOverrides,
    /// `--tls-cert` and `--tls-key`.
    #[serde(skip_serializing_if = "TlsOverrides::is_empty")]
    pub tls: TlsOverrides,
    /// `--s3-listen`.
    #[serde(skip_serializing_if = "S3ApiOverrides::is_empty")]
    pub s3_api: S3ApiOverrides,
}

/// Command-line overrides of `[s3_api]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct S3ApiOverrides {
    /// `--s3-listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

impl S3ApiOverrides {
    fn is_empty(&self) -> bool {
        self.listen.is_none()
    }
}

/// Command-line overrides of `[tls]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsOverrides {
    /// `--tls-cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    /// `--tls-key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

impl TlsOverrides {
    fn is_empty(&self) -> bool {
        self.cert.is_none() && self.key.is_none()
    }
}

/// Command-line overrides of `[sources]`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceOverrides {
    /// `--file-root` (repeatable); replaces the configured roots when given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_roots: Vec<PathBuf>,
    /// `--source-s3-endpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_endpoint: Option<String>,
}

impl SourceOverrides {
    fn is_empty(&self) -> bool {
        self.file_roots.is_empty() && self.s3_endpoint.is_none()
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A layer could not be read or did not fit the schema (unknown key, wrong type).
    #[error("invalid configuration")]
    Load(#[source] Box<figment::Error>),
    /// A value is well-typed but not acceptable.
    #[error("invalid configuration: `{key}` {problem}")]
    Invalid {
        /// Dotted key path.
        key: String,
        /// What is wrong and what to do.
        problem: String,
    },
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            region: "us-east-1".to_owned(),
            database: DatabaseConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            quotas: QuotasConfig::default(),
            roles: Vec::new(),
            sources: sources::SourcesConfig::default(),
            worker: worker::WorkerConfig::default(),
            storage: storage::StorageConfig::default(),
            uploads: UploadsConfig::default(),
            tls: TlsConfig::default(),
            ui: ui::UiConfig::default(),
            s3_api: s3_api::S3ApiConfig::default(),
            archive: archive::ArchiveConfig::default(),
            qc: qc::QcConfig::default(),
        }
    }
}

impl Config {
    /// Loads the layered configuration from an optional TOML file, the process environment and the
    /// command-line overrides, then checks every value.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, Error> {
        Self::load_from(file, Env::prefixed("SEQSTORE_").split("__"), overrides)
    }

    fn load_from(file: Option<&Path>, env: Env, overrides: &Overrides) -> Result<Self, Error> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        let config: Config = figment
            .merge(env)
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| Error::Load(Box::new(e)))?;
        config.check()?;
        Ok(config)
    }

    /// The database URL in force: the configured one, or SQLite inside the data directory.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("seqstore.db").display()),
        }
    }

    /// Where the store's objects live, for people: `{data_dir}/objects`, or `s3://bucket/prefix`
    /// (with its endpoint when not AWS).
    pub fn objects_location(&self) -> String {
        match self.storage.kind {
            storage::StorageKind::Local => self.data_dir.join("objects").display().to_string(),
            storage::StorageKind::S3 => {
                s3_location(self.storage.bucket.as_deref(), &self.storage.prefix, self.storage.endpoint.as_deref())
            }
        }
    }

    /// Where archived read sets live (`[archive.storage]`), like [`Self::objects_location`].
    pub fn archive_location(&self) -> String {
        let archive = &self.archive.storage;
        match archive.kind {
            storage::StorageKind::Local => archive.local_dir(&self.data_dir).display().to_string(),
            storage::StorageKind::S3 => {
                s3_location(archive.bucket.as_deref(), &archive.prefix, archive.endpoint.as_deref())
            }
        }
    }

    /// True when no access keys are configured: any well-formed signature is accepted.
    pub fn dev_mode(&self) -> bool {
        self.auth.keys.is_empty()
    }

    /// A copy with every secret replaced by `***`, for printing.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        copy.database.url = self.database.url.as_deref().map(redact_url);
        copy.auth.token_key = self.auth.token_key.as_ref().map(|_| REDACTED.to_owned());
        for key in &mut copy.auth.keys {
            key.secret_access_key = REDACTED.to_owned();
        }
        for role in &mut copy.roles {
            role.locations = role.locations.iter().map(sources::Location::redacted).collect();
        }
        copy.storage = self.storage.redacted();
        copy.archive = self.archive.redacted();
        copy.ui = self.ui.redacted();
        copy
    }

    fn check(&self) -> Result<(), Error> {
        let invalid = |key: &str, problem: String| Error::Invalid { key: key.to_owned(), problem };
        if self.listen.parse::<SocketAddr>().is_err() && !self.listen.starts_with("localhost:") {
            return Err(invalid("listen", "must be HOST:PORT, e.g. 127.0.0.1:4870".into()));
        }
        let region_ok = !self.region.is_empty()
            && self.region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(invalid("region", "must look like an AWS region, e.g. us-east-1".into()));
        }
        let problem = self
            .limits
            .problem()
            .or_else(|| self.quotas.problem())
            .or_else(|| self.tls.problem())
            .or_else(|| self.s3_api.problem());
        if let Some((key, problem)) = problem {
            return Err(invalid(key, problem));
        }
        if self.auth.max_token_seconds == 0 {
            return Err(invalid(
                "auth.max_token_seconds",
                "must be at least 1 (a bearer token's longest lifetime)".into(),
            ));
        }
        if matches!(&self.auth.token_key, Some(k) if k.len() < 16) {
            return Err(invalid("auth.token_key", "must be at least 16 characters".into()));
        }
        if self.worker.count == 0 || self.worker.lease_seconds < 3 {
            return Err(invalid("worker", "needs count >= 1 and lease_seconds >= 3".into()));
        }
        if self.uploads.max_part_bytes == 0 || self.uploads.abandon_after_seconds == 0 {
            return Err(invalid("uploads", "needs max_part_bytes >= 1 and abandon_after_seconds >= 1".into()));
        }
        if let Some((key, problem)) = self.storage.problem() {
            return Err(invalid(key, problem));
        }
        if let Some((key, problem)) = self.archive.problem() {
            return Err(invalid(&key, problem));
        }
        for (i, role) in self.roles.iter().enumerate() {
            if crate::model::role::RoleArn::parse(&role.arn).is_none() {
                return Err(invalid(&format!("roles.{i}.arn"), "must be arn:aws:iam::ACCOUNT:role/NAME".into()));
            }
            for (j, location) in role.locations.iter().enumerate() {
                let ok = location.uri.starts_with("s3://") || location.uri.starts_with("file:///");
                if !ok {
                    return Err(invalid(
                        &format!("roles.{i}.locations.{j}.uri"),
                        "must start with s3:// or file:///".into(),
                    ));
                }
                if location.access.writes() && !location.uri.starts_with("s3://") {
                    return Err(invalid(
                        &format!("roles.{i}.locations.{j}.access"),
                        "only s3:// locations can be written: use access = \"read\" for file:// locations".into(),
                    ));
                }
            }
        }
        for (i, key) in self.auth.keys.iter().enumerate() {
            let account_ok = key.account_id.len() == 12 && key.account_id.bytes().all(|b| b.is_ascii_digit());
            if !account_ok {
                return Err(invalid(&format!("auth.keys.{i}.account_id"), "must be 12 digits".into()));
            }
            if key.access_key_id.is_empty() || key.secret_access_key.is_empty() {
                return Err(invalid(&format!("auth.keys.{i}"), "needs a non-empty key id and secret".into()));
            }
            if self.auth.keys[..i].iter().any(|k| k.access_key_id == key.access_key_id) {
                return Err(invalid(&format!("auth.keys.{i}.access_key_id"), "is configured twice".into()));
            }
        }
        Ok(())
    }
}

pub(crate) const REDACTED: &str = "***";

/// `s3://bucket/prefix`, and ` at ENDPOINT` when one is configured (not AWS).
fn s3_location(bucket: Option<&str>, prefix: &str, endpoint: Option<&str>) -> String {
    let prefix = prefix.trim_matches('/');
    let mut location = format!("s3://{}/{prefix}", bucket.unwrap_or(""));
    if let Some(endpoint) = endpoint {
        location.push_str(&format!(" at {}", redact_url(endpoint)));
    }
    location
}

/// Replaces the password of `scheme://user:password@host/…` and any `password=` parameter.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = &out[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@')
            && let Some(colon) = rest[..at].find(':')
        {
            let start = scheme_end + 3 + colon + 1;
            out.replace_range(start..scheme_end + 3 + at, REDACTED);
        }
    }
    if let Some(pos) = out.find("password=") {
        let start = pos + "password=".len();
        let end = out[start..].find('&').map_or(out.len(), |e| start + e);
        out.replace_range(start..end, REDACTED);
    }
    out
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig").field("url", &self.url.as_deref().map(redact_url)).finish()
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("token_key", &self.token_key.as_ref().map(|_| REDACTED))
            .field("max_token_seconds", &self.max_token_seconds)
            .field("keys", &self.keys)
            .finish()
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &REDACTED)
            .field("account_id", &self.account_id)
            .finish()
    }
}

#[cfg(test)]
// figment's `Jail` closures return its own large error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn load(jail: &Jail, file: Option<&str>, overrides: &Overrides) -> Result<Config, Error> {
        let path = file.map(|text| {
            jail.create_file("seqstore.toml", text).expect("write config");
            jail.directory().join("seqstore.toml")
        });
        Config::load(path.as_deref(), overrides)
    }

    #[test]
    fn layers_apply_in_order() {
        Jail::expect_with(|jail| {
            let file = "listen = \"127.0.0.1:1000\"\nregion = \"eu-west-1\"\n[quotas]\nsequence_stores = 5\n";
            jail.set_env("SEQSTORE_LISTEN", "127.0.0.1:2000");
            jail.set_env("SEQSTORE_DATABASE__URL", "postgres://u:pw@db/x");
            let flags = Overrides { data_dir: Some("/d".into()), ..Overrides::default() };
            let config = load(jail, Some(file), &flags).expect("load");
            assert_eq!(config.listen, "127.0.0.1:2000");
            assert_eq!(config.region, "eu-west-1");
            assert_eq!(config.quotas.sequence_stores, 5);
            assert_eq!(config.data_dir, PathBuf::from("/d"));
            assert_eq!(config.database_url(), "postgres://u:pw@db/x");
            let flags = Overrides { listen: Some("127.0.0.1:3000".into()), ..Overrides::default() };
            assert_eq!(load(jail, Some(file), &flags).expect("load").listen, "127.0.0.1:3000");
            Ok(())
        });
    }

    #[test]
    fn defaults_without_any_layer() {
        Jail::expect_with(|jail| {
            let config = load(jail, None, &Overrides::default()).expect("load");
            assert_eq!(config, Config::default());
            assert!(config.dev_mode());
            assert_eq!(config.limits.max_body_bytes, 8 * 1024 * 1024);
            assert!(config.database_url().starts_with("sqlite://./seqstore-data/seqstore.db"));
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_rejected_in_file_and_env() {
        Jail::expect_with(|jail| {
            assert!(load(jail, Some("listne = \"x\"\n"), &Overrides::default()).is_err());
            assert!(load(jail, Some("[database]\nurl2 = \"x\"\n"), &Overrides::default()).is_err());
            jail.set_env("SEQSTORE_NOPE", "1");
            assert!(load(jail, None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn storage_keys_are_checked_and_the_secret_redacted() {
        Jail::expect_with(|jail| {
            let error = |text: &str| load(jail, Some(text), &Overrides::default()).expect_err(text).to_string();
            assert!(error("[storage]\nkind = \"s3\"\n").contains("`storage.bucket` is required"));
            assert!(error("[storage]\nkind = \"gcs\"\n").contains("invalid configuration"));
            assert!(error("[storage]\nbucket = \"b\"\n").contains("`storage.bucket` applies to S3 storage only"));
            let bad_prefix = "[storage]\nkind = \"s3\"\nbucket = \"b\"\nprefix = \"a//b\"\n";
            assert!(error(bad_prefix).contains("`storage.prefix`"));
            let half = "[storage]\nkind = \"s3\"\nbucket = \"b\"\naccess_key_id = \"AKID\"\n";
            assert!(error(half).contains("`storage.access_key_id`"));
            let good = "[storage]\nkind = \"s3\"\nbucket = \"data\"\nprefix = \"seqstore/prod/\"\n\
                        endpoint = \"http://127.0.0.1:9000\"\npath_style = true\naccess_key_id = \"AKID\"\n\
                        secret_access_key = \"s3-secret\"\n";
            jail.set_env("SEQSTORE_STORAGE__REGION", "eu-west-1");
            let config = load(jail, Some(good), &Overrides::default()).expect("load");
            assert_eq!(config.storage.kind, storage::StorageKind::S3);
            assert_eq!(config.storage.region.as_deref(), Some("eu-west-1"));
            let shown = format!("{:?}\n{}", config, toml::to_string(&config.redacted()).expect("toml"));
            assert!(
                !shown.contains("s3-secret") && shown.contains("AKID") && shown.contains("kind = \"s3\""),
                "{shown}"
            );
            Ok(())
        });
    }

    #[test]
    fn keys_are_checked_and_secrets_redacted() {
        Jail::expect_with(|jail| {
            let bad = "[[auth.keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\naccount_id = \"12\"\n";
            let err = load(jail, Some(bad), &Overrides::default()).expect_err("short account");
            assert!(err.to_string().contains("auth.keys.0.account_id"), "{err}");
            let good = "[auth]\ntoken_key = \"0123456789abcdef0123\"\n[[auth.keys]]\naccess_key_id = \"A\"\n\
                        secret_access_key = \"topsecret\"\naccount_id = \"111122223333\"\n\
                        [database]\nurl = \"postgres://me:hunter2@h/db?password=hunter2\"\n";
            let config = load(jail, Some(good), &Overrides::default()).expect("load");
            assert!(!config.dev_mode());
            let shown = format!("{:?}\n{}", config, toml::to_string(&config.redacted()).expect("toml"));
            assert!(!shown.contains("topsecret") && !shown.contains("hunter2") && !shown.contains("0123456789abcdef"));
            assert!(shown.contains("111122223333"));
            Ok(())
        });
    }
}
