//! Export rows stored at Send: each response's row as an export writes it (its cells
//! after `rad` and `omgang`, encoded as `responses.csv` has them), made once when the
//! response is sent ([`RowEncoder`]) and kept beside it ([`ExportRow`]; by the embedded
//! store, not by DynamoDB: see its `submit_response`). An export of one questionnaire
//! version without free text then reads those rows of about 100 bytes instead of the
//! JSON (about 850): no scan, no cells, no encoding (BENCHMARKS.md, "Export rows stored
//! at Send").
//!
//! The JSON stays the record. A row is only stored when it says exactly what the export
//! from the JSON would write ([`RowEncoder::encode`]); an export that finds a response
//! without one (stored before, or refused), or a row of another [`ROW_FORMAT`], reads
//! the JSON instead, so the files are the same either way.

use tokio::sync::mpsc;

use crate::domain::questionnaire::{QuestionKind, Questionnaire};
use crate::domain::{Response, Round};
use crate::store::{ExportRow, PageCursor, ResponseStore, response_body};

use super::columns::{CellStats, Layout};
use super::csv_fields::{FieldEncoder, SET_WHEN_WRITTEN, encode_row, split_fields};
use super::engine::{ExportError, ExportOptions};
use super::kanon::{Combination, Counts};
use super::rows::{BackgroundColumns, ReadRows, SpilledPage};
use super::spill::SpillWriter;
use super::stored::{Reader, StoredRow};

/// The layout a stored row follows. Raise it whenever what [`Layout::new`] or
/// [`Layout::fill`] make of a response, or how a cell is encoded, changes: rows stored
/// before are then left for the JSON. A test pins one row's bytes to catch a change.
pub const ROW_FORMAT: u32 = 1;

/// Pages of the JSON's size that one page of stored rows holds. A stored row is about
/// an eighth of its response's JSON, so four times the rows still make a smaller page,
/// and the writing (threads started per page, response_files.rs) a quarter of the
/// pages.
const PAGES_PER_PAGE: u32 = 4;

/// Makes the export rows of one questionnaire version's responses.
#[derive(Debug)]
pub struct RowEncoder {
    layout: Layout,
    reader: Reader,
    /// Every question that could be a background variable (single choice, yes/no).
    background: BackgroundColumns,
    encoder: FieldEncoder,
}

impl RowEncoder {
    /// For responses to `questionnaire`; an error when it cannot be exported at all.
    pub fn new(questionnaire: &Questionnaire) -> Result<Self, String> {
        let layout = Layout::new(questionnaire, false)?;
        let ids: Vec<&str> = questionnaire
            .questions()
            .filter(|(_, q)| {
                matches!(
                    q.kind,
                    QuestionKind::SingleChoice { .. } | QuestionKind::YesNo
                )
            })
            .map(|(_, q)| q.id.as_str())
            .collect();
        let background = BackgroundColumns::new(questionnaire, &layout, &ids)?;
        Ok(Self {
            reader: layout.reader(|_| true),
            layout,
            background,
            encoder: FieldEncoder::new(b','),
        })
    }

    /// The response's export row: the cells an export from its JSON fills, read the
    /// same way (its stored form, scanned). `None`, so that the response is stored
    /// without one and exported from the JSON, when the row would not say the same: a
    /// cell the free-text rules changed, or an answer whose background value its cell
    /// would not give back ([`kanon::Background::combination_of_cells`]). Neither happens
    /// to an answer the questionnaire accepts.
    ///
    /// [`kanon::Background::combination_of_cells`]: super::kanon::Background::combination_of_cells
    pub fn encode(&self, response: &Response) -> Option<ExportRow> {
        let body = response_body::encode(response).ok()?;
        let mut row = StoredRow::default();
        self.reader.scan(&body, &mut row).ok()?;
        let mut cells = Vec::with_capacity(self.layout.columns.len());
        let mut stats = CellStats::default();
        self.layout.fill(&row, &mut cells, &mut stats);
        if stats != CellStats::default() {
            return None;
        }
        let background = &self.background;
        let (mut by_answers, mut by_cells) = (Combination::new(), Combination::new());
        let answers = background.slots().iter().map(|s| row.answers[*s].as_ref());
        background
            .background
            .combination(1, answers, &mut by_answers);
        let cells_of = background.columns.iter().map(|c| cells[*c].as_ref());
        background
            .background
            .combination_of_cells(1, cells_of, &mut by_cells);
        if by_answers != by_cells {
            return None;
        }
        let mut encoded = Vec::with_capacity(256);
        let spilled = self.layout.columns.iter().zip(&cells);
        let excel_same = encode_row(
            &self.encoder,
            &mut encoded,
            spilled
                .skip(SET_WHEN_WRITTEN)
                .map(|(column, cell)| (column, cell.as_ref())),
        );
        Some(ExportRow {
            format: ROW_FORMAT,
            excel_same,
            cells: String::from_utf8(encoded).ok()?,
        })
    }
}

