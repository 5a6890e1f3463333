//! The export itself: checks, the counting pass, the writing pass and the manifest.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io;

use time::Date;

use crate::domain::Round;
use crate::domain::questionnaire::Questionnaire;
use crate::store::{PageCursor, QuestionnaireStore, ResponseStore, StoreError};

use super::codebook::Codebook;
use super::columns::{CellStats, Layout, excel_cell};
use super::kanon::{self, Background, Combination, Counts, DEFAULT_K, MIN_K};
use super::manifest::{FORMAT, Manifest, ManifestFile, ManifestQuestionnaire, ManifestRound, Rule};
use super::permute::Permutation;
use super::scrub::REMOVED;
use super::sink::{ExportSink, HashedFile};
use super::stored::StoredRow;

pub const RESPONSES_FILE: &str = "responses.csv";
/// UTF-8 with a byte-order mark, `;` between cells and the decimal comma: what Excel with
/// Swedish settings opens correctly on a double click.
pub const EXCEL_FILE: &str = "responses_excel.csv";
pub const CODEBOOK_CSV: &str = "codebook.csv";
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
    /// Responses read per page.
    pub page_size: u32,
    /// The day the export is made; only its month is written.
    pub created: Date,
    /// The background questions; `None` for the questionnaire's own list
    /// ([`kanon::background_questions`]).
    pub background: Option<Vec<String>>,
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
    #[error("responses arrived or changed during the export; start it again")]
    ChangedDuringExport,
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

