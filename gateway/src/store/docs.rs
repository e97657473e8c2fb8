//! Collections of JSON documents by id: agent profiles, barriers, policies, approvals and the
//! other administrative data. Opaque bytes at the backend; `Docs` gives the typed view.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{from_json, to_json, StoreError};

/// The document collections. The name is the Redis hash suffix and the embedded key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Agents,
    Barriers,
    /// Supervision records of barrier triggers.
    Violations,
    /// The control room's watch list (`current`) and its version (`version`).
    Watchlist,
    /// The current version of each policy.
    Policies,
    /// Every version of every policy, id `{policy_id}@{version:010}`.
    PolicyVersions,
    /// RBAC role definitions, id = role name.
    Roles,
    /// Which roles a subject (user, agent, service) holds, id = subject id.
    RoleBindings,
    Approvals,
    /// JIT break-glass grants.
    Grants,
    /// AI inventory entries (`examination::inventory`).
    Inventory,
    /// Admin sessions from `/api/login`, id = SHA-256 of the token.
    Sessions,
    /// Examination reports as generated, by report id.
    Reports,
    /// Which report answers a (type, period) and until when (`examination::report::cache`).
    ReportCache,
}

impl Collection {
    pub fn name(self) -> &'static str {
        match self {
            Collection::Agents => "agents",
            Collection::Barriers => "barriers",
            Collection::Violations => "violations",
            Collection::Watchlist => "watchlist",
            Collection::Policies => "policies",
            Collection::PolicyVersions => "policy_versions",
            Collection::Roles => "roles",
            Collection::RoleBindings => "role_bindings",
            Collection::Approvals => "approvals",
            Collection::Grants => "grants",
            Collection::Inventory => "inventory",
            Collection::Sessions => "sessions",
            Collection::Reports => "reports",
            Collection::ReportCache => "report_cache",
        }
    }
}

/// How `doc_put` treats an existing document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    /// `Conflict` when the id exists.
    Create,
    /// `Ok(false)`, nothing written, when the id does not exist.
    Replace,
}

#[async_trait]
pub trait DocStore: Send + Sync {
    /// Writes a document; returns whether it was written (see `PutMode`).
    async fn doc_put(
        &self,
        coll: Collection,
        id: &str,
        json: Vec<u8>,
        mode: PutMode,
    ) -> Result<bool, StoreError>;
    async fn doc_get(&self, coll: Collection, id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every document of the collection, by id ascending.
    async fn doc_list(&self, coll: Collection) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Returns whether a document was deleted.
    async fn doc_delete(&self, coll: Collection, id: &str) -> Result<bool, StoreError>;
    /// Replaces the document only if its stored bytes are exactly `expected` (compare-and-set,
    /// atomic across instances); returns whether it was written.
    async fn doc_cas(
        &self,
        coll: Collection,
        id: &str,
        expected: &[u8],
        json: Vec<u8>,
    ) -> Result<bool, StoreError>;
    /// A counter moved by every write to the collection (put, cas, delete), so caches on other
    /// instances can poll one value to learn that something changed. 0 before the first write.
    async fn doc_generation(&self, coll: Collection) -> Result<u64, StoreError>;
}

/// A document type and its collection.
pub trait Document: Serialize + for<'de> Deserialize<'de> + Send + Sync {
    const COLLECTION: Collection;
    fn id(&self) -> &str;
}

/// Typed access to documents over any `DocStore`.
#[async_trait]
pub trait Docs {
    async fn create_doc<T: Document>(&self, doc: &T) -> Result<(), StoreError>;
    /// Replaces an existing document; `Ok(false)` when there is none.
    async fn replace_doc<T: Document>(&self, doc: &T) -> Result<bool, StoreError>;
    async fn get_doc<T: Document>(&self, id: &str) -> Result<Option<T>, StoreError>;
    async fn list_docs<T: Document>(&self) -> Result<Vec<T>, StoreError>;
    async fn delete_doc<T: Document>(&self, id: &str) -> Result<bool, StoreError>;
    /// A document with the exact bytes stored, for a later `cas_doc`.
    async fn get_doc_versioned<T: Document>(
        &self,
        id: &str,
    ) -> Result<Option<(T, Vec<u8>)>, StoreError>;
    /// Replaces the document only if it is still stored as `expected`.
    async fn cas_doc<T: Document>(&self, doc: &T, expected: &[u8]) -> Result<bool, StoreError>;
}

#[async_trait]
impl<S: DocStore + ?Sized> Docs for S {
    async fn create_doc<T: Document>(&self, doc: &T) -> Result<(), StoreError> {
        let written = self
            .doc_put(T::COLLECTION, doc.id(), to_json(doc)?, PutMode::Create)
            .await?;
        if written {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!(
                "{} {} exists",
                T::COLLECTION.name(),
                doc.id()
            )))
        }
    }

    async fn replace_doc<T: Document>(&self, doc: &T) -> Result<bool, StoreError> {
        self.doc_put(T::COLLECTION, doc.id(), to_json(doc)?, PutMode::Replace)
            .await
    }

    async fn get_doc<T: Document>(&self, id: &str) -> Result<Option<T>, StoreError> {
        self.doc_get(T::COLLECTION, id)
            .await?
            .map(|b| from_json(&b))
            .transpose()
    }

    async fn list_docs<T: Document>(&self) -> Result<Vec<T>, StoreError> {
        self.doc_list(T::COLLECTION)
            .await?
            .iter()
            .map(|b| from_json(b))
            .collect()
    }

    async fn delete_doc<T: Document>(&self, id: &str) -> Result<bool, StoreError> {
        self.doc_delete(T::COLLECTION, id).await
    }

    async fn get_doc_versioned<T: Document>(
        &self,
        id: &str,
    ) -> Result<Option<(T, Vec<u8>)>, StoreError> {
        match self.doc_get(T::COLLECTION, id).await? {
            Some(b) => Ok(Some((from_json(&b)?, b))),
            None => Ok(None),
        }
    }

    async fn cas_doc<T: Document>(&self, doc: &T, expected: &[u8]) -> Result<bool, StoreError> {
        self.doc_cas(T::COLLECTION, doc.id(), expected, to_json(doc)?)
            .await
    }
}
