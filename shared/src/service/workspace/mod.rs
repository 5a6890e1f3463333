//! The workspace's use cases: what a signed-in municipality or network may do. Nothing
//! here knows HTTP: the admin function's pages and JSON API both call these.
//!
//! Every use case takes the [`Caller`] and checks that the object is the caller's
//! organisation's before reading or changing it; another organisation's object is
//! [`WorkspaceError::NotFound`], exactly like one that does not exist, so nothing about
//! it leaks (not even that it exists).
//!
//! - `access`: access keys, signing in with one, and the caller behind a key.
//! - `rounds`: creating, opening, closing and listing rounds with their counts.
//! - `audit`: recording and reading the audit trail.
//! - `invitations`: batches of invitations, their CSV and letters, reissues, reminders.
//! - `rates`: response rates per round and per day.
//! - `network`: the network's mapping and report rounds.

use std::sync::Arc;

use crate::domain::*;
use crate::store::{Store, StoreError};

mod access;
mod audit;
pub mod network;
mod rounds;
pub mod seed;
// These tests run on the embedded store.
#[cfg(all(test, feature = "embedded"))]
mod tests;

pub use access::{CreatedKey, KEY_LABEL_MAX, OPERATOR_LABEL, SignIn};
pub use audit::AUDIT_PAGE_SIZE;
pub use network::QuestionnaireChoice;
pub use rounds::{
    NewRound, ROUND_NAME_MAX, ROUND_UNIT_MAX, RoundOverview, parse_date, transition_allowed,
};
pub mod invitations;
pub mod letters;
pub mod rates;

/// The workspace's services over one store.
pub struct Workspace {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) hash_key: HashKey,
}

impl Workspace {
    pub fn new(store: Arc<dyn Store>, hash_key: HashKey) -> Self {
        Self { store, hash_key }
    }

    /// The store underneath, for seeding and start-up (never for a request's use case).
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// The store underneath, shared: for start-up's background work (the export sweep).
    pub fn store_arc(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

/// Who is acting: an organisation, through one of its access keys (directly as a bearer
/// token, or behind a session made from the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub organisation: Organisation,
    pub key_id: AccessKeyId,
    pub key_label: String,
}

/// Why a use case did not happen. Each has a stable code (for the JSON API) and a
/// plain-language message in Swedish (for the pages and the API's `message`).
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// Not there, or not the caller's: the same answer for both.
    #[error("hittades inte")]
    NotFound,
    /// The caller's organisation may not do this at all (a municipality sending a
    /// mapping, a network making patient invitations).
    #[error("{0}")]
    NotAllowed(String),
    /// A value the caller gave is not acceptable; `field` names the form field / JSON
    /// property, `message` says what to do instead.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The object is in a state that does not allow this (a closed round, a report
    /// already sent); the message says which.
    #[error("{0}")]
    Conflict(String),
    #[error("storage failed")]
    Store(#[from] StoreError),
}

impl WorkspaceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        WorkspaceError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The stable code of the JSON API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            WorkspaceError::NotFound => "not_found",
            WorkspaceError::NotAllowed(_) => "not_allowed",
            WorkspaceError::Invalid { .. } => "invalid",
            WorkspaceError::Conflict(_) => "conflict",
            WorkspaceError::Store(StoreError::Unavailable(_)) => "unavailable",
            WorkspaceError::Store(_) => "internal",
        }
    }
}

pub type WorkspaceResult<T> = Result<T, WorkspaceError>;

impl Workspace {
    /// The round, if the caller may see it: a municipality its own rounds (and those sent
    /// to it), a network the rounds it sent. Otherwise [`WorkspaceError::NotFound`], the
    /// same as for a round that does not exist.
    pub async fn visible_round(&self, caller: &Caller, round: &RoundId) -> WorkspaceResult<Round> {
        let round = self
            .store
            .round(round)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        let organisation = &caller.organisation;
        let visible = match organisation.kind {
            OrganisationKind::Municipality => round.municipality == organisation.id,
            OrganisationKind::Network => round.sent_by.as_ref() == Some(&organisation.id),
        };
        if visible {
            Ok(round)
        } else {
            Err(WorkspaceError::NotFound)
        }
    }

    /// Appends one line to the caller's audit trail. `object` names what was acted on
    /// (a round id, a key's label, a count): never a key, a token or an answer.
    pub async fn record(
        &self,
        caller: &Caller,
        action: AuditAction,
        object: impl Into<String>,
        result: AuditResult,
    ) -> WorkspaceResult<()> {
        let entry = AuditEntry {
            organisation: caller.organisation.id.clone(),
            key_label: caller.key_label.clone(),
            action,
            object: object.into(),
            at: Self::now(),
            result,
        };
        self.store.append_audit(&entry).await?;
        Ok(())
    }
}
