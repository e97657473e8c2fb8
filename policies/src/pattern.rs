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

/// A pattern prepared for matching many actions: split into segments once, so matching walks
/// the action's bytes without splitting or allocating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matcher {
    /// `*`
    Any,
    /// Literal segments then a final `*` (`crm.contacts.*`), held as `crm.contacts.`.
    Prefix(Box<str>),
    /// Anything else: one matcher per segment, and whether a final `*` takes one or more more.
    Segments { segs: Box<[Seg]>, tail: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Literal(Box<str>),
    Star,
    Glob(Box<str>),
}

impl Matcher {
    pub(crate) fn new(pattern: &str) -> Matcher {
        if pattern == "*" {
            return Matcher::Any;
        }
        let mut parts: Vec<&str> = pattern.split('.').collect();
        let tail = parts.len() > 1 && parts.last() == Some(&"*");
        if tail {
            parts.pop();
            if !parts.iter().any(|p| p.contains('*')) {
                return Matcher::Prefix(format!("{}.", parts.join(".")).into_boxed_str());
            }
        }
        let segs = parts
            .into_iter()
            .map(|p| match p {
                "*" => Seg::Star,
                p if p.contains('*') => Seg::Glob(Box::from(p)),
                p => Seg::Literal(Box::from(p)),
            })
            .collect();
        Matcher::Segments { segs, tail }
    }

    /// Same answer as [`pattern_matches`] on the pattern this was made from.
    pub(crate) fn matches(&self, action: &str) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::Prefix(prefix) => action.starts_with(&**prefix),
            Matcher::Segments { segs, tail } => {
                let mut rest = Some(action);
                for seg in segs.iter() {
                    let Some(r) = rest else { return false };
                    let (head, next) = match r.bytes().position(|b| b == b'.') {
                        Some(i) => (&r[..i], Some(&r[i + 1..])),
                        None => (r, None),
                    };
                    let ok = match seg {
                        Seg::Literal(l) => **l == *head,
                        Seg::Star => true,
                        Seg::Glob(g) => glob_segment(g, head),
                    };
                    if !ok {
                        return false;
                    }
                    rest = next;
                }
                rest.is_some() == *tail
            }
        }
    }
}

/// The text before the first `.` (all of it when there is none).
pub(crate) fn first_segment(action: &str) -> &str {
    match action.bytes().position(|b| b == b'.') {
        Some(i) => &action[..i],
        None => action,
    }
}

/// Glob match of one segment where `*` matches any run of characters (no other metacharacters).
/// Allocates nothing: this runs for every wildcard candidate of every decision.
fn glob_segment(pattern: &str, value: &str) -> bool {
    let (Some(first_star), Some(last_star)) = (pattern.find('*'), pattern.rfind('*')) else {
        return pattern == value;
    };
    let (prefix, suffix) = (&pattern[..first_star], &pattern[last_star + 1..]);
    if value.len() < prefix.len() + suffix.len()
        || !value.starts_with(prefix)
        || !value.ends_with(suffix)
    {
        return false;
    }
    // The middle parts must appear in order between the prefix and the suffix; taking each at
    // its leftmost place leaves the most room for the rest.
    let mut window = &value[prefix.len()..value.len() - suffix.len()];
    for part in pattern[first_star..=last_star]
        .split('*')
        .filter(|p| !p.is_empty())
    {
        match window.find(part) {
            Some(i) => window = &window[i + part.len()..],
            None => return false,
        }
    }
    true
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
