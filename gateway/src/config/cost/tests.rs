use crate::config::Config;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, "p.toml", &|_| None).map_err(|e| e.to_string())
}

#[test]
fn pricing_and_limits_parse_into_the_config() {
    let cfg = parse(
        r#"
[[pricing]]
model = "my-deployment"
input = 1.5
output = 6

[[limits]]
subject = "key"
id = "*"
budget_usd = 10
period = "month"
rpm = 60
"#,
    )
    .unwrap();
    let p = cfg.pricing.price("my-deployment").unwrap();
    assert_eq!((p.input, p.cached_input, p.output), (1.5, 1.5, 6.0));
    assert_eq!(cfg.limits.for_caller(Some("k"), None, None).len(), 1);
}

#[test]
fn bad_entries_name_the_key_and_the_line() {
    let cases = [
        (
            "[[pricing]]\nmodel = \"m\"\ninput = -1\noutput = 1\n",
            "p.toml:3: pricing[0].input",
        ),
        (
            "[[pricing]]\nmodel = \"m\"\ninput = 1\noutput = 1\nsurprise = 2\n",
            "p.toml:5",
        ),
        (
            "[[limits]]\nsubject = \"org\"\nid = \"*\"\nrpm = 1\n",
            "p.toml:2: limits[0].subject",
        ),
        (
            "[[limits]]\nsubject = \"key\"\nid = \"*\"\n",
            "limits[0]: set at least one",
        ),
        (
            "[[limits]]\nsubject = \"key\"\nid = \"*\"\nrpm = 1\nperiod = \"week\"\n",
            "p.toml:5: limits[0].period",
        ),
    ];
    for (text, want) in cases {
        let err = parse(text).unwrap_err();
        assert!(err.contains(want), "{want:?} not in {err:?}");
    }
}
