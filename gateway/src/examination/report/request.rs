//! `POST /api/examination/report` body: which report and which period, checked field by field.
//! Dates are RFC 3339 instants or `YYYY-MM-DD` days (UTC); a day as `period_end` includes that
//! whole day. The period is `[start, end)`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::scan::stamp;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportType {
    #[serde(rename = "SR11-7")]
    Sr117,
    #[serde(rename = "FINRA")]
    Finra,
    #[serde(rename = "FFIEC")]
    Ffiec,
    #[serde(rename = "EU_AI_ACT")]
    EuAiAct,
    #[serde(rename = "COMPREHENSIVE")]
    Comprehensive,
}

pub const REPORT_TYPES: &str = "SR11-7, FINRA, FFIEC, EU_AI_ACT or COMPREHENSIVE";

impl ReportType {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportType::Sr117 => "SR11-7",
            ReportType::Finra => "FINRA",
            ReportType::Ffiec => "FFIEC",
            ReportType::EuAiAct => "EU_AI_ACT",
            ReportType::Comprehensive => "COMPREHENSIVE",
        }
    }

    pub fn parse(s: &str) -> Option<ReportType> {
        [
            ReportType::Sr117,
            ReportType::Finra,
            ReportType::Ffiec,
            ReportType::EuAiAct,
            ReportType::Comprehensive,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn has(self, section: ReportType) -> bool {
        self == section || self == ReportType::Comprehensive
    }

    /// Whether the report verifies the audit chain (FFIEC audit completeness).
    pub fn verifies(self) -> bool {
        self.has(ReportType::Ffiec)
    }
}

/// `[start, end)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t < self.end
    }

    pub fn start_ts(&self) -> String {
        stamp(self.start)
    }

    pub fn end_ts(&self) -> String {
        stamp(self.end)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub report_type: ReportType,
    pub period: Period,
}

impl ReportRequest {
    /// The cache key: one report per type and period.
    pub fn cache_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.report_type.as_str(),
            self.period.start_ts(),
            self.period.end_ts()
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

/// An RFC 3339 instant, or a day: its start for `period_start`, the next day's start for
/// `period_end` (so `--to 2026-03-31` includes the 31st).
fn parse_date(field: &str, v: &str, edge: Edge) -> Result<DateTime<Utc>, ApiError> {
    let v = v.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = || ApiError::InvalidValue {
        field: field.into(),
        reason: format!("'{v}' is neither an RFC 3339 time nor a YYYY-MM-DD date"),
    };
    let day = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad())?;
    let day = match edge {
        Edge::Start => day,
        Edge::End => day.succ_opt().ok_or_else(bad)?,
    };
    Ok(day.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc())
}

fn string_field<'a>(body: &'a Value, field: &'static str) -> Result<&'a str, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(ApiError::MissingField(field)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid_type(field, "a string")),
    }
}

/// Checks a request body: known fields only, a known type, two dates, start before end.
pub fn parse(body: &Value) -> Result<ReportRequest, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::invalid_type("body", "a JSON object"));
    };
    if let Some(k) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "report_type" | "period_start" | "period_end"))
    {
        return Err(ApiError::InvalidValue {
            field: k.clone(),
            reason: "unknown field (expected report_type, period_start, period_end)".into(),
        });
    }
    let t = string_field(body, "report_type")?;
    let report_type = ReportType::parse(t).ok_or_else(|| ApiError::InvalidValue {
        field: "report_type".into(),
        reason: format!("'{t}': use {REPORT_TYPES}"),
    })?;
    let start = parse_date(
        "period_start",
        string_field(body, "period_start")?,
        Edge::Start,
    )?;
    let end = parse_date("period_end", string_field(body, "period_end")?, Edge::End)?;
    if end <= start {
        return Err(ApiError::InvalidValue {
            field: "period_end".into(),
            reason: format!(
                "the period ends ({}) before it starts ({})",
                stamp(end),
                stamp(start)
            ),
        });
    }
    Ok(ReportRequest {
        report_type,
        period: Period { start, end },
    })
}
