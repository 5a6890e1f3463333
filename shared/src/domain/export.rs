//! Export jobs: a municipality's request for an anonymised dataset of its responses, and
//! what became of it. The files themselves live in the export file store
//! ([`crate::export::ExportFiles`]); a job only names them.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::ids::{ExportJobId, RoundId};
use super::questionnaire::QuestionnaireId;
use super::workspace::OrganisationId;

/// What is exported: one round, or every round of one questionnaire whose period overlaps
/// `from..=to` (the municipality's own rounds only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ExportScope {
    Round {
        round: RoundId,
    },
    Questionnaire {
        questionnaire: QuestionnaireId,
        from: Date,
        to: Date,
    },
}

impl ExportScope {
    /// A stable text naming the scope: two requests with the same key (and settings) ask
    /// for the same export, so while one runs the other gets the running job.
    pub fn key(&self) -> String {
        match self {
            ExportScope::Round { round } => format!("round:{round}"),
            ExportScope::Questionnaire {
                questionnaire,
                from,
                to,
            } => format!("questionnaire:{questionnaire}:{from}:{to}"),
        }
    }
}

/// The disclosure settings a job was asked with; the rest of the rules are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSettings {
    /// The smallest published group of background values (at least
    /// [`crate::export::MIN_K`]).
    pub k: u32,
    /// Free-text answers included, scrubbed of identifying details.
    pub free_text: bool,
}

/// One file of a finished export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFileInfo {
    pub name: String,
    pub bytes: u64,
}

/// Why a job failed, in terms the workspace can explain in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum ExportFailure {
    /// A round has fewer than k responses: exporting it could single someone out.
    TooFewResponses { round: String, count: u64, k: u32 },
    /// Responses arrived while the export ran; asking again exports them all. Exports no
    /// longer fail so (they read the store once), but jobs stored before may say so.
    ChangedDuringExport,
    /// The job stopped without finishing (a crash or a time-out) and was not restarted.
    Interrupted,
    /// Our fault: storage or the file store failed. Details are in the log only.
    Internal,
}

/// Where a job is. `Running` and `Queued` are "active": at most one active job per
/// organisation and [`ExportJob::dedupe_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ExportState {
    Queued,
    Running {
        rows_done: u64,
    },
    Ready {
        rows: u64,
        /// Every file of the export, the manifest included, with its size.
        files: Vec<ExportFileInfo>,
        /// What disclosure control changed; `None` for jobs stored before it was kept
        /// (their manifest has it).
        #[serde(default)]
        protection: Option<Protection>,
    },
    Failed {
        failure: ExportFailure,
    },
}

impl ExportState {
    pub fn is_active(&self) -> bool {
        matches!(self, ExportState::Queued | ExportState::Running { .. })
    }
}

/// What the disclosure control of a ready export changed, from its manifest: the job's
/// page says it, so staff know why cells are empty before they open the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protection {
    /// Background values emptied by k-anonymity, and the rows they were in.
    pub background_cells_emptied: u64,
    pub rows_changed: u64,
    /// Answers emptied with them: to questions asked only for some of their values.
    pub dependent_cells_emptied: u64,
    /// Free-text cells that had something removed (a number, an address, ...).
    pub text_cells_scrubbed: u64,
    /// Text cells given a leading `'` so a spreadsheet does not read them as formulas.
    pub formula_cells_neutralised: u64,
}

/// A round of a period's export left out because it had fewer than k responses when the
/// export was asked for (exporting it could single someone out); the job, its page and
/// the manifest say so, instead of the whole export being refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundLeftOut {
    pub round: RoundId,
    pub name: String,
    pub responses: u64,
}

/// One export request and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportJob {
    pub id: ExportJobId,
    /// The municipality whose responses these are: the only organisation that sees the
    /// job or its files.
    pub organisation: OrganisationId,
    pub scope: ExportScope,
    /// The rounds the scope named when the job was made, in export order.
    pub rounds: Vec<RoundId>,
    /// The scope's rounds with fewer than k responses then, not exported.
    #[serde(default)]
    pub rounds_left_out: Vec<RoundLeftOut>,
    pub settings: ExportSettings,
    /// Fixes the row order: a restarted job writes byte-identical files.
    pub seed: u64,
    /// The label of the key that asked (as in the audit trail).
    pub requested_by: String,
    pub state: ExportState,
    /// To the second.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change of state or progress: a running job not updated for a while has
    /// stopped (see [`crate::store::ExportJobStore::claim_export_job`]).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When the files are deleted (the retention); after it the job is listed as expired.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl ExportJob {
    /// Two requests with the same key ask for the same export.
    pub fn dedupe_key(&self) -> String {
        format!(
            "{}:k{}:{}",
            self.scope.key(),
            self.settings.k,
            if self.settings.free_text {
                "text"
            } else {
                "notext"
            }
        )
    }

    /// The folder of the job's files in the export file store, under the organisation's
    /// own prefix: `exports/<organisation>/<job>/`.
    pub fn folder(&self) -> ExportFolder {
        ExportFolder {
            organisation: self.organisation.clone(),
            job: self.id.clone(),
        }
    }

    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// The name `file` is saved under when downloaded: whose export and when it was asked
    /// for (Swedish time) before the file's own name, `ale-export-2026-12-05-1447-responses.csv`,
    /// so files of several exports do not all arrive as `responses.csv`. Inside the
    /// export (the manifest, the codebook) files keep their own names.
    pub fn download_name(&self, file: &str) -> String {
        let asked = super::swedish_time::in_sweden(self.created_at);
        format!(
            "{}-export-{}-{:02}{:02}-{file}",
            self.organisation,
            asked.date(),
            asked.hour(),
            asked.minute()
        )
    }
}

/// Where one job's files are: `exports/<organisation>/<job>/` in S3 or the local folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExportFolder {
    pub organisation: OrganisationId,
    pub job: ExportJobId,
}

impl ExportFolder {
    /// The prefix of every export's files: the export bucket's lifecycle rule expires
    /// what is under it (template.yaml, checked by tests/template).
    pub const ROOT: &'static str = "exports/";

    /// The key prefix, ending in `/`.
    pub fn prefix(&self) -> String {
        format!("{}{}/{}/", Self::ROOT, self.organisation, self.job)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::domain::questionnaire::Slug;

    #[test]
    fn a_download_is_named_for_its_municipality_and_the_swedish_time_it_was_asked_for() {
        let asked = datetime!(2026-12-05 13:47:59 UTC);
        let job = ExportJob {
            id: ExportJobId::random(),
            organisation: Slug::parse("lilla_edet").unwrap(),
            scope: ExportScope::Round {
                round: RoundId::random(),
            },
            rounds: Vec::new(),
            rounds_left_out: Vec::new(),
            settings: ExportSettings {
                k: 7,
                free_text: false,
            },
            seed: 1,
            requested_by: "Demo".into(),
            state: ExportState::Queued,
            created_at: asked,
            updated_at: asked,
            expires_at: asked,
        };
        assert_eq!(
            job.download_name("responses.csv"),
            "lilla_edet-export-2026-12-05-1447-responses.csv"
        );
    }

    /// A ready job stored before the protection counts were kept reads as "not known",
    /// not as "nothing changed".
    #[test]
    fn a_ready_state_stored_before_protection_reads_without_it() {
        let stored = r#"{"state":"ready","rows":8,"files":[{"name":"responses.csv","bytes":10}]}"#;
        let state: ExportState = serde_json::from_str(stored).expect("an old state reads");
        assert!(matches!(
            state,
            ExportState::Ready {
                rows: 8,
                protection: None,
                ..
            }
        ));
    }
}
