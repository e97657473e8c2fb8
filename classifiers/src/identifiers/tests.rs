use super::bytes::{find_trigger, is_token, token_run};

#[test]
fn token_runs_at_the_end_are_counted_at_any_length() {
    let text = b"see jane.doe+x@example.com or ACCT-0012_9%ab, then a_much_longer-token.value";
    for end in 0..=text.len() {
        for from in 0..=end {
            let slice = &text[from..end];
            let want = slice.iter().rev().take_while(|&&b| is_token(b)).count();
            assert_eq!(token_run(slice), want, "{from}..{end}");
        }
    }
}

#[test]
fn trigger_search_finds_the_first_digit_or_at_sign_at_any_length() {
    let base: Vec<u8> = b"prose, then jane@example.com and 4111: ok "
        .iter()
        .copied()
        .cycle()
        .take(100)
        .collect();
    for len in 0..base.len() {
        for from in 0..=len {
            let slice = &base[from..len];
            let want = slice.iter().position(|&b| b.is_ascii_digit() || b == b'@');
            assert_eq!(find_trigger(slice), want, "{from}..{len}");
        }
    }
}
