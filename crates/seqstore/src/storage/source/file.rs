//! Opening a `file://` source: once, without blocking, checked on the opened descriptor.
//!
//! On Linux the path is opened with `O_PATH`: that resolves it, following symlinks (absolute ones
//! that stay inside the root keep working, as the README promises), without opening the file
//! itself — no `open()` of a FIFO that waits for a writer, no side effect of opening a device.
//! The descriptor is then checked: `fstat` says a regular file, and its `/proc/self/fd/N` link
//! lies under the root. Only then is the file opened for reading, through that same link (so the
//! same inode, whatever happens to the path meanwhile), with `O_NONBLOCK | O_NOCTTY`, and
//! checked again to be that inode. A symlink flipped between a regular file and a FIFO can
//! therefore neither block a worker nor lead out of the root. `O_NONBLOCK` stays set: it has no
//! effect on reads of regular files (open(2)), the only files that get this far.
//!
//! Elsewhere (other Unix systems, no `O_PATH`) the path is opened with `O_NONBLOCK | O_NOCTTY`
//! and the descriptor checked with `fstat`, and the path's canonical form is checked against the
//! root.
//!
//! Everything here blocks (file system calls): call it on a blocking thread.

use std::fs::{File, Metadata, OpenOptions};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why a file source cannot be read. For the server's log only: the caller is told the same
/// thing whatever the reason (see [`super::OpenError::File`]), so that sources cannot be used to
/// find out which paths exist on the server.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The allowed root itself cannot be resolved (a configuration problem).
    #[error("the allowed root {root} cannot be resolved")]
    Root {
        /// The root as configured.
        root: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Opening or inspecting the file failed: it does not exist, may not be read, is a dangling
    /// or looping link…
    #[error("opening it failed")]
    Open(#[source] std::io::Error),
    /// Where the opened file is cannot be read from `/proc/self/fd` (Linux).
    #[error("its real path cannot be read from /proc/self/fd (is /proc mounted?)")]
    Proc(#[source] std::io::Error),
    /// It resolves outside the root (through a symbolic link).
    #[error("it resolves to {resolved}, outside the allowed root {root}")]
    Outside {
        /// Where it leads.
        resolved: PathBuf,
        /// The canonical root.
        root: PathBuf,
    },
    /// It is a directory, FIFO, socket or device.
    #[error("it is a {kind}, not a regular file")]
    NotRegular {
        /// What it is.
        kind: &'static str,
    },
    /// The file opened for reading is not the one checked (should not happen: both are opened
    /// through the same descriptor).
    #[error("the file changed while it was opened")]
    Replaced,
}

/// Opens `path` for reading if it is a regular file whose real path lies under `root`; returns it
/// with its size. Never blocks on a FIFO or device, and never opens one for reading.
pub fn open(path: &Path, root: &Path) -> Result<(File, u64), Problem> {
    let root = std::fs::canonicalize(root).map_err(|source| Problem::Root { root: root.to_owned(), source })?;
    open_checked(path, &root)
}

#[cfg(target_os = "linux")]
fn open_checked(path: &Path, root: &Path) -> Result<(File, u64), Problem> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    let handle = OpenOptions::new().read(true).custom_flags(libc::O_PATH).open(path).map_err(Problem::Open)?;
    let checked = handle.metadata().map_err(Problem::Open)?;
    regular(&checked)?;
    let link = PathBuf::from(format!("/proc/self/fd/{}", handle.as_raw_fd()));
    let resolved = std::fs::read_link(&link).map_err(Problem::Proc)?;
    if !resolved.starts_with(root) {
        return Err(Problem::Outside { resolved, root: root.to_owned() });
    }
    let file = reading().open(&link).map_err(Problem::Open)?;
    let opened = file.metadata().map_err(Problem::Open)?;
    if (opened.dev(), opened.ino()) != (checked.dev(), checked.ino()) {
        return Err(Problem::Replaced);
    }
    regular(&opened)?;
    Ok((file, opened.len()))
}

#[cfg(not(target_os = "linux"))]
fn open_checked(path: &Path, root: &Path) -> Result<(File, u64), Problem> {
    let file = reading().open(path).map_err(Problem::Open)?;
    let opened = file.metadata().map_err(Problem::Open)?;
    regular(&opened)?;
    let resolved = std::fs::canonicalize(path).map_err(Problem::Open)?;
    if !resolved.starts_with(root) {
        return Err(Problem::Outside { resolved, root: root.to_owned() });
    }
    Ok((file, opened.len()))
}

/// Read-only, not waiting for a FIFO's writer, never becoming the controlling terminal.
fn reading() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    options
}

