//! Running one export job: the same code in the export Lambda function and in the local
//! server's background task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use time::Duration;

use super::{ExportJobRef, ExportLauncher, ExportPolicy, LaunchError};
use crate::domain::swedish_time::day_in_sweden;
use crate::domain::*;
use crate::export::{self, ExportError, ExportFiles, ExportOptions, MANIFEST_FILE, Manifest, Rule};
use crate::service::workspace::Workspace;
use crate::store::{Store, StoreError};
use crate::telemetry::error_chain;

/// How often a running job records its progress (and so that it is alive).
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(3);

/// What became of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    /// Another runner has the job, or it is finished, or there is no such job: nothing
    /// was done (a duplicate invocation).
    NotClaimed,
    Ready {
        rows: u64,
    },
    Failed(ExportFailure),
    /// Another runner took the job over while this one ran (this one was thought
    /// stalled): this one stopped without finishing it.
    Superseded,
}

/// Runs export jobs on a store and an export file store.
pub struct ExportRunner {
    store: Arc<dyn Store>,
    files: Arc<dyn ExportFiles>,
    policy: ExportPolicy,
    page_size: u32,
}

impl ExportRunner {
    pub fn new(store: Arc<dyn Store>, files: Arc<dyn ExportFiles>, policy: ExportPolicy) -> Self {
        Self {
            store,
            files,
            policy,
            page_size: 1000,
        }
    }

    /// Claims the job and runs it to `Ready` or `Failed`. Only a store failure while
    /// claiming or finishing is an error (the job is then left to be restarted once it
    /// counts as stalled); every failure of the export itself ends the job `Failed`.
    pub async fn run(&self, target: &ExportJobRef) -> Result<RunOutcome, StoreError> {
        let now = Workspace::now();
        let claimed = self
            .store
            .claim_export_job(
                &target.organisation,
                &target.job,
                now,
                now - self.policy.stalled_after,
            )
            .await?;
        if !claimed {
            tracing::info!(job = %target.job, "export job not claimed: already taken or finished");
            return Ok(RunOutcome::NotClaimed);
        }
        let job = self
            .store
            .export_job(&target.organisation, &target.job)
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("claimed export job {} is gone", target.job))
            })?;
        tracing::info!(job = %job.id, organisation = %job.organisation, "export started");
        let state = match self.export(&job).await {
            Ok(Some(state)) => state,
            Ok(None) => return Ok(RunOutcome::Superseded),
            Err(error) => ExportState::Failed {
                failure: failure_of(&job, &error),
            },
        };
        let outcome = match &state {
            ExportState::Ready { rows, .. } => RunOutcome::Ready { rows: *rows },
            ExportState::Failed { failure } => RunOutcome::Failed(failure.clone()),
            _ => RunOutcome::Superseded,
        };
        let finished = self
            .store
            .finish_export_job(&job.organisation, &job.id, &state, Workspace::now())
            .await?;
        if !finished {
            return Ok(RunOutcome::Superseded);
        }
        tracing::info!(job = %job.id, outcome = ?outcome, "export finished");
        Ok(outcome)
    }

    /// The export itself, recording progress every few seconds. `Ok(None)` when the job
    /// was taken over meanwhile.
    async fn export(&self, job: &ExportJob) -> Result<Option<ExportState>, ExportError> {
        let mut rounds = Vec::with_capacity(job.rounds.len());
        for id in &job.rounds {
            let round = self.store.round(id).await?.ok_or_else(|| {
                StoreError::Corrupt(format!("round {id} of export job {} is gone", job.id))
            })?;
            rounds.push(round);
        }
        let mut options = ExportOptions::new(job.seed, day_in_sweden(job.created_at));
        options.k = job.settings.k;
        options.free_text = job.settings.free_text;
        options.rounds_left_out = job.rounds_left_out.clone();
        options.page_size = self.page_size;
        let mut sink = self
            .files
            .sink(&job.folder())
            .await
            .map_err(ExportError::Write)?;
        let rows_done = AtomicU64::new(0);
        let mut progress = |rows: u64| rows_done.store(rows, Ordering::Relaxed);
        let work = export::export(&*self.store, &rounds, &options, &mut *sink, &mut progress);
        tokio::pin!(work);
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        let exported = loop {
            tokio::select! {
                result = &mut work => break result?,
                _ = heartbeat.tick() => {
                    let rows = rows_done.load(Ordering::Relaxed);
                    match self.store.record_export_progress(&job.organisation, &job.id, rows, Workspace::now()).await {
                        Ok(true) => {}
                        // Another runner has it now; its files will be the same bytes.
                        Ok(false) => return Ok(None),
                        // A missed heartbeat is not a failed export.
                        Err(error) => tracing::warn!(error = %error_chain(&error), "export progress not recorded"),
                    }
                }
            }
        };
        let mut files: Vec<ExportFileInfo> = exported
            .manifest
            .files
            .iter()
            .map(|f| ExportFileInfo {
                name: f.name.clone(),
                bytes: f.bytes,
            })
            .collect();
        files.push(ExportFileInfo {
            name: MANIFEST_FILE.to_owned(),
            bytes: exported.manifest_bytes,
        });
        Ok(Some(ExportState::Ready {
            rows: exported.manifest.rows,
            files,
            protection: Some(protection(&exported.manifest)),
        }))
    }

    /// Deletes the files and records of exports past their retention (the local server
    /// runs this at start and every hour; in AWS, S3 lifecycle and DynamoDB TTL do it).
    /// Returns how many exports went.
    pub async fn remove_expired(&self) -> Result<usize, StoreError> {
        let expired = self
            .store
            .remove_expired_export_jobs(Workspace::now())
            .await?;
        for job in &expired {
            if let Err(error) = self.files.remove(&job.folder()).await {
                tracing::warn!(job = %job.id, error = %error_chain(&error), "expired export files not removed");
            }
        }
        Ok(expired.len())
    }

    /// How long a job may go without a heartbeat before it counts as stalled.
    pub fn stalled_after(&self) -> Duration {
        self.policy.stalled_after
    }
}

