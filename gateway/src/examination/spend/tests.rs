use super::*;
use crate::audit::record::{CallerInfo, RequestInfo, UsageInfo};

fn call(key: &str, team: Option<&str>, model: &str, ts: &str, cost: f64) -> Record {
    let mut r = Record::new(
        "llm.call",
        CallerInfo {
            kind: "user".into(),
            id: "alice".into(),
            principal_id: Some("alice".into()),
            key_id: Some(key.into()),
            team: team.map(String::from),
            ..CallerInfo::default()
        },
    );
    r.ts = ts.into();
    r.request = Some(RequestInfo {
        route: "/v1/chat/completions".into(),
        provider: Some("openai".into()),
        model_served: Some(model.into()),
        ..RequestInfo::default()
    });
    r.usage = Some(UsageInfo {
        prompt_tokens: 10,
        completion_tokens: 5,
        cached_tokens: 0,
        usage_estimated: false,
    });
    r.cost_usd = Some(cost);
    r
}

#[test]
fn spend_groups_by_each_dimension_and_skips_calls_that_reached_no_model() {
    let records = [
        call(
            "k1",
            Some("risk"),
            "gpt-4o",
            "2026-11-01T10:00:00.000000Z",
            0.1,
        ),
        call(
            "k1",
            Some("risk"),
            "gpt-4o-mini",
            "2026-11-02T10:00:00.000000Z",
            0.2,
        ),
        call("k2", None, "gpt-4o", "2026-11-02T11:00:00.000000Z", 0.3),
    ];
    let mut refused = call("k2", None, "x", "2026-11-02T11:00:00.000000Z", 0.0);
    refused.request.as_mut().unwrap().model_served = None;
    let sums = |g: GroupBy| {
        let mut s = Spend::new(g);
        records.iter().chain([&refused]).for_each(|r| s.add(r));
        s.rows()
            .into_iter()
            .map(|r| (r.group, r.requests, r.cost_usd))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        sums(GroupBy::Key),
        [("k1".into(), 2, 0.3), ("k2".into(), 1, 0.3)]
    );
    assert_eq!(
        sums(GroupBy::Team),
        [("".into(), 1, 0.3), ("risk".into(), 2, 0.3)]
    );
    assert_eq!(
        sums(GroupBy::Model),
        [
            ("openai/gpt-4o".into(), 2, 0.4),
            ("openai/gpt-4o-mini".into(), 1, 0.2)
        ]
    );
    assert_eq!(
        sums(GroupBy::Day),
        [("2026-11-02".into(), 2, 0.5), ("2026-11-01".into(), 1, 0.1)]
    );
    assert_eq!(sums(GroupBy::User), [("alice".into(), 3, 0.6)]);
}

#[test]
fn csv_has_a_header_and_one_line_per_group() {
    let mut s = Spend::new(GroupBy::Key);
    s.add(&call(
        "k,1",
        None,
        "gpt-4o",
        "2026-11-01T10:00:00.000000Z",
        0.25,
    ));
    assert_eq!(
        s.csv(),
        "key,requests,prompt_tokens,completion_tokens,estimated_requests,cost_usd\n\"k,1\",1,10,5,0,0.25\n"
    );
    assert!("week".parse::<GroupBy>().is_err());
}
