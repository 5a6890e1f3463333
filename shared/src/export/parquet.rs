//! `responses.parquet`: the same rows and cells as `responses.csv`, in typed columns, so
//! analysts can query an export with DuckDB or Athena without declaring the types
//! themselves. Only built with the `parquet` feature, so that only the functions that
//! export link the crate.
//!
//! The file takes the CSV's final cells (after k-anonymity and scrubbing) one row at a
//! time and buffers at most one row group ([`ROW_GROUP_ROWS`] rows or about
//! [`ROW_GROUP_BYTES`] of values, whichever comes first); a full group is encoded at once
//! into an in-memory buffer that the engine hands to the sink after every page. Memory
//! holds one row group of values plus the encoded groups of one page (one group, unless a
//! page is larger than a group), never the whole export.
//!
//! The cells are the CSV's exactly, so text keeps the `'` that neutralises formulas: one
//! rule for every file, and the manifest's count holds for this file too.
//!
//! Columns keep the CSV's names and order, so the codebook describes both files. Types
//! ([`ColumnKind`] → Parquet), chosen from the newest questionnaire version's layout:
//!
//! | column kind | Parquet | notes |
//! |---|---|---|
//! | `RowNumber` (`rad`) | INT64, required | |
//! | `Round` (`omgang`) | INT32, required | |
//! | `Month` (`svarsmanad`, month questions) | BYTE_ARRAY UTF8 (STRING), `YYYY-MM` | a DATE would need a day, and every date in an export is a month |
//! | `Flag` (multiple-choice 0/1) | INT32 | |
//! | `Code` | INT32 if every option code is a whole number and the question offers neither "Vet ej" nor "Ej aktuellt"; else STRING | |
//! | `YesNo` | INT32 (1/0) if the question offers no special answer; else STRING | |
//! | `Number { decimals: 0 }` | INT64 if no special answer; else STRING | |
//! | `Number { decimals > 0 }` | DOUBLE if no special answer; else STRING | |
//! | `Text` | STRING | |
//!
//! Every column but the first two is optional: an empty CSV cell is NULL. A question that
//! offers a special answer keeps a text column because its cells may be `vet_ej` or
//! `ej_aktuellt`; a number column would have to drop them (or mix them with NULL), and a
//! file that says less than the CSV beside it is worse than a cast in the query.
//!
//! A cell that does not fit its column's type (an answer stored under an older
//! questionnaire version, whose options differed) fails the export rather than being
//! written as NULL: the Parquet schema is fixed before the first row.

use std::borrow::Cow;
use std::io;
use std::sync::Arc;

use ::parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use ::parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use ::parquet::errors::ParquetError;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::schema::types::Type;

use crate::domain::questionnaire::{Question, QuestionKind};

use super::columns::{Column, ColumnKind, Layout};
use super::engine::ExportError;
use super::manifest::ManifestFile;
use super::sink::{ExportSink, HashedFile};

pub const PARQUET_FILE: &str = "responses.parquet";

/// Rows per row group at most. 64k rows is one Athena/DuckDB split of reasonable size and
/// keeps the buffer of a wide questionnaire (100 columns) near the byte limit below.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;
/// Bytes of buffered values (an estimate: 4 or 8 a number, the length of a text, plus
/// the definition level) after which a row group is written even if it has fewer rows.
pub const ROW_GROUP_BYTES: usize = 8 << 20;

/// The Parquet type of a column: see the table in the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typed {
    Int32,
    Int64,
    Double,
    Text,
}