/// Why a job failed, for the workspace; the whole error goes to the log.
fn failure_of(job: &ExportJob, error: &ExportError) -> ExportFailure {
    match error {
        ExportError::TooFewResponses { name, count, k } => ExportFailure::TooFewResponses {
            round: name.clone(),
            count: *count,
            k: *k,
        },
        other => {
            tracing::error!(job = %job.id, error = %error_chain(other), "export failed");
            ExportFailure::Internal
        }
    }
}

/// Runs jobs as background tasks of this process: the local server's launcher.
pub struct BackgroundLauncher {
    runner: Arc<ExportRunner>,
}

impl BackgroundLauncher {
    pub fn new(runner: Arc<ExportRunner>) -> Self {
        Self { runner }
    }
}

#[async_trait]
impl ExportLauncher for BackgroundLauncher {
    async fn launch(&self, job: &ExportJobRef) -> Result<(), LaunchError> {
        let runner = self.runner.clone();
        let job = job.clone();
        tokio::spawn(async move {
            if let Err(error) = runner.run(&job).await {
                tracing::error!(job = %job.job, error = %error_chain(&error), "export job not run");
            }
        });
        Ok(())
    }
}

/// What the manifest's rules say they changed, for the job's page.
fn protection(manifest: &Manifest) -> Protection {
    let mut protection = Protection::default();
    for rule in &manifest.rules {
        match rule {
            Rule::KAnonymity {
                cells_suppressed,
                rows_changed,
                dependent_cells_emptied,
                ..
            } => {
                protection.background_cells_emptied = *cells_suppressed;
                protection.rows_changed = *rows_changed;
                protection.dependent_cells_emptied = *dependent_cells_emptied;
            }
            Rule::FreeText { cells_scrubbed, .. } => {
                protection.text_cells_scrubbed = *cells_scrubbed
            }
            Rule::FormulaNeutralisation { cells_changed, .. } => {
                protection.formula_cells_neutralised = *cells_changed
            }
            _ => {}
        }
    }
    protection
}
