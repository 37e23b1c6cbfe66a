//! The Prometheus text exposition format (version 0.0.4): `# HELP`/`# TYPE` lines, then one
//! sample per line, label values escaped.

use std::fmt::Write;

use super::histogram::Histogram;

/// Builds an exposition document.
#[derive(Debug, Default)]
pub struct Document {
    text: String,
}

impl Document {
    /// Starts the family `name` of `kind` (`counter`, `gauge`, `histogram`).
    pub fn family(&mut self, name: &str, kind: &str, help: &str) -> &mut Self {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        self
    }

    /// One sample of `name` with `labels`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.text.push_str(name);
        if !labels.is_empty() {
            let rendered: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let _ = write!(self.text, "{{{}}}", rendered.join(","));
        }
        let _ = writeln!(self.text, " {}", number(value));
        self
    }

    /// The `_bucket`, `_sum` and `_count` samples of `histogram` with `labels`.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], histogram: &Histogram) -> &mut Self {
        let (buckets, sum, count) = histogram.cumulative();
        let bucket = format!("{name}_bucket");
        for (bound, n) in buckets {
            let le = number(bound);
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, n as f64);
        }
        let mut with_inf = labels.to_vec();
        with_inf.push(("le", "+Inf"));
        self.sample(&bucket, &with_inf, count as f64);
        self.sample(&format!("{name}_sum"), labels, sum);
        self.sample(&format!("{name}_count"), labels, count as f64)
    }

    /// The document.
    pub fn into_text(self) -> String {
        self.text
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A sample value: integers without a fraction, others as Rust prints them.
fn number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_escape_labels_and_histograms_end_with_inf() {
        let mut doc = Document::default();
        doc.family("x_total", "counter", "Things.").sample("x_total", &[("op", "a\"b\\c\nd")], 3.0);
        let mut h = Histogram::new(&[0.5]);
        h.observe(0.25);
        doc.family("y_seconds", "histogram", "Time.").histogram("y_seconds", &[("op", "o")], &h);
        let text = doc.into_text();
        assert!(text.contains("x_total{op=\"a\\\"b\\\\c\\nd\"} 3\n"), "{text}");
        assert!(text.contains("y_seconds_bucket{op=\"o\",le=\"0.5\"} 1\n"), "{text}");
        assert!(text.contains("y_seconds_bucket{op=\"o\",le=\"+Inf\"} 1\n"), "{text}");
        assert!(text.contains("y_seconds_sum{op=\"o\"} 0.25\n"), "{text}");
    }
}
