//! Which source locations a role may read, and how to reach them.

use std::path::{Component, Path, PathBuf};

use crate::config::{Access, Location, Role, SourcesConfig};
pub use crate::model::export::S3Prefix;

/// A parsed source URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUri {
    /// `file://` + absolute path, taken raw (not percent-decoded).
    File(PathBuf),
    /// `s3://bucket/key`.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
    },
}

/// Why a source URI is refused at submission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// Neither `s3://` nor `file://`.
    #[error("must be s3://bucket/key or file:///absolute/path")]
    Scheme,
    /// A bare absolute path, which is written `file://` + the path.
    #[error("{path} is a path, not a URI: write file://{path}")]
    BarePath {
        /// The path given.
        path: String,
    },
    /// `file://` not followed by an absolute path (`file://host/…`, `file://relative`).
    #[error("file:// must be followed by an absolute path, as in file:///data/reads.fq (three slashes, no host name)")]
    NotAbsolute,
    /// A `.` or `..` segment.
    #[error("file:// paths must not contain '.' or '..' segments: give the path to the file itself")]
    DotSegment,
    /// An empty segment (`//`) or a trailing `/`.
    #[error("file:// paths must not contain empty segments ('//') or end with '/': give the path to the file itself")]
    EmptySegment,
    /// A NUL or other control character.
    #[error("file:// paths must not contain control characters (NUL, tab, line breaks)")]
    ControlCharacter,
    /// A percent-encoded `.`, `/`, `\` or NUL: paths are taken as written, so this would name a
    /// file whose name contains the escape itself, which is never what was meant.
    #[error(
        "file:// paths are taken as written, not percent-decoded: '{escape}' would be part of a file name; write the \
         character itself"
    )]
    PercentEncoded {
        /// The escape found, e.g. `%2e`.
        escape: String,
    },
    /// An S3 key that cannot be requested exactly as written (empty segments, `.`/`..`).
    #[error("s3:// keys must not contain empty, '.' or '..' segments")]
    Key,
}

impl SourceUri {
    /// Parses a source URI as given in `sourceFiles`.
    pub fn parse(uri: &str) -> Result<Self, UriError> {
        if let Some(path) = uri.strip_prefix("file://") {
            return check_file_path(path).map(|()| Self::File(PathBuf::from(path)));
        }
        if uri.starts_with('/') {
            return Err(UriError::BarePath { path: uri.to_owned() });
        }
        let rest = uri.strip_prefix("s3://").ok_or(UriError::Scheme)?;
        let (bucket, key) = rest.split_once('/').ok_or(UriError::Scheme)?;
        if bucket.is_empty() || key.is_empty() {
            return Err(UriError::Scheme);
        }
        // The key is requested as written: refuse what object storage would alter.
        object_store::path::Path::parse(key).map_err(|_| UriError::Key)?;
        Ok(Self::S3 { bucket: bucket.to_owned(), key: key.to_owned() })
    }
}

/// A `file://` path must be absolute and name a file exactly as written: no `.`, `..` or empty
/// segments, no control characters, no percent-escapes of `.`, `/`, `\` or NUL.
fn check_file_path(path: &str) -> Result<(), UriError> {
    let rest = path.strip_prefix('/').ok_or(UriError::NotAbsolute)?;
    if path.chars().any(char::is_control) {
        return Err(UriError::ControlCharacter);
    }
    const ESCAPES: [&str; 4] = ["%2e", "%2f", "%5c", "%00"];
    let lower = path.to_ascii_lowercase();
    if let Some(escape) = ESCAPES.iter().find(|e| lower.contains(*e)) {
        let at = lower.find(escape).unwrap_or(0);
        return Err(UriError::PercentEncoded { escape: path[at..at + 3].to_owned() });
    }
    for segment in rest.split('/') {
        match segment {
            "" => return Err(UriError::EmptySegment),
            "." | ".." => return Err(UriError::DotSegment),
            _ => {}
        }
    }
    // Lexically the same as written: nothing left for the OS to reinterpret.
    debug_assert!(Path::new(path).components().all(|c| matches!(c, Component::RootDir | Component::Normal(_))));
    Ok(())
}

/// The locations one role may read.
#[derive(Debug, Clone, PartialEq)]
pub struct Grants {
    locations: Vec<Location>,
    defaults: bool,
}

impl Grants {
    /// The grants of a configured role.
    pub fn of_role(role: &Role) -> Self {
        Self { locations: role.locations.clone(), defaults: false }
    }

