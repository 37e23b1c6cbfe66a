//! Alignment records rendered as SAM text exactly as `samtools view` (htslib 1.16) prints them,
//! for the semantic ETags of BAM, uBAM and CRAM read sets.
//!
//! noodles' SAM writer already prints the eleven mandatory fields as htslib does; what differs is
//! the data fields: htslib prints every integer type as `i`, and `f` and `B:f` values with C's
//! `%g` (see [`write_g`]). So this module lets noodles write the mandatory fields and writes the
//! data fields itself.

mod fields;
mod float;

use std::io;

use noodles_sam::{self as sam, alignment::io::Write as _};

use self::fields::WithoutData;
pub use self::float::write_g;

/// Appends `record` to `buf` as one line of SAM text (with its `\n`), byte for byte as
/// `samtools view` prints it; `header` names the reference sequences.
///
/// `buf` is only appended to, so one buffer can collect many records.
///
/// # Errors
///
/// The record cannot be rendered: an invalid field (e.g. a reference sequence id missing from
/// `header`, a base outside `[A-Za-z=.]`, quality and sequence lengths that differ) or a data
/// field that does not decode.
pub fn write_record<R>(buf: &mut Vec<u8>, header: &sam::Header, record: &R) -> io::Result<()>
where
    R: sam::alignment::Record + ?Sized,
{
    let start = buf.len();
    let result = write_fields(buf, header, record);
    if result.is_err() {
        buf.truncate(start);
    }
    result
}

fn write_fields<R>(buf: &mut Vec<u8>, header: &sam::Header, record: &R) -> io::Result<()>
where
    R: sam::alignment::Record + ?Sized,
{
    let mut writer = sam::io::Writer::new(&mut *buf);
    writer.write_alignment_record(header, &WithoutData(record))?;
    // noodles ends the line; the data fields go before its `\n`.
    buf.pop();
    fields::write_data(buf, record.data_ref())?;
    buf.push(b'\n');
    Ok(())
}
