//! The export itself: checks, one read of the store (rows counted and spilled to
//! temporary files; from the export rows stored at Send where they fit, stored_rows.rs,
//! else from the JSON), the writing of the spilled rows, and the manifest.

use std::collections::BTreeSet;
use std::io;

use time::Date;

use crate::domain::questionnaire::Questionnaire;
use crate::domain::{Round, RoundLeftOut};
use crate::store::{QuestionnaireStore, ResponseStore, StoreError};

use super::codebook::Codebook;
use super::columns::Layout;
use super::kanon::{self, DEFAULT_K, MIN_K};
use super::manifest::{
    FORMAT, Manifest, ManifestFile, ManifestQuestionnaire, ManifestRound, ManifestRoundLeftOut,
    Rule,
};
use super::response_files::{WrittenRows, write_rows};
use super::rows::{Emptied, ReadRows, background_columns, read_rows};
use super::scrub::REMOVED;
use super::sink::{ExportSink, HashedFile};
use super::stored_rows::read_stored_rows;
use super::versions::{Versions, VersionsError};

pub const RESPONSES_FILE: &str = "responses.csv";
/// UTF-8 with a byte-order mark, `;` between cells and the decimal comma: what Excel with
/// Swedish settings opens correctly on a double click.
pub const EXCEL_FILE: &str = "responses_excel.csv";
pub const CODEBOOK_CSV: &str = "codebook.csv";
/// The codebook as Excel with Swedish settings opens it (see [`EXCEL_FILE`]).
pub const CODEBOOK_EXCEL: &str = "codebook_excel.csv";
pub const CODEBOOK_JSON: &str = "codebook.json";
pub const MANIFEST_FILE: &str = "manifest.json";

/// How to export. [`ExportOptions::new`] gives the safe defaults.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The smallest group of background values published; at least [`MIN_K`].
    pub k: u32,
    /// Include free-text answers (scrubbed). Off by default.
    pub free_text: bool,
    /// Fixes the row numbers. A job stores it, so a retry writes byte-identical files.
    pub seed: u64,
    /// Responses read per page; rows stored at Send are read four times as many at a
    /// time (they are an eighth of the size).
    pub page_size: u32,
    /// The day the export is made; only its month is written.
    pub created: Date,
    /// The background questions; `None` for the questionnaire's own list
    /// ([`kanon::background_questions`]).
    pub background: Option<Vec<String>>,
    /// Rounds of the scope left out for having fewer than k responses (the service
    /// chose them), for the manifest.
    pub rounds_left_out: Vec<RoundLeftOut>,
}

