use super::*;

#[test]
fn csv_quotes_what_needs_quoting() {
    let mut out = String::new();
    csv_field(&mut out, "a,b");
    csv_field(&mut out, "say \"hi\"");
    csv_field(&mut out, "plain");
    assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",plain,");
}

#[test]
fn export_query_is_checked() {
    let q = ExportRange {
        format: Some("xml".into()),
        since: None,
        until: None,
        ecs: false,
    };
    assert_eq!(q.format().unwrap_err().code(), "invalid_value");
    let q = ExportRange {
        format: None,
        since: Some("yesterday".into()),
        until: None,
        ecs: false,
    };
    assert_eq!(q.bounds().unwrap_err().code(), "invalid_value");
    let q = ExportRange {
        format: Some("jsonl".into()),
        since: Some("2026-01-01T00:00:00+01:00".into()),
        until: None,
        ecs: true,
    };
    assert_eq!(q.format().unwrap(), ExportFormat::Ecs);
    assert_eq!(
        q.bounds().unwrap().since.as_deref(),
        Some("2025-12-31T23:00:00.000000Z")
    );
}
