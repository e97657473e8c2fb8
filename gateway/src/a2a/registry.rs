//! The registry of downstream agents (DESIGN §9): who they are, where they live, and what each
//! of their skills needs from an agent credential. Pure: validation only, storage is the
//! caller's.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aida::credential::Scope;
use crate::aida::jsonpath::JsonPath;
use crate::store::{Collection, Document};

/// Longest agent id; ids are `[a-z0-9_-]`, so they sit in a URL path as they are.
pub const MAX_ID_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub id: String,
    pub name: String,
    /// The agent's base URL; its card is read from `{url}/.well-known/agent-card.json`.
    pub url: String,
    pub owner: String,
    pub skills: Vec<SkillRule>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a task for one skill needs: every scope listed, and where in the message's data
/// parts the amount and the account are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillRule {
    pub id: String,
    #[serde(default)]
    pub required_scopes: Vec<Scope>,
    #[serde(default)]
    pub amount: Option<JsonPath>,
    #[serde(default)]
    pub account: Option<JsonPath>,
}

impl Document for AgentProfile {
    const COLLECTION: Collection = Collection::Agents;
    fn id(&self) -> &str {
        &self.id
    }
}

/// The body of `POST /api/agents` and `PUT /api/agents/{id}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentInput {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub url: String,
    pub owner: String,
    #[serde(default)]
    pub skills: Vec<SkillRule>,
}

/// A field that does not hold, named.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidAgent {
    pub field: String,
    pub reason: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> InvalidAgent {
    InvalidAgent {
        field: field.into(),
        reason: reason.into(),
    }
}

pub fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl AgentInput {
    /// Checks the input and makes it a profile. `id` is the path's id for a replacement
    /// (a body naming another id is refused), `None` for a creation.
    pub fn into_profile(
        self,
        id: Option<&str>,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<AgentProfile, InvalidAgent> {
        let id = match (id, self.id) {
            (Some(path), Some(body)) if path != body => {
                return Err(invalid(
                    "id",
                    format!("'{body}' differs from the path's '{path}'"),
                ))
            }
            (Some(path), _) => path.to_string(),
            (None, Some(body)) => body,
            (None, None) => return Err(invalid("id", "missing")),
        };
        if !id_ok(&id) {
            return Err(invalid(
                "id",
                format!("must be 1-{MAX_ID_CHARS} characters of a-z, 0-9, '_' and '-'"),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        if self.owner.trim().is_empty() {
            return Err(invalid("owner", "must not be empty"));
        }
        let url = self.url.trim_end_matches('/').to_string();
        match reqwest::Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => return Err(invalid("url", format!("'{url}' is not an http(s) URL"))),
        }
        let mut seen = std::collections::HashSet::new();
        for (i, skill) in self.skills.iter().enumerate() {
            if skill.id.trim().is_empty() {
                return Err(invalid(format!("skills[{i}].id"), "must not be empty"));
            }
            if !seen.insert(skill.id.as_str()) {
                return Err(invalid(
                    format!("skills[{i}].id"),
                    format!("'{}' is listed twice", skill.id),
                ));
            }
        }
        Ok(AgentProfile {
            id,
            name: self.name,
            url,
            owner: self.owner,
            skills: self.skills,
            created_at,
            updated_at: now,
        })
    }
}

impl AgentProfile {
    pub fn skill(&self, id: &str) -> Option<&SkillRule> {
        self.skills.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests;
