//! Export jobs as stored. Every method takes the organisation and answers `None` /
//! `false` for another's job, like the workspace's other traits.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreResult;
use crate::domain::*;

/// What [`ExportJobStore::create_export_job`] did.
///
/// The large variant is not boxed: one value is made per export request and matched at
/// once, never kept in bulk, and callers match on the job directly.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatedExport {
    /// The job was stored (state `Queued`).
    Created,
    /// An active (queued or running, not stalled) job of the same organisation and
    /// [`ExportJob::dedupe_key`] exists: nothing was stored; here it is.
    AlreadyActive(ExportJob),
}

/// Export jobs: made by the workspace, claimed and finished by the export runner.
#[async_trait]
pub trait ExportJobStore: Send + Sync {
    /// Stores `job` (state `Queued`) unless the organisation has an active job with the
    /// same dedupe key, atomically: two requests at once make one job. An active job not
    /// updated since `stalled_before` does not count: it is marked failed
    /// ([`ExportFailure::Interrupted`]) and the new one is stored.
    async fn create_export_job(
        &self,
        job: &ExportJob,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<CreatedExport>;
    async fn export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
    ) -> StoreResult<Option<ExportJob>>;
    /// The organisation's jobs, newest first.
    async fn export_jobs(&self, organisation: &OrganisationId) -> StoreResult<Vec<ExportJob>>;
    /// Moves the job to `Running { rows_done: 0 }` (updated at `now`) if it is `Queued`, or
    /// `Running` but not updated since `stalled_before` (its runner died: this one starts
    /// it again, clean). `false` otherwise: another runner has it, or it is finished, or
    /// no such job. So the same job invoked twice writes one result.
    async fn claim_export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        now: OffsetDateTime,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Records progress of a running job (and that its runner is alive). `false` when the
    /// job is no longer running.
    async fn record_export_progress(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        rows_done: u64,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Moves a running job to its end state (`Ready` or `Failed`) and frees its dedupe key.
    /// `false` when the job was not running.
    async fn finish_export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        state: &ExportState,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Deletes the records of jobs that expired before `now`, of every organisation,
    /// returning them (so their files can be removed too). On DynamoDB the records also
    /// carry a TTL attribute, so they go even if this is never called.
    async fn remove_expired_export_jobs(&self, now: OffsetDateTime) -> StoreResult<Vec<ExportJob>>;
}

/// The parts of a job that never change once it is made, stored by both stores as one
/// JSON value. The state and the times are stored apart, as columns or attributes of
/// their own, because claims, progress and finishing change or compare them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ExportSpec {
    pub scope: ExportScope,
    pub rounds: Vec<RoundId>,
    /// Absent in jobs stored before it existed.
    #[serde(default)]
    pub rounds_left_out: Vec<RoundLeftOut>,
    pub settings: ExportSettings,
    pub seed: u64,
    pub requested_by: String,
}

/// What a store keeps of a job beside its [`ExportSpec`].
pub(crate) struct ExportRecord {
    pub id: ExportJobId,
    pub organisation: OrganisationId,
    pub state: ExportState,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl ExportSpec {
    pub(crate) fn of(job: &ExportJob) -> Self {
        Self {
            scope: job.scope.clone(),
            rounds: job.rounds.clone(),
            rounds_left_out: job.rounds_left_out.clone(),
            settings: job.settings,
            seed: job.seed,
            requested_by: job.requested_by.clone(),
        }
    }

    /// The whole job again.
    pub(crate) fn into_job(self, record: ExportRecord) -> ExportJob {
        ExportJob {
            id: record.id,
            organisation: record.organisation,
            scope: self.scope,
            rounds: self.rounds,
            rounds_left_out: self.rounds_left_out,
            settings: self.settings,
            seed: self.seed,
            requested_by: self.requested_by,
            state: record.state,
            created_at: record.created_at,
            updated_at: record.updated_at,
            expires_at: record.expires_at,
        }
    }
}

/// The state a job is stored in on failing because it stalled.
pub(crate) fn interrupted() -> ExportState {
    ExportState::Failed {
        failure: ExportFailure::Interrupted,
    }
}

/// Newest first, ties (the same second) by id, descending: the order of
/// [`ExportJobStore::export_jobs`] on both stores.
pub(crate) fn newest_first(a: &ExportJob, b: &ExportJob) -> std::cmp::Ordering {
    (b.created_at, &b.id).cmp(&(a.created_at, &a.id))
}

/// The name of a state's kind, stored beside the state (a column, an attribute) so that
/// the conditions of claims, progress and finishing can compare it.
pub(crate) fn phase(state: &ExportState) -> &'static str {
    match state {
        ExportState::Queued => "queued",
        ExportState::Running { .. } => "running",
        ExportState::Ready { .. } => "ready",
        ExportState::Failed { .. } => "failed",
    }
}
