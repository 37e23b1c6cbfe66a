//! Rows of counts held only as far as the last row counted: a collector of short reads (or of a
//! file of two reads) allocates, folds and reports the cycles it saw, not [`super::MAX_CYCLES`] of
//! them, and no insert sizes at all when it met no pair.

use std::ops::Deref;

use super::counts::add_rows;

/// Up to `N` rows of `W` counts each; the rows past those held are zero. Derefs to the held rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Rows<const W: usize, const N: usize>(Vec<[u64; W]>);

impl<const W: usize, const N: usize> Rows<W, N> {
    /// No rows held (all zero).
    pub(super) const fn new() -> Self {
        Self(Vec::new())
    }

    /// The held rows, grown with zero rows to at least `end` of them (at most `N`).
    pub(super) fn reach(&mut self, end: usize) -> &mut [[u64; W]] {
        let end = end.min(N);
        if self.0.len() < end {
            self.0.resize(end, [0; W]);
        }
        &mut self.0
    }

    /// Row `index` (below `N`), grown to.
    pub(super) fn row(&mut self, index: usize) -> &mut [u64; W] {
        &mut self.reach(index + 1)[index]
    }

    /// Adds `other`'s rows to these, row by row.
    pub(super) fn add(&mut self, other: &Self) {
        add_rows(self.reach(other.len()), other);
    }

    /// Row `index` as counted (zero past the held rows).
    pub(super) fn get_or_zero(&self, index: usize) -> [u64; W] {
        self.0.get(index).copied().unwrap_or([0; W])
    }
}

impl<const W: usize, const N: usize> Deref for Rows<W, N> {
    type Target = [[u64; W]];

    fn deref(&self) -> &[[u64; W]] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_rows_grow_to_what_is_counted() {
        let mut rows = Rows::<2, 4>::new();
        assert!(rows.is_empty());
        rows.row(1)[0] += 3;
        assert_eq!(&rows[..], [[0, 0], [3, 0]]);
        // Never past N.
        assert_eq!(rows.reach(9).len(), 4);
        let mut other = Rows::<2, 4>::new();
        other.row(0)[1] = 5;
        other.add(&rows);
        assert_eq!(&other[..], [[0, 5], [3, 0], [0, 0], [0, 0]]);
        assert_eq!((other.get_or_zero(1), Rows::<2, 4>::new().get_or_zero(3)), ([3, 0], [0, 0]));
    }
}
