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
mod tests {
    use super::*;
    use serde_json::json;

    fn path(s: &str) -> JsonPath {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn paths_parse_into_segments() {
        use Segment::{Index, Key};
        let k = |s: &str| Key(s.to_string());
        let cases: Vec<(&str, Vec<Segment>)> = vec![
            ("$", vec![]),
            ("$.amount_usd", vec![k("amount_usd")]),
            ("$.a.b", vec![k("a"), k("b")]),
            ("$.a[0].b", vec![k("a"), Index(0), k("b")]),
            ("$[12]", vec![Index(12)]),
            ("$['a b']", vec![k("a b")]),
            ("$[\"a.b\"][1]", vec![k("a.b"), Index(1)]),
            ("$['it\\'s']", vec![k("it's")]),
            ("$['back\\\\slash']", vec![k("back\\slash")]),
            ("$['']", vec![k("")]),
            ("$.from-account", vec![k("from-account")]),
            ("$.größe", vec![k("größe")]),
            ("$['日本'].x", vec![k("日本"), k("x")]),
        ];
        for (input, expected) in cases {
            assert_eq!(path(input).segments(), expected.as_slice(), "{input}");
        }
    }

    #[test]
    fn malformed_paths_are_rejected_at_the_offending_offset() {
        let cases: [(&str, usize, &str); 13] = [
            ("", 0, "a path starts with $"),
            ("amount", 0, "a path starts with $"),
            ("$.", 2, "expected a key name after ."),
            ("$..a", 2, "expected a key name after ."),
            ("$a", 1, "expected . or ["),
            ("$.a b", 3, "expected . or ["),
            ("$[", 2, "expected an index or a quoted key after ["),
            ("$[-1]", 2, "expected an index or a quoted key after ["),
            ("$[*]", 2, "expected an index or a quoted key after ["),
            ("$[1", 3, "expected ] after the index"),
            ("$['a'", 5, "expected ] after the quoted key"),
            ("$['a", 4, "unterminated quoted key"),
            ("$.montant_€", 10, "expected . or ["),
        ];
        for (input, offset, reason) in cases {
            assert_eq!(parse(input), Err(PathError { offset, reason }), "{input:?}");
        }
        assert_eq!(
            parse("$[99999999999999999999999]").map_err(|e| e.reason),
            Err("index is too large")
        );
        assert_eq!(parse("$['\\n']").map(|_| ()).map_err(|e| e.offset), Err(3));
    }

    #[test]
    fn paths_print_back_to_an_equivalent_path() {
        let cases: [(&str, &str); 6] = [
            ("$", "$"),
            ("$.a[0].b", "$.a[0].b"),
            ("$['a']", "$.a"),
            ("$[\"a b\"]", "$['a b']"),
            ("$['it\\'s']['x\\\\y']", "$['it\\'s']['x\\\\y']"),
            ("$['']", "$['']"),
        ];
        for (input, printed) in cases {
            let p = path(input);
            assert_eq!(p.to_string(), printed, "{input}");
            assert_eq!(path(printed), p, "{input}");
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<JsonPath>(&json).unwrap(), p);
        }
        assert!(serde_json::from_str::<JsonPath>("\"amount\"").is_err());
    }

    #[test]
    fn get_walks_keys_and_indexes() {
        let doc = json!({
            "amount_usd": 9999.0,
            "a": {"b": [ {"c": "first"}, {"c": "second"} ]},
            "a b": true,
            "list": [1, 2, 3]
        });
        let cases: [(&str, Option<Value>); 10] = [
            ("$", Some(doc.clone())),
            ("$.amount_usd", Some(json!(9999.0))),
            ("$.a.b[1].c", Some(json!("second"))),
            ("$['a']['b'][0]['c']", Some(json!("first"))),
            ("$['a b']", Some(json!(true))),
            ("$.list[2]", Some(json!(3))),
            ("$.list[3]", None),
            ("$.missing", None),
            ("$.a[0]", None),
            ("$.list.length", None),
        ];
        for (input, expected) in cases {
            assert_eq!(path(input).get(&doc).cloned(), expected, "{input}");
        }
    }

    #[test]
    fn amounts_are_numbers_or_decimal_strings_and_anything_else_is_malformed() {
        let cases: [(Value, Option<AmountArg<'static>>); 18] = [
            (json!({"amount": 9999.0}), Some(AmountArg::Number(9999.0))),
            (json!({"amount": 10001}), Some(AmountArg::Number(10001.0))),
            (json!({"amount": 0}), Some(AmountArg::Number(0.0))),
            (json!({"amount": -5}), Some(AmountArg::Number(-5.0))),
            (
                json!({"amount": "9999.50"}),
                Some(AmountArg::Number(9999.5)),
            ),
            (json!({"amount": "10000"}), Some(AmountArg::Number(10000.0))),
            (json!({"amount": "-5"}), Some(AmountArg::Number(-5.0))),
            (
                json!({"amount": "9,999.00"}),
                Some(AmountArg::Malformed("9,999.00")),
            ),
            (
                json!({"amount": " 100"}),
                Some(AmountArg::Malformed(" 100")),
            ),
            (json!({"amount": "1e5"}), Some(AmountArg::Malformed("1e5"))),
            (json!({"amount": "NaN"}), Some(AmountArg::Malformed("NaN"))),
            (json!({"amount": "inf"}), Some(AmountArg::Malformed("inf"))),
            (json!({"amount": "5."}), Some(AmountArg::Malformed("5."))),
            (json!({"amount": ""}), Some(AmountArg::Malformed(""))),
            (json!({"amount": null}), Some(AmountArg::Malformed("null"))),
            (json!({"amount": true}), Some(AmountArg::Malformed("true"))),
            (
                json!({"amount": {"usd": 5}}),
                Some(AmountArg::Malformed("object")),
            ),
            (json!({"other": 5}), None),
        ];
        let p = path("$.amount");
        for (args, expected) in cases {
            assert_eq!(amount_at(&p, &args), expected, "{args}");
        }
    }

    #[test]
    fn accounts_are_strings_or_numbers_rendered_as_text() {
        let cases: [(Value, Option<&str>); 8] = [
            (json!({"acct": "acct-1"}), Some("acct-1")),
            (json!({"acct": 12345}), Some("12345")),
            (json!({"acct": 12345.0}), Some("12345")),
            (json!({"acct": 12.5}), Some("12.5")),
            (
                json!({"acct": 18446744073709551615_u64}),
                Some("18446744073709551615"),
            ),
            (json!({"acct": null}), Some("null")),
            (json!({"acct": ["acct-1"]}), Some("[\"acct-1\"]")),
            (json!({}), None),
        ];
        let p = path("$.acct");
        for (args, expected) in cases {
            assert_eq!(account_at(&p, &args).as_deref(), expected, "{args}");
        }
    }
}