/// The one read of the store from its export rows: each row's background combination
/// counted from its cells, the row spilled as it was stored. `None` when the rows do
/// not stand for every response of the rounds (a response without one, a row of
/// another format or shape, a response sent meanwhile): the caller then reads the JSON.
/// `expected` is each round's count of responses from before.
///
/// The rows are counted and spilled on a blocking thread while the store's next page is
/// read, as the scanners of the JSON do (rows.rs).
pub(super) async fn read_stored_rows<S>(
    store: &S,
    rounds: &[Round],
    expected: &[u64],
    options: &ExportOptions,
    layout: &Layout,
    background: &BackgroundColumns,
) -> Result<Option<ReadRows>, ExportError>
where
    S: ResponseStore + ?Sized,
{
    let mut counter = RowCounter::new(layout, background)?;
    let (sender, mut received) = mpsc::channel::<(u16, Vec<ExportRow>)>(1);
    let counting = tokio::task::spawn_blocking(move || -> Result<_, ExportError> {
        while let Some((number, rows)) = received.blocking_recv() {
            if !counter.add(number, &rows)? {
                return Ok(None);
            }
        }
        Ok(Some(counter))
    });
    let mut pages = Vec::new();
    let mut round_rows = vec![0u64; rounds.len()];
    let page_size = options.page_size.max(1).saturating_mul(PAGES_PER_PAGE);
    let read = async {
        for (index, round) in rounds.iter().enumerate() {
            let mut cursor: Option<PageCursor> = None;
            loop {
                let page = store
                    .export_rows_page(&round.id, cursor.as_ref(), page_size)
                    .await?;
                if !page.rows.is_empty() {
                    pages.push(SpilledPage {
                        spill: 0,
                        round: index,
                        rows: page.rows.len(),
                    });
                    round_rows[index] += page.rows.len() as u64;
                    if sender.send((index as u16 + 1, page.rows)).await.is_err() {
                        // The counter stopped: it says why.
                        return Ok(true);
                    }
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            // Counted before and after: equal only when no response came meanwhile,
            // so every response of the round has its row among those read.
            if round_rows[index] != expected[index]
                || store.count_responses(&round.id).await? != expected[index]
            {
                return Ok(false);
            }
        }
        Ok::<bool, ExportError>(true)
    }
    .await;
    drop(sender);
    // The counter is waited for, so it is not left running, before any error returns.
    let counted = counting.await.map_err(|_| {
        ExportError::Write(std::io::Error::other(
            "the count of the export rows stopped",
        ))
    })?;
    if !read? {
        return Ok(None);
    }
    let Some(counter) = counted? else {
        return Ok(None);
    };
    tracing::info!(
        rows = round_rows.iter().sum::<u64>(),
        bytes = counter.spill.bytes(),
        "export rows read from their stored form and spilled"
    );
    Ok(Some(ReadRows {
        spills: vec![counter.spill.into_reader()?],
        pages,
        counts: counter.counts,
        round_rows,
        stats: CellStats::default(),
    }))
}

/// Counts and spills stored rows ([`read_stored_rows`]).
struct RowCounter {
    spilled_columns: usize,
    background: BackgroundColumns,
    /// Each background variable with its field in a stored row, by field.
    by_field: Vec<(usize, usize)>,
    spill: SpillWriter,
    counts: Counts,
}

impl RowCounter {
    fn new(layout: &Layout, background: &BackgroundColumns) -> Result<Self, ExportError> {
        let mut by_field: Vec<(usize, usize)> = background
            .columns
            .iter()
            .enumerate()
            .filter_map(|(variable, column)| {
                Some((column.checked_sub(SET_WHEN_WRITTEN)?, variable))
            })
            .collect();
        by_field.sort_unstable();
        Ok(Self {
            spilled_columns: layout.columns.len() - SET_WHEN_WRITTEN,
            background: background.clone(),
            by_field,
            spill: SpillWriter::new(1 + background.columns.len())?,
            counts: Counts::default(),
        })
    }

    /// Counts and spills the rows of one page of round number `number`; `false` at a
    /// row of another format or shape, which sends the export to the JSON.
    fn add(&mut self, number: u16, rows: &[ExportRow]) -> Result<bool, ExportError> {
        let mut key = Combination::new();
        for row in rows {
            if row.format != ROW_FORMAT || !self.combination(number, &row.cells, &mut key) {
                return Ok(false);
            }
            self.counts.add(&key);
            self.spill
                .push(&key, row.excel_same, row.cells.as_bytes())?;
        }
        Ok(true)
    }

    /// Writes the combination of a stored row into `key`; `false` unless the row has one
    /// cell for each spilled column.
    fn combination(&self, number: u16, cells: &str, key: &mut Combination) -> bool {
        let background = &self.background.background;
        key.clear();
        key.push(number);
        key.resize(1 + self.background.columns.len(), 0);
        let bytes = cells.as_bytes();
        let mut wanted = self.by_field.iter().peekable();
        if memchr::memchr(b'"', bytes).is_none() {
            // Nothing quoted: the cells are what lies between the commas.
            if memchr::memchr_iter(b',', bytes).count() + 1 != self.spilled_columns {
                return false;
            }
            for (field, cell) in cells.split(',').enumerate() {
                while let Some((_, variable)) = wanted.next_if(|(at, _)| *at == field) {
                    key[1 + variable] = background.value_of_cell(*variable, cell);
                }
                if wanted.peek().is_none() {
                    break;
                }
            }
            return true;
        }
        let mut fields = Vec::new();
        if split_fields(cells, &mut fields).is_err() || fields.len() != self.spilled_columns {
            return false;
        }
        for (field, variable) in wanted {
            key[1 + variable] = background.value_of_cell(*variable, &fields[*field]);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::{Slug, parse_definition};
    use crate::domain::{Answer, Answers, MunicipalityId, QuestionnaireRef, ResponseId, RoundId};

    const DEFINITION: &str = r#"
id = "rader"
version = 1
title = { sv = "Rader" }

[[sections]]
id = "s"
title = { sv = "S" }

[[sections.questions]]
id = "kon"
kind = "single_choice"
dont_know = true
not_applicable = true
text = { sv = "Kön?" }
options = [{ code = "kvinna", label = { sv = "Kvinna" } }, { code = "man", label = { sv = "Man" } }]

[[sections.questions]]
id = "nojd"
kind = "yes_no"
dont_know = true
text = { sv = "Nöjd?" }

[[sections.questions]]
id = "val"
kind = "multiple_choice"
text = { sv = "Val?" }
options = [{ code = "a", label = { sv = "A" } }, { code = "b", label = { sv = "B" } }]

[[sections.questions]]
id = "tal"
kind = "number"
decimals = 1
text = { sv = "Tal?" }

[[sections.questions]]
id = "manad"
kind = "month"
text = { sv = "Månad?" }

[[sections.questions]]
id = "ovrigt"
kind = "text"
max_length = 100
text = { sv = "Övrigt?" }
"#;

    fn slug(text: &str) -> Slug {
        Slug::parse(text).expect("a slug")
    }

    fn response(answers: &[(&str, Answer)]) -> Response {
        Response {
            id: ResponseId::random(),
            round: RoundId::random(),
            municipality: MunicipalityId::parse("testkommun").expect("an id"),
            questionnaire: QuestionnaireRef {
                id: slug("rader"),
                version: 1,
            },
            submitted_on: time::macros::date!(2026 - 03 - 17),
            answers: answers
                .iter()
                .map(|(id, answer)| (slug(id), answer.clone()))
                .collect::<Answers>(),
        }
    }

    fn encoder() -> RowEncoder {
        let questionnaire = parse_definition("rader.toml", DEFINITION).expect("valid");
        RowEncoder::new(&questionnaire).expect("a layout")
    }

    /// The bytes of one row, written out: should this test fail, what an export makes of
    /// a response has changed, and [`ROW_FORMAT`] must be raised with it, or exports
    /// would copy rows stored before that no longer say what the JSON says.
    #[test]
    fn a_change_to_the_cells_needs_a_new_row_format() {
        let row = encoder()
            .encode(&response(&[
                ("kon", Answer::DontKnow),
                ("nojd", Answer::YesNo(true)),
                ("val", Answer::Choices(vec![slug("b")])),
                ("tal", Answer::Number(2.5)),
                ("manad", Answer::Month("2025-11".into())),
                ("ovrigt", Answer::Text("=inte med".into())),
            ]))
            .expect("a row");
        assert_eq!(ROW_FORMAT, 1);
        assert_eq!(row.format, ROW_FORMAT);
        assert_eq!(row.cells, "2026-03,vet_ej,1,0,1,2.5,2025-11");
        // The decimal point is a comma in Excel's file: its row is encoded apart.
        assert!(!row.excel_same);
        let whole = encoder()
            .encode(&response(&[("kon", Answer::Choice(slug("man")))]))
            .expect("a row");
        assert_eq!(whole.cells, "2026-03,man,,,,,");
        assert!(whole.excel_same);
    }

    #[test]
    fn every_answer_a_question_accepts_gets_a_row() {
        let encoder = encoder();
        for kon in [
            None,
            Some(Answer::Choice(slug("kvinna"))),
            Some(Answer::DontKnow),
            Some(Answer::NotApplicable),
        ] {
            for nojd in [
                None,
                Some(Answer::YesNo(true)),
                Some(Answer::YesNo(false)),
                Some(Answer::DontKnow),
            ] {
                let answers: Vec<(&str, Answer)> = [("kon", kon.clone()), ("nojd", nojd)]
                    .into_iter()
                    .filter_map(|(id, answer)| Some((id, answer?)))
                    .collect();
                assert!(encoder.encode(&response(&answers)).is_some(), "{answers:?}");
            }
        }
    }

    /// A yes/no answer stored for a single-choice question: its cell (`1`) would not give
    /// back its background value, so the row would not say what the JSON says.
    #[test]
    fn an_answer_whose_cell_would_not_give_back_its_background_value_gets_no_row() {
        let encoder = encoder();
        assert!(
            encoder
                .encode(&response(&[("kon", Answer::YesNo(true))]))
                .is_none()
        );
        assert!(
            encoder
                .encode(&response(&[("nojd", Answer::Choice(slug("ja")))]))
                .is_none()
        );
    }
}
