//! Logins: an access key pair of `[[auth.keys]]` buys a session cookie signed
//! ([`crate::service::signing`]) under the shared session key, so every process accepts the cookies of every other. The cookie
//! names the access key, not the account: a key removed from the configuration ends its sessions.
//! Wrong pairs count against the client address (`limits.auth_failures_per_minute`); beyond it a
//! login is answered 429 with `Retry-After` and a "try again in N s" page, before it is checked.
//!
//! State changes (the dashboard's forms that POST) are protected against cross-site requests, in
//! dev mode too, where any web page could otherwise POST to a loopback address
//! ([`check_same_site`]): the `Origin` (or, without it, `Sec-Fetch-Site`) must be the dashboard's
//! own, and the form must carry the session's CSRF token ([`csrf_token`]).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Form, FromRequestParts, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use maud::html;
use serde::Deserialize;
use sha2::Digest;

use super::{Error, Ui, layout};
use crate::config::DEV_ACCOUNT_ID;
use crate::model::client::Client;
use crate::model::time;
use crate::service::Caller;
use crate::service::guesses::TooManyFailures;
use crate::service::signing::SigningKey;

/// Name of the session cookie.
const COOKIE: &str = "seqstore_session";

/// Context of session cookies' signatures (see [`SigningKey::sign`]).
const CONTEXT: &str = "seqstore-ui-session-v2";

/// Context of CSRF tokens' signatures.
const CSRF_CONTEXT: &str = "seqstore-ui-csrf-v1";

/// Signs and opens session cookies.
#[derive(Debug)]
pub struct Signer {
    key: SigningKey,
    seconds: u64,
}

impl Signer {
    /// A signer with `key` whose sessions last `seconds`.
    pub fn new(key: &[u8], seconds: u64) -> Self {
        Self { key: SigningKey::new(key), seconds }
    }

    /// A cookie value for `access_key_id`, valid until `now_ms` plus the session length.
    fn issue(&self, access_key_id: &str, now_ms: i64) -> String {
        let expires = now_ms / 1000 + i64::try_from(self.seconds).unwrap_or(i64::MAX / 2);
        self.key.sign(CONTEXT, &[&expires.to_string(), access_key_id])
    }

    /// The access key id of a valid, unexpired cookie value.
    fn open(&self, value: &str, now_ms: i64) -> Option<String> {
        let [expires, key] = <[String; 2]>::try_from(self.key.open(CONTEXT, value)?).ok()?;
        if expires.parse::<i64>().ok()? <= now_ms / 1000 {
            return None;
        }
        Some(key)
    }
}

/// Who is looking at a page: the account the request acts for, and whether it signed in (outside
/// dev mode) and so can sign out. It dereferences to its [`Caller`], which the use cases take.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The account.
    pub caller: Caller,
    /// The visitor signed in with a key pair (false in dev mode, which has no sessions).
    pub signed_in: bool,
}