impl Typed {
    fn of(column: &Column, questions: &[Question]) -> Self {
        let question = column.question.and_then(|index| questions.get(index));
        let special = question.is_some_and(|q| q.dont_know || q.not_applicable);
        match &column.kind {
            ColumnKind::RowNumber => Typed::Int64,
            ColumnKind::Round | ColumnKind::Flag => Typed::Int32,
            ColumnKind::Month | ColumnKind::Text => Typed::Text,
            _ if special => Typed::Text,
            ColumnKind::YesNo => Typed::Int32,
            ColumnKind::Number { decimals: 0 } => Typed::Int64,
            ColumnKind::Number { .. } => Typed::Double,
            ColumnKind::Code => {
                let whole_numbers = match question.map(|q| &q.kind) {
                    Some(QuestionKind::SingleChoice { options }) => options
                        .iter()
                        .all(|o| canonical_i32(o.code.as_str()).is_some()),
                    _ => false,
                };
                if whole_numbers {
                    Typed::Int32
                } else {
                    Typed::Text
                }
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Typed::Int32 | Typed::Int64 => "a whole number",
            Typed::Double => "a number",
            Typed::Text => "text",
        }
    }
}

/// `text` as an `i32` if it is written the one way an `i32` prints (no `+`, no leading
/// zeros), so that reading the file back gives the CSV's cell again.
fn canonical_i32(text: &str) -> Option<i32> {
    text.parse::<i32>()
        .ok()
        .filter(|value| value.to_string() == text)
}

/// One column's values of the row group being buffered. `values` holds only the non-NULL
/// cells, as the Parquet column writer wants them; `defs` has one level per row (1 a
/// value, 0 NULL) and stays empty for a required column.
struct Buffer {
    name: String,
    required: bool,
    typed: Typed,
    defs: Vec<i16>,
    values: Values,
}

enum Values {
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Double(Vec<f64>),
    Text(Vec<ByteArray>),
}

impl Buffer {
    /// Adds one cell; returns the bytes it adds to the buffer (an estimate).
    fn push(&mut self, cell: &str) -> Result<usize, ExportError> {
        if cell.is_empty() {
            if self.required {
                return Err(misfit(&self.name, self.typed));
            }
            self.defs.push(0);
            return Ok(2);
        }
        let misfit = || misfit(&self.name, self.typed);
        let size = match &mut self.values {
            Values::Int32(values) => {
                values.push(canonical_i32(cell).ok_or_else(misfit)?);
                4
            }
            Values::Int64(values) => {
                values.push(cell.parse::<i64>().map_err(|_| misfit())?);
                8
            }
            Values::Double(values) => {
                let value = cell.parse::<f64>().ok().filter(|v| v.is_finite());
                values.push(value.ok_or_else(misfit)?);
                8
            }
            Values::Text(values) => {
                values.push(ByteArray::from(cell.as_bytes().to_vec()));
                // The bytes plus the `ByteArray` (a `Bytes`) that holds them.
                cell.len() + 40
            }
        };
        if !self.required {
            self.defs.push(1);
        }
        Ok(size + 2)
    }

