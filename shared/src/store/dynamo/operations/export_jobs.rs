//! Export jobs in the invitations table: one partition per organisation (`EJ#<org>`)
//! holding its jobs (`J#<job id>`) and, for each active job, a lock item
//! (`A#<dedupe key>`, naming the job) that makes it the only active one with its dedupe
//! key. Creating writes the lock and the job in one transaction, each only if new;
//! finishing changes the job and deletes its lock in one. Jobs hold no answers, tokens
//! or credential hashes; they and their locks carry the time to live of the job's
//! expiry. Why this table: `docs/dynamodb.md`, "Export jobs".

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use time::OffsetDateTime;

use super::update_condition_failed;
use crate::domain::*;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{
    Item, TTL_ATTRIBUTE, from_json, item, n, s, slug, text, time_at,
};
use crate::store::dynamo::keys::{self, EXPORT_JOB};
use crate::store::dynamo::reads::{PartitionQuery, SortKeys};
use crate::store::dynamo::transact::{NEW_ITEM, put, update};
use crate::store::export::{ExportRecord, ExportSpec, interrupted, newest_first, phase};
use crate::store::*;

/// Rounds of "the lock is taken; look at its job; take it over" before a create gives up:
/// each lost round means another create or finish changed the lock meanwhile.
const CREATE_ATTEMPTS: u32 = 5;

/// The condition under which a job is active and stalled at `:stalled`, so its lock may
/// be taken over.
const STALLED: &str = "#phase IN (:queued, :running) AND updated_at < :stalled";
/// The condition of a claim: queued, or running and stalled.
const CLAIMABLE: &str =
    "attribute_exists(pk) AND (#phase = :queued OR (#phase = :running AND updated_at < :stalled))";
/// A lock that is gone (expired) or names this job: finishing or removing the job may
/// delete it.
const LOCK_OF_JOB: &str = "attribute_not_exists(pk) OR #job = :job";

#[async_trait]
impl ExportJobStore for DynamoStore {
    async fn create_export_job(
        &self,
        job: &ExportJob,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<CreatedExport> {
        let dedupe_key = job.dedupe_key();
        let fresh = self.lock_and_job(job, &dedupe_key, NewLock::Free)?;
        if let Some(created) = self.try_create(fresh).await? {
            return Ok(created);
        }
        for _ in 1..CREATE_ATTEMPTS {
            match self
                .after_lock_taken(job, &dedupe_key, stalled_before)
                .await?
            {
                Attempt::Active(active) => return Ok(CreatedExport::AlreadyActive(*active)),
                Attempt::Write(actions) => {
                    if let Some(created) = self.try_create(actions).await? {
                        return Ok(created);
                    }
                }
            }
        }
        Err(StoreError::Unavailable(
            "the export job's lock kept changing; try again".into(),
        ))
    }

    async fn export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
    ) -> StoreResult<Option<ExportJob>> {
        let key = keys::export_job(organisation, id);
        self.get(&self.tables.invitations, key)
            .await?
            .as_ref()
            .map(read_job)
            .transpose()
    }

    /// One `Query` of the organisation's jobs (not its locks), sorted here: the sort key
    /// is the job id, so that a job is one `GetItem`; the jobs of 30 days are few.
    async fn export_jobs(&self, organisation: &OrganisationId) -> StoreResult<Vec<ExportJob>> {
        let mut jobs = self.jobs_of(organisation).await?;
        jobs.sort_by(newest_first);
        Ok(jobs)
    }

    async fn claim_export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        now: OffsetDateTime,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::export_job(organisation, id)))
            .update_expression("SET #state = :state, #phase = :running, updated_at = :now")
            .condition_expression(CLAIMABLE)
            .set_expression_attribute_names(Some(names()))
            .expression_attribute_values(
                ":state",
                state_json(&ExportState::Running { rows_done: 0 })?,
            )
            .expression_attribute_values(":queued", s(phase(&ExportState::Queued)))
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":stalled", n(stalled_before.unix_timestamp()))
            .send()
            .await;
        condition_held(result)
    }

    async fn record_export_progress(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        rows_done: u64,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::export_job(organisation, id)))
            .update_expression("SET #state = :state, updated_at = :now")
            .condition_expression("attribute_exists(pk) AND #phase = :running")
            .set_expression_attribute_names(Some(names()))
            .expression_attribute_values(":state", state_json(&ExportState::Running { rows_done })?)
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .send()
            .await;
        condition_held(result)
    }

    /// `GetItem` the job (for its dedupe key), then one transaction: the job to its end
    /// state if still running, and its lock deleted.
    async fn finish_export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        state: &ExportState,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        if state.is_active() {
            return Ok(false);
        }
        let Some(job) = self.export_job(organisation, id).await? else {
            return Ok(false);
        };
        if !matches!(job.state, ExportState::Running { .. }) {
            return Ok(false);
        }
        let table = &self.tables.invitations;
        let finish = Update::builder()
            .table_name(table)
            .set_key(Some(keys::export_job(organisation, id)))
            .update_expression("SET #state = :state, #phase = :end, updated_at = :now")
            .condition_expression("attribute_exists(pk) AND #phase = :running")
            .set_expression_attribute_names(Some(names()))
            .expression_attribute_values(":state", state_json(state)?)
            .expression_attribute_values(":end", s(phase(state)))
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .build()
            .map_err(StoreError::unavailable)?;
        let actions = vec![update(finish), self.release(&job)?];
        match self.transact(actions).await? {
            Ok(()) => Ok(true),
            Err(cancelled) if cancelled.condition_failed(0) => Ok(false),
            Err(cancelled) if cancelled.any_condition_failed() => {
                Err(cancelled.refused("the export job's lock names another job"))
            }
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }

    /// Per organisation (`OrganisationStore::organisations`, one `Query`), one `Query` of
    /// its jobs; each expired one is deleted with its lock in a transaction. No `Scan`.
    /// Jobs of an organisation no longer listed are left to the time to live.
    async fn remove_expired_export_jobs(&self, now: OffsetDateTime) -> StoreResult<Vec<ExportJob>> {
        let mut removed = Vec::new();
        for organisation in self.organisations().await? {
            for job in self.jobs_of(&organisation.id).await? {
                if job.is_expired(now) && self.remove(&job).await? {
                    removed.push(job);
                }
            }
        }
        Ok(removed)
    }
}