fn regular(meta: &Metadata) -> Result<(), Problem> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let kind = if kind.is_dir() {
        "directory"
    } else if kind.is_fifo() {
        "FIFO"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "device"
    } else {
        "special file"
    };
    Err(Problem::NotRegular { kind })
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::unix::fs::symlink;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// `open` on a plain thread, failing the test (instead of hanging it) when it blocks.
    fn open_within_seconds(path: &Path, root: &Path) -> Result<(File, u64), Problem> {
        let (tx, rx) = mpsc::channel();
        let (path, root) = (path.to_owned(), root.to_owned());
        std::thread::spawn(move || {
            let _ = tx.send(open(&path, &root));
        });
        rx.recv_timeout(Duration::from_secs(10)).expect("open() returned without blocking")
    }

    fn mkfifo(path: &Path) {
        assert!(std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo").success());
    }

    #[test]
    fn a_fifo_behind_a_symlink_is_refused_without_blocking() {
        let root = tempfile::tempdir().expect("root");
        mkfifo(&root.path().join("pipe"));
        symlink(root.path().join("pipe"), root.path().join("link.fq")).expect("symlink");
        for name in ["pipe", "link.fq"] {
            let refused = open_within_seconds(&root.path().join(name), root.path());
            assert!(matches!(refused, Err(Problem::NotRegular { kind: "FIFO" })), "{name}: {refused:?}");
        }
    }

    #[test]
    fn a_regular_file_reached_through_an_absolute_symlink_inside_the_root_is_read() {
        let root = tempfile::tempdir().expect("root");
        std::fs::create_dir(root.path().join("inside")).expect("dir");
        std::fs::write(root.path().join("inside/real.fq"), b"@r\nA\n+\nF\n").expect("file");
        symlink(root.path().join("inside"), root.path().join("link")).expect("symlink");
        let (mut file, size) = open_within_seconds(&root.path().join("link/real.fq"), root.path()).expect("opens");
        let mut text = Vec::new();
        // Reads of a regular file opened with O_NONBLOCK behave as without it.
        file.read_to_end(&mut text).expect("read");
        assert_eq!((size, text.as_slice()), (9, &b"@r\nA\n+\nF\n"[..]));
    }

    #[test]
    fn what_is_wrong_is_told_apart_for_the_log() {
        let parent = tempfile::tempdir().expect("parent");
        let (root, outside) = (parent.path().join("root"), parent.path().join("outside"));
        std::fs::create_dir_all(root.join("dir")).expect("root");
        std::fs::create_dir(&outside).expect("outside");
        std::fs::write(outside.join("secret.fq"), b"x").expect("secret");
        symlink(outside.join("secret.fq"), root.join("escape.fq")).expect("symlink");
        let outside_root = open_within_seconds(&root.join("escape.fq"), &root);
        assert!(matches!(outside_root, Err(Problem::Outside { .. })), "{outside_root:?}");
        let missing = open_within_seconds(&root.join("missing.fq"), &root);
        assert!(matches!(&missing, Err(Problem::Open(e)) if e.kind() == std::io::ErrorKind::NotFound), "{missing:?}");
        let dir = open_within_seconds(&root.join("dir"), &root);
        assert!(matches!(dir, Err(Problem::NotRegular { kind: "directory" })), "{dir:?}");
        let device = open_within_seconds(Path::new("/dev/null"), Path::new("/"));
        assert!(matches!(device, Err(Problem::NotRegular { kind: "device" })), "{device:?}");
    }
}
