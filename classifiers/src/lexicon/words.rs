//! Words and the first-word filter: which text words may begin a lexicon pattern.
//!
//! A word is a run of bytes that [`NORM`] keeps (ASCII letters, digits, `$`, `&`). Word bytes
//! are found 64 at a time with SWAR arithmetic on `u64` lanes ([`word_mask`]), so the scan
//! touches each byte a handful of ALU operations, never a table, and jumps from word start to
//! word start with `trailing_zeros`.
//!
//! A word of at most eight bytes is its own key: the bytes as a little-endian `u64`, zero above
//! them (no word byte is zero, so the key is injective). Folding to lower case is `| 0x20` on
//! every byte of the word (digits, `$` and `&` already carry the bit). Longer words are hashed.
//! The filter is a one-probe bitset over folded keys, confirmed by exact sets; single-word
//! prefix patterns (`acqui*`, `AKIA` + token) are tested on the word's first three folded bytes.
//! The filter only ever says "maybe": the automaton decides.

use super::{Meta, Tail};
use std::collections::HashSet;

pub(crate) static NORM: [u8; 256] = {
    let mut t = [b' '; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'$' || b == b'&' {
            t[i] = b;
        }
        i += 1;
    }
    t
};

#[inline(always)]
pub(crate) fn is_word(b: u8) -> bool {
    NORM[usize::from(b)] != b' '
}

const ONES: u64 = u64::MAX / 255;
const HIGH: u64 = ONES * 0x80;
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The high bit of each byte of `x` that is a word byte.
#[inline(always)]
fn word_bytes8(x: u64) -> u64 {
    // 7-bit lanes, so the additions below never carry into the next byte.
    let y = x & !HIGH;
    let lower = y | (ONES * 0x20);
    let letter = (lower + ONES * (0x80 - b'a' as u64)) & !(lower + ONES * (0x7F - b'z' as u64));
    let digit = (y + ONES * (0x80 - b'0' as u64)) & !(y + ONES * (0x7F - b'9' as u64));
    // `$` (0x24) and `&` (0x26) are the bytes with `b | 2 == 0x26`; a lane is zero iff
    // adding 0x7F leaves its high bit clear.
    let sym = !(((y | (ONES * 0x02)) ^ (ONES * 0x26)) + ONES * 0x7F);
    (letter | digit | sym) & !x & HIGH
}

