//! The text of `seqstore verify` (see [`crate::verify`]): a line per damaged or missing object and
//! a summary for the report, a count of what is checked and a line a second for the progress. The
//! checking is the service's ([`crate::service::scrub`]).

use std::io::Write;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::VerifyError;
use crate::model::read_set::Tier;
use crate::service::Service;
use crate::service::scrub::{Damage, Item, Owner, Summary};

/// Shortest interval between two progress lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Checks every stored file through `service` (of `store` only, when given), writing one line per
/// damaged or missing object and a summary to `report` and progress to `progress`.
pub(crate) async fn render(
    service: &Service,
    store: Option<&str>,
    report: &mut impl Write,
    progress: &mut impl Write,
) -> Result<Summary, VerifyError> {
    let inventory = service.scrub_inventory(store).await?;
    let (count, total) = (inventory.items.len(), inventory.bytes());
    let mut summary = Summary::of(&inventory);
    let of = format!("{} and {}", counted(inventory.read_sets, "read set"), counted(inventory.references, "reference"));
    let line = format!("verify: {} ({}) of {of}", counted(count as u64, "object"), size(total));
    writeln!(progress, "{line}").map_err(VerifyError::Output)?;
    let mut checks = std::pin::pin!(service.scrub_objects(inventory.items));
    let mut shown = Instant::now();
    while let Some(checked) = checks.next().await {
        let checked = checked?;
        summary.count(&checked);
        if let Some(damage) = &checked.damage {
            writeln!(report, "{}", describe(&checked.item, damage)).map_err(VerifyError::Output)?;
        }
        if shown.elapsed() >= PROGRESS_EVERY {
            let line =
                format!("verify: {} of {count} objects, {} of {}", summary.objects, size(summary.bytes), size(total));
            writeln!(progress, "{line}").map_err(VerifyError::Output)?;
            shown = Instant::now();
        }
    }
    writeln!(report, "{}", conclusion(&summary)).map_err(VerifyError::Output)?;
    Ok(summary)
}

/// One report line: what is wrong, and where.
fn describe(item: &Item, damage: &Damage) -> String {
    let owner = match &item.owner {
        Owner::ReadSet(id) => format!("read set {id}"),
        Owner::Reference(id) => format!("reference {id}"),
    };
    let (kind, what) = match damage {
        Damage::Missing => ("MISSING", "the object does not exist".to_owned()),
        Damage::Size { recorded, found } => ("DAMAGED", format!("{found} bytes, {recorded} recorded")),
        Damage::Sha256 { recorded, found } => ("DAMAGED", format!("SHA-256 {found}, {recorded} recorded")),
        Damage::Unreadable(why) => ("UNREADABLE", why.clone()),
    };
    let tier = if item.tier == Tier::Archive { " in the archive" } else { "" };
    format!("{kind} store {} {owner} file {} key {}{tier}: {what}", item.store, item.file, item.recorded.key)
}

/// The summary line.
fn conclusion(s: &Summary) -> String {
    let mut line = format!(
        "verified {} ({}) of {} and {}: ",
        counted(s.objects, "object"),
        size(s.bytes),
        counted(s.read_sets, "read set"),
        counted(s.references, "reference")
    );
    match s.problems {
        0 => line.push_str("all intact"),
        n => line.push_str(&format!("{n} damaged or missing")),
    }
    if s.size_only > 0 {
        line.push_str(&format!(" ({} checked by size only: no SHA-256 was recorded)", s.size_only));
    }
    line
}

/// `n` and `noun`, plural unless `n` is 1.
fn counted(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// `bytes` for people: `512 B`, `1.5 KiB`, `3.2 GiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let (mut value, mut unit) = (bytes as f64, 0);
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::read_set::StoredFile;

    #[test]
    fn report_lines_name_store_owner_file_and_key() {
        let item = Item {
            store: "1111111111".into(),
            owner: Owner::ReadSet("2222222222".into()),
            file: "source1",
            recorded: StoredFile::new(
                "1111111111/readSet/2222222222/source1".into(),
                10,
                1 << 20,
                "ab".into(),
                "cd".into(),
            ),
            tier: Tier::Hot,
        };
        let line = describe(&item, &Damage::Sha256 { recorded: "ab".into(), found: "cd".into() });
        assert_eq!(
            line,
            "DAMAGED store 1111111111 read set 2222222222 file source1 key 1111111111/readSet/2222222222/source1: \
             SHA-256 cd, ab recorded"
        );
        assert!(describe(&item, &Damage::Missing).starts_with("MISSING store 1111111111 read set 2222222222"));
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 * 1024 * 1024 * 1024), "3.0 GiB");
        let summary =
            Summary { objects: 3, bytes: 2048, read_sets: 1, problems: 1, size_only: 1, ..Summary::default() };
        assert_eq!(
            conclusion(&summary),
            "verified 3 objects (2.0 KiB) of 1 read set and 0 references: 1 damaged or missing \
             (1 checked by size only: no SHA-256 was recorded)"
        );
    }
}
