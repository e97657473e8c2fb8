//! Byte classes of the identifier layer: the token bytes identifiers are made of, the search
//! for the next digit or `@` (where an identifier can be), and the token that ends a text.

/// Letters, digits and `._%+-`: the bytes an identifier's token is made of.
static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
        i += 1;
    }
    t
};

#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// First digit or `@`, sixteen bytes at a time.
pub(super) fn find_trigger(bytes: &[u8]) -> Option<usize> {
    let n = bytes.len();
    let mut i = 0;
    while let Some(block) = bytes.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let hits = triggers16(*block);
        if hits != 0 {
            return Some(i + hits.trailing_zeros() as usize);
        }
        i += 16;
    }
    if i == n {
        return None;
    }
    // The last few bytes: the sixteen that end the text when there are as many (the bits of
    // the bytes already seen shifted out), else a zero-padded copy.
    let hits = match bytes.last_chunk::<16>() {
        Some(block) => triggers16(*block) >> (i + 16 - n),
        None => {
            let mut x = [0u8; 16];
            x[..n - i].copy_from_slice(&bytes[i..]);
            triggers16(x)
        }
    };
    (hits != 0).then(|| i + hits.trailing_zeros() as usize)
}

/// Length of the run of token bytes that ends `bytes` (a streamed chunk usually ends inside a
/// word or right after it: a few bytes).
#[inline]
pub(super) fn token_run(bytes: &[u8]) -> usize {
    let mut k = bytes.len();
    while k > 0 && is_token(bytes[k - 1]) {
        k -= 1;
    }
    bytes.len() - k
}

/// Bit k set when byte k is a digit or `@` (a zero byte is neither).
#[inline(always)]
fn triggers16(x: [u8; 16]) -> u32 {
    use wide::u8x16;
    let splat = u8x16::splat;
    let v = u8x16::new(x);
    // A digit is `b - '0' <= 9` unsigned.
    let d = v - splat(b'0');
    (d.min(splat(9)).simd_eq(d) | v.simd_eq(splat(b'@'))).to_bitmask()
}
