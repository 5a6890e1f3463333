//! Anonymised exports as a municipality asks for them, and the network's comparison
//! tables: the use cases behind the workspace's export pages and API.
//!
//! A request makes an [`ExportJob`] (queued) and hands it to an [`ExportLauncher`]: in
//! AWS an asynchronous invocation of the export function, locally a background task.
//! Either runs [`ExportRunner::run`], the same code. Asking again for the same export
//! while one is queued or running returns that job. Downloads are short-lived URLs,
//! given only to the owning organisation after a fresh check, and audited.

mod runner;

use std::sync::Arc;

use async_trait::async_trait;
use rand::Rng;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use super::workspace::{Caller, Workspace, WorkspaceError, WorkspaceResult, parse_date};
use crate::domain::questionnaire::QuestionnaireId;
use crate::domain::*;
use crate::export::{self, DEFAULT_K, DownloadLinks, ExportFiles, MIN_K, NetworkAggregates};
use crate::store::{CreatedExport, Store, StoreError};

pub use runner::{BackgroundLauncher, ExportRunner, RunOutcome};

/// The time limits of exports; [`ExportPolicy::default`] is what a deployment uses unless
/// configured (`SVAR_EXPORT_RETENTION_DAYS`).
#[derive(Debug, Clone, Copy)]
pub struct ExportPolicy {
    /// How long an export's files are kept (S3 lifecycle and the local sweep).
    pub retention: Duration,
    /// How long a download URL works.
    pub download_valid: Duration,
    /// A queued or running job not updated for this long has stopped; it may be started
    /// again (runners record progress every few seconds).
    pub stalled_after: Duration,
}

impl Default for ExportPolicy {
    fn default() -> Self {
        Self {
            retention: Duration::days(30),
            download_valid: Duration::minutes(15),
            stalled_after: Duration::minutes(2),
        }
    }
}

/// What the launcher is given, and the export function's event: names a job, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportJobRef {
    pub organisation: OrganisationId,
    pub job: ExportJobId,
}

impl From<&ExportJob> for ExportJobRef {
    fn from(job: &ExportJob) -> Self {
        Self {
            organisation: job.organisation.clone(),
            job: job.id.clone(),
        }
    }
}

/// Starts a job somewhere else and returns at once: an asynchronous Lambda invocation in
/// AWS, a background task locally. Starting a job twice is harmless (the runner claims it).
#[async_trait]
pub trait ExportLauncher: Send + Sync {
    async fn launch(&self, job: &ExportJobRef) -> Result<(), LaunchError>;
}

#[derive(Debug, thiserror::Error)]
#[error("the export could not be started")]
pub struct LaunchError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// An export as typed in the form or the API, every field a string, checked by
/// [`Exports::request`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NewExport {
    /// A round id: export that round. Or empty, with the next three.
    #[serde(default)]
    pub round: String,
    /// A questionnaire id: every round of it whose period overlaps `from`..`to`.
    #[serde(default)]
    pub questionnaire: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, not before `from`.
    #[serde(default)]
    pub to: String,
    /// The smallest group size; empty for [`DEFAULT_K`].
    #[serde(default)]
    pub k: String,
    #[serde(default)]
    pub free_text: bool,
}

/// A request's outcome: the job, and whether this request made it (or found it running).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedExport {
    pub job: ExportJob,
    pub created: bool,
}

/// The largest k one may ask for: larger hides nearly everything.
pub const MAX_K: u32 = 100;

/// The export use cases over the workspace's store and the export files.
pub struct Exports {
    workspace: Arc<Workspace>,
    links: Arc<dyn DownloadLinks>,
    launcher: Arc<dyn ExportLauncher>,
    policy: ExportPolicy,
}

impl Exports {
    pub fn new(
        workspace: Arc<Workspace>,
        links: Arc<dyn DownloadLinks>,
        launcher: Arc<dyn ExportLauncher>,
        policy: ExportPolicy,
    ) -> Self {
        Self {
            workspace,
            links,
            launcher,
            policy,
        }
    }

    /// Jobs run as background tasks of this process: the local server, and tests.
    pub fn in_process(
        workspace: Arc<Workspace>,
        files: Arc<dyn ExportFiles>,
        links: Arc<dyn DownloadLinks>,
        policy: ExportPolicy,
    ) -> Self {
        let runner = ExportRunner::new(workspace.store.clone(), files, policy);
        let launcher = Arc::new(BackgroundLauncher::new(Arc::new(runner)));
        Self::new(workspace, links, launcher, policy)
    }

    pub fn policy(&self) -> &ExportPolicy {
        &self.policy
    }

