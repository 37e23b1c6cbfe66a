//! htsget 1.3 reads: the ticket of a read set for a request's regions (`GET` with query parameters
//! or `POST` with `regions`), the data URLs it names, and the service-info.

use axum::Json;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::App;
use super::super::sigv4::s3::query_pairs;
use super::error::{Api, Ga4ghError};
use crate::model::client::{self, TlsVersion};
use crate::service::Caller;
use crate::service::htsget::{HtsgetError, HtsgetFormat, PartClass, Region, Ticket, TicketPart, TicketRequest};

/// The media type of tickets.
const TICKET_TYPE: &str = "application/vnd.ga4gh.htsget.v1.3.0+json; charset=utf-8";
/// The fields of a SAM record, the values `fields` may name.
const FIELDS: [&str; 11] = ["QNAME", "FLAG", "RNAME", "POS", "MAPQ", "CIGAR", "RNEXT", "PNEXT", "TLEN", "SEQ", "QUAL"];

/// A POST body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Asked {
    format: Option<String>,
    class: Option<String>,
    fields: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    notags: Option<Vec<String>>,
    regions: Option<Vec<BodyRegion>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BodyRegion {
    reference_name: String,
    start: Option<u64>,
    end: Option<u64>,
}

/// `GET|POST /ga4gh/htsget/v1/reads/{store}/{readSet}`.
pub async fn reads(
    app: &App,
    caller: &Caller,
    parts: &http::request::Parts,
    store: &str,
    read_set: &str,
    body: Option<&[u8]>,
) -> Result<Response, Ga4ghError> {
    let request = match body {
        Some(body) => from_body(body)?,
        None => from_query(parts.uri.query().unwrap_or(""))?,
    };
    let now = chrono::Utc::now().timestamp();
    let ticket = app.service.htsget_ticket(caller, store, read_set, &request, now).await.map_err(Ga4ghError::htsget)?;
    let base = base_url(parts);
    let mut response = Json(render(&ticket, &base, read_set)).into_response();
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(TICKET_TYPE));
    Ok(response)
}

/// `GET /ga4gh/htsget/v1/data/{name}?t=TOKEN`: the bytes of one ticket URL.
pub async fn data(app: &App, parts: &http::request::Parts) -> Result<Response, Ga4ghError> {
    let token = query_pairs(parts.uri.query().unwrap_or("")).into_iter().find(|(k, _)| k == "t").map(|(_, v)| v);
    let Some(token) = token else {
        return Err(Ga4ghError::unauthenticated(
            Api::Htsget,
            "the data URL has no token (t=…): use a ticket's URL as given".into(),
        ));
    };
    let stream = app.service.htsget_data(&token, chrono::Utc::now().timestamp()).await.map_err(|e| {
        if matches!(e, HtsgetError::Forged) {
            app.limits.note_guess(parts.extensions.get::<crate::model::client::Client>().copied());
        }
        Ga4ghError::htsget(e)
    })?;
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    Ok(response)
}

/// `GET /ga4gh/htsget/v1/reads/service-info`.
pub fn service_info() -> Response {
    Json(json!({
        "id": "seqstore.htsget",
        "name": "seqstore htsget",
        "type": { "group": "org.ga4gh", "artifact": "htsget", "version": "1.3.0" },
        "description": "Region access to the BAM and CRAM read sets of a seqstore sequence store",
        "organization": { "name": "seqstore", "url": "https://github.com/seqstore/seqstore" },
        "version": env!("CARGO_PKG_VERSION"),
        "htsget": {
            "datatype": "reads",
            "formats": ["BAM", "CRAM"],
            "fieldsParameterEffective": false,
            "tagsParametersEffective": false
        }
    }))
    .into_response()
}

fn invalid(message: String) -> Ga4ghError {
    Ga4ghError::invalid_input(Api::Htsget, message)
}

/// A request from GET's query parameters.
fn from_query(query: &str) -> Result<TicketRequest, Ga4ghError> {
    let mut body = Asked::default();
    let (mut name, mut start, mut end) = (None, None, None);
    let list = |v: &str| v.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    for (key, value) in query_pairs(query) {
        match key.as_str() {
            "format" => body.format = Some(value),
            "class" => body.class = Some(value),
            "referenceName" => name = Some(value),
            "start" => start = Some(coordinate("start", &value)?),
            "end" => end = Some(coordinate("end", &value)?),
            "fields" => body.fields = Some(list(&value)),
            "tags" => body.tags = Some(list(&value)),
            "notags" => body.notags = Some(list(&value)),
            other => return Err(invalid(format!("unknown query parameter '{other}'"))),
        }
    }
    match name {
        Some(reference_name) => body.regions = Some(vec![BodyRegion { reference_name, start, end }]),
        None if start.is_some() || end.is_some() => {
            return Err(invalid("start and end need a referenceName".into()));
        }
        None => {}
    }
    checked(body)
}