/// Bit k set when `bytes[at + k]` is a word byte, for up to 64 bytes (zero past the end).
#[inline(always)]
pub(crate) fn word_mask(bytes: &[u8], at: usize) -> u64 {
    let mut block = [0u8; 64];
    let src = match bytes.get(at..at + 64) {
        Some(s) => s,
        None => {
            let rest = &bytes[at..];
            block[..rest.len()].copy_from_slice(rest);
            &block[..]
        }
    };
    let mut m = 0u64;
    for (k, lane) in src.chunks_exact(8).enumerate() {
        let mut x = [0u8; 8];
        x.copy_from_slice(lane);
        let hi = word_bytes8(u64::from_le_bytes(x));
        // Gather the eight high bits into one byte.
        m |= ((hi >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    m
}

/// Up to eight bytes of `bytes[at..at + n]` as a little-endian word, zero above them.
#[inline(always)]
fn load(bytes: &[u8], at: usize, n: usize) -> u64 {
    let x = match bytes.get(at..at + 8) {
        Some(s) => {
            let mut x = [0u8; 8];
            x.copy_from_slice(s);
            u64::from_le_bytes(x)
        }
        None => {
            let mut x = 0u64;
            for (k, &b) in bytes[at..at + n.min(8)].iter().enumerate() {
                x |= u64::from(b) << (8 * k);
            }
            x
        }
    };
    if n >= 8 {
        x
    } else {
        x & ((1u64 << (8 * n)) - 1)
    }
}

/// `0x20` on each of the first `n` bytes (at most eight).
#[inline(always)]
fn fold_lanes(n: usize) -> u64 {
    if n >= 8 {
        ONES * 0x20
    } else {
        (ONES * 0x20) & ((1u64 << (8 * n)) - 1)
    }
}

/// Key of the word `bytes[at..at + len]`, lower-cased with `fold`: the bytes themselves up to
/// eight, a hash of them beyond.
#[inline(always)]
fn word_key(bytes: &[u8], at: usize, len: usize, fold: bool) -> u64 {
    let lanes = |n| if fold { fold_lanes(n) } else { 0 };
    if len <= 8 {
        return load(bytes, at, len) | lanes(len);
    }
    let mut h = (len as u64).wrapping_mul(K);
    let mut k = 0;
    while k < len {
        let n = (len - k).min(8);
        h = (h ^ (load(bytes, at + k, n) | lanes(n))).wrapping_mul(K);
        h = h.rotate_left(29);
        k += 8;
    }
    // Set a byte's high bit: never equal to the key of a short word.
    (h ^ (h >> 31)) | HIGH
}

/// Hasher for the key sets: a full 64-bit mix (the keys of short words are raw bytes).
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^= h >> 33;
        h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeySet = HashSet<u64, std::hash::BuildHasherDefault<KeyHasher>>;

/// Bits in the first-word bitset (64 KiB).
const FIRST_BITS_LOG2: u32 = 19;
/// Bits in the prefix bitset (8 KiB).
const PREFIX_BITS_LOG2: u32 = 16;

#[inline(always)]
fn bit(key: u64, log2: u32) -> usize {
    (key.wrapping_mul(K) >> (64 - log2)) as usize
}

#[inline(always)]
fn test(bits: &[u64], b: usize) -> bool {
    bits[b / 64] & (1 << (b % 64)) != 0
}

fn set(bits: &mut [u64], b: usize) {
    bits[b / 64] |= 1 << (b % 64);
}

/// Which whole words can begin a pattern. A pattern whose first word is followed by more
/// pattern text (or by a word boundary) can only begin at a text word equal to that first
/// word: case-insensitively, or exactly when every spelling of it is exact (tickers, one-word
/// aliases). Single-word prefix patterns fall back to a test of their first three bytes.
pub(crate) struct FirstWords {
    /// Bit per folded first word (any pattern).
    bits: Box<[u64]>,
    /// Folded first words of patterns with a case-insensitive spelling.
    folded: KeySet,
    /// Exact first words of patterns with an exact spelling.
    exact: KeySet,
    /// Bit per folded three-byte start of a prefix pattern.
    prefix: Box<[u64]>,
    has_prefix: bool,
}

/// Bytes a folded word can hold.
const FOLDED_WORD_BYTES: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789$&";

impl FirstWords {
    pub(crate) fn new() -> FirstWords {
        FirstWords {
            bits: vec![0; (1usize << FIRST_BITS_LOG2) / 64].into(),
            folded: KeySet::default(),
            exact: KeySet::default(),
            prefix: vec![0; (1usize << PREFIX_BITS_LOG2) / 64].into(),
            has_prefix: false,
        }
    }

    /// `head` is the normalized pattern without its leading space; `metas` its spellings.
    pub(crate) fn add(&mut self, head: &[u8], metas: &[Meta]) {
        let Some(first_len) = head.iter().position(|&b| b == b' ').or_else(|| {
            // A single word: exact-word test unless some spelling is a prefix.
            if metas.iter().any(|m| m.tail != Tail::Boundary) {
                None
            } else {
                Some(head.len())
            }
        }) else {
            self.add_prefix(head);
            return;
        };
        if first_len == 0 {
            // Starts with separators: found by the lead walks, not by its first word.
            return;
        }
        let h = word_key(head, 0, first_len, false);
        set(&mut self.bits, bit(h, FIRST_BITS_LOG2));
        for m in metas {
            match &m.exact {
                Some(e) => {
                    self.exact.insert(word_key(e, 0, first_len, false));
                }
                None => {
                    self.folded.insert(h);
                }
            }
        }
    }

    /// Marks every folded three-byte word start that `head` (one word) can begin.
    fn add_prefix(&mut self, head: &[u8]) {
        self.has_prefix = true;
        let mut starts: Vec<Vec<u8>> = vec![Vec::new()];
        for k in 0..3 {
            let next = match head.get(k) {
                Some(&b) => vec![b],
                // Past the head: the word may end here (zero) or go on with any byte.
                None => std::iter::once(0)
                    .chain(FOLDED_WORD_BYTES.iter().copied())
                    .collect(),
            };
            starts = starts
                .into_iter()
                .flat_map(|s| {
                    next.iter().map(move |&b| {
                        let mut t = s.clone();
                        if s.last() != Some(&0) {
                            t.push(b);
                        }
                        t
                    })
                })
                .collect();
        }
        for s in starts {
            let key = s
                .iter()
                .take_while(|&&b| b != 0)
                .enumerate()
                .fold(0u64, |x, (k, &b)| x | (u64::from(b) << (8 * k)));
            set(&mut self.prefix, bit(key, PREFIX_BITS_LOG2));
        }
    }

    /// Whether a pattern may begin at the whole word `bytes[at..at + len]`.
    #[inline(always)]
    pub(crate) fn may_start(&self, bytes: &[u8], at: usize, len: usize) -> bool {
        let folded = word_key(bytes, at, len, true);
        if test(&self.bits, bit(folded, FIRST_BITS_LOG2))
            && (self.folded.contains(&folded)
                || self.exact.contains(&word_key(bytes, at, len, false)))
        {
            return true;
        }
        self.may_prefix(bytes, at, len)
    }

    /// Whether a single-word prefix pattern may begin at the word `bytes[at..at + len]`.
    #[inline(always)]
    pub(crate) fn may_prefix(&self, bytes: &[u8], at: usize, len: usize) -> bool {
        if !self.has_prefix {
            return false;
        }
        let n = len.min(3);
        let key = load(bytes, at, n) | fold_lanes(n);
        test(&self.prefix, bit(key, PREFIX_BITS_LOG2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_mask_marks_exactly_the_bytes_norm_keeps() {
        let bytes: Vec<u8> = (0u8..=255).chain((0u8..=255).rev()).collect();
        for at in [0, 1, 7, 64, 130, 300, 450, 511] {
            let m = word_mask(&bytes, at);
            for k in 0..64 {
                let want = bytes.get(at + k).is_some_and(|&b| is_word(b));
                assert_eq!((m >> k) & 1 == 1, want, "byte {:?}", bytes.get(at + k));
            }
        }
    }

    #[test]
    fn folded_keys_equal_lower_case_keys() {
        let text = b"Quarterly QUARTERLY quarterly $HLVB $hlvb P&L";
        assert_eq!(word_key(text, 0, 9, true), word_key(text, 20, 9, false));
        assert_eq!(word_key(text, 10, 9, true), word_key(text, 20, 9, false));
        assert_eq!(word_key(text, 30, 5, true), word_key(text, 36, 5, false));
        assert_ne!(word_key(text, 30, 5, false), word_key(text, 36, 5, false));
        assert_eq!(word_key(text, 42, 3, true), word_key(b"p&l", 0, 3, false));
    }
}