    /// Asks for an export of the caller's responses. A municipality only: the network
    /// never gets rows ([`Exports::network_aggregates`] is its view). Every round must have
    /// at least k responses. The same export already queued or running is returned as it
    /// is (`created: false`).
    pub async fn request(
        &self,
        caller: &Caller,
        typed: &NewExport,
    ) -> WorkspaceResult<RequestedExport> {
        municipality_only(caller)?;
        let settings = ExportSettings {
            k: parse_k(&typed.k)?,
            free_text: typed.free_text,
        };
        let (scope, rounds) = self.resolve_scope(caller, typed).await?;
        let store = self.workspace.store();
        let (rounds, rounds_left_out) = enough_responses(store, &scope, rounds, settings.k).await?;
        export::check_versions(store, &rounds)
            .await
            .map_err(|e| match e {
                export::ExportError::Versions(export::VersionsError::KindChanged(changed)) => {
                    WorkspaceError::Conflict(kind_changed_message(&changed))
                }
                export::ExportError::Store(e) => WorkspaceError::Store(e),
                other => WorkspaceError::Store(StoreError::Corrupt(other.to_string())),
            })?;
        let now = Workspace::now();
        let job = ExportJob {
            id: ExportJobId::random(),
            organisation: caller.organisation.id.clone(),
            scope,
            rounds: rounds.iter().map(|r| r.id.clone()).collect(),
            rounds_left_out,
            settings,
            seed: rand::rng().random(),
            requested_by: caller.key_label.clone(),
            state: ExportState::Queued,
            created_at: now,
            updated_at: now,
            expires_at: now + self.policy.retention,
        };
        let stalled_before = now - self.policy.stalled_after;
        let requested = match store.create_export_job(&job, stalled_before).await? {
            CreatedExport::Created => RequestedExport { job, created: true },
            CreatedExport::AlreadyActive(existing) => RequestedExport {
                job: existing,
                created: false,
            },
        };
        if requested.created || requested.job.state == ExportState::Queued {
            // A queued job found again may have lost its launch: launching twice is safe.
            self.launcher
                .launch(&ExportJobRef::from(&requested.job))
                .await
                .map_err(|e| WorkspaceError::Store(StoreError::unavailable(e)))?;
        }
        if requested.created {
            self.workspace
                .record(
                    caller,
                    AuditAction::ExportRequested,
                    requested.job.id.to_string(),
                    AuditResult::Done,
                )
                .await?;
        }
        Ok(requested)
    }

    /// The rounds a typed export names, checked to be the caller's.
    async fn resolve_scope(
        &self,
        caller: &Caller,
        typed: &NewExport,
    ) -> WorkspaceResult<(ExportScope, Vec<Round>)> {
        if !typed.round.trim().is_empty() {
            let id = RoundId::parse(typed.round.trim()).ok_or(WorkspaceError::NotFound)?;
            let round = self.workspace.visible_round(caller, &id).await?;
            return Ok((
                ExportScope::Round {
                    round: round.id.clone(),
                },
                vec![round],
            ));
        }
        let questionnaire = QuestionnaireId::parse(typed.questionnaire.trim())
            .ok()
            .ok_or_else(|| {
                WorkspaceError::invalid(
                    "questionnaire",
                    "Välj en omgång, eller en enkät och en period.",
                )
            })?;
        let from = parse_date(&typed.from).ok_or_else(|| {
            WorkspaceError::invalid("from", "Skriv startdatum som ÅÅÅÅ-MM-DD, t.ex. 2026-01-01.")
        })?;
        let to = parse_date(&typed.to).ok_or_else(|| {
            WorkspaceError::invalid("to", "Skriv slutdatum som ÅÅÅÅ-MM-DD, t.ex. 2026-12-31.")
        })?;
        if to < from {
            return Err(WorkspaceError::invalid(
                "to",
                "Slutdatumet kan inte vara före startdatumet.",
            ));
        }
        let mut rounds = self
            .rounds_in_period(&caller.organisation.id, &questionnaire, from, to)
            .await?;
        if rounds.is_empty() {
            return Err(WorkspaceError::invalid(
                "questionnaire",
                "Det finns ingen omgång av den enkäten under perioden.",
            ));
        }
        // Oldest first: the rounds are numbered in the export in this order.
        rounds.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        let scope = ExportScope::Questionnaire {
            questionnaire,
            from,
            to,
        };
        Ok((scope, rounds))
    }

    /// A municipality's rounds of `questionnaire` whose period overlaps `from..=to`.
    async fn rounds_in_period(
        &self,
        municipality: &MunicipalityId,
        questionnaire: &QuestionnaireId,
        from: Date,
        to: Date,
    ) -> WorkspaceResult<Vec<Round>> {
        Ok(self
            .workspace
            .store()
            .rounds_of_municipality(municipality)
            .await?
            .into_iter()
            .filter(|r| {
                &r.questionnaire.id == questionnaire
                    && r.period.start() <= to
                    && r.period.end() >= from
            })
            .collect())
    }

