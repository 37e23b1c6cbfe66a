//! seqstore: a self-hosted genomic sequence store, wire-compatible with the storage half of AWS
//! HealthOmics.
//!
//! Layers, outermost first: [`server`] (listeners) → [`api`] (HTTP, SigV4, validation, the error
//! mapping), [`ui`] (the dashboard) and [`worker`] (the job loop) → [`service`] (use cases, the only
//! door to state) → [`db`] (SQLite/PostgreSQL), [`storage`] (objects, sources) and [`model`]
//! (domain types, no I/O). ARCHITECTURE.md at the repository's root describes them. The `seqstore`
//! binary and the client commands are the `seqstore-cli` crate.

pub mod api;
pub mod config;
pub mod db;
pub mod metrics;
pub mod model;
pub mod report;
pub mod scrub;
pub mod server;
pub mod service;
pub mod storage;
pub mod ui;
pub mod worker;
