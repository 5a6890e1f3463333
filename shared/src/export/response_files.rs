//! The writing of the spilled rows to the response files, a page at a time: row numbers
//! from the permutation, background values emptied by the k-anonymity plan.
//!
//! While one page's two CSV files are encoded and hashed, each on a thread of its own
//! (and its Parquet rows on another), the next page is read back from the spill. The
//! files' bytes are the same however the work is spread; they reach the sink in the page
//! order.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use super::columns::{Column, Layout};
use super::csv_fields::{
    FieldEncoder, SET_WHEN_WRITTEN, encode_excel_row, encode_row, split_fields,
};
use super::engine::{EXCEL_FILE, ExportError, ExportOptions, RESPONSES_FILE};
use super::kanon::Plan;
use super::manifest::ManifestFile;
use super::permute::Permutation;
use super::rows::{Emptied, SpilledPage};
use super::sink::{ExportSink, HashedFile};
use super::spill::{self, SpillPage, SpillReader};

fn csv_writer<W: io::Write>(delimiter: u8, out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

/// What a page's rows are published with, worked out once for all files: each row's new
/// number (as text, in one string) and which background cells it loses.
#[derive(Default)]
struct Published {
    numbers: String,
    /// End of each row's number in `numbers`.
    number_ends: Vec<usize>,
    masks: Vec<u32>,
}

impl Published {
    fn number(&self, row: usize) -> &str {
        let start = row.checked_sub(1).map_or(0, |r| self.number_ends[r]);
        &self.numbers[start..self.number_ends[row]]
    }
}

/// The rows of one page as published.
struct PageRows<'p> {
    page: &'p SpillPage,
    published: &'p Published,
    /// The round's number, in the second column.
    round: &'p str,
    /// By column: the bits of the plan's mask that empty it (0: never emptied).
    emptied_by: &'p [u32],
}

impl PageRows<'_> {
    /// Row `row`'s cell in `column` as published: its number and round set, a background
    /// value, and the answers that would tell it, emptied where the plan says.
    fn published<'c>(&'c self, row: usize, column: usize, cell: &'c str) -> &'c str {
        match column {
            0 => self.published.number(row),
            1 => self.round,
            _ if self.published.masks[row] & self.emptied_by[column] != 0 => "",
            _ => cell,
        }
    }

    /// Row `row`'s published cells with their columns, the spilled ones from `fields`
    /// (split by [`split_row`]).
    fn published_cells<'c>(
        &'c self,
        row: usize,
        layout: &'c Layout,
        fields: &'c [Cow<'c, str>],
    ) -> impl Iterator<Item = (&'c Column, &'c str)> + 'c {
        layout
            .columns
            .iter()
            .enumerate()
            .map(move |(column, kind)| {
                let cell = column
                    .checked_sub(SET_WHEN_WRITTEN)
                    .map_or("", |field| fields[field].as_ref());
                (kind, self.published(row, column, cell))
            })
    }

    /// Hands each row's published cells to `each`, collected (the Parquet writer's way).
    #[cfg(feature = "parquet")]
    fn for_each(
        &self,
        layout: &Layout,
        mut each: impl FnMut(&[Cow<'_, str>]) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        let mut fields = Vec::with_capacity(layout.columns.len());
        for row in 0..self.page.rows() {
            split_row(self.page, row, layout.columns.len(), &mut fields)?;
            let cells: Vec<Cow<'_, str>> = self
                .published_cells(row, layout, &fields)
                .map(|(_, cell)| Cow::Borrowed(cell))
                .collect();
            each(&cells)?;
        }
        Ok(())
    }
}

/// Splits row `row` of `page` into its spilled cells; a row without one cell for each
/// column after those the writing sets is a damaged spill.
fn split_row<'p>(
    page: &'p SpillPage,
    row: usize,
    columns: usize,
    fields: &mut Vec<Cow<'p, str>>,
) -> io::Result<()> {
    split_fields(page.cells(row)?, fields)?;
    if fields.len() + SET_WHEN_WRITTEN == columns {
        Ok(())
    } else {
        Err(spill::damaged("a row of the wrong number of cells"))
    }
}

