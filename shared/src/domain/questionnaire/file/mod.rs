//! The questionnaire file format (TOML) and its checks at load time.
//!
//! The format is documented with an example in `shared/questionnaires/README.md`.
//! Every problem is reported with the file name, the question (or section) id and
//! a plain description, and all problems of a file are reported at once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Deserialize;

use super::model::*;
use crate::domain::text::Localized;

mod questions;

use self::questions::{check_condition, check_consistency, check_options, check_question};

/// Answer codes reserved for the "Vet ej" and "Ej aktuellt" answers.
pub const RESERVED_CODES: [&str; 2] = ["vet_ej", "ej_aktuellt"];

/// Longest free-text answer a definition may allow; keeps request bodies small.
pub const MAX_TEXT_LENGTH: u32 = 4000;

/// One problem in one questionnaire file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionProblem {
    pub file: String,
    /// `question 'x'`, `section 'y'`, `scale 'z'` or empty for the whole file.
    pub place: String,
    pub problem: String,
}

impl fmt::Display for DefinitionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.is_empty() {
            write!(f, "{}: {}", self.file, self.problem)
        } else {
            write!(f, "{}: {}: {}", self.file, self.place, self.problem)
        }
    }
}

/// All problems found in a questionnaire file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DefinitionError {
    pub problems: Vec<DefinitionProblem>,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestionnaire {
    id: String,
    version: u32,
    title: Localized,
    intro: Option<Localized>,
    #[serde(default)]
    scales: BTreeMap<String, RawScale>,
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    checks: Vec<RawCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    #[serde(default)]
    options: Vec<RawOption>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawOption {
    code: String,
    label: Option<Localized>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: String,
    title: Localized,
    intro: Option<Localized>,
    show_if: Option<RawCondition>,
    #[serde(default)]
    questions: Vec<RawQuestion>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    SingleChoice,
    MultipleChoice,
    Text,
    Number,
    YesNo,
    Month,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    kind: RawKind,
    text: Localized,
    help: Option<Localized>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    dont_know: bool,
    #[serde(default)]
    not_applicable: bool,
    show_if: Option<RawCondition>,
    options: Option<Vec<RawOption>>,
    scale: Option<String>,
    max_choices: Option<u32>,
    max_length: Option<u32>,
    multiline: Option<bool>,
    decimals: Option<u32>,
    min: Option<f64>,
    max: Option<f64>,
    unit: Option<Localized>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    question: String,
    any_of: Vec<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RawCheckKind {
    PartsWithinWhole,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    kind: RawCheckKind,
    whole: String,
    parts: Vec<String>,
}

/// Collects problems while a file is checked.
struct Checker<'a> {
    file: &'a str,
    problems: Vec<DefinitionProblem>,
}

impl Checker<'_> {
    fn report(&mut self, place: impl Into<String>, problem: impl Into<String>) {
        self.problems.push(DefinitionProblem {
            file: self.file.to_owned(),
            place: place.into(),
            problem: problem.into(),
        });
    }

    fn slug(&mut self, place: &str, value: &str) -> Option<Slug> {
        match Slug::parse(value) {
            Ok(slug) => Some(slug),
            Err(problem) => {
                self.report(place, problem);
                None
            }
        }
    }

    fn text(&mut self, place: &str, what: &str, text: &Localized) {
        if text.is_blank() {
            self.report(place, format!("{what} has no Swedish text (sv)"));
        }
    }
}

/// A question seen so far, for checking conditions against earlier questions.
struct Earlier {
    section: usize,
    codes: Vec<String>,
}

