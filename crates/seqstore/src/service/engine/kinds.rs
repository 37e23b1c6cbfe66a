//! The kinds of job, one file each ([`super::kind::Kind`], named for its spec by
//! [`super::kind::RunsAs`]), and the one dispatch from a claimed source's spec to its kind, derived
//! from the list of kinds in [`crate::model::job`] (no list of its own).

mod read_set_activation;
mod read_set_archive;
mod read_set_export;
mod read_set_import;
mod read_set_qc;
mod reference_import;
mod upload_processing;

use super::kind::RunsAs;
use super::{Ended, NextClaim, Settings, Slot, Slots, skeleton};
use crate::model::job::{Claim, with_job_spec};
use crate::service::Service;

/// Runs the attempt of `claim` as its kind (see [`Service::run_claim`]).
pub(super) async fn run(
    service: &Service,
    settings: &Settings,
    claim: &Claim,
    slots: Option<&Slots>,
    slot: Slot,
) -> (Ended, Option<NextClaim>) {
    match &claim.spec {
        Ok(spec) => with_job_spec!(spec, s => run_as(service, settings, claim, s, slots, slot).await),
        Err(unreadable) => (skeleton::unreadable(service, claim, unreadable).await, None),
    }
}

/// Runs the attempt at `spec` as the kind that runs such specs.
async fn run_as<S: RunsAs>(
    service: &Service,
    settings: &Settings,
    claim: &Claim,
    spec: &S,
    slots: Option<&Slots>,
    slot: Slot,
) -> (Ended, Option<NextClaim>) {
    skeleton::run::<S::Kind>(service, settings, claim, spec, slots, slot).await
}
