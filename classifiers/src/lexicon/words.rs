//! Words: which bytes form them, found 64 at a time, and the key each word is looked up by.
//!
//! A word is a run of bytes that [`NORM`] keeps (ASCII letters, digits, `$`, `&`). Word bytes
//! are found 64 at a time, sixteen per SIMD operation ([`block_masks`]), so the scan touches
//! each byte a few vector operations, never a table, and jumps from word start to word start
//! with `trailing_zeros`. The same pass says whether the block holds a digit or `@` (where an
//! identifier can be), so that a streamed piece without one spares the identifiers a pass.
//!
//! A word of at most eight bytes is its own key: the bytes as a little-endian `u64`, zero above
//! them (no word byte is zero, so the key is injective). Folding to lower case is `| 0x20` on
//! every byte of the word (digits, `$` and `&` already carry the bit). Longer words are keyed by
//! their first eight bytes and their length.

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
pub(crate) const K: u64 = 0x9E37_79B9_7F4A_7C15;

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

/// Each byte of `x` as [`NORM`] and lower case make it: a word byte with `0x20` set (digits,
/// `$` and `&` have it already), any other byte a space.
#[inline(always)]
pub(crate) fn fold8(x: u64) -> u64 {
    let word = (word_bytes8(x) >> 7).wrapping_mul(0xFF);
    ((x | (ONES * 0x20)) & word) | ((ONES * 0x20) & !word)
}

/// Whether `text` normalized and lower-cased equals `head` (a normalized pattern), eight bytes
/// at a time; both are `len` bytes long.
#[inline(always)]
pub(crate) fn folded_eq(text: &[u8], head: &[u8], len: usize) -> bool {
    let mut k = 0;
    while k + 8 <= len {
        if fold8(load(text, k, 8)) != load(head, k, 8) {
            return false;
        }
        k += 8;
    }
    k == len || (fold8(load(text, k, len - k)) ^ load(head, k, len - k)) & mask(len - k) == 0
}

/// The low `n` bytes (n < 8).
#[inline(always)]
fn mask(n: usize) -> u64 {
    (1u64 << (8 * n)) - 1
}

/// [`block_masks`] of up to 64 bytes from `at` (zero past the end; `at < bytes.len()`). The
/// trigger answer may also count bytes before `at` (it can only say "maybe" too often).
#[inline(always)]
pub(crate) fn word_masks(bytes: &[u8], at: usize) -> (u64, bool) {
    let n = bytes.len();
    match bytes.get(at..).and_then(<[u8]>::first_chunk::<64>) {
        Some(block) => block_masks(block),
        // The end of the text: the 64 bytes that end it, shifted so that bit 0 is `at`.
        None if n >= 64 => {
            let (m, trigger) = block_masks(&bytes[n - 64..]);
            (m >> (at + 64 - n), trigger)
        }
        None => {
            // A short text: the bytes left, then zeros (neither word bytes nor triggers).
            let rest = &bytes[at..];
            let mut block = [0u8; 64];
            block[..rest.len()].copy_from_slice(rest);
            block_masks(&block)
        }
    }
}

/// Bit k set when `block[k]` is a word byte (64 bytes), and whether the block holds a digit or
/// an `@`.
#[inline(always)]
pub(crate) fn block_masks(block: &[u8]) -> (u64, bool) {
    let mut m = 0u64;
    let mut trigger = 0;
    for (k, lane) in block.chunks_exact(16).enumerate() {
        let mut x = [0u8; 16];
        x.copy_from_slice(lane);
        let (word, t) = word_bytes16(x);
        m |= u64::from(word) << (16 * k);
        trigger |= t;
    }
    (m, trigger != 0)
}

/// Bit k set when byte k is a word byte, and (second) bits of the digits and `@`s: sixteen
/// bytes in a few SIMD operations.
#[inline(always)]
fn word_bytes16(x: [u8; 16]) -> (u32, u32) {
    use wide::u8x16;
    let v = u8x16::new(x);
    let splat = u8x16::splat;
    // Unsigned `b - lo <= span` as `min(b - lo, span) == b - lo`.
    let within = |b: u8x16, lo: u8, span: u8| {
        let d = b - splat(lo);
        d.min(splat(span)).simd_eq(d)
    };
    let letter = within(v | splat(0x20), b'a', 25);
    let digit = within(v, b'0', 9);
    // `$` (0x24) and `&` (0x26) are the bytes with `b | 2 == 0x26`.
    let sym = (v | splat(0x02)).simd_eq(splat(0x26));
    let at = v.simd_eq(splat(b'@'));
    (
        (letter | digit | sym).to_bitmask(),
        (digit | at).to_bitmask(),
    )
}

/// Up to eight bytes of `bytes[at..at + n]` as a little-endian word, zero above them.
#[inline(always)]
pub(crate) fn load(bytes: &[u8], at: usize, n: usize) -> u64 {
    let x = match bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(s) => u64::from_le_bytes(*s),
        None => match bytes.last_chunk::<8>() {
            // Near the end: the eight bytes that end the text, shifted down to `at`.
            Some(s) => u64::from_le_bytes(*s)
                .checked_shr(8 * (at + 8 - bytes.len()) as u32)
                .unwrap_or(0),
            None => {
                let mut x = 0u64;
                for (k, &b) in bytes[at..at + n.min(8)].iter().enumerate() {
                    x |= u64::from(b) << (8 * k);
                }
                x
            }
        },
    };
    if n >= 8 {
        x
    } else {
        x & ((1u64 << (8 * n)) - 1)
    }
}

