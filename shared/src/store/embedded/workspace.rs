//! TEMPORARY: the workspace traits, not yet implemented (replaced in this change).
#![allow(unused_variables)]

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use super::EmbeddedStore;
use crate::domain::*;
use crate::store::*;

fn not_yet() -> StoreError {
    StoreError::Corrupt("not implemented yet".into())
}

#[async_trait]
impl OrganisationStore for EmbeddedStore {
    async fn put_organisation(&self, organisation: &Organisation) -> StoreResult<()> {
        Err(not_yet())
    }
    async fn organisation(&self, id: &OrganisationId) -> StoreResult<Option<Organisation>> {
        Err(not_yet())
    }
    async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        Err(not_yet())
    }
}

#[async_trait]
impl AccessKeyStore for EmbeddedStore {
    async fn create_access_key(&self, key: &AccessKey, hash: &AccessKeyHash) -> StoreResult<()> {
        Err(not_yet())
    }
    async fn access_key_by_hash(&self, hash: &AccessKeyHash) -> StoreResult<Option<AccessKey>> {
        Err(not_yet())
    }
    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKey>> {
        Err(not_yet())
    }
    async fn access_keys(&self, organisation: &OrganisationId) -> StoreResult<Vec<AccessKey>> {
        Err(not_yet())
    }
    async fn revoke_access_key(
        &self,
        organisation: &OrganisationId,
        id: &AccessKeyId,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }
}

#[async_trait]
impl RoundAdminStore for EmbeddedStore {
    async fn rounds_of_municipality(
        &self,
        municipality: &MunicipalityId,
    ) -> StoreResult<Vec<Round>> {
        Err(not_yet())
    }
    async fn rounds_sent_by(&self, network: &OrganisationId) -> StoreResult<Vec<Round>> {
        Err(not_yet())
    }
    async fn set_round_status(&self, round: &RoundId, status: RoundStatus) -> StoreResult<bool> {
        Err(not_yet())
    }
    async fn round_counts(&self, round: &RoundId) -> StoreResult<RoundCounts> {
        Err(not_yet())
    }
    async fn answered_per_day(&self, round: &RoundId) -> StoreResult<Vec<(Date, u64)>> {
        Err(not_yet())
    }
}

#[async_trait]
impl InvitationAdminStore for EmbeddedStore {
    async fn reserve_numbers(&self, round: &RoundId, count: u32) -> StoreResult<u32> {
        Err(not_yet())
    }
    async fn create_batch(
        &self,
        batch: &StoredBatch,
        invitations: &[NewInvitation],
    ) -> StoreResult<()> {
        Err(not_yet())
    }
    async fn add_credentials(
        &self,
        batch: &StoredBatch,
        replaces: Option<&BatchId>,
        credentials: &[(InvitationId, CredentialHash, CredentialHash)],
    ) -> StoreResult<()> {
        Err(not_yet())
    }
    async fn delete_batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<()> {
        Err(not_yet())
    }
    async fn batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<Option<StoredBatch>> {
        Err(not_yet())
    }
    async fn batches(&self, round: &RoundId) -> StoreResult<Vec<StoredBatch>> {
        Err(not_yet())
    }
    async fn invitation_summaries(
        &self,
        round: &RoundId,
        after: u32,
        limit: u32,
    ) -> StoreResult<Vec<InvitationSummary>> {
        Err(not_yet())
    }
}

#[async_trait]
impl AuditStore for EmbeddedStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        Err(not_yet())
    }
    async fn audit_trail(
        &self,
        organisation: &OrganisationId,
        after: Option<&AuditCursor>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        Err(not_yet())
    }
}
