//! What the client prints on standard output: aligned tables for people, JSON for scripts.

use std::io::Write;

use serde_json::Value;

use super::Error;

/// Prints `value` as pretty JSON.
pub fn json(value: &Value) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).expect("JSON values serialize");
    line(&text)
}

/// Prints one line.
pub fn line(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").and_then(|()| stdout.flush()).map_err(Error::Stdout)
}

/// Prints `rows` under `headers` in columns as wide as their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> Result<(), Error> {
    line(&render(headers, rows))
}

/// Prints `fields` as `name: value` lines, names padded to one width; empty values are skipped.
pub fn fields(fields: &[(&str, String)]) -> Result<(), Error> {
    let width = fields.iter().map(|(name, _)| name.len() + 1).max().unwrap_or(0);
    let text: Vec<String> = fields
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{:width$}  {value}", format!("{name}:")))
        .collect();
    line(&text.join("\n"))
}

fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let format_row = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut lines = vec![format_row(headers.to_vec())];
    lines.extend(rows.iter().map(|row| format_row(row.iter().map(String::as_str).collect())));
    lines.join("\n")
}

/// The string at `pointer` in `value` (numbers as written), or "" when absent.
pub fn text(value: &Value, pointer: &str) -> String {
    match value.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = vec![vec!["1234567890".to_owned(), "a".to_owned()], vec!["1".to_owned(), "long name".to_owned()]];
        assert_eq!(render(&["ID", "NAME"], &rows), "ID          NAME\n1234567890  a\n1           long name");
    }

    #[test]
    fn text_reads_strings_and_numbers() {
        let value = serde_json::json!({"a": {"b": "x", "n": 3}});
        assert_eq!(text(&value, "/a/b"), "x");
        assert_eq!(text(&value, "/a/n"), "3");
        assert_eq!(text(&value, "/a/missing"), "");
    }
}
