//! The control room's watch list (DESIGN §6) and the phrase lists, parsed into checked types.
//! Unknown keys are ignored so a richer export still loads; a bad value names its field.

use crate::phrases;
use serde_json::{Map, Value};

/// Which control-room list an issuer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ListKind {
    /// Watch (grey) list: confidential; mentions only matter next to earnings or deal talk.
    #[default]
    Watch,
    /// Restricted list: any mention is labelled `mnpi` (low severity) on its own.
    Restricted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub name: String,
    pub ticker: Option<String>,
    pub aliases: Vec<String>,
    pub list: ListKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealCodeName {
    pub code_name: String,
    pub target: Option<String>,
    pub acquirer: Option<String>,
}

/// Phrase lists; `Default` gives the built-in lists. A watch-list file may add to them under
/// `"phrases": {"mnpi": [...], "earnings": [...], "deal": [...], "trading_position": [...],
/// "regulatory_filing": [...], "phi": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseLists {
    pub mnpi: Vec<String>,
    pub earnings: Vec<String>,
    pub deal: Vec<String>,
    pub trading_position: Vec<String>,
    pub regulatory_filing: Vec<String>,
    pub phi: Vec<String>,
}

impl Default for PhraseLists {
    fn default() -> Self {
        let own = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        PhraseLists {
            mnpi: own(phrases::MNPI),
            earnings: own(phrases::EARNINGS),
            deal: own(phrases::DEAL),
            trading_position: own(phrases::TRADING_POSITION),
            regulatory_filing: own(phrases::REGULATORY_FILING),
            phi: own(phrases::PHI),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Watchlist {
    pub issuers: Vec<Issuer>,
    pub deal_code_names: Vec<DealCodeName>,
    pub phrases: PhraseLists,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchlistError {
    #[error("watch list is not JSON: {0}")]
    Json(String),
    #[error("{field}: {problem}")]
    Field { field: String, problem: String },
}

fn bad(field: impl Into<String>, problem: impl Into<String>) -> WatchlistError {
    WatchlistError::Field {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A term is matched on its ASCII letters, digits, `$` and `&` (everything else counts as a
/// separator), so one without any would match nothing or any punctuation.
fn matchable(s: &str, field: String) -> Result<Option<String>, WatchlistError> {
    if s.bytes()
        .any(|b| b.is_ascii_alphanumeric() || b == b'$' || b == b'&')
    {
        Ok(Some(s.trim().to_owned()))
    } else {
        Err(bad(
            field,
            "has no ASCII letter or digit to match on (other characters count as separators)",
        ))
    }
}

fn text(
    obj: &Map<String, Value>,
    key: &str,
    at: &str,
    required: bool,
) -> Result<Option<String>, WatchlistError> {
    match obj.get(key) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(bad(format!("{at}.{key}"), "missing")),
        Some(Value::String(s)) if !s.trim().is_empty() => matchable(s, format!("{at}.{key}")),
        Some(Value::String(_)) => Err(bad(format!("{at}.{key}"), "empty")),
        Some(_) => Err(bad(format!("{at}.{key}"), "expected a string")),
    }
}

fn texts(obj: &Map<String, Value>, key: &str, at: &str) -> Result<Vec<String>, WatchlistError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) if !s.trim().is_empty() => {
                    matchable(s, format!("{at}.{key}[{i}]")).map(Option::unwrap_or_default)
                }
                _ => Err(bad(
                    format!("{at}.{key}[{i}]"),
                    "expected a non-empty string",
                )),
            })
            .collect(),
        Some(_) => Err(bad(format!("{at}.{key}"), "expected an array of strings")),
    }
}

fn objects<'a>(
    root: &'a Map<String, Value>,
    key: &str,
) -> Result<Vec<&'a Map<String, Value>>, WatchlistError> {
    match root.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_object()
                    .ok_or_else(|| bad(format!("{key}[{i}]"), "expected an object"))
            })
            .collect(),
        Some(_) => Err(bad(key, "expected an array")),
    }
}

impl Watchlist {
    /// Parses the control room's JSON export.
    pub fn from_json(bytes: &[u8]) -> Result<Watchlist, WatchlistError> {
        let root: Value =
            serde_json::from_slice(bytes).map_err(|e| WatchlistError::Json(e.to_string()))?;
        let Value::Object(root) = root else {
            return Err(bad("(root)", "expected an object"));
        };
        let mut list = Watchlist::default();
        for (i, obj) in objects(&root, "issuers")?.into_iter().enumerate() {
            let at = format!("issuers[{i}]");
            let name = text(obj, "name", &at, true)?.unwrap_or_default();
            let ticker = text(obj, "ticker", &at, false)?;
            if let Some(t) = &ticker {
                let ok = t.len() <= 10
                    && t.bytes().all(|b| {
                        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                    });
                if !ok {
                    return Err(bad(
                        format!("{at}.ticker"),
                        "expected 1-10 upper-case letters, digits, '.' or '-'",
                    ));
                }
            }
            let kind = match text(obj, "list", &at, false)?
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                None | Some("watch" | "grey" | "gray") => ListKind::Watch,
                Some("restricted") => ListKind::Restricted,
                Some(other) => {
                    return Err(bad(
                        format!("{at}.list"),
                        format!("unknown list {other:?} (expected watch, grey or restricted)"),
                    ))
                }
            };
            list.issuers.push(Issuer {
                name,
                ticker,
                aliases: texts(obj, "aliases", &at)?,
                list: kind,
            });
        }
        for (i, obj) in objects(&root, "deal_code_names")?.into_iter().enumerate() {
            let at = format!("deal_code_names[{i}]");
            list.deal_code_names.push(DealCodeName {
                code_name: text(obj, "code_name", &at, true)?.unwrap_or_default(),
                target: text(obj, "target", &at, false)?,
                acquirer: text(obj, "acquirer", &at, false)?,
            });
        }
        match root.get("phrases") {
            None | Some(Value::Null) => {}
            Some(Value::Object(p)) => {
                let lists = &mut list.phrases;
                for (key, dst) in [
                    ("mnpi", &mut lists.mnpi),
                    ("earnings", &mut lists.earnings),
                    ("deal", &mut lists.deal),
                    ("trading_position", &mut lists.trading_position),
                    ("regulatory_filing", &mut lists.regulatory_filing),
                    ("phi", &mut lists.phi),
                ] {
                    dst.extend(texts(p, key, "phrases")?);
                }
            }
            Some(_) => return Err(bad("phrases", "expected an object")),
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests;