/// The next step of a create whose lock was taken.
enum Attempt {
    /// The lock's job is active and alive: the answer (boxed: a job is ten times the
    /// size of the other variant).
    Active(Box<ExportJob>),
    /// A transaction that stores the new job if the lock is still as it was read.
    Write(Vec<TransactWriteItem>),
}

/// What the lock of a new job may replace.
enum NewLock<'a> {
    /// None: the lock must not exist.
    Free,
    /// The lock naming this job (stalled, finished or gone).
    TakenFrom(&'a ExportJobId),
}

impl DynamoStore {
    /// The lock (action 0) and the new job (action 1), each under its condition.
    fn lock_and_job(
        &self,
        job: &ExportJob,
        dedupe_key: &str,
        lock: NewLock<'_>,
    ) -> StoreResult<Vec<TransactWriteItem>> {
        let table = &self.tables.invitations;
        let lock_item = item(
            keys::export_lock(&job.organisation, dedupe_key),
            [
                ("job", s(job.id.to_string())),
                (TTL_ATTRIBUTE, n(job.expires_at.unix_timestamp())),
            ],
        );
        let lock_action = match lock {
            NewLock::Free => put(table, lock_item, Some(NEW_ITEM))?,
            NewLock::TakenFrom(holder) => {
                let put = aws_sdk_dynamodb::types::Put::builder()
                    .table_name(table)
                    .set_item(Some(lock_item))
                    .condition_expression("#job = :holder")
                    .expression_attribute_names("#job", "job")
                    .expression_attribute_values(":holder", s(holder.to_string()))
                    .build()
                    .map_err(StoreError::unavailable)?;
                TransactWriteItem::builder().put(put).build()
            }
        };
        Ok(vec![
            lock_action,
            put(table, job_item(job, dedupe_key)?, Some(NEW_ITEM))?,
        ])
    }

