//! The kinds of job, one file each ([`super::kind::Kind`]), and the one place that maps a claimed
//! source's spec to its kind.

mod read_set_import;
mod reference_import;
mod upload_processing;

use read_set_import::ReadSetImport;
use reference_import::ReferenceImport;
use upload_processing::UploadProcessing;

use super::{Ended, Settings, skeleton};
use crate::model::job::{Claim, JobSpec};
use crate::service::Service;

/// Runs the attempt of `claim` as its kind (see [`Service::run_claim`]).
pub(super) async fn run(service: &Service, settings: &Settings, claim: &Claim) -> Ended {
    match &claim.spec {
        Ok(JobSpec::ReadSet(spec)) => skeleton::run::<ReadSetImport>(service, settings, claim, spec).await,
        Ok(JobSpec::Reference(spec)) => skeleton::run::<ReferenceImport>(service, settings, claim, spec).await,
        Ok(JobSpec::Upload(spec)) => skeleton::run::<UploadProcessing>(service, settings, claim, spec).await,
        Err(unreadable) => skeleton::unreadable(service, claim, unreadable).await,
    }
}
