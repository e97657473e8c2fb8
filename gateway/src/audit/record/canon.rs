//! The canonical JSON writer behind `Record::canonical`: RFC 8785 for fixed-shape objects whose
//! keys the caller writes in sorted order.

use serde_json::Value;

use super::CanonicalError;

/// A writer of canonical JSON for fixed-shape objects: the caller writes keys in sorted order.
/// Strings are escaped by serde_json, whose escaping is the one RFC 8785 prescribes.
pub(super) struct Canon {
    pub(super) buf: Vec<u8>,
    /// Whether the current object needs a comma before its next key.
    comma: bool,
}

impl Canon {
    pub(super) fn new() -> Self {
        Canon::with_capacity(1024)
    }
    pub(super) fn with_capacity(n: usize) -> Self {
        Canon {
            buf: Vec::with_capacity(n),
            comma: false,
        }
    }
    pub(super) fn open(&mut self) {
        self.buf.push(b'{');
        self.comma = false;
    }
    pub(super) fn close(&mut self) {
        self.buf.push(b'}');
        self.comma = true;
    }
    pub(super) fn key(&mut self, k: &str) {
        if self.comma {
            self.buf.push(b',');
        }
        self.buf.push(b'"');
        self.buf.extend_from_slice(k.as_bytes());
        self.buf.extend_from_slice(b"\":");
        self.comma = true;
    }
    pub(super) fn null(&mut self) {
        self.buf.extend_from_slice(b"null");
    }
    pub(super) fn bool(&mut self, b: bool) {
        self.buf
            .extend_from_slice(if b { b"true" } else { b"false" });
    }
    /// RFC 8785 numbers are IEEE doubles: integers past 2^53 are written as the canonicalizer
    /// writes them (rounded), so outside verifiers compute the same bytes.
    pub(super) fn u64(&mut self, n: u64) {
        if n <= (1 << 53) {
            self.buf.extend_from_slice(n.to_string().as_bytes());
        } else {
            let _ = serde_json_canonicalizer::to_writer(&n, &mut self.buf);
        }
    }
    pub(super) fn str(&mut self, s: &str) {
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, s);
    }
    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }
    pub(super) fn opt_bool(&mut self, b: Option<bool>) {
        match b {
            Some(b) => self.bool(b),
            None => self.null(),
        }
    }
    pub(super) fn opt_u64(&mut self, n: Option<u64>) {
        match n {
            Some(n) => self.u64(n),
            None => self.null(),
        }
    }
    pub(super) fn str_array(&mut self, items: &[String]) {
        self.buf.push(b'[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.str(s);
        }
        self.buf.push(b']');
    }
    pub(super) fn opt_f64(&mut self, x: Option<f64>) -> Result<(), CanonicalError> {
        match x {
            // serde_json turns non-finite numbers into null; so does the reference path.
            Some(x) if x.is_finite() => serde_json_canonicalizer::to_writer(&x, &mut self.buf)
                .map_err(|e| CanonicalError(e.to_string())),
            _ => {
                self.null();
                Ok(())
            }
        }
    }
    pub(super) fn opt_value(&mut self, v: Option<&Value>) -> Result<(), CanonicalError> {
        match v {
            Some(v) => self.value(v),
            None => {
                self.null();
                Ok(())
            }
        }
    }
    /// A free-form value (`policy`, `guardrails`, `change`), written by hand where RFC 8785 is
    /// plain (ASCII keys sort by bytes as by UTF-16 units; integers within 2^53); floats, large
    /// integers and objects with non-ASCII keys go to the generic canonicalizer.
    pub(super) fn value(&mut self, v: &Value) -> Result<(), CanonicalError> {
        let generic = |buf: &mut Vec<u8>, v: &Value| {
            serde_json_canonicalizer::to_writer(v, buf).map_err(|e| CanonicalError(e.to_string()))
        };
        match v {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::String(s) => self.str(s),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) if u <= (1 << 53) => {
                    self.buf.extend_from_slice(u.to_string().as_bytes())
                }
                (_, Some(i)) if (-(1 << 53)..0).contains(&i) => {
                    self.buf.extend_from_slice(i.to_string().as_bytes())
                }
                _ => generic(&mut self.buf, v)?,
            },
            Value::Array(items) => {
                self.buf.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(b',');
                    }
                    self.value(item)?;
                }
                self.buf.push(b']');
            }
            Value::Object(m) if m.keys().all(|k| k.is_ascii()) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort_unstable();
                self.buf.push(b'{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        self.buf.push(b',');
                    }
                    self.str(k);
                    self.buf.push(b':');
                    if let Some(item) = m.get(k) {
                        self.value(item)?;
                    }
                }
                self.buf.push(b'}');
            }
            Value::Object(_) => generic(&mut self.buf, v)?,
        }
        Ok(())
    }
}