    /// Reads the lock and its job: an active job not stalled is the answer; a stalled one
    /// is taken over (marked interrupted in the same transaction); a lock that is gone,
    /// or names a job that finished or is gone, is written anew.
    async fn after_lock_taken(
        &self,
        job: &ExportJob,
        dedupe_key: &str,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<Attempt> {
        let actions = match self.lock_holder(&job.organisation, dedupe_key).await? {
            None => self.lock_and_job(job, dedupe_key, NewLock::Free)?,
            Some((_, Some(active))) if active.state.is_active() => {
                if active.updated_at >= stalled_before {
                    return Ok(Attempt::Active(Box::new(active)));
                }
                let mut actions =
                    self.lock_and_job(job, dedupe_key, NewLock::TakenFrom(&active.id))?;
                actions.push(self.interrupt(&active, job.created_at, stalled_before)?);
                actions
            }
            Some((holder, _)) => self.lock_and_job(job, dedupe_key, NewLock::TakenFrom(&holder))?,
        };
        Ok(Attempt::Write(actions))
    }

    /// Runs a create's transaction: `Some(Created)`, or `None` when the lock's condition
    /// failed (taken, or changed since it was read).
    async fn try_create(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> StoreResult<Option<CreatedExport>> {
        match self.transact(actions).await? {
            Ok(()) => Ok(Some(CreatedExport::Created)),
            Err(cancelled) if cancelled.condition_failed(1) => {
                Err(cancelled.refused("an export job with this id already exists"))
            }
            Err(cancelled) if cancelled.any_condition_failed() => Ok(None),
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }

    /// The id and the job the organisation's lock of `dedupe_key` names: `None` when
    /// there is no lock, a `None` job when the lock names one that is gone.
    async fn lock_holder(
        &self,
        organisation: &OrganisationId,
        dedupe_key: &str,
    ) -> StoreResult<Option<(ExportJobId, Option<ExportJob>)>> {
        let table = &self.tables.invitations;
        let Some(lock) = self
            .get(table, keys::export_lock(organisation, dedupe_key))
            .await?
        else {
            return Ok(None);
        };
        let holder = ExportJobId::parse(text(&lock, "job")?)
            .ok_or_else(|| StoreError::Corrupt("invalid export lock job".into()))?;
        let job = self.export_job(organisation, &holder).await?;
        Ok(Some((holder, job)))
    }

    /// Marks a stalled job interrupted, if it still is stalled when the transaction runs.
    fn interrupt(
        &self,
        job: &ExportJob,
        now: OffsetDateTime,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<TransactWriteItem> {
        let failed = interrupted();
        let change = Update::builder()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::export_job(&job.organisation, &job.id)))
            .update_expression("SET #state = :state, #phase = :failed, updated_at = :now")
            .condition_expression(STALLED)
            .set_expression_attribute_names(Some(names()))
            .expression_attribute_values(":state", state_json(&failed)?)
            .expression_attribute_values(":failed", s(phase(&failed)))
            .expression_attribute_values(":queued", s(phase(&ExportState::Queued)))
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":stalled", n(stalled_before.unix_timestamp()))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(update(change))
    }

    /// Deletes the job's lock if it is the job's (or already gone).
    fn release(&self, job: &ExportJob) -> StoreResult<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::export_lock(
                &job.organisation,
                &job.dedupe_key(),
            )))
            .condition_expression(LOCK_OF_JOB)
            .expression_attribute_names("#job", "job")
            .expression_attribute_values(":job", s(job.id.to_string()))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Deletes an expired job and its lock; `false` if the job was already gone.
    async fn remove(&self, job: &ExportJob) -> StoreResult<bool> {
        let delete = Delete::builder()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::export_job(&job.organisation, &job.id)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(StoreError::unavailable)?;
        let mut actions = vec![TransactWriteItem::builder().delete(delete).build()];
        // A finished job's lock is gone, and its key may be another job's now.
        if job.state.is_active() {
            actions.push(self.release(job)?);
        }
        match self.transact(actions).await? {
            Ok(()) => Ok(true),
            Err(cancelled) if cancelled.condition_failed(0) => Ok(false),
            Err(cancelled) if cancelled.any_condition_failed() => {
                Err(cancelled.refused("the export job's lock names another job"))
            }
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }

    /// The organisation's jobs, in no particular order.
    async fn jobs_of(&self, organisation: &OrganisationId) -> StoreResult<Vec<ExportJob>> {
        self.query(PartitionQuery {
            table: &self.tables.invitations,
            pk: keys::export_jobs_partition(organisation),
            sort_keys: SortKeys::BeginningWith(EXPORT_JOB.to_owned()),
            newest_first: false,
            limit: None,
        })
        .await?
        .iter()
        .map(read_job)
        .collect()
    }
}

/// The `phase` of a running job, which most conditions name.
const RUNNING: &str = "running";

/// `state` is one of DynamoDB's reserved words; `phase` is spelled the same way, `#…`.
fn names() -> std::collections::HashMap<String, String> {
    [("#state", "state"), ("#phase", "phase")]
        .into_iter()
        .map(|(alias, name)| (alias.to_owned(), name.to_owned()))
        .collect()
}

fn state_json(state: &ExportState) -> StoreResult<AttributeValue> {
    crate::store::dynamo::items::to_json(state).map(s)
}

/// `true` if the update was made, `false` if its condition did not hold.
fn condition_held<T>(
    result: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        >,
    >,
) -> StoreResult<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(error) if update_condition_failed(&error) => Ok(false),
        Err(error) => Err(StoreError::unavailable(error)),
    }
}

fn job_item(job: &ExportJob, dedupe_key: &str) -> StoreResult<Item> {
    let queued = ExportState::Queued;
    let spec = crate::store::dynamo::items::to_json(&ExportSpec::of(job))?;
    Ok(item(
        keys::export_job(&job.organisation, &job.id),
        [
            ("id", s(job.id.to_string())),
            ("organisation", s(job.organisation.to_string())),
            ("dedupe_key", s(dedupe_key)),
            ("spec", s(spec)),
            ("state", state_json(&queued)?),
            ("phase", s(phase(&queued))),
            ("created_at", n(job.created_at.unix_timestamp())),
            ("updated_at", n(job.updated_at.unix_timestamp())),
            ("expires_at", n(job.expires_at.unix_timestamp())),
            (TTL_ATTRIBUTE, n(job.expires_at.unix_timestamp())),
        ],
    ))
}

fn read_job(stored: &Item) -> StoreResult<ExportJob> {
    let spec: ExportSpec = from_json(stored, "spec")?;
    Ok(spec.into_job(ExportRecord {
        id: ExportJobId::parse(text(stored, "id")?)
            .ok_or_else(|| StoreError::Corrupt("invalid export job id".into()))?,
        organisation: slug(stored, "organisation")?,
        state: from_json(stored, "state")?,
        created_at: time_at(stored, "created_at")?,
        updated_at: time_at(stored, "updated_at")?,
        expires_at: time_at(stored, "expires_at")?,
    }))
}
