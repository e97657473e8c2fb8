//! A compiled policy set: policies in evaluation order plus an index from action to candidates.
//!
//! Order is ascending `priority`, ties broken by `id` (byte order), so the outcome never depends
//! on the order policies were loaded in. The index has three parts: exact actions (a hash map
//! from action to policy ranks), wildcard patterns whose first segment is literal (a hash map
//! from that segment), and patterns starting with a wildcard (one list). A decision looks up
//! two maps and merges three rank-sorted lists, touching only policies that can match.

use rustc_hash::FxHashMap;

use crate::error::{ErrorKind, Item, PolicyError};
use crate::pattern::{first_segment, Matcher};
use crate::policy::{Compiled, Policy};

/// A wildcard pattern of the policy at `rank`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    rank: u32,
    pattern: u32,
}

/// Policies compiled for evaluation.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Enabled policies in evaluation order; the index refers to them by position ("rank").
    pub(crate) compiled: Vec<Compiled>,
    /// Every policy as authored (disabled ones too), in evaluation order.
    policies: Vec<Policy>,
    exact: FxHashMap<Box<str>, Vec<u32>>,
    by_first: FxHashMap<Box<str>, Vec<Entry>>,
    global: Vec<Entry>,
    patterns: Vec<Matcher>,
}

impl PolicySet {
    /// Check and compile `policies`. Fails on the first policy that does not compile (naming it
    /// and the JSON path of the problem, indexed as in the input) or on a duplicate id.
    pub fn compile(policies: Vec<Policy>) -> Result<PolicySet, PolicyError> {
        let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
        let mut compiled = Vec::with_capacity(policies.len());
        for (i, p) in policies.iter().enumerate() {
            if seen.insert(p.id.as_str(), i).is_some() {
                return Err(PolicyError::new(
                    Item::Policy,
                    Some(&p.id),
                    format!("$[{i}].id"),
                    ErrorKind::DuplicateId,
                ));
            }
            compiled.push(p.compile(&format!("$[{i}]"))?);
        }
        drop(seen);
        let mut pairs: Vec<(Policy, Compiled)> = policies.into_iter().zip(compiled).collect();
        pairs.sort_by(|(a, _), (b, _)| {
            (a.priority, a.id.as_str()).cmp(&(b.priority, b.id.as_str()))
        });

        let mut set = PolicySet::default();
        for (policy, compiled) in pairs {
            if policy.enabled {
                let rank = u32::try_from(set.compiled.len()).map_err(|_| {
                    PolicyError::new(
                        Item::Policy,
                        Some(&policy.id),
                        "$",
                        ErrorKind::Invalid("too many policies".into()),
                    )
                })?;
                set.index(rank, &policy.actions);
                set.compiled.push(compiled);
            }
            set.policies.push(policy);
        }
        Ok(set)
    }

    fn index(&mut self, rank: u32, actions: &[String]) {
        for action in actions {
            if !action.contains('*') {
                let ranks = self.exact.entry(Box::from(action.as_str())).or_default();
                if ranks.last() != Some(&rank) {
                    ranks.push(rank);
                }
                continue;
            }
            let pattern = self.patterns.len() as u32;
            self.patterns.push(Matcher::new(action));
            let entry = Entry { rank, pattern };
            match action.split('.').next() {
                Some(first) if !first.contains('*') => self
                    .by_first
                    .entry(Box::from(first))
                    .or_default()
                    .push(entry),
                _ => self.global.push(entry),
            }
        }
    }

    /// Every policy as authored, in evaluation order (disabled ones included).
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The policy with this id.
    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// Number of enabled policies.
    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }

    /// Calls `f` with the rank of each enabled policy whose actions match `action`, in
    /// evaluation order, each once, until `f` returns `true`. Allocates nothing.
    pub(crate) fn candidates(&self, action: &str, mut f: impl FnMut(u32) -> bool) {
        let exact: &[u32] = self.exact.get(action).map_or(&[], Vec::as_slice);
        let prefixed: &[Entry] = self
            .by_first
            .get(first_segment(action))
            .map_or(&[], Vec::as_slice);
        let global: &[Entry] = &self.global;
        let (mut i, mut j, mut k) = (0, 0, 0);
        loop {
            let next = [
                exact.get(i).copied(),
                prefixed.get(j).map(|e| e.rank),
                global.get(k).map(|e| e.rank),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(rank) = next else { return };
            let mut hit = false;
            while exact.get(i) == Some(&rank) {
                hit = true;
                i += 1;
            }
            for (list, pos) in [(prefixed, &mut j), (global, &mut k)] {
                while let Some(e) = list.get(*pos).filter(|e| e.rank == rank) {
                    hit = hit || self.pattern_hit(e.pattern, action);
                    *pos += 1;
                }
            }
            if hit && f(rank) {
                return;
            }
        }
    }

    fn pattern_hit(&self, pattern: u32, action: &str) -> bool {
        self.patterns
            .get(pattern as usize)
            .is_some_and(|m| m.matches(action))
    }
}

#[cfg(test)]
mod tests;
