//! Check-digit validators for the identifiers the scanner proposes. Each takes the candidate's
//! bytes as they appeared (separators included) and says whether it is a well-formed instance.
//! Algorithms follow the published schemes (python-stdnum implements the same ones).

/// Digits of `raw` with separators (space, dash) dropped; `None` if anything else appears.
fn digits(raw: &[u8], out: &mut [u8; 40]) -> Option<usize> {
    let mut n = 0;
    for &b in raw {
        match b {
            b'0'..=b'9' => {
                if n == out.len() {
                    return None;
                }
                out[n] = b - b'0';
                n += 1;
            }
            b' ' | b'-' => {}
            _ => return None,
        }
    }
    Some(n)
}

/// Luhn (mod 10) over digit values, check digit last.
pub(crate) fn luhn(ds: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in ds.iter().rev().enumerate() {
        let mut v = u32::from(d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Payment card number: 13-19 digits, Luhn, and an issuer prefix that exists (Visa, Mastercard,
/// Amex, Discover, JCB, Diners, UnionPay, Maestro). Separators must not double up.
pub fn card(raw: &[u8]) -> bool {
    let mut buf = [0u8; 40];
    let Some(n) = digits(raw, &mut buf) else {
        return false;
    };
    let ds = &buf[..n];
    if !(13..=19).contains(&n) || ds.iter().all(|&d| d == ds[0]) {
        return false;
    }
    let p2 = u32::from(ds[0]) * 10 + u32::from(ds[1]);
    let p4 = p2 * 100 + u32::from(ds[2]) * 10 + u32::from(ds[3]);
    let prefix_ok = match ds[0] {
        4 => matches!(n, 13 | 16 | 19),
        5 => (51..=55).contains(&p2) && n == 16 || matches!(p2, 50 | 56..=58) && n >= 12,
        2 => (2221..=2720).contains(&p4) && n == 16,
        3 => {
            matches!(p2, 34 | 37) && n == 15
                || matches!(p2, 30 | 36 | 38 | 39) && n >= 14
                || p2 == 35 && n >= 16
        }
        6 => n >= 16,
        _ => false,
    };
    prefix_ok && luhn(ds)
}

/// US Social Security number in `AAA-GG-SSSS`, `AAA GG SSSS` or nine-digit form. Area 000, 666
/// and 900-999, group 00 and serial 0000 are never issued; well-known sample numbers are refused.
pub fn us_ssn(raw: &[u8]) -> bool {
    let mut buf = [0u8; 40];
    let Some(n) = digits(raw, &mut buf) else {
        return false;
    };
    if n != 9 {
        return false;
    }
    let ds = &buf[..9];
    let num = |r: std::ops::Range<usize>| ds[r].iter().fold(0u32, |a, &d| a * 10 + u32::from(d));
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    if ds.iter().all(|&d| d == ds[0]) {
        return false;
    }
    let whole = num(0..9);
    !matches!(whole, 78_051_120 | 219_099_999 | 123_456_789)
}

/// ABA routing transit number: nine digits, 3-7-1 weighted checksum, and a Federal Reserve
/// prefix (01-12, 21-32, 61-72, 80).
pub fn aba_routing(raw: &[u8]) -> bool {
    let mut buf = [0u8; 40];
    let Some(n) = digits(raw, &mut buf) else {
        return false;
    };
    if n != 9 {
        return false;
    }
    let d: Vec<u32> = buf[..9].iter().map(|&x| u32::from(x)).collect();
    let prefix = d[0] * 10 + d[1];
    let prefix_ok = matches!(prefix, 1..=12 | 21..=32 | 61..=72 | 80);
    let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
    prefix_ok && sum % 10 == 0
}

fn alnum_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'A'..=b'Z' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// IBAN: known country, that country's length, and ISO 7064 mod 97-10 (remainder 1). Spaces
/// between groups are allowed.
pub fn iban(raw: &[u8]) -> bool {
    let mut compact = [0u8; 34];
    let mut n = 0;
    for &b in raw {
        if b == b' ' {
            continue;
        }
        if n == compact.len() || alnum_value(b).is_none() {
            return false;
        }
        compact[n] = b;
        n += 1;
    }
    if n < 15 {
        return false;
    }
    let cc = [compact[0], compact[1]];
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| **c == cc) else {
        return false;
    };
    if n != len || !compact[2].is_ascii_digit() || !compact[3].is_ascii_digit() {
        return false;
    }
    let rearranged = compact[4..n].iter().chain(compact[..4].iter());
    let mut rem = 0u32;
    for &b in rearranged {
        let Some(v) = alnum_value(b) else {
            return false;
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Country prefixes seen on ISINs (ISO 3166 alpha-2 plus XS, EU, XA-XD international).
const ISIN_COUNTRIES: &str = "AE AR AT AU BE BG BM BR BS CA CH CL CN CO CY CZ DE DK EE ES EU FI FR GB \
    GG GR HK HR HU ID IE IL IM IN IS IT JE JP KR KY KZ LI LT LU LV MT MX MY NL NO NZ PE PH PL PT QA \
    RO RU SA SE SG SI SK TH TR TW UA US VG XA XB XC XD XS ZA";

/// ISIN: a country prefix, nine alphanumerics and a Luhn check digit over the letter-expanded
/// string (A=10 ... Z=35).
pub fn isin(raw: &[u8]) -> bool {
    if raw.len() != 12 || !raw[11].is_ascii_digit() {
        return false;
    }
    let cc = &raw[..2];
    if !ISIN_COUNTRIES
        .split_ascii_whitespace()
        .any(|c| c.as_bytes() == cc)
    {
        return false;
    }
    let mut ds = Vec::with_capacity(24);
    for &b in raw {
        match alnum_value(b) {
            Some(v) if v >= 10 => {
                ds.push((v / 10) as u8);
                ds.push((v % 10) as u8);
            }
            Some(v) => ds.push(v as u8),
            None => return false,
        }
    }
    raw[2..11].iter().any(u8::is_ascii_digit) && luhn(&ds)
}

/// CUSIP: eight characters and a check digit computed by the "modulus 10 double add double"
/// scheme over values 0-9, A-Z = 10-35, `*` 36, `@` 37, `#` 38.
pub fn cusip(raw: &[u8]) -> bool {
    if raw.len() != 9 || !raw[8].is_ascii_digit() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &b) in raw[..8].iter().enumerate() {
        let mut v = match b {
            b'*' => 36,
            b'@' => 37,
            b'#' => 38,
            _ => match alnum_value(b) {
                Some(v) => v,
                None => return false,
            },
        };
        if i % 2 == 1 {
            v *= 2;
        }
        sum += v / 10 + v % 10;
    }
    u32::from(raw[8] - b'0') == (10 - sum % 10) % 10
}

/// Count of digits in `raw`.
pub(crate) fn digit_count(raw: &[u8]) -> usize {
    raw.iter().filter(|b| b.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests;
