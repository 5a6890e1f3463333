//! The network's aggregate tables: per municipality and question, n and the distribution
//! over codes, never a row of anyone's data.
//!
//! Disclosure control on each table (municipalities × codes, with each municipality's n
//! and the network's total per code published):
//! - primary: a cell with 1 to k-1 answers is hidden, and so is every cell of a
//!   municipality with fewer than k answers to the question;
//! - complementary: a hidden cell that the published cells and totals would still give
//!   away is one whose hidden cells form no cycle through it (in the graph whose nodes are
//!   rows and columns and whose edges are hidden cells, a bridge). For each such cell the
//!   cheapest path of further cells closing a cycle is hidden too (cost: the cells'
//!   values, so small cells go first). Then no hidden cell follows from row or column sums.
//! - a table that cannot be protected that way (one municipality) is hidden whole,
//!   column totals included.
//!
//! Numbers, months and free text get no tables: their distributions are not code counts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::Round;
use crate::domain::questionnaire::{QuestionId, QuestionKind, Questionnaire};
use crate::domain::{Answer, Response};
use crate::store::{PageCursor, ResponseStore};

use super::columns::{DONT_KNOW_CODE, NOT_APPLICABLE_CODE};
use super::engine::ExportError;
use super::kanon::MIN_K;
use super::suppression::suppress;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkAggregates {
    pub questionnaire: String,
    pub version: u32,
    pub k: u32,
    pub municipalities: Vec<String>,
    pub tables: Vec<AggregateTable>,
    /// Rounds in the period that used another version of the questionnaire and so are
    /// not compared (a table compares answers to the same question); set by the caller,
    /// which chose the version, so the reader is told what is missing.
    pub rounds_left_out: u64,
    /// Those rounds' versions, oldest first.
    pub versions_left_out: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggregateTable {
    /// The question, or `<question>_<code>` for one option of a multiple-choice question
    /// (codes `1` chosen, `0` not).
    pub variable: String,
    pub question: String,
    pub codes: Vec<String>,
    pub rows: Vec<AggregateRow>,
    /// The network's count per code; `None` when the table is hidden whole.
    pub totals: Vec<Option<u64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggregateRow {
    pub municipality: String,
    /// How many answered the question.
    pub n: u64,
    /// Per code; `None` where hidden.
    pub counts: Vec<Option<u64>>,
}

/// One variable's codes and how a response counts in it.
struct Variable {
    name: String,
    question: QuestionId,
    codes: Vec<String>,
    /// For an option of a multiple-choice question: its code.
    option: Option<String>,
}

fn variables(questionnaire: &Questionnaire) -> Vec<Variable> {
    let mut result = Vec::new();
    for (_, question) in questionnaire.questions() {
        let mut specials = Vec::new();
        if question.dont_know {
            specials.push(DONT_KNOW_CODE.to_owned());
        }
        if question.not_applicable {
            specials.push(NOT_APPLICABLE_CODE.to_owned());
        }
        let id = question.id.clone();
        match &question.kind {
            QuestionKind::SingleChoice { .. } | QuestionKind::YesNo => {
                let mut codes: Vec<String> = match question.kind {
                    QuestionKind::YesNo => vec!["1".into(), "0".into()],
                    _ => question
                        .choice_codes()
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                };
                codes.extend(specials);
                result.push(Variable {
                    name: id.to_string(),
                    question: id,
                    codes,
                    option: None,
                });
            }
            QuestionKind::MultipleChoice { options, .. } => {
                for option in options {
                    result.push(Variable {
                        name: format!("{id}_{}", option.code),
                        question: id.clone(),
                        codes: vec!["1".into(), "0".into()],
                        option: Some(option.code.to_string()),
                    });
                }
            }
            _ => {}
        }
    }
    result
}

/// Which code of `variable` a response counts under, if it answered the question.
fn code_index(variable: &Variable, response: &Response) -> Option<usize> {
    let answer = response.answers.get(&variable.question)?;
    if let Some(option) = &variable.option {
        let chosen = matches!(answer, Answer::Choices(c) if c.iter().any(|c| c.as_str() == option));
        return Some(if chosen { 0 } else { 1 });
    }
    let code: &str = match answer {
        Answer::Choice(code) => code.as_str(),
        Answer::YesNo(true) => "1",
        Answer::YesNo(false) => "0",
        Answer::DontKnow => DONT_KNOW_CODE,
        Answer::NotApplicable => NOT_APPLICABLE_CODE,
        _ => return None,
    };
    variable.codes.iter().position(|c| c == code)
}

/// Aggregates of `rounds` (of any municipalities, one questionnaire version) per
/// municipality, with cells under `k` hidden and complementary cells hidden with them.
pub async fn network_aggregates<S>(
    store: &S,
    questionnaire: &Questionnaire,
    rounds: &[Round],
    k: u32,
    page_size: u32,
) -> Result<NetworkAggregates, ExportError>
where
    S: ResponseStore + ?Sized,
{
    if k < MIN_K {
        return Err(ExportError::KTooSmall(k));
    }
    if rounds.iter().any(|r| {
        r.questionnaire.id != questionnaire.id || r.questionnaire.version != questionnaire.version
    }) {
        return Err(ExportError::MixedQuestionnaires);
    }
    let variables = variables(questionnaire);
    // Municipality -> variable -> counts per code: the only state, whatever the rows.
    let mut counts: BTreeMap<String, Vec<Vec<u64>>> = BTreeMap::new();
    for round in rounds {
        let table = counts
            .entry(round.municipality.to_string())
            .or_insert_with(|| variables.iter().map(|v| vec![0; v.codes.len()]).collect());
        let mut cursor: Option<PageCursor> = None;
        loop {
            let page = store
                .responses_page(&round.id, cursor.as_ref(), page_size.max(1))
                .await?;
            for response in &page.responses {
                for (variable, cells) in variables.iter().zip(table.iter_mut()) {
                    if let Some(index) = code_index(variable, response) {
                        cells[index] += 1;
                    }
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    let municipalities: Vec<String> = counts.keys().cloned().collect();
    let tables = variables
        .iter()
        .enumerate()
        .map(|(index, variable)| {
            let cells: Vec<Vec<u64>> = counts.values().map(|t| t[index].clone()).collect();
            let hidden = suppress(&cells, u64::from(k));
            let whole = hidden.whole_table;
            AggregateTable {
                variable: variable.name.clone(),
                question: variable.question.to_string(),
                codes: variable.codes.clone(),
                rows: municipalities
                    .iter()
                    .zip(&cells)
                    .zip(&hidden.cells)
                    .map(|((municipality, row), hidden_row)| AggregateRow {
                        municipality: municipality.clone(),
                        n: row.iter().sum(),
                        counts: row
                            .iter()
                            .zip(hidden_row)
                            .map(|(c, h)| (!h).then_some(*c))
                            .collect(),
                    })
                    .collect(),
                totals: (0..variable.codes.len())
                    .map(|j| (!whole).then(|| cells.iter().map(|r| r[j]).sum()))
                    .collect(),
            }
        })
        .collect();
    Ok(NetworkAggregates {
        questionnaire: questionnaire.id.to_string(),
        version: questionnaire.version,
        k,
        municipalities,
        tables,
        rounds_left_out: 0,
        versions_left_out: Vec::new(),
    })
}
