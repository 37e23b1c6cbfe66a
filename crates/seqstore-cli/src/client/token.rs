//! `seqstore token`: a bearer token for the server's GA4GH APIs (htsget, refget), from the
//! extension operation `POST /token`, signed by the SDK like every call (the request of
//! ListSequenceStores, moved to that path with its own body). Prints the token alone on standard
//! output, so that `seqstore token > token.txt` makes a file htslib reads through
//! `HTS_AUTH_LOCATION`; when it expires goes to standard error.

use serde_json::{Value, json};

use super::output::{self, text};
use super::raw::{Capture, Extension};
use super::{Ctx, Error, api};
use crate::cli::client::TokenArgs;

/// Runs `seqstore token`.
pub async fn run(ctx: &Ctx, args: &TokenArgs) -> Result<(), Error> {
    let capture = Capture::default();
    let body = json!({ "expiresInSeconds": args.expires }).to_string();
    ctx.sdk
        .list_sequence_stores()
        .customize()
        .interceptor(Extension::at("/token", body))
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(api("CreateToken"))?;
    let answer: Value = capture.json();
    if ctx.json {
        return output::json(&answer);
    }
    eprintln!("the token expires at {}", text(&answer, "/expiration"));
    output::line(&text(&answer, "/token"))
}
