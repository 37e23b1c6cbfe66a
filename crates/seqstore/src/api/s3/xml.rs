//! The XML documents of S3 answers, written directly: a handful of flat elements whose text is
//! escaped here.

use axum::response::{IntoResponse, Response};
use http::HeaderValue;

/// The namespace of S3's documents.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// An XML document being written.
#[derive(Debug, Default)]
pub struct Xml(String);

impl Xml {
    /// A document with its declaration.
    pub fn document() -> Self {
        Self(String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
    }

    /// Opens `name`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.0.push_str(&format!("<{name}>"));
        self
    }

    /// Opens `name` with S3's namespace.
    pub fn open_root(&mut self, name: &str) -> &mut Self {
        self.0.push_str(&format!("<{name} xmlns=\"{NAMESPACE}\">"));
        self
    }

    /// Closes `name`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str(&format!("</{name}>"));
        self
    }

    /// `<name>text</name>`, the text escaped.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.0.push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    /// Text inside the open element, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.0.push_str(&escape(text));
        self
    }

    /// [`Xml::element`] when `text` is `Some`.
    pub fn optional(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.element(name, text);
        }
        self
    }
}

impl IntoResponse for Xml {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        response
    }
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, and characters XML 1.0 cannot hold (control
/// characters but tab, newline and carriage return) as character references, which S3 clients
/// read back.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("x\u{1}y"), "x&#1;y");
        let mut xml = Xml::default();
        xml.open_root("R").element("K", "1 & 2").optional("N", None).close("R");
        assert_eq!(xml.0, format!("<R xmlns=\"{NAMESPACE}\"><K>1 &amp; 2</K></R>"));
    }
}