    fn clear(&mut self) {
        self.defs.clear();
        match &mut self.values {
            Values::Int32(values) => values.clear(),
            Values::Int64(values) => values.clear(),
            Values::Double(values) => values.clear(),
            Values::Text(values) => values.clear(),
        }
    }
}

/// The error for a cell that does not fit its column; the cell itself is left out of the
/// message, which may end up in logs.
fn misfit(column: &str, typed: Typed) -> ExportError {
    ExportError::Layout(format!(
        "a value in column '{column}' is not {} as {PARQUET_FILE} declares it (an answer from another questionnaire version?)",
        typed.describe()
    ))
}

/// `responses.parquet` on its way to the sink: see the module documentation.
pub(crate) struct ParquetFile {
    /// Encodes into a `Vec` that [`ParquetFile::drain`] empties into the sink. Offsets in
    /// the footer come from the writer's own byte count, not from the `Vec`'s length, so
    /// emptying it between row groups is safe.
    writer: SerializedFileWriter<Vec<u8>>,
    columns: Vec<Buffer>,
    rows: usize,
    bytes: usize,
    file: HashedFile,
}

fn parquet_error(error: ParquetError) -> ExportError {
    ExportError::Write(io::Error::other(error))
}

impl ParquetFile {
    pub fn new(layout: &Layout) -> Result<Self, ExportError> {
        let mut fields = Vec::with_capacity(layout.columns.len());
        let mut columns = Vec::with_capacity(layout.columns.len());
        for column in &layout.columns {
            let typed = Typed::of(column, &layout.questions);
            let required = matches!(column.kind, ColumnKind::RowNumber | ColumnKind::Round);
            let (physical, logical, values) = match typed {
                Typed::Int32 => (PhysicalType::INT32, None, Values::Int32(Vec::new())),
                Typed::Int64 => (PhysicalType::INT64, None, Values::Int64(Vec::new())),
                Typed::Double => (PhysicalType::DOUBLE, None, Values::Double(Vec::new())),
                Typed::Text => (
                    PhysicalType::BYTE_ARRAY,
                    Some(LogicalType::String),
                    Values::Text(Vec::new()),
                ),
            };
            let repetition = if required {
                Repetition::REQUIRED
            } else {
                Repetition::OPTIONAL
            };
            let field = Type::primitive_type_builder(&column.name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()
                .map_err(|e| ExportError::Layout(e.to_string()))?;
            fields.push(Arc::new(field));
            columns.push(Buffer {
                name: column.name.clone(),
                required,
                typed,
                defs: Vec::new(),
                values,
            });
        }
        let schema = Type::group_type_builder("responses")
            .with_fields(fields)
            .build()
            .map_err(|e| ExportError::Layout(e.to_string()))?;
        // Snappy: the one codec linked (small, pure Rust), read by every Parquet reader.
        // Everything else is the crate's default, which writes no time or host into the
        // file, so the same rows give the same bytes (a retry is byte-identical).
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer = SerializedFileWriter::new(Vec::new(), Arc::new(schema), Arc::new(properties))
            .map_err(parquet_error)?;
        Ok(Self {
            writer,
            columns,
            rows: 0,
            bytes: 0,
            file: HashedFile::new(PARQUET_FILE),
        })
    }

    /// Adds one row: the final cells, one per column of the layout, as in the CSV. Encodes
    /// the row group when it is full.
    pub fn push(&mut self, cells: &[Cow<'_, str>]) -> Result<(), ExportError> {
        if cells.len() != self.columns.len() {
            return Err(ExportError::Layout(format!(
                "a row of {} cells for {} columns",
                cells.len(),
                self.columns.len()
            )));
        }
        for (column, cell) in self.columns.iter_mut().zip(cells) {
            self.bytes += column.push(cell)?;
        }
        self.rows += 1;
        if self.rows >= ROW_GROUP_ROWS || self.bytes >= ROW_GROUP_BYTES {
            self.write_row_group()?;
        }
        Ok(())
    }

    /// Encodes the buffered rows as one row group into the writer's `Vec`.
    fn write_row_group(&mut self) -> Result<(), ExportError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group().map_err(parquet_error)?;
        for column in &mut self.columns {
            let mut writer = group
                .next_column()
                .map_err(parquet_error)?
                .ok_or_else(|| ExportError::Layout("fewer Parquet columns than cells".into()))?;
            let defs = (!column.required).then_some(column.defs.as_slice());
            let written = match &column.values {
                Values::Int32(values) => {
                    writer.typed::<Int32Type>().write_batch(values, defs, None)
                }
                Values::Int64(values) => {
                    writer.typed::<Int64Type>().write_batch(values, defs, None)
                }
                Values::Double(values) => {
                    writer.typed::<DoubleType>().write_batch(values, defs, None)
                }
                Values::Text(values) => writer
                    .typed::<ByteArrayType>()
                    .write_batch(values, defs, None),
            };
            written.map_err(parquet_error)?;
            writer.close().map_err(parquet_error)?;
            column.clear();
        }
        group.close().map_err(parquet_error)?;
        // The writer buffers its output; flushing moves it into the `Vec` for `drain`.
        self.writer.flush()?;
        self.rows = 0;
        self.bytes = 0;
        Ok(())
    }

    /// Hands the row groups encoded so far to the sink. Called after every page, so the
    /// encoded bytes never pile up either.
    pub async fn drain(&mut self, sink: &mut dyn ExportSink) -> Result<(), ExportError> {
        let encoded = self.writer.inner_mut();
        self.file.write(sink, encoded).await?;
        encoded.clear();
        Ok(())
    }

    /// Writes the last row group and the footer, finishes the file in the sink and
    /// returns its line of the manifest.
    pub async fn finish(mut self, sink: &mut dyn ExportSink) -> Result<ManifestFile, ExportError> {
        self.write_row_group()?;
        self.drain(sink).await?;
        let footer = self.writer.into_inner().map_err(parquet_error)?;
        let mut file = self.file;
        file.write(sink, &footer).await?;
        let (bytes, sha256) = file.finish(sink).await?;
        Ok(ManifestFile {
            name: PARQUET_FILE.to_owned(),
            bytes,
            sha256,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::parse_definition;
    use crate::export::FolderSink;
    use ::parquet::file::reader::{FileReader, SerializedFileReader};
    use ::parquet::record::Field;

    const DEFINITION: &str = r#"
id = "typer"
version = 1
title = { sv = "Typer" }

[[sections]]
id = "s"
title = { sv = "S" }

[[sections.questions]]
id = "skala"
kind = "single_choice"
text = { sv = "Skala?" }
options = [{ code = "1", label = { sv = "Ett" } }, { code = "2", label = { sv = "Två" } }]

[[sections.questions]]
id = "skala_vet"
kind = "single_choice"
dont_know = true
text = { sv = "Skala med vet ej?" }
options = [{ code = "1", label = { sv = "Ett" } }, { code = "2", label = { sv = "Två" } }]

[[sections.questions]]
id = "ord"
kind = "single_choice"
text = { sv = "Ord?" }
options = [{ code = "ja", label = { sv = "Ja" } }, { code = "02", label = { sv = "Noll två" } }]

[[sections.questions]]
id = "flera"
kind = "multiple_choice"
not_applicable = true
text = { sv = "Flera?" }
options = [{ code = "a", label = { sv = "A" } }, { code = "b", label = { sv = "B" } }]

[[sections.questions]]
id = "antal"
kind = "number"
text = { sv = "Antal?" }

[[sections.questions]]
id = "vikt"
kind = "number"
decimals = 2
text = { sv = "Vikt?" }

[[sections.questions]]
id = "janej"
kind = "yes_no"
text = { sv = "Ja eller nej?" }

[[sections.questions]]
id = "janej_vet"
kind = "yes_no"
dont_know = true
text = { sv = "Ja, nej eller vet ej?" }

[[sections.questions]]
id = "manad"
kind = "month"
text = { sv = "Månad?" }

[[sections.questions]]
id = "fritt"
kind = "text"
max_length = 100
text = { sv = "Fritt?" }
"#;

    fn layout() -> Layout {
        let questionnaire = parse_definition("typer.toml", DEFINITION).expect("valid");
        Layout::new(&questionnaire, true).expect("a layout")
    }

    fn types(layout: &Layout) -> Vec<(&str, Typed)> {
        layout
            .columns
            .iter()
            .map(|c| (c.name.as_str(), Typed::of(c, &layout.questions)))
            .collect()
    }

    #[test]
    fn numbers_are_typed_only_where_a_column_can_hold_nothing_else() {
        let layout = layout();
        assert_eq!(
            types(&layout),
            [
                ("rad", Typed::Int64),
                ("omgang", Typed::Int32),
                ("svarsmanad", Typed::Text),
                ("skala", Typed::Int32),
                // May hold `vet_ej`.
                ("skala_vet", Typed::Text),
                // `02` would read back as `2`.
                ("ord", Typed::Text),
                ("flera_a", Typed::Int32),
                ("flera_b", Typed::Int32),
                ("flera_ej_aktuellt", Typed::Int32),
                ("antal", Typed::Int64),
                ("vikt", Typed::Double),
                ("janej", Typed::Int32),
                ("janej_vet", Typed::Text),
                ("manad", Typed::Text),
                ("fritt", Typed::Text),
            ]
        );
    }

    fn row(number: usize) -> Vec<Cow<'static, str>> {
        let empty = number.is_multiple_of(3);
        let or_empty = |text: String| Cow::Owned(if empty { String::new() } else { text });
        vec![
            Cow::Owned(number.to_string()),
            Cow::Borrowed("1"),
            Cow::Borrowed("2026-03"),
            or_empty((1 + number % 2).to_string()),
            Cow::Borrowed("vet_ej"),
            Cow::Borrowed("02"),
            Cow::Borrowed("1"),
            Cow::Borrowed("0"),
            Cow::Borrowed("0"),
            or_empty(format!("{}", number as i64 - 5)),
            or_empty(format!("{:.2}", number as f64 / 4.0)),
            Cow::Borrowed("1"),
            Cow::Borrowed(""),
            Cow::Borrowed("2025-11"),
            or_empty(format!("text {number}, åäö")),
        ]
    }

    #[tokio::test]
    async fn row_groups_are_cut_at_the_limit_and_the_file_reads_back_cell_for_cell() {
        let dir = tempfile::tempdir().expect("a folder");
        let mut sink = FolderSink::create(dir.path()).expect("a sink");
        let layout = layout();
        let mut file = ParquetFile::new(&layout).expect("a writer");
        let rows = 2 * ROW_GROUP_ROWS + 5;
        for number in 1..=rows {
            file.push(&row(number)).expect("a row that fits");
            // Never more than one row group buffered.
            assert!(file.rows < ROW_GROUP_ROWS && file.bytes < ROW_GROUP_BYTES);
            if number.is_multiple_of(1000) {
                file.drain(&mut sink).await.expect("drained");
                assert!(file.writer.inner().is_empty());
            }
        }
        let listed = file.finish(&mut sink).await.expect("finished");
        let bytes = std::fs::read(dir.path().join(PARQUET_FILE)).expect("the file");
        assert_eq!(listed.bytes, bytes.len() as u64);

        let reader = SerializedFileReader::new(
            std::fs::File::open(dir.path().join(PARQUET_FILE)).expect("opens"),
        )
        .expect("a Parquet file");
        // Cut by bytes here (about 330 a row) before the row limit.
        let groups = reader.metadata().row_groups();
        assert!(groups.len() >= 3, "{} row groups", groups.len());
        assert!(
            groups
                .iter()
                .all(|g| g.num_rows() as usize <= ROW_GROUP_ROWS)
        );
        assert_eq!(reader.metadata().file_metadata().num_rows(), rows as i64);
        for (number, read) in (1..).zip(reader.get_row_iter(None).expect("rows")) {
            let read = read.expect("a row");
            let expected = row(number);
            for ((name, field), cell) in read.get_column_iter().zip(&expected) {
                let same = match field {
                    Field::Null => cell.is_empty(),
                    Field::Int(value) => value.to_string() == *cell,
                    Field::Long(value) => value.to_string() == *cell,
                    Field::Double(value) => format!("{value:.2}") == *cell,
                    Field::Str(value) => value == cell,
                    other => panic!("{name}: unexpected {other:?}"),
                };
                assert!(same, "row {number}, {name}: {field:?} for {cell:?}");
            }
        }
    }

    #[test]
    fn a_cell_that_does_not_fit_its_column_fails_the_export() {
        let mut file = ParquetFile::new(&layout()).expect("a writer");
        let mut cells = row(1);
        cells[3] = Cow::Borrowed("vet_ej");
        let Err(error) = file.push(&cells) else {
            panic!("a code column took `vet_ej`");
        };
        assert!(
            matches!(error, ExportError::Layout(ref m) if m.contains("'skala'")),
            "{error}"
        );
        let mut cells = row(1);
        cells[0] = Cow::Borrowed("");
        assert!(file.push(&cells).is_err(), "rad is required");
    }
}
