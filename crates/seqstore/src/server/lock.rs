//! The data directory's lock: `seqstore serve` holds an advisory lock (`flock`) on
//! `{data_dir}/seqstore.lock` for its whole life, the file naming its PID, so that a second
//! server on the same directory (which would share its node id, resume its sources and take over
//! its leases) refuses to start. The kernel releases the lock when the process ends, however it
//! ends; a lock file left behind by a dead process does not block. Readers of the directory
//! (`seqstore verify`, `scripts/backup`) do not take it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Name of the lock file inside the data directory.
pub const LOCK_FILE: &str = "seqstore.lock";

/// Why the data directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another process holds the lock.
    #[error(
        "data directory `{}` is in use by another seqstore process ({}; lock file `{}`): stop that \
         process first, or give this one its own --data-dir (every running process needs its own data \
         directory, also when they share PostgreSQL and S3)",
        .dir.display(), holder(.pid), .file.display()
    )]
    InUse {
        /// The data directory.
        dir: PathBuf,
        /// The lock file.
        file: PathBuf,
        /// The holder's PID as its lock file states it, if readable.
        pid: Option<u32>,
    },
    /// The lock file could not be opened, locked or written.
    #[error(
        "cannot lock the data directory through `{}`: check its permissions, and that its file \
         system supports flock",
        .file.display()
    )]
    Io {
        /// The lock file.
        file: PathBuf,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn holder(pid: &Option<u32>) -> String {
    match pid {
        Some(pid) => format!("PID {pid}"),
        None => "its PID is not written yet".to_owned(),
    }
}

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Locks `dir` (which must exist) without waiting and writes this process' PID into the lock
    /// file; [`Error::InUse`] with the holder's PID when another process (or another lock in this
    /// process) holds it.
    pub fn acquire(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(LOCK_FILE);
        let io = |source| Error::Io { file: path.clone(), source };
        // Never truncate before holding the lock: the file names the holder.
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid = file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
                return Err(Error::InUse { dir: dir.to_owned(), file: path, pid });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = DataDirLock::acquire(dir.path()).expect("first lock");
        let pid = std::fs::read_to_string(dir.path().join(LOCK_FILE)).expect("lock file");
        assert_eq!(pid.trim(), std::process::id().to_string());
        let refused = DataDirLock::acquire(dir.path()).expect_err("second lock refused");
        assert!(matches!(&refused, Error::InUse { pid: Some(p), .. } if *p == std::process::id()), "{refused:?}");
        let message = refused.to_string();
        assert!(message.contains(&dir.path().display().to_string()), "{message}");
        assert!(message.contains(&format!("PID {}", std::process::id())), "{message}");
        drop(first);
        DataDirLock::acquire(dir.path()).expect("free again once dropped");
    }

    #[test]
    fn a_stale_lock_file_does_not_block() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(LOCK_FILE), "999999999\n").expect("stale file");
        let _lock = DataDirLock::acquire(dir.path()).expect("lock");
        let pid = std::fs::read_to_string(dir.path().join(LOCK_FILE)).expect("lock file");
        assert_eq!(pid, format!("{}\n", std::process::id()));
    }
}
