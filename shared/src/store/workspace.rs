//! The workspace's storage traits: organisations, access keys, rounds as a municipality
//! or network lists and changes them, invitation batches and the audit trail.
//!
//! Every method that reads or changes an organisation's objects takes the organisation
//! and answers `None` / `false` / nothing for another's: access control does not rest on
//! the caller having checked first.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use super::StoreResult;
use crate::domain::*;

/// Organisations: municipalities and networks.
#[async_trait]
pub trait OrganisationStore: Send + Sync {
    /// Creates the organisation or replaces its name, kind and network.
    async fn put_organisation(&self, organisation: &Organisation) -> StoreResult<()>;
    async fn organisation(&self, id: &OrganisationId) -> StoreResult<Option<Organisation>>;
    /// Every organisation, by id.
    async fn organisations(&self) -> StoreResult<Vec<Organisation>>;
}

/// Access keys: only their keyed hashes are stored.
#[async_trait]
pub trait AccessKeyStore: Send + Sync {
    /// Stores a new key under its hash; a hash already stored is
    /// [`super::StoreError::DuplicateCredential`].
    async fn create_access_key(&self, key: &AccessKey, hash: &AccessKeyHash) -> StoreResult<()>;
    /// The key a secret's hash belongs to, revoked or not.
    async fn access_key_by_hash(&self, hash: &AccessKeyHash) -> StoreResult<Option<AccessKey>>;
    /// A key by id, revoked or not: a session checks its key is still active with this.
    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKey>>;
    /// An organisation's keys, newest first, revoked ones included.
    async fn access_keys(&self, organisation: &OrganisationId) -> StoreResult<Vec<AccessKey>>;
    /// Revokes an active key of `organisation` at `at`. `false` when it has no such key
    /// (another's, unknown) or it was already revoked.
    async fn revoke_access_key(
        &self,
        organisation: &OrganisationId,
        id: &AccessKeyId,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
}

/// Rounds as the workspace lists and changes them ([`super::SetupStore`] creates them).
#[async_trait]
pub trait RoundAdminStore: Send + Sync {
    /// The rounds of a municipality (its own and those sent to it), newest first.
    async fn rounds_of_municipality(
        &self,
        municipality: &MunicipalityId,
    ) -> StoreResult<Vec<Round>>;
    /// The rounds a network sent, newest first.
    async fn rounds_sent_by(&self, network: &OrganisationId) -> StoreResult<Vec<Round>>;
    /// Sets a round's status. `false` when the round does not exist.
    async fn set_round_status(&self, round: &RoundId, status: RoundStatus) -> StoreResult<bool>;
    /// Invitations made and responses stored, read together.
    async fn round_counts(&self, round: &RoundId) -> StoreResult<RoundCounts>;
    /// Responses stored per day of submission, in date order, days without any left out.
    async fn answered_per_day(&self, round: &RoundId) -> StoreResult<Vec<(Date, u64)>>;
}

/// A batch as stored: no credentials, no secret, only the secret's keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    pub id: BatchId,
    pub round: RoundId,
    pub kind: BatchKind,
    /// The running numbers of the batch's invitations, ascending.
    pub numbers: Vec<u32>,
    /// `BatchSecret::hash`: a download must bring the secret that hashes to this.
    pub secret_hash: String,
    /// Running numbers whose short code needed another attempt (the derived code was
    /// taken), with the attempt used; almost always empty.
    pub code_attempts: Vec<(u32, u8)>,
    pub created_at: OffsetDateTime,
}

/// An invitation as the workspace sees it: by running number, whether answered, how many
/// reminders it had. Never linked to a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationSummary {
    pub id: InvitationId,
    pub number: u32,
    pub status: InvitationStatus,
    pub reminders: u8,
}

/// Making invitations in bulk, reissuing them and reminding.
#[async_trait]
pub trait InvitationAdminStore: Send + Sync {
    /// Reserves `count` running numbers of a round, returning the first: numbers are never
    /// given out twice, even to concurrent callers.
    async fn reserve_numbers(&self, round: &RoundId, count: u32) -> StoreResult<u32>;
    /// Stores the batch record and its invitations (each under both its credential
    /// hashes, each credential remembered as the batch's), and raises the round's issued
    /// count. A hash already in use is [`super::StoreError::DuplicateCredential`]; then
    /// nothing of the batch may remain usable (see `delete_batch`).
    async fn create_batch(
        &self,
        batch: &StoredBatch,
        invitations: &[NewInvitation],
    ) -> StoreResult<()>;
    /// Adds credentials made by `batch` (a reissue or reminder) to existing invitations of
    /// its round: `(invitation, link hash, code hash)`. A reminder raises each one's
    /// reminder count; a reissue first revokes the credentials the invitation got from
    /// `replaces` (the batch whose file was lost).
    async fn add_credentials(
        &self,
        batch: &StoredBatch,
        replaces: Option<&BatchId>,
        credentials: &[(InvitationId, CredentialHash, CredentialHash)],
    ) -> StoreResult<()>;
    /// Removes what `create_batch` or `add_credentials` wrote for a batch that failed
    /// half-way: its record, its credentials, and the invitations it created.
    async fn delete_batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<()>;
    async fn batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<Option<StoredBatch>>;
    /// A round's batches, oldest first.
    async fn batches(&self, round: &RoundId) -> StoreResult<Vec<StoredBatch>>;
    /// Up to `limit` invitations of a round with running numbers above `after`, ascending.
    async fn invitation_summaries(
        &self,
        round: &RoundId,
        after: u32,
        limit: u32,
    ) -> StoreResult<Vec<InvitationSummary>>;
}

/// An opaque position in an audit trail, for reading it page by page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCursor(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<AuditCursor>,
}

/// The append-only audit trail, per organisation.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Up to `limit` entries of `organisation`, newest first, after `after`.
    async fn audit_trail(
        &self,
        organisation: &OrganisationId,
        after: Option<&AuditCursor>,
        limit: u32,
    ) -> StoreResult<AuditPage>;
}
