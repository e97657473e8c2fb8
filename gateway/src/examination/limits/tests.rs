use super::*;

fn applied(budget_usd: Option<f64>, rpm: Option<u64>, tpm: Option<u64>) -> Applied {
    Applied {
        counter: "key:k1".into(),
        budget_nano: budget_usd.map(nano),
        period: Period::Day,
        rpm,
        tpm,
    }
}

const T0: i64 = 1_795_000_000; // 2026-11-18T...

#[test]
fn a_budget_admits_calls_until_the_next_estimate_would_pass_it() {
    let l = [applied(Some(1.0), None, None)];
    let clock = Clock::at(T0);
    let est = Estimate {
        cost_nano: nano(0.3),
        tokens: 10,
    };
    let mut st = [CounterState::default()];
    for _ in 0..3 {
        reserve(&mut st, &l, &clock, &est).unwrap();
    }
    let refused = reserve(&mut st, &l, &clock, &est).unwrap_err();
    assert_eq!(refused.kind, LimitKind::BudgetExceeded);
    assert_eq!(refused.counter, "key:k1");
    assert_eq!(refused.retry_after, clock.until_period_end(Period::Day));
    // Settling at a lower real cost frees room for one more.
    for _ in 0..3 {
        let real = Estimate {
            cost_nano: nano(0.1),
            tokens: 5,
        };
        settle(&mut st[0], &l[0], &clock, &clock, &est, &real);
    }
    assert_eq!(st[0].spent, nano(0.3));
    assert_eq!(st[0].reserved, 0);
    reserve(&mut st, &l, &clock, &est).unwrap();
}

#[test]
fn rate_limits_count_per_minute_and_reset_on_the_next() {
    let l = [applied(None, Some(2), Some(100))];
    let est = Estimate {
        cost_nano: 0,
        tokens: 40,
    };
    let clock = Clock::at(T0 - T0 % 60);
    let mut st = [CounterState::default()];
    reserve(&mut st, &l, &clock, &est).unwrap();
    reserve(&mut st, &l, &clock, &est).unwrap();
    let r = reserve(&mut st, &l, &clock, &est).unwrap_err();
    assert_eq!((r.kind, r.retry_after), (LimitKind::RateLimited, 60));
    let next = Clock::at(clock.now + 60);
    reserve(&mut st, &l, &next, &est).unwrap();
    // tpm: 40 + 40 + 40 > 100 within one minute even under the rpm.
    let l = [applied(None, Some(10), Some(100))];
    let mut st = [CounterState::default()];
    reserve(&mut st, &l, &clock, &est).unwrap();
    reserve(&mut st, &l, &clock, &est).unwrap();
    assert!(reserve(&mut st, &l, &clock, &est).is_err());
}

#[test]
fn a_refusal_by_one_counter_reserves_nothing_on_the_others() {
    let mut team = applied(Some(0.5), None, None);
    team.counter = "team:t".into();
    let l = [applied(Some(10.0), Some(100), None), team];
    let est = Estimate {
        cost_nano: nano(0.4),
        tokens: 1,
    };
    let clock = Clock::at(T0);
    let mut st = [CounterState::default(); 2];
    reserve(&mut st, &l, &clock, &est).unwrap();
    let before = st;
    assert_eq!(
        reserve(&mut st, &l, &clock, &est).unwrap_err().counter,
        "team:t"
    );
    assert_eq!(st, before);
}

#[test]
fn a_new_period_starts_from_zero_and_a_stale_reservation_is_dropped() {
    let l = [applied(Some(1.0), None, None)];
    let est = Estimate {
        cost_nano: nano(0.9),
        tokens: 1,
    };
    let day1 = Clock::at(T0);
    let mut st = [CounterState::default()];
    reserve(&mut st, &l, &day1, &est).unwrap();
    let day2 = Clock::at(T0 + 86_400);
    reserve(&mut st, &l, &day2, &est).unwrap();
    // The day-1 call settles on day 2: its reservation was day 1's, its cost counts now.
    let real = Estimate {
        cost_nano: nano(0.05),
        tokens: 1,
    };
    settle(&mut st[0], &l[0], &day2, &day1, &est, &real);
    assert_eq!(st[0].reserved, nano(0.9));
    assert_eq!(st[0].spent, nano(0.05));
}

#[test]
fn months_follow_the_calendar() {
    // 2024-02-29T12:00:00Z: a leap day; the month ends at 2024-03-01T00:00:00Z.
    let c = Clock::at(1_709_208_000);
    assert_eq!(c.month, 2024 * 12 + 1);
    assert_eq!(c.until_period_end(Period::Month), 12 * 3600);
    assert_eq!(c.until_period_end(Period::Day), 12 * 3600);
    // 2025-12-31T23:59:59Z -> next month is January 2026.
    let c = Clock::at(1_767_225_599);
    assert_eq!(c.month, 2025 * 12 + 11);
    assert_eq!(c.until_period_end(Period::Month), 1);
}

#[test]
fn a_named_rule_wins_over_the_wildcard_and_kinds_are_separate() {
    let rule = |subject, id: Option<&str>, budget| LimitRule {
        subject,
        id: id.map(String::from),
        budget_usd: Some(budget),
        period: Period::Month,
        rpm: None,
        tpm: None,
    };
    let limits = Limits::new(vec![
        rule(SubjectKind::Key, None, 1.0),
        rule(SubjectKind::Key, Some("vip"), 100.0),
        rule(SubjectKind::Team, Some("risk"), 50.0),
    ]);
    let a = limits.for_caller(Some("vip"), Some("alice"), Some("risk"));
    let counters: Vec<(&str, Option<u64>)> = a
        .iter()
        .map(|x| (x.counter.as_str(), x.budget_nano))
        .collect();
    assert_eq!(
        counters,
        [
            ("key:vip", Some(nano(100.0))),
            ("team:risk", Some(nano(50.0)))
        ]
    );
    assert_eq!(limits.for_caller(Some("other"), None, Some("ops")).len(), 1);
}