    /// The default grants (no `[[roles]]`): every file root, and any bucket on `sources.s3_endpoint`
    /// with credentials from the environment — only when that endpoint is configured, so the
    /// server's own cloud identity is never lent to every account by default.
    pub fn defaults(sources: &SourcesConfig) -> Self {
        let mut locations: Vec<Location> = sources
            .file_roots
            .iter()
            .map(|root| Location {
                uri: format!("file://{}/", root.display().to_string().trim_end_matches('/')),
                access: Access::Read,
                endpoint: None,
                region: None,
                path_style: false,
                access_key_id: None,
                secret_access_key: None,
            })
            .collect();
        if let Some(endpoint) = &sources.s3_endpoint {
            locations.push(Location {
                uri: "s3://".to_owned(),
                access: Access::Read,
                endpoint: Some(endpoint.clone()),
                region: None,
                path_style: true,
                access_key_id: None,
                secret_access_key: None,
            });
        }
        Self { locations, defaults: true }
    }

    /// True when these are the default grants and they include no file root: `file://` sources
    /// are then disabled server-wide (`--file-root` enables them).
    pub fn file_sources_disabled(&self) -> bool {
        self.defaults && !self.locations.iter().any(|l| l.uri.starts_with("file://"))
    }

    /// True when these are the default grants and no `sources.s3_endpoint` is configured:
    /// `s3://` sources are then disabled server-wide (`--source-s3-endpoint` enables them).
    pub fn s3_sources_disabled(&self) -> bool {
        self.defaults && !self.locations.iter().any(|l| l.uri.starts_with("s3://"))
    }

    /// The readable location that covers `uri`, if any (lexically; `file://` paths are checked
    /// again after canonicalisation when opened).
    pub fn location_for(&self, uri: &SourceUri) -> Option<&Location> {
        self.locations.iter().find(|l| l.access.reads() && covers(l, uri))
    }

    /// The writable location that covers all of `destination` (every key under it), if any. The
    /// default grants have none: the server's own credentials are never lent for writes.
    pub fn writable_location_for(&self, destination: &S3Prefix) -> Option<&Location> {
        let uri = SourceUri::S3 { bucket: destination.bucket.clone(), key: destination.prefix.clone() };
        self.locations.iter().find(|l| l.access.writes() && covers(l, &uri))
    }

    /// True when some location may be written (an export can be allowed at all).
    pub fn any_writable(&self) -> bool {
        self.locations.iter().any(|l| l.access.writes())
    }
}

