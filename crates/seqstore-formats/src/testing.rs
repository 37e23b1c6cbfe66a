//! Helpers shared by the unit tests: compressing test input and scratch directories.

use std::io::{self, Write};
use std::path::PathBuf;
use std::{fs, process};

use flate2::write::GzEncoder;

/// `text` as one gzip member.
pub(crate) fn gzip(text: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text)?;
    encoder.finish()
}

/// `text` as BGZF, with the EOF marker block.
pub(crate) fn bgzf(text: &[u8]) -> io::Result<Vec<u8>> {
    let mut writer = noodles_bgzf::io::Writer::new(Vec::new());
    writer.write_all(text)?;
    writer.finish()
}

/// A directory under the system temporary directory, emptied on creation and removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// `seqstore-{name}-{pid}` under the temporary directory.
    pub(crate) fn new(name: &str) -> io::Result<Self> {
        let path = std::env::temp_dir().join(format!("seqstore-{name}-{}", process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    /// The path of `name` in the directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The path of `name` in the directory, as text for command lines.
    pub(crate) fn file_text(&self, name: &str) -> String {
        self.file(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
