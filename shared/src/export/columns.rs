//! The columns of `responses.csv` and how one response fills them.
//!
//! Choices made here (documented in the codebook and README):
//! - Every file starts with `rad` (the fresh row number), `omgang` (the round's number in
//!   the manifest's list) and `svarsmanad` (the month the response was sent, `YYYY-MM`).
//! - Single choice: one column, the option's code. Multiple choice: one 0/1 column per
//!   option, `<question>_<code>`, plus one 0/1 column per special answer the question
//!   offers (`<question>_vet_ej`, `<question>_ej_aktuellt`); all empty when the question
//!   was not answered. 0/1 columns sum and average directly in every tool, where codes
//!   joined into one cell would need splitting first.
//! - Numbers with the question's decimals (`.` here, `,` in the Excel variant); yes/no
//!   as 1/0; a month as `YYYY-MM`; "Vet ej" and "Ej aktuellt" as their reserved codes
//!   `vet_ej` and `ej_aktuellt`; a question not answered or not shown as an empty cell.
//! - Free text only on request, scrubbed and neutralised ([`super::scrub`]).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::domain::Answer;
use crate::domain::questionnaire::{Question, QuestionKind, Questionnaire, RESERVED_CODES};

use super::scrub::{neutralise, scrub};
use super::stored::{Reader, StoredAnswer, StoredRow};
use super::versions::{VersionSet, Versions};

/// The reserved codes, by meaning.
pub const DONT_KNOW_CODE: &str = RESERVED_CODES[0];
pub const NOT_APPLICABLE_CODE: &str = RESERVED_CODES[1];

/// What a column holds, for the codebook and for formatting.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    RowNumber,
    Round,
    Month,
    /// An option code (or a reserved code).
    Code,
    /// 1 if the option was chosen, else 0.
    Flag,
    Number {
        decimals: u32,
    },
    /// 1 for yes, 0 for no.
    YesNo,
    /// Free text, scrubbed.
    Text,
}

impl ColumnKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ColumnKind::RowNumber => "row_number",
            ColumnKind::Round => "round",
            ColumnKind::Month => "month",
            ColumnKind::Code => "code",
            ColumnKind::Flag => "flag",
            ColumnKind::Number { .. } => "number",
            ColumnKind::YesNo => "yes_no",
            ColumnKind::Text => "text",
        }
    }
}

/// Which part of an answer a question column shows.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Whole,
    Option(String),
    Special(Answer),
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    /// Index of the question in [`Layout::questions`]; `None` for the first three columns.
    pub question: Option<usize>,
    part: Part,
    /// The versions that asked what the column shows, when not every version of the
    /// export did ([`Layout::limit_to_versions`]); a row of another version gets an empty
    /// cell.
    pub(super) asked_in: Option<VersionSet>,
}

/// The columns of one export: of one questionnaire version, or of several merged
/// ([`Versions`]).
#[derive(Debug, Clone)]
pub struct Layout {
    pub questions: Vec<Question>,
    pub columns: Vec<Column>,
}

/// The first three columns' names.
pub const ROW_COLUMN: &str = "rad";
pub const ROUND_COLUMN: &str = "omgang";
pub const MONTH_COLUMN: &str = "svarsmanad";