fn covers(location: &Location, uri: &SourceUri) -> bool {
    match uri {
        SourceUri::File(path) => {
            location.uri.strip_prefix("file://").is_some_and(|root| path.starts_with(Path::new(root)))
        }
        SourceUri::S3 { bucket, key } => {
            let Some(rest) = location.uri.strip_prefix("s3://") else { return false };
            if rest.is_empty() {
                return true;
            }
            let (b, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            // A prefix names a folder: `s3://lab/reads` covers `reads/…`, not `reads-private/…`.
            let folder =
                if prefix.is_empty() || prefix.ends_with('/') { prefix.to_owned() } else { format!("{prefix}/") };
            b == bucket && key.starts_with(&folder)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(uri: &str) -> Location {
        Location {
            uri: uri.into(),
            access: Access::Read,
            endpoint: None,
            region: None,
            path_style: false,
            access_key_id: None,
            secret_access_key: None,
        }
    }

    #[test]
    fn parses_source_uris() {
        assert_eq!(SourceUri::parse("file:///data/a b.fq"), Ok(SourceUri::File("/data/a b.fq".into())));
        assert_eq!(SourceUri::parse("file:///data/%41.fq"), Ok(SourceUri::File("/data/%41.fq".into())), "raw");
        let refusals = [
            ("file://rel/x", UriError::NotAbsolute),
            ("file://localhost/data/x.fq", UriError::NotAbsolute),
            ("file://", UriError::NotAbsolute),
            ("file:///data/../etc/passwd", UriError::DotSegment),
            ("file:///data/./x", UriError::DotSegment),
            ("file:///data/x/..", UriError::DotSegment),
            ("file:///data/x/.", UriError::DotSegment),
            ("file:///..", UriError::DotSegment),
            ("file:////etc/passwd", UriError::EmptySegment),
            ("file:///data//x.fq", UriError::EmptySegment),
            ("file:///data/runs/", UriError::EmptySegment),
            ("file:///", UriError::EmptySegment),
            ("file:///data/x\0.fq", UriError::ControlCharacter),
            ("file:///data/x\n.fq", UriError::ControlCharacter),
            ("file:///data/%2e%2e/etc/passwd", UriError::PercentEncoded { escape: "%2e".into() }),
            ("file:///data/%2E%2E/etc/passwd", UriError::PercentEncoded { escape: "%2E".into() }),
            ("file:///data%2f..%2fetc/passwd", UriError::PercentEncoded { escape: "%2f".into() }),
            ("file:///data/x%00.fq", UriError::PercentEncoded { escape: "%00".into() }),
            ("file:///data/..%5cx", UriError::PercentEncoded { escape: "%5c".into() }),
        ];
        for (bad, error) in refusals {
            assert_eq!(SourceUri::parse(bad), Err(error), "{bad}");
        }
        assert_eq!(
            SourceUri::parse("file:///data/..x/.hidden/a..b"),
            Ok(SourceUri::File("/data/..x/.hidden/a..b".into()))
        );
        assert_eq!(SourceUri::parse("s3://b/k/x.fq"), Ok(SourceUri::S3 { bucket: "b".into(), key: "k/x.fq".into() }));
        assert_eq!(SourceUri::parse("http://x/y"), Err(UriError::Scheme));
        assert_eq!(SourceUri::parse("/data/r1.fq"), Err(UriError::BarePath { path: "/data/r1.fq".into() }));
        assert_eq!(SourceUri::parse("s3://bucket"), Err(UriError::Scheme));
        assert_eq!(SourceUri::parse("s3://b/a//b"), Err(UriError::Key));
        assert_eq!(
            SourceUri::parse("s3://b/run~1/x.fq"),
            Ok(SourceUri::S3 { bucket: "b".into(), key: "run~1/x.fq".into() })
        );
    }

    #[test]
    fn grants_cover_their_prefixes_only() {
        let grants =
            Grants { locations: vec![location("file:///data/runs/"), location("s3://lab/reads/")], defaults: false };
        let file = |p: &str| SourceUri::File(p.into());
        assert!(grants.location_for(&file("/data/runs/a.fq")).is_some());
        assert!(grants.location_for(&file("/data/runs2/a.fq")).is_none(), "component-wise");
        let s3 = |b: &str, k: &str| SourceUri::S3 { bucket: b.into(), key: k.into() };
        assert!(grants.location_for(&s3("lab", "reads/x.fq")).is_some());
        assert!(grants.location_for(&s3("lab", "other/x.fq")).is_none());
        assert!(grants.location_for(&s3("other", "reads/x.fq")).is_none());
        let defaults = Grants::defaults(&SourcesConfig::default());
        assert!(defaults.file_sources_disabled());
        assert!(defaults.location_for(&s3("any", "k")).is_none(), "no S3 without a configured endpoint");
        assert!(defaults.s3_sources_disabled());
        let sources = SourcesConfig { s3_endpoint: Some("http://127.0.0.1:9000".into()), ..SourcesConfig::default() };
        assert!(Grants::defaults(&sources).location_for(&s3("any", "k")).is_some());
        assert!(!Grants::defaults(&sources).s3_sources_disabled());
        assert!(!grants.s3_sources_disabled(), "a role's locations are never the defaults");
        let folder = Grants { locations: vec![location("s3://lab/reads")], defaults: false };
        assert!(grants.writable_location_for(&S3Prefix::parse("s3://lab/reads/").unwrap()).is_none(), "read only");
        assert!(folder.location_for(&s3("lab", "reads/x")).is_some());
        assert!(folder.location_for(&s3("lab", "reads-private/x")).is_none());
    }

    #[test]
    fn writes_need_a_writable_location_covering_the_whole_prefix() {
        let at = |uri: &str, access| Location { access, ..location(uri) };
        let grants = Grants {
            locations: vec![
                at("s3://lab/in/", Access::Read),
                at("s3://lab/out/", Access::Write),
                at("s3://both/", Access::ReadWrite),
            ],
            defaults: false,
        };
        let prefix = |uri: &str| S3Prefix::parse(uri).unwrap();
        assert!(grants.writable_location_for(&prefix("s3://lab/out/")).is_some());
        assert!(grants.writable_location_for(&prefix("s3://lab/out/run1/")).is_some());
        assert!(grants.writable_location_for(&prefix("s3://lab/in/")).is_none(), "read only");
        assert!(grants.writable_location_for(&prefix("s3://lab")).is_none(), "the whole bucket is wider");
        assert!(grants.writable_location_for(&prefix("s3://both/x/")).is_some());
        let s3 = |b: &str, k: &str| SourceUri::S3 { bucket: b.into(), key: k.into() };
        assert!(grants.location_for(&s3("lab", "out/x.fq")).is_none(), "write only is not readable");
        assert!(grants.location_for(&s3("both", "x.fq")).is_some());
        let sources = SourcesConfig { s3_endpoint: Some("http://127.0.0.1:9000".into()), ..SourcesConfig::default() };
        assert!(!Grants::defaults(&sources).any_writable());
    }
}