/// Parses and checks one questionnaire file. `file` names it in error messages.
pub fn parse_definition(file: &str, source: &str) -> Result<Questionnaire, DefinitionError> {
    let raw: RawQuestionnaire = toml::from_str(source).map_err(|e| DefinitionError {
        problems: vec![DefinitionProblem {
            file: file.to_owned(),
            place: e
                .span()
                .map(|span| place_at(source, span.start))
                .unwrap_or_default(),
            problem: match e.span() {
                Some(span) => {
                    let before = &source[..span.start.min(source.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |at| at + 1) + 1;
                    format!("line {line}, column {column}: {}", e.message().trim())
                }
                None => e.message().trim().to_owned(),
            },
        }],
    })?;
    let mut checker = Checker {
        file,
        problems: Vec::new(),
    };
    let questionnaire = check(&mut checker, raw);
    match questionnaire {
        Some(q) if checker.problems.is_empty() => Ok(q),
        _ => Err(DefinitionError {
            problems: checker.problems,
        }),
    }
}

/// The question, section or scale that the text at `offset` belongs to, found from the
/// nearest table header before it, so TOML-level errors name their place too.
fn place_at(source: &str, offset: usize) -> String {
    let before = &source[..offset.min(source.len())];
    let headers = [
        ("[[sections.questions]]", "question"),
        ("[[sections]]", "section"),
        ("[[checks]]", "check"),
    ];
    let Some((start, kind)) = headers
        .iter()
        .filter_map(|(header, kind)| before.rfind(header).map(|at| (at, *kind)))
        .max_by_key(|(at, _)| *at)
    else {
        return String::new();
    };
    let id = source[start..].lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "id").then(|| value.trim().trim_matches('"').to_owned())
    });
    match id {
        Some(id) => format!("{kind} '{id}'"),
        None => kind.to_owned(),
    }
}

fn check(c: &mut Checker<'_>, raw: RawQuestionnaire) -> Option<Questionnaire> {
    let id = c.slug("", &raw.id);
    if raw.version == 0 {
        c.report("", "version must be 1 or higher");
    }
    c.text("", "title", &raw.title);
    if let Some(intro) = &raw.intro {
        c.text("", "intro", intro);
    }

    let mut scales: HashMap<String, Vec<ChoiceOption>> = HashMap::new();
    for (name, scale) in &raw.scales {
        let place = format!("scale '{name}'");
        if scale.options.len() < 2 {
            c.report(&place, "a scale needs at least two options");
        }
        if let Some(options) = check_options(c, &place, &scale.options) {
            scales.insert(name.clone(), options);
        }
    }

    if raw.sections.is_empty() {
        c.report("", "the questionnaire has no sections");
    }
    let mut seen_sections = HashSet::new();
    let mut seen_questions = HashSet::new();
    let mut earlier: HashMap<String, Earlier> = HashMap::new();
    let mut sections = Vec::new();
    for (index, raw_section) in raw.sections.into_iter().enumerate() {
        let place = format!("section '{}'", raw_section.id);
        let section_id = c.slug(&place, &raw_section.id);
        if !seen_sections.insert(raw_section.id.clone()) {
            c.report(&place, "duplicate section id");
        }
        c.text(&place, "title", &raw_section.title);
        if let Some(intro) = &raw_section.intro {
            c.text(&place, "intro", intro);
        }
        if raw_section.questions.is_empty() {
            c.report(&place, "the section has no questions");
        }
        let show_if = raw_section
            .show_if
            .as_ref()
            .and_then(|cond| check_condition(c, &place, cond, index, &earlier));
        let mut questions = Vec::new();
        for raw_question in raw_section.questions {
            let qplace = format!("question '{}'", raw_question.id);
            // Counted before the question's own checks, so a broken first use still counts.
            if !seen_questions.insert(raw_question.id.clone()) {
                c.report(&qplace, "duplicate question id");
            }
            let show_if = raw_question
                .show_if
                .as_ref()
                .and_then(|cond| check_condition(c, &qplace, cond, index, &earlier));
            let question = check_question(c, &qplace, raw_question, &scales, show_if);
            if let Some(question) = question {
                earlier.insert(
                    question.id.to_string(),
                    Earlier {
                        section: index,
                        codes: question
                            .choice_codes()
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                    },
                );
                questions.push(question);
            }
        }
        if let Some(id) = section_id {
            sections.push(Section {
                id,
                title: raw_section.title,
                intro: raw_section.intro,
                show_if,
                questions,
            });
        }
    }

    let mut checks = Vec::new();
    for raw_check in raw.checks {
        if let Some(check) = check_consistency(c, &raw_check, &sections) {
            checks.push(check);
        }
    }

    Some(Questionnaire {
        id: id?,
        version: raw.version,
        title: raw.title,
        intro: raw.intro,
        sections,
        checks,
    })
}