    /// The caller's exports, newest first.
    pub async fn jobs(&self, caller: &Caller) -> WorkspaceResult<Vec<ExportJob>> {
        municipality_only(caller)?;
        Ok(self
            .workspace
            .store()
            .export_jobs(&caller.organisation.id)
            .await?)
    }

    /// One of the caller's exports.
    pub async fn job(&self, caller: &Caller, id: &ExportJobId) -> WorkspaceResult<ExportJob> {
        municipality_only(caller)?;
        self.workspace
            .store()
            .export_job(&caller.organisation.id, id)
            .await?
            .ok_or(WorkspaceError::NotFound)
    }

    /// A URL that downloads one file of a ready export for [`ExportPolicy::download_valid`].
    /// The job is read again here (a fresh check that it is the caller's, ready and not
    /// expired), and the download is audited.
    pub async fn download(
        &self,
        caller: &Caller,
        id: &ExportJobId,
        file: &str,
    ) -> WorkspaceResult<String> {
        let job = self.job(caller, id).await?;
        let ExportState::Ready { files, .. } = &job.state else {
            return Err(WorkspaceError::Conflict(
                "Exporten är inte klar än. Vänta tills den står som klar.".into(),
            ));
        };
        if job.is_expired(Workspace::now()) {
            return Err(WorkspaceError::Conflict(
                "Exporten har gått ut och filerna är raderade. Beställ en ny export.".into(),
            ));
        }
        let Some(file) = files.iter().find(|f| f.name == file) else {
            return Err(WorkspaceError::NotFound);
        };
        let url = self
            .links
            .download_url(
                &job.folder(),
                &file.name,
                &job.download_name(&file.name),
                self.policy.download_valid,
            )
            .await
            .map_err(|e| WorkspaceError::Store(StoreError::unavailable(e)))?;
        self.workspace
            .record(
                caller,
                AuditAction::ExportDownloaded,
                format!("{}/{}", job.id, file.name),
                AuditResult::Done,
            )
            .await?;
        Ok(url)
    }

    /// The network's comparison of its municipalities for a questionnaire and period: per
    /// municipality and question, n and the distribution, small cells hidden with their
    /// complements. One questionnaire version is counted (a table compares like with
    /// like): `version` as typed, or the newest among the rounds when it is empty; the
    /// rounds of other versions left out are counted in the result, so the page can say
    /// so and offer them. A network only.
    pub async fn network_aggregates(
        &self,
        caller: &Caller,
        questionnaire: &str,
        from: &str,
        to: &str,
        k: &str,
        version: &str,
    ) -> WorkspaceResult<NetworkAggregates> {
        let members = self.workspace.members(caller).await?;
        let k = parse_k(k)?;
        let questionnaire = QuestionnaireId::parse(questionnaire.trim())
            .ok()
            .ok_or_else(|| WorkspaceError::invalid("questionnaire", "Välj en enkät."))?;
        let from = parse_date(from).ok_or_else(|| {
            WorkspaceError::invalid("from", "Skriv startdatum som ÅÅÅÅ-MM-DD, t.ex. 2026-01-01.")
        })?;
        let to = parse_date(to).ok_or_else(|| {
            WorkspaceError::invalid("to", "Skriv slutdatum som ÅÅÅÅ-MM-DD, t.ex. 2026-12-31.")
        })?;
        if to < from {
            return Err(WorkspaceError::invalid(
                "to",
                "Slutdatumet kan inte vara före startdatumet.",
            ));
        }
        let mut rounds = Vec::new();
        for member in &members {
            rounds.extend(
                self.rounds_in_period(&member.id, &questionnaire, from, to)
                    .await?,
            );
        }
        let Some(newest) = rounds.iter().map(|r| r.questionnaire.version).max() else {
            return Err(WorkspaceError::invalid(
                "questionnaire",
                "Ingen kommun i nätverket har en omgång av den enkäten under perioden.",
            ));
        };
        let version = match version.trim() {
            "" => newest,
            typed => {
                let version = typed.parse::<u32>().map_err(|_| {
                    WorkspaceError::invalid(
                        "version",
                        "Skriv versionen som ett heltal, till exempel 1, eller lämna tomt för den senaste.",
                    )
                })?;
                if !rounds.iter().any(|r| r.questionnaire.version == version) {
                    return Err(WorkspaceError::invalid(
                        "version",
                        format!(
                            "Ingen omgång under perioden använde version {version} av enkäten. Lämna tomt för den senaste."
                        ),
                    ));
                }
                version
            }
        };
        let (compared, others): (Vec<Round>, Vec<Round>) = rounds
            .into_iter()
            .partition(|r| r.questionnaire.version == version);
        let other_versions: std::collections::BTreeSet<u32> =
            others.iter().map(|r| r.questionnaire.version).collect();
        let rounds = compared;
        let store = self.workspace.store();
        let definition =
            store
                .questionnaire(&questionnaire, version)
                .await?
                .ok_or(WorkspaceError::Store(StoreError::Corrupt(format!(
                    "questionnaire {questionnaire} version {version} of a round is not stored"
                ))))?;
        let mut aggregates = export::network_aggregates(store, &definition, &rounds, k, 1000)
            .await
            .map_err(|e| match e {
                export::ExportError::Store(e) => WorkspaceError::Store(e),
                other => WorkspaceError::Store(StoreError::Corrupt(other.to_string())),
            })?;
        aggregates.rounds_left_out = others.len() as u64;
        aggregates.versions_left_out = other_versions.into_iter().collect();
        self.workspace
            .record(
                caller,
                AuditAction::AggregatesViewed,
                format!("{questionnaire} {from}–{to}"),
                AuditResult::Done,
            )
            .await?;
        Ok(aggregates)
    }
}

