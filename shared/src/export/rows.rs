//! The one read of the store of an export: it fills each response's cells, counts its
//! background combination and spills it with its cells encoded (spill.rs), for
//! response_files.rs to write with the k-anonymity plan that the counts gave.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;

use crate::domain::Round;
use crate::domain::questionnaire::Questionnaire;
use crate::store::{PageCursor, ResponseStore};

use tokio::sync::mpsc;

use super::columns::{CellStats, Layout};
use super::csv_fields::{FieldEncoder, SET_WHEN_WRITTEN, encode_row};
use super::engine::{ExportError, ExportOptions};
use super::kanon::{self, Background, Combination, Counts};
use super::spill::{SpillReader, SpillWriter};
use super::stored::{Reader, StoredRow};
use super::versions::Versions;

/// Scanners of the store's pages at most. Two: the machines measured have two cores
/// (BENCHMARKS.md). Lambda gives less than one vCPU's worth below 1,769 MB (the export
/// function has 512 MB), where a second scanner would only take turns with the first.
const MAX_SCANNERS: usize = 2;

/// One page of the store as spilled, in the order it was read: which scanner's spill holds
/// its rows, its round (index) and how many rows it has. A few bytes per 1,000 rows.
#[derive(Debug, Clone, Copy)]
pub(super) struct SpilledPage {
    pub spill: usize,
    pub round: usize,
    pub rows: usize,
}

/// What the one read of the store leaves: every row in the spills, and what they add up to.
pub(super) struct ReadRows {
    /// One per scanner; the pages say which holds what.
    pub spills: Vec<SpillReader>,
    pub pages: Vec<SpilledPage>,
    pub counts: Counts,
    /// Rows per round, in the order of the rounds.
    pub round_rows: Vec<u64>,
    pub stats: CellStats,
}

/// The background questions of an export, as columns of the layout and as slots of a read
/// response.
#[derive(Debug, Clone)]
pub(super) struct BackgroundColumns {
    pub background: Background,
    /// Each background question's column.
    pub columns: Vec<usize>,
    /// Each background question's slot in a read response.
    slots: Vec<usize>,
}

/// The background questions asked for, or the questionnaire's own list, found in the
/// layout: an unknown or unsuitable question refuses the export before anything is read.
pub(super) fn background_columns(
    questionnaire: &Questionnaire,
    layout: &Layout,
    options: &ExportOptions,
) -> Result<BackgroundColumns, ExportError> {
    let ids: Vec<&str> = match &options.background {
        Some(ids) => ids.iter().map(String::as_str).collect(),
        None => kanon::background_questions(questionnaire.id.as_str()).to_vec(),
    };
    BackgroundColumns::new(questionnaire, layout, &ids).map_err(ExportError::Layout)
}

impl BackgroundColumns {
    /// The questions `ids` as background variables, found in the layout.
    pub(super) fn new(
        questionnaire: &Questionnaire,
        layout: &Layout,
        ids: &[&str],
    ) -> Result<Self, String> {
        let background = Background::new(questionnaire, ids)?;
        let columns: Vec<usize> = background
            .ids()
            .map(|id| {
                layout
                    .whole_column(id)
                    .ok_or_else(|| format!("no column for '{id}'"))
            })
            .collect::<Result<_, _>>()?;
        let slots = columns
            .iter()
            .filter_map(|column| layout.columns[*column].question)
            .collect();
        Ok(BackgroundColumns {
            background,
            columns,
            slots,
        })
    }

    /// Each background question's slot in a read response.
    pub(super) fn slots(&self) -> &[usize] {
        &self.slots
    }
}

/// Which cells a row's k-anonymity mask empties, by column (bit i of a mask: background
/// variable i).
pub(super) struct Emptied {
    /// The bits that empty each column: a background variable's own column, and the
    /// columns of the questions asked only for some of its values
    /// ([`kanon::dependent_questions`]); 0 for a column never emptied.
    pub by_column: Vec<u32>,
    /// The same for the columns of those dependent questions only, whose emptied cells
    /// the manifest counts apart.
    pub dependent: Vec<u32>,
    /// Each dependent question's id and the background variables it follows, for the
    /// manifest.
    pub dependents: BTreeMap<String, Vec<String>>,
}

impl Emptied {
    pub(super) fn new(
        versions: &Versions,
        layout: &Layout,
        background: &BackgroundColumns,
    ) -> Self {
        let follows = kanon::dependent_questions(versions, &background.background);
        let ids: Vec<&str> = background.background.ids().collect();
        let mut by_column = vec![0u32; layout.columns.len()];
        let mut dependent = vec![0u32; layout.columns.len()];
        for (bit, column) in background.columns.iter().enumerate() {
            by_column[*column] |= 1 << bit;
        }
        for (index, column) in layout.columns.iter().enumerate() {
            let Some(question) = column.question else {
                continue;
            };
            if let Some(bits) = follows.get(layout.questions[question].id.as_str()) {
                by_column[index] |= bits;
                dependent[index] |= bits;
            }
        }
        let dependents = follows
            .into_iter()
            // Only the questions the export has columns for.
            .filter(|(id, _)| {
                layout.columns.iter().any(|c| {
                    c.question
                        .is_some_and(|q| layout.questions[q].id.as_str() == id)
                })
            })
            .map(|(id, bits)| {
                let variables = ids
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| bits & (1 << bit) != 0)
                    .map(|(_, id)| (*id).to_owned())
                    .collect();
                (id, variables)
            })
            .collect();
        Self {
            by_column,
            dependent,
            dependents,
        }
    }
}

