//! The rows of an export: the one read of the store, which fills each response's cells,
//! counts its background combination and spills it (spill.rs); then the writing of the
//! spilled rows to the response files, with the k-anonymity plan that the counts gave.

use std::borrow::Cow;
use std::io;

use crate::domain::Round;
use crate::domain::questionnaire::Questionnaire;
use crate::store::{PageCursor, ResponseStore};

use super::columns::{CellStats, Layout, excel_cell};
use super::engine::{EXCEL_FILE, ExportError, ExportOptions, RESPONSES_FILE};
use super::kanon::{self, Background, Combination, Counts, Plan};
use super::manifest::ManifestFile;
use super::permute::Permutation;
use super::sink::{ExportSink, HashedFile};
use super::spill::{self, SpillPage, SpillReader, SpillWriter};
use super::stored::StoredRow;

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

/// What the one read of the store leaves: every row in the spill, and what they add up to.
pub(super) struct ReadRows {
    pub spill: SpillReader,
    pub counts: Counts,
    /// Rows per round, in the order of the rounds.
    pub round_rows: Vec<u64>,
    pub stats: CellStats,
}

/// The background questions of an export, as columns of the layout and as slots of a read
/// response.
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
    let background = Background::new(questionnaire, &ids).map_err(ExportError::Layout)?;
    let columns: Vec<usize> = background
        .ids()
        .map(|id| {
            layout
                .whole_column(id)
                .ok_or_else(|| ExportError::Layout(format!("no column for '{id}'")))
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

/// Reads every response once: fills its cells, counts its background combination, and
/// spills both, since the suppression of a row depends on rows not yet read. Plan and rows
/// come from the same read, so a response that arrives meanwhile is wholly in or out.
pub(super) async fn read_rows<S>(
    store: &S,
    rounds: &[Round],
    options: &ExportOptions,
    layout: &Layout,
    background: &BackgroundColumns,
) -> Result<ReadRows, ExportError>
where
    S: ResponseStore + ?Sized,
{
    let k = u64::from(options.k);
    let reader = layout.reader(|_| true);
    let mut spill = SpillWriter::new(1 + background.slots.len(), layout.columns.len())?;
    let mut counts = Counts::default();
    let mut round_rows = vec![0u64; rounds.len()];
    let mut stats = CellStats::default();
    let mut key: Combination = Vec::new();
    for (index, round) in rounds.iter().enumerate() {
        let number = index as u16 + 1;
        let rows = &mut round_rows[index];
        for_each_page(store, round, options.page_size.max(1), |bodies| {
            let mut row = StoredRow::default();
            let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(layout.columns.len());
            for body in bodies {
                reader.scan(body, &mut row)?;
                layout.fill(&row, &mut cells, &mut stats);
                let answers = background.slots.iter().map(|s| row.answers[*s].as_ref());
                background.background.combination(number, answers, &mut key);
                counts.add(&key);
                spill.push(&key, &cells)?;
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
    // Its size only, never its content: how close an export comes to Lambda's /tmp.
    tracing::info!(
        rows = round_rows.iter().sum::<u64>(),
        bytes = spill.bytes(),
        "export rows spilled"
    );
    Ok(ReadRows {
        spill: spill.into_reader()?,
        counts,
        round_rows,
        stats,
    })
}

fn csv_writer<W: io::Write>(delimiter: u8, out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// Writes the spilled rows, a page at a time, to the response files: row numbers from the
/// permutation, background values emptied by the plan. Returns the files for the manifest.
#[allow(clippy::too_many_arguments)] // Each is a different thing it needs; a struct would only rename them.
pub(super) async fn write_rows(
    mut spill: SpillReader,
    round_rows: &[u64],
    plan: &Plan,
    layout: &Layout,
    background_columns: &[usize],
    options: &ExportOptions,
    sink: &mut dyn ExportSink,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<Vec<ManifestFile>, ExportError> {
    let mut plain_file = HashedFile::new(RESPONSES_FILE);
    let mut excel_file = HashedFile::new(EXCEL_FILE);
    #[cfg(feature = "parquet")]
    let mut parquet_file = super::parquet::ParquetFile::new(layout)?;
    // Each page is encoded into these buffers, then streamed out; they keep their capacity.
    let mut plain_buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut excel_buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    excel_buffer.extend_from_slice("\u{feff}".as_bytes());
    {
        let header = || layout.columns.iter().map(|c| c.name.as_str());
        let mut plain = csv_writer(b',', &mut plain_buffer);
        plain.write_record(header())?;
        plain.flush()?;
        let mut excel = csv_writer(b';', &mut excel_buffer);
        excel.write_record(header())?;
        excel.flush()?;
    }
    let permutation = Permutation::new(round_rows.iter().sum(), options.seed);
    let page_size = u64::from(options.page_size.max(1));
    let mut page = SpillPage::default();
    let mut position = 0u64;
    for (index, rows) in round_rows.iter().enumerate() {
        let number = (index + 1).to_string();
        let mut left = *rows;
        while left > 0 {
            let page_rows = left.min(page_size);
            spill.read_page(page_rows as usize, &mut page)?;
            left -= page_rows;
            let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(layout.columns.len());
            let mut plain = csv_writer(b',', &mut plain_buffer);
            let mut excel = csv_writer(b';', &mut excel_buffer);
            for row in 0..page.rows() {
                let key = page.row(row, &mut cells)?;
                let mask = plan
                    .mask(key)
                    .ok_or_else(|| spill::damaged("a combination that was not counted"))?;
                cells[0] = Cow::Owned((permutation.apply(position) + 1).to_string());
                cells[1] = Cow::Borrowed(number.as_str());
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
        }
    }
    spill.finish()?;
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
    Ok(files)
}