/// `responses.csv`'s rows of the page, encoded into `buffer` (cleared first) and
/// hashed. A row that keeps every cell is copied as the scanner encoded it, its number
/// and round put in front; any other is split into its cells and encoded again.
fn encode_plain(
    rows: &PageRows<'_>,
    layout: &Layout,
    (file, buffer): (&mut HashedFile, &mut Vec<u8>),
) -> Result<(), ExportError> {
    // Encoded into a vector of this thread's own, not through the caller's: a vector's
    // length updated field by field in a cache line that another thread reads made
    // encoding slower by a third (measured with a file per thread).
    let mut plain = std::mem::take(buffer);
    plain.clear();
    let encoder = FieldEncoder::new(b',');
    let mut fields = Vec::with_capacity(layout.columns.len());
    for row in 0..rows.page.rows() {
        if rows.published.masks[row] == 0 {
            for part in [rows.published.number(row), ",", rows.round, ","] {
                plain.extend_from_slice(part.as_bytes());
            }
            plain.extend_from_slice(rows.page.cells(row)?.as_bytes());
        } else {
            split_row(rows.page, row, layout.columns.len(), &mut fields)?;
            let cells = rows.published_cells(row, layout, &fields);
            encode_row(&encoder, &mut plain, cells);
        }
        plain.extend_from_slice(b"\r\n");
    }
    file.record(&plain);
    *buffer = plain;
    Ok(())
}

/// Excel's rows of the page (`;`, decimal comma), as [`encode_plain`] does the plain
/// file's. A row that keeps every cell and that the scanner found the same in both
/// files but for `;` for `,` ([`encode_row`]), almost every row, is copied with `;` for
/// each `,`; any other is split into its cells and encoded for Excel.
fn encode_excel(
    rows: &PageRows<'_>,
    layout: &Layout,
    (file, buffer): (&mut HashedFile, &mut Vec<u8>),
) -> Result<(), ExportError> {
    let mut excel = std::mem::take(buffer);
    excel.clear();
    let encoder = FieldEncoder::new(b';');
    let mut fields = Vec::with_capacity(layout.columns.len());
    for row in 0..rows.page.rows() {
        if rows.published.masks[row] == 0 && rows.page.excel_same(row)? {
            for part in [rows.published.number(row), ";", rows.round, ";"] {
                excel.extend_from_slice(part.as_bytes());
            }
            let cells = rows.page.cells(row)?.as_bytes();
            excel.extend(cells.iter().map(|b| if *b == b',' { b';' } else { *b }));
        } else {
            split_row(rows.page, row, layout.columns.len(), &mut fields)?;
            let cells = rows.published_cells(row, layout, &fields);
            encode_excel_row(&encoder, &mut excel, cells);
        }
        excel.extend_from_slice(b"\r\n");
    }
    file.record(&excel);
    *buffer = excel;
    Ok(())
}

/// A page read back and what its rows are published with.
#[derive(Default)]
struct ReadPage {
    page: SpillPage,
    published: Published,
}

/// The spilled pages in the store's order, read back with what each row is published
/// with.
struct SpilledRows<'a> {
    spills: Vec<SpillReader>,
    pages: std::slice::Iter<'a, SpilledPage>,
    plan: &'a Plan,
    permutation: Permutation,
    /// The next row's place in the store's order, which its number is drawn for.
    position: u64,
    /// By column: the bits of a mask that empty a dependent question's cell
    /// ([`Emptied::dependent`]).
    dependent: &'a [u32],
    /// Cells of dependent questions emptied that held something.
    dependent_cells_emptied: u64,
}

impl SpilledRows<'_> {
    /// Reads the next page into `page` and what its rows are published with into
    /// `published`; returns the page's round (its index), or `None` after the last page.
    fn next(
        &mut self,
        page: &mut SpillPage,
        published: &mut Published,
    ) -> Result<Option<usize>, ExportError> {
        let Some(spilled) = self.pages.next() else {
            return Ok(None);
        };
        let spill = self
            .spills
            .get_mut(spilled.spill)
            .ok_or_else(|| spill::damaged("a page of a spill that is not there"))?;
        spill.read_page(spilled.rows, page)?;
        published.numbers.clear();
        published.number_ends.clear();
        published.masks.clear();
        for row in 0..page.rows() {
            let mask = self
                .plan
                .mask(page.key(row)?)
                .ok_or_else(|| spill::damaged("a combination that was not counted"))?;
            published.masks.push(mask);
            if mask != 0 {
                let mut fields = Vec::new();
                split_row(page, row, self.dependent.len(), &mut fields)?;
                let columns = self.dependent.iter().skip(SET_WHEN_WRITTEN);
                for (emptied_by, cell) in columns.zip(&fields) {
                    if emptied_by & mask != 0 && !cell.is_empty() {
                        self.dependent_cells_emptied += 1;
                    }
                }
            }
            let number = self.permutation.apply(self.position) + 1;
            // Writing to a String cannot fail.
            let _ = write!(published.numbers, "{number}");
            published.number_ends.push(published.numbers.len());
            self.position += 1;
        }
        Ok(Some(spilled.round))
    }

    /// Checks that every spill was read to its end; the dependent cells emptied.
    fn finish(self) -> Result<u64, ExportError> {
        for spill in self.spills {
            spill.finish()?;
        }
        Ok(self.dependent_cells_emptied)
    }
}