/// The scanning side of [`read_rows`]: it turns pages of stored responses into spilled
/// rows on a thread of its own, while the store's next page is read.
struct RowScanner {
    reader: Reader,
    layout: Layout,
    background: Background,
    slots: Vec<usize>,
    /// Each round's questionnaire version, by its slot (`StoredRow::version`).
    round_versions: Vec<usize>,
    spill: SpillWriter,
    counts: Counts,
    stats: CellStats,
}

impl RowScanner {
    /// Scans every page it is sent (the round's index, the page's bodies) until the
    /// sender is dropped.
    fn run(mut self, mut pages: mpsc::Receiver<(usize, Vec<String>)>) -> Result<Self, ExportError> {
        let mut key: Combination = Vec::new();
        let encoder = FieldEncoder::new(b',');
        let mut encoded: Vec<u8> = Vec::with_capacity(4096);
        while let Some((index, bodies)) = pages.blocking_recv() {
            let number = index as u16 + 1;
            // It borrows from this page's bodies.
            let mut row = StoredRow {
                version: self.round_versions[index],
                ..StoredRow::default()
            };
            let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(self.layout.columns.len());
            for body in &bodies {
                self.reader.scan(body, &mut row)?;
                self.layout.fill(&row, &mut cells, &mut self.stats);
                let answers = self.slots.iter().map(|s| row.answers[*s].as_ref());
                self.background.combination(number, answers, &mut key);
                self.counts.add(&key);
                encoded.clear();
                let spilled = self
                    .layout
                    .columns
                    .iter()
                    .zip(&cells)
                    .skip(SET_WHEN_WRITTEN);
                let excel_same = encode_row(
                    &encoder,
                    &mut encoded,
                    spilled.map(|(column, cell)| (column, cell.as_ref())),
                );
                self.spill.push(&key, excel_same, &encoded)?;
            }
        }
        Ok(self)
    }
}

/// Reads every response once: fills its cells, counts its background combination, and
/// spills both, since the suppression of a row depends on rows not yet read. Plan and rows
/// come from the same read, so a response that arrives meanwhile is wholly in or out.
///
/// The store is read here while the pages already read are scanned on blocking threads,
/// one per core up to [`MAX_SCANNERS`], taking the pages in turn, each with a spill of its
/// own (at most one page waits for each): the wait for the next page (DynamoDB's answer,
/// or SQLite's read) overlaps the scan, and with two cores two pages are scanned at once.
/// The order of the pages is kept ([`SpilledPage`]), so the files are the same with one
/// scanner or two.
pub(super) async fn read_rows<S>(
    store: &S,
    rounds: &[Round],
    round_versions: &[usize],
    options: &ExportOptions,
    layout: &Layout,
    background: &BackgroundColumns,
) -> Result<ReadRows, ExportError>
where
    S: ResponseStore + ?Sized,
{
    let scanners = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_SCANNERS);
    let mut senders = Vec::with_capacity(scanners);
    let mut scanning = Vec::with_capacity(scanners);
    for _ in 0..scanners {
        let scanner = RowScanner {
            reader: layout.reader(|_| true),
            layout: layout.clone(),
            background: background.background.clone(),
            slots: background.slots.clone(),
            round_versions: round_versions.to_vec(),
            spill: SpillWriter::new(1 + background.slots.len())?,
            counts: Counts::default(),
            stats: CellStats::default(),
        };
        let (pages, received) = mpsc::channel(1);
        senders.push(pages);
        scanning.push(tokio::task::spawn_blocking(move || scanner.run(received)));
    }
    let page_size = options.page_size.max(1);
    let mut pages: Vec<SpilledPage> = Vec::new();
    let read = async {
        for (index, round) in rounds.iter().enumerate() {
            let mut cursor: Option<PageCursor> = None;
            loop {
                let page = store
                    .response_bodies_page(&round.id, cursor.as_ref(), page_size)
                    .await?;
                if !page.bodies.is_empty() {
                    let spill = pages.len() % scanners;
                    pages.push(SpilledPage {
                        spill,
                        round: index,
                        rows: page.bodies.len(),
                    });
                    if senders[spill].send((index, page.bodies)).await.is_err() {
                        // A scanner stopped: its own error says why.
                        return Ok(());
                    }
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok::<(), ExportError>(())
    }
    .await;
    drop(senders);
    // Every scanner is waited for, so none is left running, before any error is returned.
    let mut scanned = Vec::with_capacity(scanners);
    for scanner in scanning {
        scanned.push(scanner.await.map_err(|_| {
            ExportError::Write(io::Error::other("the scan of the stored responses stopped"))
        }));
    }
    read?;
    let mut counts = Counts::default();
    // Rows per round, from the pages' sizes.
    let mut round_rows = vec![0u64; rounds.len()];
    for page in &pages {
        round_rows[page.round] += page.rows as u64;
    }
    let mut stats = CellStats::default();
    let mut spills = Vec::with_capacity(scanners);
    let mut spilled_bytes = 0;
    for scanner in scanned {
        let scanner = scanner??;
        counts.merge(scanner.counts);
        stats.add(&scanner.stats);
        spilled_bytes += scanner.spill.bytes();
        spills.push(scanner.spill.into_reader()?);
    }
    for (round, rows) in rounds.iter().zip(&round_rows) {
        if *rows < u64::from(options.k) {
            return Err(ExportError::TooFewResponses {
                name: round.name.clone(),
                count: *rows,
                k: options.k,
            });
        }
    }
    // Its size only, never its content: how close an export comes to Lambda's /tmp.
    tracing::info!(
        rows = round_rows.iter().sum::<u64>(),
        bytes = spilled_bytes,
        "export rows spilled"
    );
    Ok(ReadRows {
        spills,
        pages,
        counts,
        round_rows,
        stats,
    })
}