/// `0x20` on each of the first `n` bytes (at most eight).
#[inline(always)]
pub(crate) fn fold_lanes(n: usize) -> u64 {
    if n >= 8 {
        ONES * 0x20
    } else {
        (ONES * 0x20) & ((1u64 << (8 * n)) - 1)
    }
}

/// `KEEP[n]`: the low `n` bytes of a `u64`.
const KEEP: [u64; 9] = {
    let mut t = [0u64; 9];
    let mut n = 1;
    while n <= 8 {
        t[n] = u64::MAX >> (64 - 8 * n);
        n += 1;
    }
    t
};

/// The first `min(len, 8)` bytes of the word at `at` with `0x20` set on each, zero above
/// them: the folded key of a word of up to eight bytes (`len >= 1`).
#[inline(always)]
pub(crate) fn folded_head(bytes: &[u8], at: usize, len: usize) -> u64 {
    let x = match bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(x) => u64::from_le_bytes(*x),
        None => load(bytes, at, len),
    };
    (x | (ONES * 0x20)) & KEEP[len.min(8)]
}

/// [`folded_head`] of a word starting at `s` (below 64) of a block copy with eight bytes to
/// spare after the block: read without a bounds check.
#[inline(always)]
pub(crate) fn word_head(block: &[u8; 72], s: usize, len: usize) -> u64 {
    let s = s & 63;
    let mut x = [0u8; 8];
    x.copy_from_slice(&block[s..s + 8]);
    (u64::from_le_bytes(x) | (ONES * 0x20)) & KEEP[len.min(8)]
}

/// The key of a word longer than eight bytes from its first eight (see [`word_key`]).
#[inline(always)]
pub(crate) fn long_key(head: u64, len: usize) -> u64 {
    (head ^ ((len as u64) << 57)) | (1 << 63)
}

/// Key of the word `bytes[at..at + len]`, lower-cased with `fold`: the bytes themselves up to
/// eight; beyond, the first eight with the length mixed into the top byte and bit 63 set (no
/// short key has it). Long words with the same first eight bytes may share a key: the key only
/// ever selects candidates, which the automaton confirms.
#[inline(always)]
pub(crate) fn word_key(bytes: &[u8], at: usize, len: usize, fold: bool) -> u64 {
    let n = len.min(8);
    let head = load(bytes, at, n) | if fold { fold_lanes(n) } else { 0 };
    if len <= 8 {
        head
    } else {
        long_key(head, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_mask_marks_exactly_the_bytes_norm_keeps_up_to_the_end() {
        let bytes: Vec<u8> = (0u8..=255).chain((0u8..=255).rev()).collect();
        for at in [0, 1, 7, 64, 130, 300, 448, 450, 500, 511] {
            for text in [&bytes[..], &bytes[..(at + 1).max(40)]] {
                let (m, trigger) = word_masks(text, at);
                let want_trigger = text.iter().any(|&b| b.is_ascii_digit() || b == b'@');
                assert!(!trigger || want_trigger, "no digit or @ at all");
                for k in 0..64 {
                    let want = text.get(at + k).is_some_and(|&b| is_word(b));
                    assert_eq!((m >> k) & 1 == 1, want, "byte {:?}", text.get(at + k));
                }
            }
        }
    }

    #[test]
    fn block_mask_marks_exactly_the_bytes_norm_keeps() {
        let bytes: Vec<u8> = (0u8..=255).chain((0u8..=255).rev()).collect();
        for at in (0..bytes.len() - 64).step_by(7) {
            let (m, trigger) = block_masks(&bytes[at..at + 64]);
            let want = bytes[at..at + 64]
                .iter()
                .any(|&b| b.is_ascii_digit() || b == b'@');
            assert_eq!(trigger, want, "trigger in the block at {at}");
            for k in 0..64 {
                assert_eq!(
                    (m >> k) & 1 == 1,
                    is_word(bytes[at + k]),
                    "byte {}",
                    bytes[at + k]
                );
            }
        }
    }

    #[test]
    fn folding_eight_bytes_is_norm_then_lower_case() {
        let bytes: Vec<u8> = (0u8..=255).collect();
        for at in (0..256).step_by(8) {
            let want: Vec<u8> = bytes[at..at + 8]
                .iter()
                .map(|&b| NORM[usize::from(b)].to_ascii_lowercase())
                .collect();
            assert_eq!(fold8(load(&bytes, at, 8)), load(&want, 0, 8));
        }
        assert!(folded_eq(b"Hal-Vor $X&Y.", b"hal vor $x&y ", 13));
        assert!(!folded_eq(b"Hal-Vor $X&Y.", b"hal vor $x&z ", 13));
        assert!(folded_eq(b"HALVORSENS", b"halvorsenz", 9));
        assert!(!folded_eq(b"HALVORSENS", b"halvorsenz", 10));
    }

    #[test]
    fn loads_near_the_end_hold_only_the_bytes_asked_for() {
        let bytes: Vec<u8> = (1u8..=20).collect();
        for len in 0..=bytes.len() {
            let text = &bytes[..len];
            for at in 0..=len {
                for n in 0..=(len - at).min(8) {
                    let want = text[at..at + n]
                        .iter()
                        .enumerate()
                        .fold(0u64, |x, (k, &b)| x | (u64::from(b) << (8 * k)));
                    assert_eq!(load(text, at, n), want, "{at} {n} of {len}");
                }
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
