//! The `export` Lambda function: runs one export job, named by its event, and ends.
//!
//! The admin function invokes it asynchronously (`InvocationType: Event`) with an
//! [`ExportJobRef`] as the event. All the work is [`ExportRunner::run`], the same code the
//! local server runs as a background task; this crate only decodes the event, runs the job
//! and says what became of it. A job invoked twice (Lambda delivers an asynchronous event
//! at least once, and retries it after an error) writes one result: the runner claims the
//! job first, and the second invocation finds it taken or finished.
//!
//! Why a function of its own: the export engine (CSV, Parquet, the S3 upload) would take
//! the admin function's zip over 5 MB (BENCHMARKS.md), and an export may run for minutes,
//! far past the HTTP API's 30 s.

use serde::Serialize;
use svar_shared::config::{Config, SessionSecret};
use svar_shared::domain::ExportJobId;
use svar_shared::service::exports::{ExportJobRef, ExportPolicy, ExportRunner, RunOutcome};
use svar_shared::startup::{StartupError, open_export_files, open_store};
use svar_shared::store::StoreError;

/// What the function returns (and logs) for one event. Names the job and its end, never
/// anything of its contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub job: ExportJobId,
    pub outcome: OutcomeKind,
    /// Rows written, for a ready export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Ready,
    /// The export itself failed; the job says why, for the workspace.
    Failed,
    /// Another invocation has the job or finished it: nothing was done.
    NotClaimed,
    /// Another invocation took the job over while this one ran.
    Superseded,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event is not `{"organisation": "...", "job": "..."}`. Returned as an error so
    /// that it shows in the function's error metric (and its alarm): only a wrong caller
    /// sends one.
    #[error(
        "the event is not an export job reference {{\"organisation\": ..., \"job\": ...}}: {0}"
    )]
    // Not a `#[source]`: the message says it already, and Lambda records the message.
    BadEvent(serde_json::Error),
    /// The store failed while claiming or finishing the job. An error, so that Lambda
    /// delivers the event again later; the job is then taken over once it counts as
    /// stalled.
    #[error("export job {job} could not be run")]
    Store {
        job: ExportJobId,
        #[source]
        source: StoreError,
    },
}

/// Runs the job an event names. The event is taken as raw JSON so that a malformed one
/// gets an error that says what was expected.
pub async fn handle(
    runner: &ExportRunner,
    event: serde_json::Value,
) -> Result<Outcome, HandlerError> {
    let target: ExportJobRef = serde_json::from_value(event).map_err(HandlerError::BadEvent)?;
    let outcome = runner
        .run(&target)
        .await
        .map_err(|source| HandlerError::Store {
            job: target.job.clone(),
            source,
        })?;
    let (outcome, rows) = match outcome {
        RunOutcome::Ready { rows } => (OutcomeKind::Ready, Some(rows)),
        RunOutcome::Failed(_) => (OutcomeKind::Failed, None),
        RunOutcome::NotClaimed => (OutcomeKind::NotClaimed, None),
        RunOutcome::Superseded => (OutcomeKind::Superseded, None),
    };
    Ok(Outcome {
        job: target.job,
        outcome,
        rows,
    })
}

/// The runner as the configuration names its store and export files, made once per
/// container.
///
/// The store is opened with [`open_store`], which also reads the hash key: the runner
/// never uses it, but the store's opening wants one (the role may read its parameter).
/// The export files are given a secret made here and thrown away: it only keys the
/// signatures of local download links, and the runner writes files, it never signs a
/// link; so this function needs no access to the session secret.
pub async fn open_runner(config: &Config) -> Result<ExportRunner, StartupError> {
    let (store, _hash_key) = open_store(config).await?;
    let files = open_export_files(config, &SessionSecret::generate()).await?;
    Ok(ExportRunner::new(store, files, policy(config)))
}

/// The export policy with the configured retention (`SVAR_EXPORT_RETENTION_DAYS`).
pub fn policy(config: &Config) -> ExportPolicy {
    ExportPolicy {
        retention: time::Duration::days(config.export.retention_days.into()),
        ..ExportPolicy::default()
    }
}
