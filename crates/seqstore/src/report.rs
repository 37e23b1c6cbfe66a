//! Errors as text for logs and operators: an error and its whole source chain on one line.

/// `error` and its sources, each after `: ` (`cannot read s3://b/k: request failed: …`).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
