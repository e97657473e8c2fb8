//! A minimal JSON path for tool and task arguments: `$`, `$.a.b`, `$.a[0].b`, `$['a b']`.
//!
//! Only child keys and array indexes: no wildcards, slices, filters or recursive descent, so a
//! path names at most one value and a lookup is a walk, not a search.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::enforce::AmountArg;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// `.name` or `['name']`: a key of an object.
    Key(String),
    /// `[n]`: an element of an array.
    Index(usize),
}

/// A parsed path. `Display` prints it back in a form [`parse`] accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath {
    segments: Vec<Segment>,
}

/// Why a path did not parse; `offset` is the byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON path at offset {offset}: {reason}")]
pub struct PathError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parses `$` followed by `.name`, `[index]`, `['key']` or `["key"]` steps. A `.name` is
/// letters, digits, `_` and `-`; any other key goes in quotes, with `\\`, `\'` and `\"` escapes.
pub fn parse(path: &str) -> Result<JsonPath, PathError> {
    let err = |offset, reason| Err(PathError { offset, reason });
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'$') {
        return err(0, "a path starts with $");
    }
    let mut segments = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                let start = i + 1;
                let end = path[start..]
                    .char_indices()
                    .find(|&(_, ch)| !is_name_char(ch))
                    .map_or(path.len(), |(at, _)| start + at);
                if end == start {
                    return err(start, "expected a key name after .");
                }
                segments.push(Segment::Key(path[start..end].to_string()));
                i = end;
            }
            b'[' => match bytes.get(i + 1) {
                Some(&quote @ (b'\'' | b'"')) => {
                    let (key, next) = quoted(path, i + 2, quote)?;
                    if bytes.get(next) != Some(&b']') {
                        return err(next, "expected ] after the quoted key");
                    }
                    segments.push(Segment::Key(key));
                    i = next + 1;
                }
                Some(b) if b.is_ascii_digit() => {
                    let start = i + 1;
                    let end = bytes[start..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(bytes.len(), |at| start + at);
                    if bytes.get(end) != Some(&b']') {
                        return err(end, "expected ] after the index");
                    }
                    let Ok(index) = path[start..end].parse::<usize>() else {
                        return err(start, "index is too large");
                    };
                    segments.push(Segment::Index(index));
                    i = end + 1;
                }
                _ => return err(i + 1, "expected an index or a quoted key after ["),
            },
            _ => return err(i, "expected . or ["),
        }
    }
    Ok(JsonPath { segments })
}

fn is_name_char(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_' || ch == '-'
}

/// Reads a quoted key starting at `start` (just after the opening quote); returns the key and
/// the offset just after the closing quote.
fn quoted(path: &str, start: usize, quote: u8) -> Result<(String, usize), PathError> {
    let mut key = String::new();
    let mut chars = path[start..].char_indices();
    while let Some((at, ch)) = chars.next() {
        match ch {
            '\\' => match chars.next() {
                Some((_, escaped @ ('\\' | '\'' | '"'))) => key.push(escaped),
                _ => {
                    return Err(PathError {
                        offset: start + at,
                        reason: "only \\\\, \\' and \\\" escapes are allowed in a quoted key",
                    })
                }
            },
            c if c == char::from(quote) => return Ok((key, start + at + 1)),
            c => key.push(c),
        }
    }
    Err(PathError {
        offset: path.len(),
        reason: "unterminated quoted key",
    })
}

impl JsonPath {
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The value the path names in `v`, or `None` when any step is missing or of the wrong kind.
    pub fn get<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        self.segments
            .iter()
            .try_fold(v, |at, segment| match segment {
                Segment::Key(key) => at.as_object()?.get(key),
                Segment::Index(index) => at.as_array()?.get(*index),
            })
    }
}

impl FromStr for JsonPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.segments {
            match segment {
                Segment::Key(key) if !key.is_empty() && key.chars().all(is_name_char) => {
                    write!(f, ".{key}")?;
                }
                Segment::Key(key) => {
                    f.write_str("['")?;
                    for ch in key.chars() {
                        if matches!(ch, '\\' | '\'') {
                            f.write_str("\\")?;
                        }
                        write!(f, "{ch}")?;
                    }
                    f.write_str("']")?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for JsonPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The amount at `path` in `args`: a JSON number (A2A sends doubles such as `9999.0`) or a
/// plain decimal string (`"9999.50"`, `"-5"`) is a `Number`; anything else present is
/// `Malformed` (so the enforcer denies); `None` when the path names nothing.
pub fn amount_at<'v>(path: &JsonPath, args: &'v Value) -> Option<AmountArg<'v>> {
    Some(match path.get(args)? {
        Value::Number(n) => n
            .as_f64()
            .map_or(AmountArg::Malformed("number"), AmountArg::Number),
        Value::String(s) => decimal(s).map_or(AmountArg::Malformed(s), AmountArg::Number),
        other => AmountArg::Malformed(kind(other)),
    })
}

/// `-?[0-9]+(\.[0-9]+)?`, nothing else: no spaces, signs other than `-`, exponents,
/// thousands separators, `inf` or `NaN`.
fn decimal(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if all_digits(whole) && fraction.is_none_or(all_digits) {
        s.parse().ok()
    } else {
        None
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(true) => "true",
        Value::Bool(false) => "false",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The account id at `path` in `args`: a string as is; a number as its decimal text, an
/// integral double such as A2A's `12345.0` as `12345`. Any other value present is rendered as
/// its compact JSON text, which matches no allowlisted id, so a non-empty allowlist denies it.
/// `None` when the path names nothing.
pub fn account_at<'v>(path: &JsonPath, args: &'v Value) -> Option<Cow<'v, str>> {
    const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    Some(match path.get(args)? {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < EXACT_INTEGER_LIMIT => {
                // Exact: integral and below 2^53, so the cast neither truncates nor saturates.
                let whole = f as i64;
                Cow::Owned(whole.to_string())
            }
            _ => Cow::Owned(n.to_string()),
        },
        other => Cow::Owned(other.to_string()),
    })
}

#[cfg(test)]
mod tests;
