//! Sets of word keys laid out for the scan: a blocked Bloom filter (both bits of a key in one
//! `u64`, so a test is one memory read) and a flat open-addressing table (key and value side by
//! side, so a hit is usually one cache line). Keys are never zero: a word key holds at least one
//! non-zero byte.

use super::words::K;

#[inline(always)]
fn mix(key: u64) -> u64 {
    key.wrapping_mul(K)
}

/// Bits in a [`Bloom`] (128 KiB).
const BLOOM_BITS_LOG2: u32 = 20;

/// "Maybe in the set" or "certainly not", one bit per key: a test is a multiply, a read and a
/// shift. With the ~20,000 first words of a 10,000-issuer list about 2% of other words pass
/// (they then miss in the table); a second bit per key would cut that to a fraction of a
/// percent but cost every word more than the misses do. Fixed size, so the index needs no
/// bounds check.
pub(crate) struct Bloom {
    words: Box<[u64; 1 << (BLOOM_BITS_LOG2 - 6)]>,
}

impl Bloom {
    pub(crate) fn new() -> Bloom {
        Bloom {
            words: Box::new([0; 1 << (BLOOM_BITS_LOG2 - 6)]),
        }
    }

    #[inline(always)]
    fn probe(key: u64) -> (usize, u32) {
        let h = mix(key);
        (
            (h >> (64 - BLOOM_BITS_LOG2 + 6)) as usize,
            (h >> 38) as u32 & 63,
        )
    }

    pub(crate) fn insert(&mut self, key: u64) {
        let (i, bit) = Bloom::probe(key);
        self.words[i] |= 1 << bit;
    }

    pub(crate) fn memory_usage(&self) -> usize {
        std::mem::size_of_val(&*self.words)
    }

    #[inline(always)]
    pub(crate) fn may_contain(&self, key: u64) -> bool {
        let (i, bit) = Bloom::probe(key);
        (self.words[i] >> bit) & 1 == 1
    }
}

/// A "maybe" set sized to its keys (a `u64` per key, 512 bytes at least), small enough to stay
/// in the first-level cache when it is probed on every word.
pub(crate) struct SmallBloom {
    words: Box<[u64]>,
    shift: u32,
}

impl SmallBloom {
    pub(crate) fn new(keys: &[u64]) -> SmallBloom {
        let log2 = keys
            .len()
            .next_power_of_two()
            .clamp(64, 1 << 26)
            .trailing_zeros();
        let mut set = SmallBloom {
            words: vec![0; 1 << log2].into(),
            shift: 64 - log2,
        };
        for &key in keys {
            let (i, bits) = set.probe(key);
            set.words[i] |= bits;
        }
        set
    }

    /// The word from the top bits of the hash, the two bits from below them (at most 2^26
    /// words).
    #[inline(always)]
    fn probe(&self, key: u64) -> (usize, u64) {
        let h = mix(key);
        let bits = (1u64 << ((h >> 26) & 63)) | (1u64 << ((h >> 32) & 63));
        ((h >> self.shift) as usize, bits)
    }

    pub(crate) fn memory_usage(&self) -> usize {
        std::mem::size_of_val(&*self.words)
    }

    #[inline(always)]
    pub(crate) fn may_contain(&self, key: u64) -> bool {
        let (i, bits) = self.probe(key);
        self.words.get(i).is_some_and(|w| w & bits == bits)
    }
}

/// A map from non-zero keys to small values.
pub(crate) struct KeyTable<V> {
    slots: Box<[(u64, V)]>,
    mask: usize,
    shift: u32,
}

impl<V: Copy + Default> KeyTable<V> {
    /// Half full at most.
    pub(crate) fn new(entries: impl ExactSizeIterator<Item = (u64, V)>) -> KeyTable<V> {
        let log2 = (entries.len() * 2)
            .next_power_of_two()
            .max(16)
            .trailing_zeros();
        let mut table = KeyTable {
            slots: vec![(0, V::default()); 1 << log2].into(),
            mask: (1 << log2) - 1,
            shift: 64 - log2,
        };
        for (key, value) in entries {
            let mut i = (mix(key) >> table.shift) as usize;
            while table.slots[i].0 != 0 && table.slots[i].0 != key {
                i = (i + 1) & table.mask;
            }
            table.slots[i] = (key, value);
        }
        table
    }

    pub(crate) fn memory_usage(&self) -> usize {
        std::mem::size_of_val(&*self.slots)
    }

    #[inline(always)]
    pub(crate) fn get(&self, key: u64) -> Option<V> {
        let mut i = (mix(key) >> self.shift) as usize;
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == 0 {
                return None;
            }
            i = (i + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_found_and_most_others_are_not() {
        let keys: Vec<u64> = (1..5000u64).map(|k| k * 0x1_0001 + 7).collect();
        let mut bloom = Bloom::new();
        for &k in &keys {
            bloom.insert(k);
        }
        let table = KeyTable::new(keys.iter().map(|&k| (k, k as u32)));
        for &k in &keys {
            assert!(bloom.may_contain(k));
            assert_eq!(table.get(k), Some(k as u32));
        }
        let others = (5000..105_000u64).map(|k| k * 0x1_0001 + 7);
        let false_hits = others.clone().filter(|&k| bloom.may_contain(k)).count();
        assert!(false_hits < 1000, "{false_hits} false hits in 100,000");
        assert!(others.into_iter().all(|k| table.get(k).is_none()));
    }
}
