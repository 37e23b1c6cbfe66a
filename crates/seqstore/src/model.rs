//! Domain types: ids, ARNs, timestamps, sequence stores, tags and S3 access policies. No I/O, no
//! framework.

/// `ALL`, `as_str` (the wire and database spelling), `parse` (its inverse) and `Display` (the
/// spelling) of a fieldless enum.
macro_rules! wire_names {
    ($ty:ty { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];
            /// The wire and database spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
            /// Parses the wire spelling.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some(Self::$variant),)* _ => None }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod arn;
pub mod client;
pub mod export;
pub mod id;
pub mod import;
pub mod job;
pub mod qc;
pub mod read_set;
pub mod reference;
pub mod role;
pub mod s3_access;
pub mod sequence_store;
pub mod tags;
pub mod tier;
pub mod time;
pub mod upload;
