//! Export jobs: one row each in `export_jobs`, with its state and times in columns of
//! their own (claims, progress and finishing compare and change them) and the rest as
//! JSON ([`ExportSpec`]).
//!
//! Every change runs on the writer thread, one job at a time, so a create's look-up of
//! the active job and its insert are one atomic step. The partial unique index
//! `export_jobs_active` (one active row per organisation and dedupe key) guards the same
//! rule in the file itself, should a bug ever try to break it.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;

use super::{EmbeddedStore, from_json, parse_stored, to_json};
use crate::domain::questionnaire::Slug;
use crate::domain::*;
use crate::store::export::{ExportRecord, ExportSpec, interrupted, phase};
use crate::store::*;

/// The columns [`read_job`] reads, in its order.
const COLUMNS: &str = "id, organisation, spec, state, created_at, updated_at, expires_at";

#[async_trait]
impl ExportJobStore for EmbeddedStore {
    async fn create_export_job(
        &self,
        job: &ExportJob,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<CreatedExport> {
        let job = job.clone();
        self.write(move |conn| create(conn, &job, stalled_before))
            .await
    }

    async fn export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
    ) -> StoreResult<Option<ExportJob>> {
        let (organisation, id) = (organisation.to_string(), id.to_string());
        self.read(move |conn| job_by_id(conn, &organisation, &id))
            .await
    }

    async fn export_jobs(&self, organisation: &OrganisationId) -> StoreResult<Vec<ExportJob>> {
        let organisation = organisation.to_string();
        self.read(move |conn| {
            select_jobs(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM export_jobs WHERE organisation = ?1
                     ORDER BY created_at DESC, id DESC"
                ),
                params![organisation],
            )
        })
        .await
    }

    /// One conditional `UPDATE`: it changes the row only if it is queued, or running and
    /// stalled, so of two claims at once one changes it and the other finds it claimed.
    async fn claim_export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        now: OffsetDateTime,
        stalled_before: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (organisation, id) = (organisation.to_string(), id.to_string());
        let running = to_json(&ExportState::Running { rows_done: 0 })?;
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE export_jobs SET state = ?3, phase = 'running', updated_at = ?4
                     WHERE organisation = ?1 AND id = ?2
                       AND (phase = 'queued' OR (phase = 'running' AND updated_at < ?5))",
                )?
                .execute(params![
                    organisation,
                    id,
                    running,
                    now.unix_timestamp(),
                    stalled_before.unix_timestamp()
                ])?;
            Ok(changed == 1)
        })
        .await
    }

    async fn record_export_progress(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        rows_done: u64,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (organisation, id) = (organisation.to_string(), id.to_string());
        let running = to_json(&ExportState::Running { rows_done })?;
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE export_jobs SET state = ?3, updated_at = ?4
                     WHERE organisation = ?1 AND id = ?2 AND phase = 'running'",
                )?
                .execute(params![organisation, id, running, now.unix_timestamp()])?;
            Ok(changed == 1)
        })
        .await
    }

    /// Clearing `active` frees the dedupe key in the same statement.
    async fn finish_export_job(
        &self,
        organisation: &OrganisationId,
        id: &ExportJobId,
        state: &ExportState,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let Some(end) = end_phase(state) else {
            return Ok(false);
        };
        let (organisation, id) = (organisation.to_string(), id.to_string());
        let state = to_json(state)?;
        self.write(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE export_jobs SET state = ?3, phase = ?4, active = NULL, updated_at = ?5
                     WHERE organisation = ?1 AND id = ?2 AND phase = 'running'",
                )?
                .execute(params![organisation, id, state, end, now.unix_timestamp()])?;
            Ok(changed == 1)
        })
        .await
    }

    /// Found by the `expires_at` index and deleted in one write transaction.
    async fn remove_expired_export_jobs(&self, now: OffsetDateTime) -> StoreResult<Vec<ExportJob>> {
        let now = now.unix_timestamp();
        self.write(move |conn| {
            let expired = select_jobs(
                conn,
                &format!("SELECT {COLUMNS} FROM export_jobs WHERE expires_at <= ?1"),
                params![now],
            )?;
            conn.prepare_cached("DELETE FROM export_jobs WHERE expires_at <= ?1")?
                .execute(params![now])?;
            Ok(expired)
        })
        .await
    }
}

