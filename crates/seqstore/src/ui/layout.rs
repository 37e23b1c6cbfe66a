//! The page frame, the embedded stylesheet, script and icon, and small formatting helpers.

use axum::response::{Html, IntoResponse, Response};
use http::header;
use maud::{DOCTYPE, Markup, html};

use super::session::Viewer;
use crate::model::time::{self, Millis};

const STYLE: &str = include_str!("assets/app.css");
const SCRIPT: &str = include_str!("assets/app.js");
/// A 32×32 icon (an ICO holding one PNG), what browsers ask for at `/favicon.ico`.
const ICON: &[u8] = include_bytes!("assets/favicon.ico");

/// `GET /ui/assets/app.css`.
pub async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=300")], STYLE).into_response()
}

/// `GET /ui/assets/app.js`.
pub async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=300")], SCRIPT)
        .into_response()
}

/// `GET /favicon.ico`: the dashboard's icon, which browsers ask for at the root of whatever URL
/// they open (the API's too); cached for a day.
pub async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "max-age=86400")], ICON).into_response()
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " — seqstore" }
            link rel="icon" href="/favicon.ico";
            link rel="stylesheet" href="/ui/assets/app.css";
            script src="/ui/assets/app.js" defer {}
        }
    }
}

/// A page without navigation (login, errors).
pub fn bare(title: &str, body: Markup) -> Html<String> {
    Html(html! { (DOCTYPE) html lang="en" { (head(title)) body { main { (body) } } } }.into_string())
}

/// A page with the navigation bar of `viewer`: its account and, when it signed in (not in dev
/// mode, where there is no session), "Sign out".
pub fn page(title: &str, viewer: &Viewer, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(title))
                body {
                    nav {
                        a.brand href="/ui/" { "seqstore" }
                        a href="/ui/" { "Sequence stores" }
                        a href="/ui/references" { "Reference stores" }
                        a href="/ui/throughput" { "Import throughput" }
                        span.account { "account " (viewer.account) }
                        @if viewer.signed_in {
                            form.logout method="post" action="/ui/logout" { button type="submit" { "Sign out" } }
                        }
                    }
                    main { (body) }
                }
            }
        }
        .into_string(),
    )
}

/// A "next page" link carrying `token` in `next`, keeping the other query parameters.
pub fn pager(base: &str, params: &[(&str, Option<&str>)], next: Option<&str>) -> Markup {
    html! {
        @if let Some(next) = next {
            p.pager { a.next href=(link(base, params, Some(next))) { "Next page →" } }
        }
    }
}

/// `base` with the given non-empty query parameters and `next`.
pub fn link(base: &str, params: &[(&str, Option<&str>)], next: Option<&str>) -> String {
    let mut query = params
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}={}", encode(v))))
        .collect::<Vec<_>>();
    if let Some(next) = next {
        query.push(format!("next={}", encode(next)));
    }
    if query.is_empty() { base.to_owned() } else { format!("{base}?{}", query.join("&")) }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A byte count with a binary unit.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// An integer with thousands separators: `1234567` → `1,234,567`.
pub fn count(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The exact byte count with separators, e.g. for the `title` of a [`bytes`] figure: `1,536 bytes`.
pub fn exact_bytes(n: u64) -> String {
    format!("{} bytes", count(n))
}

/// A timestamp as RFC 3339 (UTC, milliseconds).
pub fn when(ms: Millis) -> String {
    time::format(ms)
}

/// Whole percent of `done` in `total` for a source in `status` (100 once it is FINISHED, even
/// when its total was never known).
pub fn percent(status: &str, done: i64, total: Option<i64>) -> Option<i64> {
    if status == "FINISHED" {
        return Some(100);
    }
    let total = total?;
    if total <= 0 {
        return Some(if done > 0 { 100 } else { 0 });
    }
    Some((done.clamp(0, total) * 100 / total).min(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes_and_links() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(
            link("/ui/x", &[("sample", Some("a b")), ("status", None)], Some("t=")),
            "/ui/x?sample=a%20b&next=t%3D"
        );
        assert_eq!(percent("IN_PROGRESS", 50, Some(200)), Some(25));
        assert_eq!(percent("IN_PROGRESS", 5, None), None);
        assert_eq!(percent("FINISHED", 5, None), Some(100));
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0u8), "0");
        assert_eq!(count(999i64), "999");
        assert_eq!(count(1000i64), "1,000");
        assert_eq!(count(1_234_567u64), "1,234,567");
        assert_eq!(count(-12_345i64), "-12,345");
        assert_eq!(count(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(exact_bytes(1536), "1,536 bytes");
    }
}