impl Layout {
    /// The columns for `questionnaire`; text questions only if `free_text`. Two columns
    /// with one name (a question `a_b` beside option `b` of question `a`) are an error.
    pub fn new(questionnaire: &Questionnaire, free_text: bool) -> Result<Self, String> {
        let fixed = |name: &str, kind| Column {
            name: name.to_owned(),
            kind,
            question: None,
            part: Part::Whole,
            asked_in: None,
        };
        let mut columns = vec![
            fixed(ROW_COLUMN, ColumnKind::RowNumber),
            fixed(ROUND_COLUMN, ColumnKind::Round),
            fixed(MONTH_COLUMN, ColumnKind::Month),
        ];
        let mut questions = Vec::new();
        for (_, question) in questionnaire.questions() {
            let index = questions.len();
            let column = |name: String, kind, part| Column {
                name,
                kind,
                question: Some(index),
                part,
                asked_in: None,
            };
            let id = question.id.as_str();
            match &question.kind {
                QuestionKind::Text { .. } if !free_text => continue,
                QuestionKind::Text { .. } => {
                    columns.push(column(id.to_owned(), ColumnKind::Text, Part::Whole))
                }
                QuestionKind::SingleChoice { .. } => {
                    columns.push(column(id.to_owned(), ColumnKind::Code, Part::Whole))
                }
                QuestionKind::MultipleChoice { options, .. } => {
                    for option in options {
                        let name = format!("{id}_{}", option.code);
                        columns.push(column(
                            name,
                            ColumnKind::Flag,
                            Part::Option(option.code.to_string()),
                        ));
                    }
                    for (offered, code, answer) in [
                        (question.dont_know, DONT_KNOW_CODE, Answer::DontKnow),
                        (
                            question.not_applicable,
                            NOT_APPLICABLE_CODE,
                            Answer::NotApplicable,
                        ),
                    ] {
                        if offered {
                            columns.push(column(
                                format!("{id}_{code}"),
                                ColumnKind::Flag,
                                Part::Special(answer),
                            ));
                        }
                    }
                }
                QuestionKind::Number { decimals, .. } => columns.push(column(
                    id.to_owned(),
                    ColumnKind::Number {
                        decimals: *decimals,
                    },
                    Part::Whole,
                )),
                QuestionKind::YesNo => {
                    columns.push(column(id.to_owned(), ColumnKind::YesNo, Part::Whole))
                }
                QuestionKind::Month => {
                    columns.push(column(id.to_owned(), ColumnKind::Month, Part::Whole))
                }
            }
            questions.push(question.clone());
        }
        let mut names = HashSet::new();
        if let Some(twice) = columns.iter().find(|c| !names.insert(c.name.as_str())) {
            return Err(format!("two columns would be named '{}'", twice.name));
        }
        Ok(Self { questions, columns })
    }

    /// Marks each question column with the versions that asked what it shows, where
    /// that is not every version, so that [`Layout::fill`] leaves it empty for a row of
    /// another version (a `0` flag would say "not chosen" of an option not offered).
    pub fn limit_to_versions(&mut self, versions: &Versions) {
        let all = versions.all();
        for column in &mut self.columns {
            let Some(index) = column.question else {
                continue;
            };
            let id = self.questions[index].id.as_str();
            let asked = match &column.part {
                Part::Whole => versions.asking(id),
                Part::Option(code) => versions.offering(id, code),
                Part::Special(answer) => {
                    versions.offering_special(id, matches!(answer, Answer::DontKnow))
                }
            };
            column.asked_in = (asked != all).then_some(asked);
        }
    }

    /// The column showing question `id` whole (a single choice, yes/no …), if any.
    pub fn whole_column(&self, id: &str) -> Option<usize> {
        self.columns.iter().position(|c| {
            c.part == Part::Whole
                && c.question
                    .is_some_and(|q| self.questions[q].id.as_str() == id)
        })
    }

    /// Fills `cells` (one per column) for a response read with [`Layout::reader`].
    /// `rad` and `omgang` are set by the caller; Excel's decimal comma is applied by
    /// [`excel_cell`] at writing. Cells borrow from the stored text, not from `row`, so
    /// `row` can be read into again while the cells are being written.
    pub fn fill<'a>(
        &self,
        row: &StoredRow<'a>,
        cells: &mut Vec<Cow<'a, str>>,
        stats: &mut CellStats,
    ) {
        cells.clear();
        for column in &self.columns {
            let Some(index) = column.question else {
                cells.push(match column.kind {
                    ColumnKind::Month => row.month.clone(),
                    _ => Cow::Borrowed(""),
                });
                continue;
            };
            if column
                .asked_in
                .is_some_and(|asked| !asked.contains(row.version))
            {
                cells.push(Cow::Borrowed(""));
                continue;
            }
            cells.push(cell(column, row.answers[index].as_ref(), stats));
        }
    }

    /// A reader of stored responses with one slot per question of [`Layout::questions`],
    /// decoding those for which `wanted` (by index) is true.
    pub fn reader(&self, wanted: impl Fn(usize) -> bool) -> Reader {
        Reader::new(
            self.questions.iter().map(|q| q.id.as_str()),
            (0..self.questions.len()).map(wanted).collect(),
        )
    }
}

fn special(answer: &StoredAnswer<'_>) -> Option<&'static str> {
    match answer {
        StoredAnswer::DontKnow => Some(DONT_KNOW_CODE),
        StoredAnswer::NotApplicable => Some(NOT_APPLICABLE_CODE),
        _ => None,
    }
}

fn flag<'a>(on: bool) -> Cow<'a, str> {
    Cow::Borrowed(if on { "1" } else { "0" })
}

/// What the free-text rules changed, for the manifest.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CellStats {
    /// Text cells in which something was replaced by `[borttaget]`.
    pub scrubbed: u64,
    /// Text cells prefixed with `'` against formulas.
    pub neutralised: u64,
}