/// The phase of an end state; `None` for an active one (finishing into it is refused).
fn end_phase(state: &ExportState) -> Option<&'static str> {
    (!state.is_active()).then(|| phase(state))
}

/// On the writer: the organisation's active job with the same dedupe key wins unless it
/// stalled, in which case it is marked interrupted and this one stored.
fn create(
    conn: &Connection,
    job: &ExportJob,
    stalled_before: OffsetDateTime,
) -> StoreResult<CreatedExport> {
    let organisation = job.organisation.to_string();
    let dedupe_key = job.dedupe_key();
    if let Some(active) = active_job(conn, &organisation, &dedupe_key)? {
        if active.updated_at >= stalled_before {
            return Ok(CreatedExport::AlreadyActive(active));
        }
        interrupt(conn, &active, job.created_at)?;
    }
    insert(conn, job, &dedupe_key)?;
    Ok(CreatedExport::Created)
}

fn active_job(
    conn: &Connection,
    organisation: &str,
    dedupe_key: &str,
) -> StoreResult<Option<ExportJob>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM export_jobs
         WHERE organisation = ?1 AND dedupe_key = ?2 AND active = 1"
    );
    Ok(select_jobs(conn, &sql, params![organisation, dedupe_key])?
        .into_iter()
        .next())
}

/// Marks a stalled job failed ([`ExportFailure::Interrupted`]) at `now`, freeing its key.
fn interrupt(conn: &Connection, job: &ExportJob, now: OffsetDateTime) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE export_jobs SET state = ?2, phase = 'failed', active = NULL, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![
        job.id.to_string(),
        to_json(&interrupted())?,
        now.unix_timestamp()
    ])?;
    Ok(())
}

/// Stores `job` queued, whatever state it carries: a new job has not run.
fn insert(conn: &Connection, job: &ExportJob, dedupe_key: &str) -> StoreResult<()> {
    let queued = ExportState::Queued;
    conn.prepare_cached(
        "INSERT INTO export_jobs (id, organisation, dedupe_key, active, phase, spec, state,
                                  created_at, updated_at, expires_at)
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        job.id.to_string(),
        job.organisation.to_string(),
        dedupe_key,
        phase(&queued),
        to_json(&ExportSpec::of(job))?,
        to_json(&queued)?,
        job.created_at.unix_timestamp(),
        job.updated_at.unix_timestamp(),
        job.expires_at.unix_timestamp(),
    ])?;
    Ok(())
}

fn job_by_id(conn: &Connection, organisation: &str, id: &str) -> StoreResult<Option<ExportJob>> {
    let raw = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM export_jobs WHERE organisation = ?1 AND id = ?2"
        ))?
        .query_row(params![organisation, id], raw_job)
        .optional()?;
    raw.map(read_job).transpose()
}

fn select_jobs(
    conn: &Connection,
    sql: &str,
    values: impl rusqlite::Params,
) -> StoreResult<Vec<ExportJob>> {
    let raw = conn
        .prepare_cached(sql)?
        .query_map(values, raw_job)?
        .collect::<Result<Vec<_>, _>>()?;
    raw.into_iter().map(read_job).collect()
}

/// A row as stored: id, organisation, spec, state, created, updated, expires.
type RawJob = (String, String, String, String, i64, i64, i64);

fn raw_job(row: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

/// The job of a row; a value that does not parse is [`StoreError::Corrupt`].
fn read_job(raw: RawJob) -> StoreResult<ExportJob> {
    let (id, organisation, spec, state, created_at, updated_at, expires_at) = raw;
    let time = |seconds: i64, what: &str| {
        parse_stored(OffsetDateTime::from_unix_timestamp(seconds).ok(), what)
    };
    let spec: ExportSpec = from_json(&spec)?;
    Ok(spec.into_job(ExportRecord {
        id: parse_stored(ExportJobId::parse(&id), "export job id")?,
        organisation: parse_stored(Slug::parse(&organisation).ok(), "organisation")?,
        state: from_json(&state)?,
        created_at: time(created_at, "export job creation time")?,
        updated_at: time(updated_at, "export job update time")?,
        expires_at: time(expires_at, "export job expiry")?,
    }))
}
