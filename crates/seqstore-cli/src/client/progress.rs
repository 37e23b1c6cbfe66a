//! Progress bars (indicatif) on standard error: drawn in place on a terminal, or — when forced
//! with `--progress always` and standard error is not a terminal — as one plain line per redraw,
//! so logs and tests can read every value shown.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

use crate::cli::client::ProgressMode;

/// Redraws per second of the line-per-update target.
const LINE_HZ: u8 = 4;

/// A byte-counting bar of `total` bytes (0 = unknown yet) labelled `message`, hidden when `mode`
/// says so.
pub fn bytes(mode: ProgressMode, total: u64, message: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({percent}%) {binary_bytes_per_sec} ETA {eta}",
    )
    .expect("a valid template")
    .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target((total > 0).then_some(total), target(mode)).with_style(style);
    bar.set_message(message.to_owned());
    bar
}

/// A spinner labelled `message` while something without a size runs (upload processing).
pub fn spinner(mode: ProgressMode, message: &str) -> ProgressBar {
    let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("a valid template");
    let bar = ProgressBar::with_draw_target(None, target(mode)).with_style(style);
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

fn target(mode: ProgressMode) -> ProgressDrawTarget {
    let terminal = std::io::stderr().is_terminal();
    match (mode, terminal) {
        (ProgressMode::Never, _) | (ProgressMode::Auto, false) => ProgressDrawTarget::hidden(),
        (ProgressMode::Auto | ProgressMode::Always, true) => ProgressDrawTarget::stderr(),
        (ProgressMode::Always, false) => ProgressDrawTarget::term_like_with_hz(Box::new(Lines::default()), LINE_HZ),
    }
}

/// A "terminal" that prints each redraw as one line on standard error and ignores cursor moves.
#[derive(Debug, Default)]
struct Lines {
    pending: Mutex<String>,
}

impl Lines {
    fn emit(&self) -> std::io::Result<()> {
        let line = std::mem::take(&mut *self.pending.lock().expect("lines lock"));
        let line = line.trim_end();
        if line.is_empty() {
            return Ok(());
        }
        let mut stderr = std::io::stderr().lock();
        writeln!(stderr, "{line}")?;
        stderr.flush()
    }
}

impl TermLike for Lines {
    fn width(&self) -> u16 {
        120
    }

    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.pending.lock().expect("lines lock").push_str(s);
        self.emit()
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.pending.lock().expect("lines lock").push_str(s.trim_start_matches('\r'));
        Ok(())
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.pending.lock().expect("lines lock").clear();
        Ok(())
    }

    fn flush(&self) -> std::io::Result<()> {
        self.emit()
    }
}
