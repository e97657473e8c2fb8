//! The OpenAI-shaped error bodies the gateway answers, as a test sees them.
#![allow(clippy::panic, reason = "assertion helpers for tests")]

use serde_json::Value;

/// A response read to the end: status, `x-request-id`, raw text and JSON (if any).
#[derive(Debug, Clone)]
pub struct Seen {
    pub status: u16,
    pub request_id: Option<String>,
    pub text: String,
    pub json: Value,
}

impl Seen {
    pub async fn read(resp: reqwest::Response) -> Seen {
        let status = resp.status().as_u16();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Seen {
            status,
            request_id,
            text,
            json,
        }
    }

    /// Asserts status and `error.{type, code, param}` (`param: None` means JSON null).
    pub fn assert_error(&self, status: u16, kind: &str, code: &str, param: Option<&str>) {
        let ctx = format!("response {} {}", self.status, self.text);
        assert_eq!(self.status, status, "status; {ctx}");
        let err = self
            .json
            .get("error")
            .unwrap_or_else(|| panic!("no `error` object; {ctx}"));
        assert_eq!(
            err.get("type").and_then(Value::as_str),
            Some(kind),
            "error.type; {ctx}"
        );
        assert_eq!(
            err.get("code").and_then(Value::as_str),
            Some(code),
            "error.code; {ctx}"
        );
        let want_param = param.map_or(Value::Null, Value::from);
        assert_eq!(err.get("param"), Some(&want_param), "error.param; {ctx}");
        assert!(
            err.get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty()),
            "error.message; {ctx}"
        );
    }
}

/// True when `id` looks like a UUID version 7 (`xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx`).
pub fn is_uuid_v7(id: &str) -> bool {
    let b = id.as_bytes();
    let groups: Vec<&str> = id.split('-').collect();
    b.len() == 36
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|c| c.is_ascii_hexdigit()))
        && b[14] == b'7'
        && matches!(b[19].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b')
}

#[cfg(test)]
mod tests {
    use super::is_uuid_v7;

    #[test]
    fn uuid_v7_shape_is_recognised() {
        assert!(is_uuid_v7("01890a5d-ac96-774b-bcce-b302099a8057"));
        assert!(!is_uuid_v7("01890a5d-ac96-474b-bcce-b302099a8057"));
        assert!(!is_uuid_v7("not-a-uuid"));
    }
}
