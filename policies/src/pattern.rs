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

/// Why `pattern` is not a well-formed action pattern, if it is not: it must be non-empty, have no
/// empty segment and no whitespace.
pub(crate) fn check_pattern(pattern: &str) -> Result<(), &'static str> {
    if pattern.is_empty() {
        return Err("is empty");
    }
    if pattern.split('.').any(str::is_empty) {
        return Err("has an empty segment");
    }
    if pattern.chars().any(char::is_whitespace) {
        return Err("contains whitespace");
    }
    Ok(())
}

/// A pattern as fixed segments plus whether a final `*` takes one or more further segments.
struct Shape<'a> {
    fixed: Vec<&'a str>,
    tail: bool,
}

fn shape(pattern: &str) -> Shape<'_> {
    if pattern == "*" {
        return Shape {
            fixed: Vec::new(),
            tail: true,
        };
    }
    let mut fixed: Vec<&str> = pattern.split('.').collect();
    let tail = fixed.len() > 1 && fixed.last() == Some(&"*");
    if tail {
        fixed.pop();
    }
    Shape { fixed, tail }
}

/// Whether every action `q` matches is also matched by `p`. Sound but not complete: `true` is
/// always right; a few exotic glob pairs (several `*` inside one segment of `p`) answer `false`.
/// Used by `lint` to find shadowed rules.
pub(crate) fn pattern_covers(p: &str, q: &str) -> bool {
    let (p, q) = (shape(p), shape(q));
    let lengths_ok = match (p.tail, q.tail) {
        (true, true) => q.fixed.len() >= p.fixed.len(),
        (true, false) => q.fixed.len() > p.fixed.len(),
        (false, true) => false,
        (false, false) => q.fixed.len() == p.fixed.len(),
    };
    lengths_ok
        && p.fixed
            .iter()
            .zip(&q.fixed)
            .all(|(a, b)| segment_covers(a, b))
}

fn segment_covers(p: &str, q: &str) -> bool {
    if p == "*" || p == q {
        return true;
    }
    if !q.contains('*') {
        return glob_segment(p, q);
    }
    // One `*` in `p` (`A*B`): covers `q` when every string of `q` starts with A and ends with B.
    let mut parts = p.split('*');
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (q_prefix, q_suffix) = literal_ends(q);
    q_prefix.starts_with(a) && q_suffix.ends_with(b)
}

/// The literal text before the first `*` and after the last `*` of a glob segment.
fn literal_ends(glob: &str) -> (&str, &str) {
    let first = glob.find('*').unwrap_or(glob.len());
    let last = glob.rfind('*').map_or(glob.len(), |i| i + 1);
    (&glob[..first], &glob[last..])
}

/// Whether some action matches both patterns. Used by `lint` to flag priority ties.
pub(crate) fn patterns_overlap(p: &str, q: &str) -> bool {
    let (p, q) = (shape(p), shape(q));
    let lengths_ok = match (p.tail, q.tail) {
        (true, true) => true,
        (true, false) => q.fixed.len() > p.fixed.len(),
        (false, true) => p.fixed.len() > q.fixed.len(),
        (false, false) => p.fixed.len() == q.fixed.len(),
    };
    lengths_ok
        && p.fixed
            .iter()
            .zip(&q.fixed)
            .all(|(a, b)| segments_overlap(a, b))
}

fn segments_overlap(a: &str, b: &str) -> bool {
    if !a.contains('*') {
        return glob_segment(b, a);
    }
    if !b.contains('*') {
        return glob_segment(a, b);
    }
    // Both globs: a common string exists iff the literal prefixes agree (one starts the other)
    // and so do the literal suffixes; the stars absorb everything in between.
    let ((ap, as_), (bp, bs)) = (literal_ends(a), literal_ends(b));
    (ap.starts_with(bp) || bp.starts_with(ap)) && (as_.ends_with(bs) || bs.ends_with(as_))
}

#[cfg(test)]
mod tests;
