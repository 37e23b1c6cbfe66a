//! A cumulative histogram with fixed upper bounds, as Prometheus exposes them.

/// Counts of observations at or below each bound, their sum and count.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending; `+Inf` is implied).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    /// Adds one observation.
    pub fn observe(&mut self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            self.counts[i] += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    /// `(upper bound, cumulative count)` per bound, then the sum and the count.
    pub fn cumulative(&self) -> (Vec<(f64, u64)>, f64, u64) {
        let mut running = 0;
        let buckets = self
            .bounds
            .iter()
            .zip(&self.counts)
            .map(|(bound, n)| {
                running += n;
                (*bound, running)
            })
            .collect();
        (buckets, self.sum, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let mut h = Histogram::new(&[1.0, 2.0]);
        for v in [0.5, 1.0, 1.5, 9.0] {
            h.observe(v);
        }
        let (buckets, sum, count) = h.cumulative();
        assert_eq!(buckets, vec![(1.0, 2), (2.0, 3)]);
        assert_eq!((sum, count), (12.0, 4));
    }
}