fn coordinate(name: &str, value: &str) -> Result<u64, Ga4ghError> {
    value.parse::<u32>().map(u64::from).map_err(|_| {
        invalid(format!(
            "{name} must be an unsigned 32-bit integer (0-based; start inclusive, end exclusive), not '{value}'"
        ))
    })
}

/// A request from a POST body.
fn from_body(body: &[u8]) -> Result<TicketRequest, Ga4ghError> {
    let body: Asked = match body.iter().all(u8::is_ascii_whitespace) {
        true => Asked::default(),
        false => serde_json::from_slice(body)
            .map_err(|e| invalid(format!("the request body is not an htsget request: {e}")))?,
    };
    if let Some(regions) = &body.regions {
        for region in regions {
            for (name, value) in [("start", region.start), ("end", region.end)] {
                if value.is_some_and(|v| v > u64::from(u32::MAX)) {
                    return Err(invalid(format!("{name} must be an unsigned 32-bit integer")));
                }
            }
        }
    }
    checked(body)
}

/// The checks of the specification, then the request.
fn checked(body: Asked) -> Result<TicketRequest, Ga4ghError> {
    let format = match body.format.as_deref() {
        None => None,
        Some(name) => Some(HtsgetFormat::parse(name).ok_or_else(|| {
            Ga4ghError::unsupported_format(Api::Htsget, format!("format '{name}' is not served: ask for BAM or CRAM"))
        })?),
    };
    let header_only = match body.class.as_deref() {
        None => false,
        Some("header") => true,
        Some(other) => {
            return Err(invalid(format!("class '{other}' is not one of the specification's: use class=header")));
        }
    };
    if header_only && body.regions.is_some() {
        return Err(invalid("class=header takes no referenceName, start, end or regions".into()));
    }
    if let Some(unknown) = body.fields.iter().flatten().find(|f| !FIELDS.contains(&f.as_str())) {
        return Err(invalid(format!("field '{unknown}' is not a SAM field (one of {})", FIELDS.join(", "))));
    }
    if let Some(both) = body.tags.iter().flatten().find(|t| body.notags.iter().flatten().any(|n| n == *t)) {
        return Err(invalid(format!("tag '{both}' is both in tags and in notags")));
    }
    let regions = match body.regions {
        None => None,
        Some(regions) => Some(regions.into_iter().map(region).collect::<Result<Vec<_>, _>>()?),
    };
    Ok(TicketRequest { format, header_only, regions })
}

fn region(region: BodyRegion) -> Result<Region, Ga4ghError> {
    let BodyRegion { reference_name: name, start, end } = region;
    if name.is_empty() {
        return Err(invalid("referenceName is empty".into()));
    }
    if name == "*" && (start.is_some() || end.is_some()) {
        return Err(invalid("referenceName=* (unplaced unmapped reads) takes no start or end".into()));
    }
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(Ga4ghError::invalid_range(Api::Htsget, format!("start {s} is after end {e}")));
    }
    Ok(Region { name, start, end })
}

/// `http(s)://host` as the client reached this server.
fn base_url(parts: &http::request::Parts) -> String {
    let tls = parts.extensions.get::<TlsVersion>().is_some();
    client::origin(&parts.headers, parts.uri.authority().map(|a| a.as_str()), tls)
}

fn render(ticket: &Ticket, base: &str, read_set: &str) -> Value {
    let extension = match ticket.format {
        HtsgetFormat::Bam => "bam",
        HtsgetFormat::Cram => "cram",
    };
    let class = |class: &PartClass| match class {
        PartClass::Header => "header",
        PartClass::Body => "body",
    };
    let urls: Vec<Value> = ticket
        .parts
        .iter()
        .map(|part| match part {
            TicketPart::Inline { bytes, class: c } => {
                json!({ "url": format!("data:application/octet-stream;base64,{}", STANDARD.encode(bytes)), "class": class(c) })
            }
            TicketPart::Data { token, class: c } => json!({
                "url": format!("{base}/ga4gh/htsget/v1/data/{read_set}.{extension}?t={token}"),
                "class": class(c)
            }),
        })
        .collect();
    json!({ "htsget": { "format": ticket.format.name(), "urls": urls } })
}