/// What writing the response files leaves for the manifest.
pub(super) struct WrittenRows {
    pub files: Vec<ManifestFile>,
    /// Cells of questions that follow a background variable, emptied with it.
    pub dependent_cells_emptied: u64,
}

/// Writes the spilled rows, a page at a time in the order the store gave them, to the
/// response files: row numbers from the permutation, background values (and the answers
/// that would tell them) emptied by the plan.
#[allow(clippy::too_many_arguments)] // Each is a different thing it needs; a struct would only rename them.
pub(super) async fn write_rows(
    spills: Vec<SpillReader>,
    pages: &[SpilledPage],
    rounds: usize,
    plan: &Plan,
    layout: &Layout,
    emptied: &Emptied,
    options: &ExportOptions,
    sink: &mut dyn ExportSink,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<WrittenRows, ExportError> {
    let mut plain_file = HashedFile::new(RESPONSES_FILE);
    let mut excel_file = HashedFile::new(EXCEL_FILE);
    #[cfg(feature = "parquet")]
    let mut parquet_file = super::parquet::ParquetFile::new(layout)?;
    // Each page is encoded into these buffers, then streamed out; they keep their capacity.
    let mut plain_buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut excel_buffer: Vec<u8> = Vec::with_capacity(1 << 20);
    {
        let header = || layout.columns.iter().map(|c| c.name.as_str());
        let mut plain = csv_writer(b',', &mut plain_buffer);
        plain.write_record(header())?;
        plain.flush()?;
        drop(plain);
        excel_buffer.extend_from_slice("\u{feff}".as_bytes());
        let mut excel = csv_writer(b';', &mut excel_buffer);
        excel.write_record(header())?;
        excel.flush()?;
        drop(excel);
        plain_file.write(sink, &plain_buffer).await?;
        excel_file.write(sink, &excel_buffer).await?;
    }
    let total = pages.iter().map(|page| page.rows as u64).sum();
    let mut source = SpilledRows {
        spills,
        pages: pages.iter(),
        plan,
        permutation: Permutation::new(total, options.seed),
        position: 0,
        dependent: &emptied.dependent,
        dependent_cells_emptied: 0,
    };
    // The round's number, in the second column.
    let round_numbers: Vec<String> = (1..=rounds).map(|number| number.to_string()).collect();
    // The page being encoded and the next one, read meanwhile; they keep their capacity.
    let mut current = ReadPage::default();
    let mut next = ReadPage::default();
    let mut round = source.next(&mut current.page, &mut current.published)?;
    let mut written = 0u64;
    while let Some(index) = round {
        let round_number = round_numbers
            .get(index)
            .ok_or_else(|| spill::damaged("a page of a round that is not there"))?;
        let rows = PageRows {
            page: &current.page,
            published: &current.published,
            round: round_number,
            emptied_by: &emptied.by_column,
        };
        round = std::thread::scope(|threads| -> Result<Option<usize>, ExportError> {
            let plain =
                threads.spawn(|| encode_plain(&rows, layout, (&mut plain_file, &mut plain_buffer)));
            let excel =
                threads.spawn(|| encode_excel(&rows, layout, (&mut excel_file, &mut excel_buffer)));
            #[cfg(feature = "parquet")]
            let parquet = threads.spawn(|| rows.for_each(layout, |cells| parquet_file.push(cells)));
            let read_next = source.next(&mut next.page, &mut next.published);
            let plain_done = plain.join().map_err(|_| encoder_died())?;
            let excel_done = excel.join().map_err(|_| encoder_died())?;
            #[cfg(feature = "parquet")]
            parquet.join().map_err(|_| encoder_died())??;
            plain_done?;
            excel_done?;
            read_next
        })?;
        plain_file.send(sink, &plain_buffer).await?;
        excel_file.send(sink, &excel_buffer).await?;
        #[cfg(feature = "parquet")]
        parquet_file.drain(sink).await?;
        written += current.page.rows() as u64;
        progress(written);
        std::mem::swap(&mut current, &mut next);
    }
    let dependent_cells_emptied = source.finish()?;
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
    Ok(WrittenRows {
        files,
        dependent_cells_emptied,
    })
}

/// A thread that encoded a file panicked: with `panic = "abort"` (release) it never
/// returns here; in a test build it is an error like any other.
fn encoder_died() -> ExportError {
    ExportError::Write(io::Error::other("an export file's encoder stopped"))
}