impl std::ops::Deref for Viewer {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// The viewer of a request: the dev account in dev mode, otherwise the account of the session's
/// access key; `None` without a valid session.
pub fn viewer(ui: &Ui, headers: &HeaderMap) -> Option<Viewer> {
    if ui.dev_mode() {
        return Some(Viewer { caller: Caller { account: DEV_ACCOUNT_ID.to_owned() }, signed_in: false });
    }
    let key_id = ui.sessions.open(cookie(headers, COOKIE)?, time::now())?;
    let key = ui.keys.iter().find(|k| k.access_key_id == key_id)?;
    Some(Viewer { caller: Caller { account: key.account_id.clone() }, signed_in: true })
}

/// The [`Viewer`] a dashboard request acts for. Without one the request is sent to the login
/// page.
#[derive(Debug, Clone)]
pub struct Account(pub Viewer);

impl FromRequestParts<Arc<Ui>> for Account {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, ui: &Arc<Ui>) -> Result<Self, Error> {
        viewer(ui, &parts.headers).map(Self).ok_or(Error::Login)
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The CSRF token of the request's session, for the dashboard's forms: bound to the session
/// cookie (to a hash of it) or, in dev mode, where there is no session, to a random value of this
/// process; `None` without a session.
pub fn csrf_token(ui: &Ui, headers: &HeaderMap) -> Option<String> {
    let binding = if ui.dev_mode() {
        ui.dev_csrf.clone()
    } else {
        hex::encode(sha2::Sha256::digest(cookie(headers, COOKIE)?.as_bytes()))
    };
    Some(ui.sessions.key.sign(CSRF_CONTEXT, &[&binding]))
}

/// Refuses (403) a state change that may come from another site: its `Origin` must be the
/// dashboard's own (`http[s]://` and the `Host`), or, when a browser sent no `Origin`, its
/// `Sec-Fetch-Site` must be `same-origin`; in dev mode the `Host` must be a loopback name (no DNS
/// rebinding); and `token` must be the session's [`csrf_token`].
pub fn check_same_site(ui: &Ui, headers: &HeaderMap, token: Option<&str>) -> Result<(), Error> {
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header(header::HOST).ok_or(Error::CrossSite("no Host"))?;
    let scheme = if is_https(ui, headers) { "https" } else { "http" };
    match (header(header::ORIGIN), headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())) {
        (Some(origin), _) if origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")) => {}
        (None, Some("same-origin")) => {}
        (Some(_), _) => return Err(Error::CrossSite("Origin is another site")),
        (None, _) => return Err(Error::CrossSite("neither Origin nor Sec-Fetch-Site: same-origin")),
    }
    if ui.dev_mode() && !is_loopback_host(host) {
        return Err(Error::CrossSite("dev mode answers state changes on loopback host names only"));
    }
    let expected = csrf_token(ui, headers).ok_or(Error::Login)?;
    match token {
        Some(token) if ui.sessions.key.same(&expected, token) => Ok(()),
        _ => Err(Error::CrossSite("missing or wrong CSRF token")),
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The request arrived over TLS: the server speaks TLS itself, or a proxy in front says so.
fn is_https(ui: &Ui, headers: &HeaderMap) -> bool {
    ui.tls || headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// `GET /ui/login`.
pub async fn login_page(State(ui): State<Arc<Ui>>, headers: HeaderMap) -> Response {
    if ui.dev_mode() {
        return Redirect::to("/ui/").into_response();
    }
    form(&ui, &headers, None).into_response()
}

fn form(ui: &Ui, headers: &HeaderMap, problem: Option<&str>) -> Html<String> {
    let plain_remote = !is_https(ui, headers) && !ui.loopback;
    layout::bare(
        "Sign in",
        html! {
            h1 { "seqstore — sign in" }
            @if plain_remote {
                p.warning #tls-warning {
                    "This page is served over plain HTTP on a non-loopback address: the secret key and the session \
                     travel unencrypted. Use TLS (serve seqstore over HTTPS or behind a TLS-terminating proxy)."
                }
            }
            @if let Some(problem) = problem { p.error #login-error { (problem) } }
            form method="post" action="/ui/login" {
                label { "Access key id" input name="access_key_id" autocomplete="username" required; }
                label { "Secret access key" input name="secret_access_key" type="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct Login {
    access_key_id: String,
    secret_access_key: String,
}

/// `POST /ui/login`: a configured key pair sets the session cookie; anything else is refused, and
/// counted against the client address: beyond its allowance a login is not checked but answered
/// 429 with a page that says when to try again.
pub async fn login(
    State(ui): State<Arc<Ui>>,
    client: Option<Extension<Client>>,
    headers: HeaderMap,
    Form(login): Form<Login>,
) -> Response {
    if ui.dev_mode() {
        return Redirect::to("/ui/").into_response();
    }
    let client = client.map(|Extension(client)| client);
    if let Some(client) = client
        && let Err(refused) = ui.guesses.check(client, Some(&login.access_key_id))
    {
        tracing::info!(%client, access_key_id = login.access_key_id, "ui: login throttled");
        return throttled(&ui, &headers, &refused);
    }
    let key = ui.keys.iter().find(|k| {
        k.access_key_id == login.access_key_id && ui.sessions.key.same(&k.secret_access_key, &login.secret_access_key)
    });
    let Some(key) = key else {
        if let Some(client) = client {
            ui.guesses.failed(client, Some(&login.access_key_id));
        }
        tracing::info!(access_key_id = login.access_key_id, "ui: login refused");
        let page = form(&ui, &headers, Some("Unknown access key id or wrong secret."));
        return (StatusCode::UNAUTHORIZED, page).into_response();
    };
    let value = ui.sessions.issue(&key.access_key_id, time::now());
    let secure = if is_https(&ui, &headers) { "; Secure" } else { "" };
    let cookie =
        format!("{COOKIE}={value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{secure}", ui.sessions.seconds);
    let mut response = Redirect::to("/ui/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("cookie is ASCII"));
    response
}

/// The 429 page of a throttled login: the form, saying when to try again (also in `Retry-After`).
fn throttled(ui: &Ui, headers: &HeaderMap, refused: &TooManyFailures) -> Response {
    let problem = format!(
        "Too many failed sign-ins from your address ({}){}. Try again in {} s. (The server checks at most {} per \
         minute from one address and a third of that per access key id: limits.auth_failures_per_minute.)",
        refused.client, refused.key, refused.retry_after, refused.per_minute
    );
    let mut response = (StatusCode::TOO_MANY_REQUESTS, form(ui, headers, Some(&problem))).into_response();
    let retry_after = HeaderValue::from(refused.retry_after);
    response.headers_mut().insert(header::RETRY_AFTER, retry_after);
    response
}

/// `POST /ui/logout`: clears the cookie.
pub async fn logout() -> Response {
    let mut response = Redirect::to("/ui/login").into_response();
    let cookie = format!("{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("cookie is ASCII"));
    response
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn cookies_open_only_unaltered_and_unexpired() {
        let signer = Signer::new(b"k", 60);
        let value = signer.issue("AKID", 1_000_000);
        assert_eq!(signer.open(&value, 1_000_000).as_deref(), Some("AKID"));
        assert_eq!(signer.open(&value, 1_000_000 + 61_000), None);
        assert_eq!(Signer::new(b"other", 60).open(&value, 1_000_000), None);
        let forged = value.replacen(&URL_SAFE_NO_PAD.encode("AKID"), &URL_SAFE_NO_PAD.encode("AKIB"), 1);
        assert_eq!(signer.open(&forged, 1_000_000), None);
    }

    #[test]
    fn loopback_hosts() {
        for host in ["127.0.0.1:4870", "localhost", "LOCALHOST:80", "[::1]:4870", "127.1.2.3"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["evil.example:4870", "10.0.0.1", "[::2]:1", "127.0.0.1.evil.example"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; seqstore_session=xyz; b=2"));
        assert_eq!(cookie(&headers, COOKIE), Some("xyz"));
    }
}
