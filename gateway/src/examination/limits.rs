//! Budgets and rate limits per key, user and team (DESIGN §8): the configured rules, and the
//! counter arithmetic both backends follow. Pure: the time is passed in.
//!
//! A counter (one per limited subject, e.g. `key:0193…`) holds the spend and the reservations
//! of the current period (day or month, UTC) and the requests and tokens of the current
//! minute. A call is admitted when, for every counter that applies, `requests + 1 <= rpm`,
//! `tokens + estimate <= tpm` and `spent + reserved + estimate <= budget`; it then reserves
//! its estimate everywhere at once. After the answer the reservation is replaced by the real
//! cost and tokens. The Redis backend runs this in one Lua script on Redis server time
//! (`store/redis/counters.rs`); the embedded backend in one redb transaction with this code.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Whose counter a rule limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Key,
    User,
    Team,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Key => "key",
            SubjectKind::User => "user",
            SubjectKind::Team => "team",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Month,
}

/// A `[[limits]]` rule. `id = None` (`"*"` in the config) gives each subject of the kind its
/// own counter with these limits; a rule naming the subject wins over `"*"`.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitRule {
    pub subject: SubjectKind,
    pub id: Option<String>,
    pub budget_usd: Option<f64>,
    pub period: Period,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
}

/// The limits of one counter for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The counter: `{kind}:{id}`.
    pub counter: String,
    pub budget_nano: Option<u64>,
    pub period: Period,
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
}

/// USD to integer nano-dollars (counters add integers: no float drift across instances).
pub fn nano(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * 1e9).round() as u64
    } else {
        0
    }
}

pub fn usd(nano: u64) -> f64 {
    nano as f64 / 1e9
}

#[derive(Debug, Clone, Default)]
pub struct Limits {
    rules: Vec<LimitRule>,
}

impl Limits {
    pub fn new(rules: Vec<LimitRule>) -> Limits {
        Limits { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The counters a caller's call touches, at most one per subject kind.
    pub fn for_caller(
        &self,
        key_id: Option<&str>,
        user: Option<&str>,
        team: Option<&str>,
    ) -> Vec<Applied> {
        let mut out = Vec::new();
        for (kind, id) in [
            (SubjectKind::Key, key_id),
            (SubjectKind::User, user),
            (SubjectKind::Team, team),
        ] {
            let Some(id) = id.filter(|s| !s.is_empty()) else {
                continue;
            };
            let of_kind = || self.rules.iter().filter(move |r| r.subject == kind);
            let rule = of_kind()
                .find(|r| r.id.as_deref() == Some(id))
                .or_else(|| of_kind().find(|r| r.id.is_none()));
            if let Some(r) = rule {
                out.push(Applied {
                    counter: format!("{}:{id}", kind.as_str()),
                    budget_nano: r.budget_usd.map(nano),
                    period: r.period,
                    rpm: r.rpm,
                    tpm: r.tpm,
                });
            }
        }
        out
    }
}

/// The clock of a decision: the periods `now` falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub now: i64,
    /// Days since 1970-01-01.
    pub day: i64,
    /// `year * 12 + month - 1`.
    pub month: i64,
    /// Minutes since the epoch.
    pub minute: i64,
}

impl Clock {
    pub fn at(unix: i64) -> Clock {
        let day = unix.div_euclid(86_400);
        let date = Utc
            .timestamp_opt(day * 86_400, 0)
            .single()
            .map(|t| t.date_naive())
            .unwrap_or_default();
        Clock {
            now: unix,
            day,
            month: i64::from(date.year()) * 12 + i64::from(date.month0()),
            minute: unix.div_euclid(60),
        }
    }

    pub fn period(&self, p: Period) -> i64 {
        match p {
            Period::Day => self.day,
            Period::Month => self.month,
        }
    }

    /// Seconds until the period ends (Retry-After for a spent budget).
    pub fn until_period_end(&self, p: Period) -> u64 {
        let end = match p {
            Period::Day => (self.day + 1) * 86_400,
            Period::Month => {
                let next = self.month + 1;
                let (y, m) = (next.div_euclid(12), next.rem_euclid(12) + 1);
                NaiveDate::from_ymd_opt(y as i32, m as u32, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc().timestamp())
                    .unwrap_or(self.now + 86_400)
            }
        };
        (end - self.now).max(1) as u64
    }

    pub fn until_minute_end(&self) -> u64 {
        (60 - self.now.rem_euclid(60)).max(1) as u64
    }
}

/// One counter as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterState {
    /// The period `spent` and `reserved` belong to.
    pub period: i64,
    pub spent: u64,
    pub reserved: u64,
    /// The minute `requests` and `tokens` belong to.
    pub window: i64,
    pub requests: u64,
    pub tokens: u64,
}

impl CounterState {
    /// The state as of `clock`: a new period or minute starts from zero.
    pub fn rolled(mut self, limit: &Applied, clock: &Clock) -> CounterState {
        let p = clock.period(limit.period);
        if self.period != p {
            self.period = p;
            self.spent = 0;
            self.reserved = 0;
        }
        if self.window != clock.minute {
            self.window = clock.minute;
            self.requests = 0;
            self.tokens = 0;
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    BudgetExceeded,
    RateLimited,
}

/// Why a call was refused: which limit, of which counter, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: LimitKind,
    pub counter: String,
    pub retry_after: u64,
}

/// What a call reserves: its estimated cost (nano-USD) and tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    pub cost_nano: u64,
    pub tokens: u64,
}

/// Admits or refuses a call against `states` (one per limit, already read), and on admission
/// applies the reservation to them. All or nothing.
pub fn reserve(
    states: &mut [CounterState],
    limits: &[Applied],
    clock: &Clock,
    est: &Estimate,
) -> Result<(), Refusal> {
    let rolled: Vec<CounterState> = states
        .iter()
        .zip(limits)
        .map(|(s, l)| s.rolled(l, clock))
        .collect();
    for (s, l) in rolled.iter().zip(limits) {
        let refuse = |kind, retry_after| Refusal {
            kind,
            counter: l.counter.clone(),
            retry_after,
        };
        if l.rpm.is_some_and(|rpm| s.requests + 1 > rpm)
            || l.tpm.is_some_and(|tpm| s.tokens + est.tokens > tpm)
        {
            return Err(refuse(LimitKind::RateLimited, clock.until_minute_end()));
        }
        if l.budget_nano
            .is_some_and(|b| s.spent + s.reserved + est.cost_nano > b)
        {
            return Err(refuse(
                LimitKind::BudgetExceeded,
                clock.until_period_end(l.period),
            ));
        }
    }
    for (slot, mut s) in states.iter_mut().zip(rolled) {
        s.requests += 1;
        s.tokens += est.tokens;
        s.reserved += est.cost_nano;
        *slot = s;
    }
    Ok(())
}

/// Replaces a reservation made at `reserved_at` with the real cost and tokens. A reservation
/// of a period or minute that has passed is gone with it; the real figures count now.
pub fn settle(
    state: &mut CounterState,
    limit: &Applied,
    clock: &Clock,
    reserved_at: &Clock,
    est: &Estimate,
    real: &Estimate,
) {
    let mut s = state.rolled(limit, clock);
    if reserved_at.period(limit.period) == s.period {
        s.reserved = s.reserved.saturating_sub(est.cost_nano);
    }
    s.spent += real.cost_nano;
    if reserved_at.minute == s.window {
        s.tokens = s.tokens.saturating_sub(est.tokens);
    }
    s.tokens += real.tokens;
    *state = s;
}

#[cfg(test)]
mod tests;
