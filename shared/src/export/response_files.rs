//! The writing of the spilled rows to the response files, a page at a time: row numbers
//! from the permutation, background values emptied by the k-anonymity plan.
//!
//! Each file of a page is encoded (and hashed) on a thread of its own, as the files do not
//! depend on one another: with two cores the page takes about as long as its slowest
//! file, with one it takes what it took in one thread. The bytes, and so the files, are
//! the same either way; they reach the sink in the same order.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use super::columns::{Layout, excel_cell};
use super::engine::{EXCEL_FILE, ExportError, ExportOptions, RESPONSES_FILE};
use super::kanon::Plan;
use super::manifest::ManifestFile;
use super::permute::Permutation;
use super::rows::SpilledPage;
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

/// The rows of one page as published, handed to `each` one at a time.
struct PageRows<'p> {
    page: &'p SpillPage,
    published: &'p Published,
    /// The round's number, in the second column.
    round: &'p str,
    background_columns: &'p [usize],
    columns: usize,
}

impl PageRows<'_> {
    fn for_each(
        &self,
        mut each: impl FnMut(&[Cow<'_, str>]) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(self.columns);
        for row in 0..self.page.rows() {
            self.page.row(row, &mut cells)?;
            cells[0] = Cow::Borrowed(self.published.number(row));
            cells[1] = Cow::Borrowed(self.round);
            let mask = self.published.masks[row];
            for (bit, column) in self.background_columns.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    cells[*column] = Cow::Borrowed("");
                }
            }
            each(&cells)?;
        }
        Ok(())
    }
}

/// The two CSV files: the plain one, and Excel's (`;`, decimal comma).
#[derive(Clone, Copy)]
enum Dialect<'l> {
    Plain,
    Excel(&'l Layout),
}

/// One CSV file of the page: encoded into `buffer` (cleared first) and hashed.
fn encode_csv(
    rows: &PageRows<'_>,
    dialect: Dialect<'_>,
    file: &mut HashedFile,
    buffer: &mut Vec<u8>,
) -> Result<(), ExportError> {
    buffer.clear();
    let delimiter = match dialect {
        Dialect::Plain => b',',
        Dialect::Excel(_) => b';',
    };
    let mut out = csv_writer(delimiter, &mut *buffer);
    rows.for_each(|cells| {
        match dialect {
            Dialect::Plain => {
                for cell in cells {
                    out.write_field(cell.as_bytes())?;
                }
            }
            Dialect::Excel(layout) => {
                for (column, cell) in layout.columns.iter().zip(cells) {
                    out.write_field(excel_cell(column, cell).as_bytes())?;
                }
            }
        }
        out.write_record(None::<&[u8]>)?;
        Ok(())
    })?;
    out.flush()?;
    drop(out);
    file.record(buffer);
    Ok(())
}

/// Writes the spilled rows, a page at a time in the order the store gave them, to the
/// response files: row numbers from the permutation, background values emptied by the
/// plan. Returns the files for the manifest.
#[allow(clippy::too_many_arguments)] // Each is a different thing it needs; a struct would only rename them.
pub(super) async fn write_rows(
    mut spills: Vec<SpillReader>,
    pages: &[SpilledPage],
    rounds: usize,
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
    let permutation = Permutation::new(total, options.seed);
    // The round's number, in the second column.
    let round_numbers: Vec<String> = (1..=rounds).map(|number| number.to_string()).collect();
    let mut page = SpillPage::default();
    let mut published = Published::default();
    let mut position = 0u64;
    for spilled in pages {
        let (Some(spill), Some(round)) = (
            spills.get_mut(spilled.spill),
            round_numbers.get(spilled.round),
        ) else {
            return Err(spill::damaged("a page of a spill or round that is not there").into());
        };
        spill.read_page(spilled.rows, &mut page)?;
        published.numbers.clear();
        published.number_ends.clear();
        published.masks.clear();
        for row in 0..page.rows() {
            let key = page.key(row)?;
            let mask = plan
                .mask(key)
                .ok_or_else(|| spill::damaged("a combination that was not counted"))?;
            published.masks.push(mask);
            let number = permutation.apply(position) + 1;
            // Writing to a String cannot fail.
            let _ = write!(published.numbers, "{number}");
            published.number_ends.push(published.numbers.len());
            position += 1;
        }
        let rows = PageRows {
            page: &page,
            published: &published,
            round,
            background_columns,
            columns: layout.columns.len(),
        };
        std::thread::scope(|threads| -> Result<(), ExportError> {
            let plain = threads
                .spawn(|| encode_csv(&rows, Dialect::Plain, &mut plain_file, &mut plain_buffer));
            #[cfg(feature = "parquet")]
            let parquet = threads.spawn(|| rows.for_each(|cells| parquet_file.push(cells)));
            let excel = Dialect::Excel(layout);
            let excel_done = encode_csv(&rows, excel, &mut excel_file, &mut excel_buffer);
            let plain_done = plain.join().map_err(|_| encoder_died())?;
            #[cfg(feature = "parquet")]
            parquet.join().map_err(|_| encoder_died())??;
            excel_done.and(plain_done)
        })?;
        plain_file.send(sink, &plain_buffer).await?;
        excel_file.send(sink, &excel_buffer).await?;
        #[cfg(feature = "parquet")]
        parquet_file.drain(sink).await?;
        progress(position);
    }
    for spill in spills {
        spill.finish()?;
    }
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

/// A thread that encoded a file panicked: with `panic = "abort"` (release) it never
/// returns here; in a test build it is an error like any other.
fn encoder_died() -> ExportError {
    ExportError::Write(io::Error::other("an export file's encoder stopped"))
}