/// Reads every response of a round as stored, page by page, handing each page to `each`.
async fn for_each_page<S>(
    store: &S,
    round: &Round,
    page_size: u32,
    mut each: impl FnMut(&[String]) -> Result<(), ExportError>,
) -> Result<(), ExportError>
where
    S: ResponseStore + ?Sized,
{
    let mut cursor: Option<PageCursor> = None;
    loop {
        let page = store
            .response_bodies_page(&round.id, cursor.as_ref(), page_size)
            .await?;
        each(&page.bodies)?;
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

async fn load_questionnaires<S>(
    store: &S,
    rounds: &[Round],
) -> Result<(Questionnaire, Vec<u32>), ExportError>
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
    let versions: BTreeSet<u32> = rounds.iter().map(|r| r.questionnaire.version).collect();
    let newest = versions
        .last()
        .copied()
        .unwrap_or(first.questionnaire.version);
    for version in &versions {
        if store
            .questionnaire(&first.questionnaire.id, *version)
            .await?
            .is_none()
        {
            return Err(ExportError::UnknownQuestionnaire {
                id: first.questionnaire.id.to_string(),
                version: *version,
            });
        }
    }
    let questionnaire = store
        .questionnaire(&first.questionnaire.id, newest)
        .await?
        .ok_or_else(|| ExportError::UnknownQuestionnaire {
            id: first.questionnaire.id.to_string(),
            version: newest,
        })?;
    Ok((questionnaire, versions.into_iter().collect()))
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
    let (questionnaire, versions) = load_questionnaires(store, rounds).await?;
    // The cheap check first, so a small round fails at once.
    for round in rounds {
        let count = store.count_responses(&round.id).await?;
        if count < k {
            return Err(ExportError::TooFewResponses {
                name: round.name.clone(),
                count,
                k: options.k,
            });
        }
    }
    let layout = Layout::new(&questionnaire, options.free_text).map_err(ExportError::Layout)?;
    let background_ids: Vec<&str> = match &options.background {
        Some(ids) => ids.iter().map(String::as_str).collect(),
        None => kanon::background_questions(questionnaire.id.as_str()).to_vec(),
    };
    let background =
        Background::new(&questionnaire, &background_ids).map_err(ExportError::Layout)?;
    let background_columns: Vec<usize> = background
        .ids()
        .map(|id| {
            layout
                .whole_column(id)
                .ok_or_else(|| ExportError::Layout(format!("no column for '{id}'")))
        })
        .collect::<Result<_, _>>()?;
    // Each background question's slot in a read response.
    let background_slots: Vec<usize> = background_columns
        .iter()
        .filter_map(|column| layout.columns[*column].question)
        .collect();

    // Pass 1: rows and background combinations, scanning only for the background answers.
    let counting = layout.reader(|question| background_slots.contains(&question));
    let mut counts = Counts::default();
    let mut round_rows = vec![0u64; rounds.len()];
    let mut key: Combination = Vec::new();
    for (index, round) in rounds.iter().enumerate() {
        let number = index as u16 + 1;
        let rows = &mut round_rows[index];
        for_each_page(store, round, options.page_size.max(1), |bodies| {
            let mut row = StoredRow::default();
            for body in bodies {
                counting.scan(body, &mut row)?;
                let answers = background_slots.iter().map(|s| row.answers[*s].as_ref());
                background.combination(number, answers, &mut key);
                counts.add(&key);
                *rows += 1;
            }
            Ok(())
        })
        .await?;
        if *rows < k {
            return Err(ExportError::TooFewResponses {
                name: round.name.clone(),
                count: *rows,
                k: options.k,
            });
        }
    }
    let total: u64 = round_rows.iter().sum();
    let plan = kanon::plan(&counts, k);

    // Pass 2: the two response files together.
    let mut plain_file = HashedFile::new(RESPONSES_FILE);
    let mut excel_file = HashedFile::new(EXCEL_FILE);
    #[cfg(feature = "parquet")]
    let mut parquet_file = super::parquet::ParquetFile::new(&layout)?;
    let builder = |delimiter| {
        let mut builder = csv::WriterBuilder::new();
        builder
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF);
        builder
    };
    // Each page is encoded into these buffers, then streamed out; they keep their capacity.
    let mut plain_buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut excel_buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    excel_buffer.extend_from_slice("\u{feff}".as_bytes());
    {
        let header = || layout.columns.iter().map(|c| c.name.as_str());
        let mut plain = builder(b',').from_writer(&mut plain_buffer);
        plain.write_record(header())?;
        plain.flush()?;
        let mut excel = builder(b';').from_writer(&mut excel_buffer);
        excel.write_record(header())?;
        excel.flush()?;
    }
    let writing = layout.reader(|_| true);
    let permutation = Permutation::new(total, options.seed);
    // The combinations again: a response changed between the passes (one gone, another
    // come, the total the same) must not slip past the plan made from pass 1's counts.
    let mut recounted = Counts::default();
    let mut stats = CellStats::default();
    let mut position = 0u64;
    let mut cursor: Option<PageCursor>;
    for (index, round) in rounds.iter().enumerate() {
        let number = (index + 1).to_string();
        cursor = None;
        loop {
            let page = store
                .response_bodies_page(&round.id, cursor.as_ref(), options.page_size.max(1))
                .await?;
            let mut row = StoredRow::default();
            let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(layout.columns.len());
            let mut plain = builder(b',').from_writer(&mut plain_buffer);
            let mut excel = builder(b';').from_writer(&mut excel_buffer);
            for body in &page.bodies {
                if position >= total {
                    return Err(ExportError::ChangedDuringExport);
                }
                writing.scan(body, &mut row)?;
                layout.fill(&row, &mut cells, &mut stats);
                cells[0] = Cow::Owned((permutation.apply(position) + 1).to_string());
                cells[1] = Cow::Borrowed(number.as_str());
                let answers = background_slots.iter().map(|s| row.answers[*s].as_ref());
                background.combination(index as u16 + 1, answers, &mut key);
                recounted.add(&key);
                let mask = plan.mask(&key).ok_or(ExportError::ChangedDuringExport)?;
                for (bit, column) in background_columns.iter().enumerate() {
                    if mask & (1 << bit) != 0 {
                        cells[*column] = Cow::Borrowed("");
                    }
                }
                for cell in &cells {
                    plain.write_field(cell.as_bytes())?;
                }
                plain.write_record(None::<&[u8]>)?;
                for (column, cell) in layout.columns.iter().zip(&cells) {
                    excel.write_field(excel_cell(column, cell).as_bytes())?;
                }
                excel.write_record(None::<&[u8]>)?;
                #[cfg(feature = "parquet")]
                parquet_file.push(&cells)?;
                position += 1;
            }
            drop(cells);
            plain.flush()?;
            excel.flush()?;
            drop((plain, excel));
            plain_file.write(sink, &plain_buffer).await?;
            excel_file.write(sink, &excel_buffer).await?;
            #[cfg(feature = "parquet")]
            parquet_file.drain(sink).await?;
            plain_buffer.clear();
            excel_buffer.clear();
            progress(position);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    if position != total || recounted.0 != counts.0 {
        return Err(ExportError::ChangedDuringExport);
    }
    drop((counts, recounted));
    let mut files = Vec::new();
    for file in [plain_file, excel_file] {
        let name = file.name;
        let (bytes, sha256) = file.finish(sink).await?;
        files.push(ManifestFile {
            name: name.to_owned(),
            bytes,
            sha256,
        });
    }
    #[cfg(feature = "parquet")]
    files.push(parquet_file.finish(sink).await?);

    let codebook = Codebook::new(&questionnaire, &layout);
    let codebook_csv = codebook.to_csv()?;
    let mut codebook_json = serde_json::to_vec_pretty(&codebook).map_err(io::Error::other)?;
    codebook_json.push(b'\n');
    for (name, bytes) in [(CODEBOOK_CSV, codebook_csv), (CODEBOOK_JSON, codebook_json)] {
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
            versions,
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
            Rule::MinimumRoundSize { k: options.k },
            Rule::KAnonymity {
                k: options.k,
                background: background.ids().map(str::to_owned).collect(),
                method: "local suppression: in a group under k, the rarest background value is emptied first, then the next",
                cells_suppressed: plan.cells_suppressed,
                rows_changed: plan.rows_changed,
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