impl CellStats {
    /// Adds what another scanner of the same export counted.
    pub fn add(&mut self, other: &CellStats) {
        self.scrubbed += other.scrubbed;
        self.neutralised += other.neutralised;
    }
}

fn text_cell<'r>(text: &'r str, stats: &mut CellStats) -> Cow<'r, str> {
    #[allow(clippy::ptr_arg)] // Whether it is owned is the point.
    fn count(stats: &mut CellStats, safe: &Cow<'_, str>) {
        stats.neutralised += u64::from(matches!(safe, Cow::Owned(_)));
    }
    match scrub(text) {
        Cow::Borrowed(text) => {
            let safe = neutralise(text);
            count(stats, &safe);
            safe
        }
        Cow::Owned(scrubbed) => {
            stats.scrubbed += 1;
            let safe = neutralise(&scrubbed);
            count(stats, &safe);
            Cow::Owned(safe.into_owned())
        }
    }
}

fn cell<'a>(
    column: &Column,
    answer: Option<&StoredAnswer<'a>>,
    stats: &mut CellStats,
) -> Cow<'a, str> {
    let Some(answer) = answer else {
        return Cow::Borrowed("");
    };
    match (&column.part, answer) {
        (Part::Option(code), StoredAnswer::Choices(chosen)) => {
            flag(chosen.iter().any(|c| c.0 == code.as_str()))
        }
        (Part::Option(_), StoredAnswer::DontKnow | StoredAnswer::NotApplicable) => flag(false),
        (Part::Special(which), given) => flag(match which {
            Answer::DontKnow => matches!(given, StoredAnswer::DontKnow),
            Answer::NotApplicable => matches!(given, StoredAnswer::NotApplicable),
            _ => false,
        }),
        (Part::Option(_), _) => Cow::Borrowed(""),
        (Part::Whole, given) => {
            if let Some(code) = special(given) {
                return Cow::Borrowed(code);
            }
            match (given, &column.kind) {
                (StoredAnswer::Choice(code), _) => code.0.clone(),
                (StoredAnswer::YesNo(yes), _) => flag(*yes),
                (StoredAnswer::Month(month), _) => month.0.clone(),
                (StoredAnswer::Number(value), ColumnKind::Number { decimals }) => {
                    Cow::Owned(format!("{value:.prec$}", prec = *decimals as usize))
                }
                (StoredAnswer::Number(value), _) => Cow::Owned(value.to_string()),
                (StoredAnswer::Text(text), _) => match &text.0 {
                    Cow::Borrowed(text) => text_cell(text, stats),
                    Cow::Owned(text) => Cow::Owned(text_cell(text, stats).into_owned()),
                },
                // A stored answer that does not fit its question's kind: shown empty
                // rather than guessed at.
                _ => Cow::Borrowed(""),
            }
        }
    }
}

/// A cell as the Excel-for-Sweden file writes it: the decimal comma in numbers.
pub fn excel_cell<'c>(column: &Column, cell: &'c str) -> Cow<'c, str> {
    match column.kind {
        ColumnKind::Number { decimals } if decimals > 0 && cell.contains('.') => {
            Cow::Owned(cell.replace('.', ","))
        }
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::parse_definition;

    #[test]
    fn two_columns_with_one_name_are_refused() {
        let source = r#"
id = "krock"
version = 1
title = { sv = "Krock" }

[[sections]]
id = "s"
title = { sv = "S" }

[[sections.questions]]
id = "val"
kind = "multiple_choice"
text = { sv = "Val?" }
options = [{ code = "a", label = { sv = "A" } }, { code = "b", label = { sv = "B" } }]

[[sections.questions]]
id = "val_a"
kind = "yes_no"
text = { sv = "A?" }
"#;
        let questionnaire = parse_definition("krock.toml", source).expect("valid");
        let error = Layout::new(&questionnaire, false).unwrap_err();
        assert!(error.contains("val_a"), "{error}");
    }

    #[test]
    fn free_text_columns_exist_only_when_asked_for() {
        let survey = crate::domain::questionnaire::builtin()
            .expect("built in")
            .into_iter()
            .find(|q| q.id.as_str() == "patientupplevelse")
            .expect("the patient survey");
        let names = |free_text| -> Vec<String> {
            Layout::new(&survey, free_text)
                .expect("a layout")
                .columns
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        assert!(!names(false).contains(&"helhet_ovrigt".to_owned()));
        assert!(names(true).contains(&"helhet_ovrigt".to_owned()));
        assert!(names(false).contains(&"helhet_forbattra_mer_tid".to_owned()));
    }
}