impl ExportOptions {
    pub fn new(seed: u64, created: Date) -> Self {
        Self {
            k: DEFAULT_K,
            free_text: false,
            seed,
            page_size: 1000,
            created,
            background: None,
            rounds_left_out: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("k must be at least {MIN_K}, not {0}")]
    KTooSmall(u32),
    #[error("no rounds to export")]
    NoRounds,
    #[error(
        "the round “{name}” has {count} responses; at least {k} are needed before it can be exported, so that no one can be recognised"
    )]
    TooFewResponses { name: String, count: u64, k: u32 },
    #[error("the rounds use different questionnaires; export one questionnaire at a time")]
    MixedQuestionnaires,
    #[error("questionnaire '{id}' version {version} is not stored")]
    UnknownQuestionnaire { id: String, version: u32 },
    #[error("the questionnaire cannot be exported: {0}")]
    Layout(String),
    #[error(transparent)]
    Versions(#[from] VersionsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("an export file could not be written")]
    Write(#[source] io::Error),
}

impl From<io::Error> for ExportError {
    fn from(error: io::Error) -> Self {
        ExportError::Write(error)
    }
}

impl From<csv::Error> for ExportError {
    fn from(error: csv::Error) -> Self {
        ExportError::Write(io::Error::other(error))
    }
}

/// What an export wrote: the manifest (which lists every other file) and the manifest's
/// own size.
#[derive(Debug, Clone)]
pub struct Exported {
    pub manifest: Manifest,
    pub manifest_bytes: u64,
}

/// Exports `rounds` (one questionnaire) to `sink`; `progress` hears the rows written so
/// far after every page. On any error every file is aborted in the sink.
pub async fn export<S>(
    store: &S,
    rounds: &[Round],
    options: &ExportOptions,
    sink: &mut dyn ExportSink,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Exported, ExportError>
where
    S: ResponseStore + QuestionnaireStore + ?Sized,
{
    match run(store, rounds, options, sink, progress).await {
        Ok(manifest) => Ok(manifest),
        Err(error) => {
            if let Err(abort) = sink.abort().await {
                tracing::warn!(error = %abort, "could not remove the files of a failed export");
            }
            Err(error)
        }
    }
}

fn month(day: Date) -> String {
    format!("{:04}-{:02}", day.year(), u8::from(day.month()))
}

/// Every version of the questionnaire the rounds use, merged ([`Versions`]): the service
/// checks the same before it makes a job ([`check_versions`]).
async fn load_questionnaires<S>(store: &S, rounds: &[Round]) -> Result<Versions, ExportError>
where
    S: QuestionnaireStore + ?Sized,
{
    let first = rounds.first().ok_or(ExportError::NoRounds)?;
    if rounds
        .iter()
        .any(|r| r.questionnaire.id != first.questionnaire.id)
    {
        return Err(ExportError::MixedQuestionnaires);
    }
    let numbers: BTreeSet<u32> = rounds.iter().map(|r| r.questionnaire.version).collect();
    let mut versions: Vec<Questionnaire> = Vec::with_capacity(numbers.len());
    for version in numbers {
        let questionnaire = store
            .questionnaire(&first.questionnaire.id, version)
            .await?
            .ok_or_else(|| ExportError::UnknownQuestionnaire {
                id: first.questionnaire.id.to_string(),
                version,
            })?;
        versions.push(questionnaire);
    }
    Ok(Versions::merge(versions)?)
}

/// Whether the rounds' questionnaire versions can be exported together: the service's
/// check before it makes a job, so the form names the question that changed kind
/// instead of a job failing.
pub async fn check_versions<S>(store: &S, rounds: &[Round]) -> Result<(), ExportError>
where
    S: QuestionnaireStore + ?Sized,
{
    load_questionnaires(store, rounds).await.map(|_| ())
}

async fn run<S>(
    store: &S,
    rounds: &[Round],
    options: &ExportOptions,
    sink: &mut dyn ExportSink,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Exported, ExportError>
where
    S: ResponseStore + QuestionnaireStore + ?Sized,
{
    if options.k < MIN_K {
        return Err(ExportError::KTooSmall(options.k));
    }
    let k = u64::from(options.k);
    if rounds.len() > usize::from(u16::MAX) {
        return Err(ExportError::Layout("too many rounds in one export".into()));
    }
    let versions = load_questionnaires(store, rounds).await?;
    let questionnaire = &versions.questionnaire;
    // Each round's version, by its slot among the export's versions.
    let round_versions: Vec<usize> = rounds
        .iter()
        .map(|r| {
            versions
                .slot(r.questionnaire.version)
                .ok_or_else(|| ExportError::Layout("a round's version was not loaded".into()))
        })
        .collect::<Result<_, _>>()?;
    // The cheap check first, so a small round fails at once.
    let mut expected = Vec::with_capacity(rounds.len());
    for round in rounds {
        let count = store.count_responses(&round.id).await?;
        if count < k {
            return Err(ExportError::TooFewResponses {
                name: round.name.clone(),
                count,
                k: options.k,
            });
        }
        expected.push(count);
    }
    let mut layout = Layout::new(questionnaire, options.free_text).map_err(ExportError::Layout)?;
    layout.limit_to_versions(&versions);
    let background = background_columns(questionnaire, &layout, options)?;
    let emptied = Emptied::new(&versions, &layout, &background);
    // The rows stored at Send fit an export of one version without free text.
    let stored = if versions.numbers.len() == 1 && !options.free_text {
        read_stored_rows(store, rounds, &expected, options, &layout, &background).await?
    } else {
        None
    };
    let read = match stored {
        Some(read) => read,
        None => {
            read_rows(
                store,
                rounds,
                &round_versions,
                options,
                &layout,
                &background,
            )
            .await?
        }
    };
    let ReadRows {
        spills,
        pages,
        counts,
        round_rows,
        stats,
    } = read;
    let total: u64 = round_rows.iter().sum();
    let plan = kanon::plan(&counts, k);
    drop(counts);
    let WrittenRows {
        mut files,
        dependent_cells_emptied,
    } = write_rows(
        spills,
        &pages,
        rounds.len(),
        &plan,
        &layout,
        &emptied,
        options,
        sink,
        progress,
    )
    .await?;
    let background = background.background;

    let codebook = Codebook::new(&versions, &layout);
    let codebook_csv = codebook.to_csv()?;
    let codebook_excel = codebook.to_excel_csv()?;
    let mut codebook_json = serde_json::to_vec_pretty(&codebook).map_err(io::Error::other)?;
    codebook_json.push(b'\n');
    for (name, bytes) in [
        (CODEBOOK_CSV, codebook_csv),
        (CODEBOOK_EXCEL, codebook_excel),
        (CODEBOOK_JSON, codebook_json),
    ] {
        let mut file = HashedFile::new(name);
        file.write(sink, &bytes).await?;
        let (size, sha256) = file.finish(sink).await?;
        files.push(ManifestFile {
            name: name.to_owned(),
            bytes: size,
            sha256,
        });
    }

    let seed = options.seed.to_string();
    let manifest = Manifest {
        format: FORMAT,
        created_month: month(options.created),
        questionnaire: ManifestQuestionnaire {
            id: questionnaire.id.to_string(),
            version: questionnaire.version,
            versions: versions.numbers.clone(),
        },
        rounds: rounds
            .iter()
            .zip(&round_rows)
            .enumerate()
            .map(|(index, (round, rows))| ManifestRound {
                number: index as u16 + 1,
                name: round.name.clone(),
                municipality: round.municipality.to_string(),
                unit: round.unit.clone(),
                questionnaire_version: round.questionnaire.version,
                period_start: month(round.period.start()),
                period_end: month(round.period.end()),
                rows: *rows,
            })
            .collect(),
        rows: total,
        seed: seed.clone(),
        rules: vec![
            Rule::NoIdentifiers,
            Rule::ShuffledRowNumbers { seed },
            Rule::DatesToMonth,
            Rule::MinimumRoundSize {
                k: options.k,
                rounds_left_out: options
                    .rounds_left_out
                    .iter()
                    .map(|r| ManifestRoundLeftOut {
                        name: r.name.clone(),
                        responses: r.responses,
                    })
                    .collect(),
            },
            Rule::KAnonymity {
                k: options.k,
                background: background.ids().map(str::to_owned).collect(),
                method: "local suppression: in a group under k, the rarest background value is emptied first, then the next; the answers to questions asked only for some values of an emptied variable are emptied with it",
                cells_suppressed: plan.cells_suppressed,
                rows_changed: plan.rows_changed,
                dependent_questions: emptied.dependents,
                dependent_cells_emptied,
            },
            Rule::FreeText {
                included: options.free_text,
                removed: options.free_text.then(|| {
                    vec![
                        "personnummer",
                        "samordningsnummer",
                        "phone_number",
                        "email_address",
                        "street_address",
                        "postal_code_with_town",
                    ]
                }),
                replacement: options.free_text.then_some(REMOVED),
                cells_scrubbed: stats.scrubbed,
            },
            Rule::FormulaNeutralisation {
                prefix: "'",
                cells_changed: stats.neutralised,
            },
        ],
        files,
    };
    let mut manifest_json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
    manifest_json.push(b'\n');
    let mut file = HashedFile::new(MANIFEST_FILE);
    file.write(sink, &manifest_json).await?;
    let (manifest_bytes, _) = file.finish(sink).await?;
    Ok(Exported {
        manifest,
        manifest_bytes,
    })
}
