//! `*` wildcards per dot segment: `crm.*` matches `crm.contacts.read`, `payments.*.issue`
//! matches `payments.refund.issue`, `gpt-4o*` matches `gpt-4o-mini`.

/// Whether `value` matches `pattern`. Within a segment `*` matches any run of characters; a
/// final segment that is exactly `*` matches one or more remaining segments; `*` alone matches
/// everything.
pub fn pattern_matches(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let mut pats = pattern.split('.').peekable();
    let mut vals = value.split('.');
    while let Some(p) = pats.next() {
        let last = pats.peek().is_none();
        if last && p == "*" {
            return vals.next().is_some();
        }
        match vals.next() {
            Some(v) if glob_segment(p, v) => {}
            _ => return false,
        }
    }
    vals.next().is_none()
}

/// Glob match of one segment where `*` matches any run of characters (no other metacharacters).
fn glob_segment(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, rest) = (parts[0], &parts[1..]);
    let Some(mut remaining) = value.strip_prefix(first) else {
        return false;
    };
    let (middle, last) = rest.split_at(rest.len() - 1);
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last[0])
}

#[cfg(test)]
mod tests;
