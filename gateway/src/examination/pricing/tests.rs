use super::*;

fn usage(prompt: u64, cached: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        cached_tokens: cached,
        estimated: false,
    }
}

#[test]
fn dated_snapshots_price_as_their_family_and_mini_is_not_taken_for_its_parent() {
    let p = Pricing::default();
    let cases = [
        ("gpt-4o", 2.50),
        ("gpt-4o-2024-08-06", 2.50),
        ("gpt-4o-mini", 0.15),
        ("gpt-4o-mini-2024-07-18", 0.15),
        ("gpt-4.1-nano-2025-04-14", 0.10),
        ("o3-mini", 1.10),
        ("claude-3-5-sonnet-20241022", 3.00),
        ("claude-3-5-haiku-latest", 0.80),
        ("claude-opus-4-20250514", 15.00),
        ("meta-llama/Llama-3.3-70B-Instruct", 0.88),
        ("text-embedding-3-small", 0.02),
        ("echo", 0.0),
    ];
    for (model, input) in cases {
        assert_eq!(p.price(model).map(|p| p.input), Some(input), "{model}");
    }
}

#[test]
fn an_unknown_model_has_no_price_rather_than_a_guess() {
    let p = Pricing::default();
    assert_eq!(p.price("my-finetune"), None);
    assert_eq!(p.price("gpt-4ox"), None, "a family needs a separator");
}

#[test]
fn cost_charges_cached_prompt_tokens_at_the_cached_price() {
    let gpt4o = Pricing::default().price("gpt-4o").unwrap();
    // 1000 prompt (400 cached) + 500 completion:
    // 600 * 2.50 + 400 * 1.25 + 500 * 10.00 = 1500 + 500 + 5000 = 7000 per 1M
    assert_eq!(gpt4o.cost(&usage(1000, 400, 500)), 0.007);
    assert_eq!(gpt4o.cost(&usage(0, 0, 0)), 0.0);
}

#[test]
fn config_entries_override_the_table_and_prefixes_extend_it() {
    let price = |i, o| Price {
        input: i,
        cached_input: i,
        output: o,
    };
    let p = Pricing::new(vec![
        PriceEntry {
            model: "gpt-4o".into(),
            price: price(1.0, 2.0),
        },
        PriceEntry {
            model: "acme-*".into(),
            price: price(3.0, 4.0),
        },
        PriceEntry {
            model: "acme-large-*".into(),
            price: price(5.0, 6.0),
        },
    ]);
    assert_eq!(p.price("gpt-4o").unwrap().input, 1.0);
    assert_eq!(
        p.price("gpt-4o-2024-08-06").unwrap().input,
        2.50,
        "exact config names do not capture snapshots"
    );
    assert_eq!(p.price("acme-small").unwrap().input, 3.0);
    assert_eq!(
        p.price("acme-large-2").unwrap().input,
        5.0,
        "longest prefix"
    );
    assert_eq!(p.price("gpt-4o-mini").unwrap().input, 0.15);
}

#[test]
fn every_shipped_name_prices_itself() {
    let p = Pricing::default();
    for name in Pricing::shipped_names() {
        assert!(p.price(name).is_some(), "{name}");
    }
}
