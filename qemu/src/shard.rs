//! `--shard K/N`: a deterministic share of the run's suites, so N CI runners
//! each take one part and together run every suite exactly once.

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as CI matrices count.
    pub k: usize,
    pub n: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("bad shard `{s}`: write K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// The items of this shard: every N-th of the list as given (suites are in
    /// name order), starting at the K-th, so shards differ by at most one.
    pub fn select<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % self.n == self.k - 1)
            .map(|(_, t)| t)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck_macros::quickcheck;

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!("2/4".parse(), Ok(Shard { k: 2, n: 4 }));
        for bad in ["0/3", "4/3", "1/0", "a/b", "3", "1/2/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    /// Every item lands in exactly one shard, in its order, and no shard has
    /// more than one item over another.
    #[quickcheck]
    fn shards_partition_the_list(len: u8, n: u8) -> bool {
        let n = usize::from(n % 8) + 1;
        let items: Vec<usize> = (0..usize::from(len % 40)).collect();
        let parts: Vec<Vec<usize>> = (1..=n)
            .map(|k| Shard { k, n }.select(items.clone()))
            .collect();
        let mut all: Vec<usize> = parts.concat();
        all.sort_unstable();
        let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
        all == items
            && parts.iter().all(|p| p.windows(2).all(|w| w[0] < w[1]))
            && sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1
    }
}
