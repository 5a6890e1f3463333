//! Fresh row numbers 1..n in a seeded random order, in constant memory.
//!
//! Rows are written in the store's reading order (the order of their random ids, which
//! says nothing about who answered or when) and each gets the number a keyed permutation
//! gives its position: a four-round Feistel network over the smallest even power of two
//! covering `n`, walked again until the value falls below `n` (cycle walking). No table of
//! n numbers is kept, and the same seed gives the same numbers on any machine: the
//! mixing function is SplitMix64, written out here rather than taken from a crate whose
//! algorithm might change between versions.

/// A random bijection of `0..n`, fixed by `seed`.
#[derive(Debug, Clone)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
}

/// SplitMix64's finaliser: a fast, well-mixed 64-bit function.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Permutation {
    pub fn new(n: u64, seed: u64) -> Self {
        let bits = 64 - n.max(2).saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let keys = [1u64, 2, 3, 4].map(|round| mix(seed ^ mix(round)));
        Self { n, half_bits, keys }
    }

    fn encrypt(&self, value: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (value >> self.half_bits, value & mask);
        for key in self.keys {
            let next = left ^ (mix(right ^ key) & mask);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }

    /// Where `index` (below `n`) goes, below `n`.
    pub fn apply(&self, index: u64) -> u64 {
        let mut value = self.encrypt(index);
        // The domain is at most four times n, so this ends after a few steps on average;
        // a cycle through `index` always returns below n.
        while value >= self.n {
            value = self.encrypt(value);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_from_1_to_n_is_given_exactly_once() {
        for n in [1u64, 2, 3, 7, 64, 100, 1000, 4097] {
            for seed in [0, 1, 0xdead_beef] {
                let permutation = Permutation::new(n, seed);
                let mut seen = vec![false; n as usize];
                for index in 0..n {
                    let to = permutation.apply(index);
                    assert!(to < n);
                    assert!(!seen[to as usize], "n={n} seed={seed}: {to} twice");
                    seen[to as usize] = true;
                }
            }
        }
    }

    #[test]
    fn the_order_depends_on_the_seed_and_only_on_it() {
        let order = |seed| {
            (0..100)
                .map(|i| Permutation::new(100, seed).apply(i))
                .collect::<Vec<_>>()
        };
        assert_eq!(order(7), order(7));
        assert_ne!(order(7), order(8));
        // Not the identity nor a shift: most rows move far.
        let moved = order(7)
            .iter()
            .enumerate()
            .filter(|(i, to)| (*i as i64 - **to as i64).abs() > 5)
            .count();
        assert!(moved > 80, "{moved}");
    }
}