/// The scope's rounds that have at least k responses, and those left out. One round asked
/// for by name with too few is refused, as is a period where no round has enough; a
/// period's rounds with too few are left out (and said), so one new or small round does
/// not block the export of the others.
async fn enough_responses(
    store: &dyn Store,
    scope: &ExportScope,
    rounds: Vec<Round>,
    k: u32,
) -> WorkspaceResult<(Vec<Round>, Vec<RoundLeftOut>)> {
    let mut kept = Vec::with_capacity(rounds.len());
    let mut left_out = Vec::new();
    for round in rounds {
        let responses = store.count_responses(&round.id).await?;
        if responses >= u64::from(k) {
            kept.push(round);
        } else {
            left_out.push(RoundLeftOut {
                round: round.id.clone(),
                name: round.name.clone(),
                responses,
            });
        }
    }
    match (scope, left_out.as_slice()) {
        (ExportScope::Round { .. }, [small, ..]) => Err(WorkspaceError::Conflict(too_few_message(
            &small.name,
            small.responses,
            k,
        ))),
        (ExportScope::Questionnaire { .. }, [only]) if kept.is_empty() => Err(
            WorkspaceError::Conflict(too_few_message(&only.name, only.responses, k)),
        ),
        (ExportScope::Questionnaire { .. }, small) if kept.is_empty() => {
            Err(WorkspaceError::Conflict(format!(
                "Ingen av periodens {} omgångar har minst {k} svar ännu. Minst {k} svar behövs innan en omgång kan exporteras, så att ingen kan kännas igen.",
                small.len()
            )))
        }
        _ => Ok((kept, left_out)),
    }
}

fn municipality_only(caller: &Caller) -> WorkspaceResult<()> {
    match caller.organisation.kind {
        OrganisationKind::Municipality => Ok(()),
        OrganisationKind::Network => Err(WorkspaceError::NotAllowed(
            "Nätverket ser aldrig kommunernas enskilda svar. Jämför kommunerna under Jämförelse i stället."
                .into(),
        )),
    }
}

fn parse_k(typed: &str) -> WorkspaceResult<u32> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(DEFAULT_K);
    }
    match typed.parse::<u32>() {
        Ok(k) if (MIN_K..=MAX_K).contains(&k) => Ok(k),
        _ => Err(WorkspaceError::invalid(
            "k",
            format!(
                "Minsta gruppstorlek ska vara ett heltal från {MIN_K} till {MAX_K} (standard {DEFAULT_K})."
            ),
        )),
    }
}

/// Why rounds of several questionnaire versions cannot be exported together, in plain words.
pub fn kind_changed_message(changed: &export::KindChanged) -> String {
    format!(
        "Frågan ”{}” ({}) har en annan svarstyp i version {} av enkäten än i version {}, så svaren kan inte stå i samma kolumn. Exportera omgångarna för varje version för sig (en omgång i taget, eller en period med bara den ena versionen).",
        changed.text, changed.question, changed.older, changed.newer
    )
}

/// Why a round cannot be exported yet, in plain words.
pub fn too_few_message(round: &str, count: u64, k: u32) -> String {
    format!(
        "Omgången ”{round}” har {count} svar. Minst {k} svar behövs innan den kan exporteras, så att ingen kan kännas igen."
    )
}
