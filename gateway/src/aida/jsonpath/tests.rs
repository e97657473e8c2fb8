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
