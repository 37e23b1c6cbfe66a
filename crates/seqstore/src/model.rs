//! Domain types: ids, ARNs, timestamps, sequence stores and tags. No I/O, no framework.

pub mod arn;
pub mod client;
pub mod id;
pub mod import;
pub mod job;
pub mod read_set;
pub mod reference;
pub mod role;
pub mod sequence_store;
pub mod tags;
pub mod time;
pub mod upload;
