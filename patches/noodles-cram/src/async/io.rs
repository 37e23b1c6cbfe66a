//! Async CRAM I/O.

mod buf_reader;
pub mod reader;
pub mod writer;

pub use self::{buf_reader::BufReader, reader::Reader, writer::Writer};
