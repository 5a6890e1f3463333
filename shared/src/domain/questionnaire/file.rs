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

fn check_options(c: &mut Checker<'_>, place: &str, raw: &[RawOption]) -> Option<Vec<ChoiceOption>> {
    let mut seen = HashSet::new();
    let mut options = Vec::new();
    let before = c.problems.len();
    for option in raw {
        let code = c.slug(place, &option.code);
        if RESERVED_CODES.contains(&option.code.as_str()) {
            c.report(
                place,
                format!(
                    "option code '{}' is reserved: use dont_know = true or not_applicable = true",
                    option.code
                ),
            );
        }
        if !seen.insert(option.code.clone()) {
            c.report(place, format!("duplicate option code '{}'", option.code));
        }
        match &option.label {
            Some(label) if !label.is_blank() => {
                if let Some(code) = code {
                    options.push(ChoiceOption {
                        code,
                        label: label.clone(),
                    });
                }
            }
            _ => c.report(place, format!("option '{}' has no label", option.code)),
        }
    }
    (c.problems.len() == before).then_some(options)
}

fn check_condition(
    c: &mut Checker<'_>,
    place: &str,
    cond: &RawCondition,
    current_section: usize,
    earlier: &HashMap<String, Earlier>,
) -> Option<Condition> {
    let Some(target) = earlier.get(&cond.question) else {
        c.report(
            place,
            format!(
                "show_if refers to question '{}', which is missing or comes later; a condition must refer to an earlier question",
                cond.question
            ),
        );
        return None;
    };
    if target.section == current_section {
        c.report(
            place,
            format!(
                "show_if refers to question '{}' on the same page; pages work without JavaScript, so a condition must refer to a question on an earlier page",
                cond.question
            ),
        );
        return None;
    }
    if target.codes.is_empty() {
        c.report(
            place,
            format!(
                "show_if refers to question '{}', which is not a choice or yes/no question",
                cond.question
            ),
        );
        return None;
    }
    if cond.any_of.is_empty() {
        c.report(place, "show_if needs at least one value in any_of");
    }
    for value in &cond.any_of {
        if !target.codes.contains(value) {
            c.report(
                place,
                format!(
                    "show_if value '{value}' is not an option of question '{}'",
                    cond.question
                ),
            );
        }
    }
    let question = Slug::parse(&cond.question).ok()?;
    let any_of = cond
        .any_of
        .iter()
        .map(|v| Slug::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(Condition { question, any_of })
}

fn check_question(
    c: &mut Checker<'_>,
    place: &str,
    raw: RawQuestion,
    scales: &HashMap<String, Vec<ChoiceOption>>,
    show_if: Option<Condition>,
) -> Option<Question> {
    let id = c.slug(place, &raw.id);
    c.text(place, "text", &raw.text);
    if let Some(help) = &raw.help {
        c.text(place, "help", help);
    }
    if let Some(unit) = &raw.unit {
        c.text(place, "unit", unit);
    }
    let not_for = |c: &mut Checker<'_>, set: bool, field: &str| {
        if set {
            c.report(
                place,
                format!("'{field}' does not apply to this kind of question"),
            );
        }
    };
    let choice_kind = matches!(raw.kind, RawKind::SingleChoice | RawKind::MultipleChoice);
    not_for(c, !choice_kind && raw.options.is_some(), "options");
    not_for(c, !choice_kind && raw.scale.is_some(), "scale");
    not_for(
        c,
        raw.kind != RawKind::MultipleChoice && raw.max_choices.is_some(),
        "max_choices",
    );
    not_for(
        c,
        raw.kind != RawKind::Text && raw.max_length.is_some(),
        "max_length",
    );
    not_for(
        c,
        raw.kind != RawKind::Text && raw.multiline.is_some(),
        "multiline",
    );
    let number = raw.kind == RawKind::Number;
    not_for(c, !number && raw.decimals.is_some(), "decimals");
    not_for(c, !number && raw.min.is_some(), "min");
    not_for(c, !number && raw.max.is_some(), "max");
    not_for(c, !number && raw.unit.is_some(), "unit");

    let choice_options = |c: &mut Checker<'_>| -> Option<Vec<ChoiceOption>> {
        match (&raw.options, &raw.scale) {
            (Some(_), Some(_)) => {
                c.report(place, "give either options or scale, not both");
                None
            }
            (Some(options), None) => {
                if options.len() < 2 {
                    c.report(place, "a choice question needs at least two options");
                }
                check_options(c, place, options)
            }
            (None, Some(name)) => {
                let found = scales.get(name).cloned();
                if found.is_none() {
                    c.report(
                        place,
                        format!("scale '{name}' is not defined (or has problems of its own)"),
                    );
                }
                found
            }
            (None, None) => {
                c.report(place, "a choice question needs options or a scale");
                None
            }
        }
    };

    let kind = match raw.kind {
        RawKind::SingleChoice => QuestionKind::SingleChoice {
            options: choice_options(c)?,
        },
        RawKind::MultipleChoice => {
            let options = choice_options(c)?;
            if let Some(max) = raw.max_choices
                && (max == 0 || max as usize > options.len())
            {
                c.report(
                    place,
                    format!(
                        "max_choices must be between 1 and the number of options ({})",
                        options.len()
                    ),
                );
            }
            QuestionKind::MultipleChoice {
                options,
                max_choices: raw.max_choices,
            }
        }
        RawKind::Text => {
            let max_length = raw.max_length.unwrap_or(1000);
            if max_length == 0 || max_length > MAX_TEXT_LENGTH {
                c.report(
                    place,
                    format!("max_length must be between 1 and {MAX_TEXT_LENGTH}"),
                );
            }
            QuestionKind::Text {
                max_length,
                multiline: raw.multiline.unwrap_or(true),
            }
        }
        RawKind::Number => {
            let decimals = raw.decimals.unwrap_or(0);
            if decimals > 4 {
                c.report(place, "decimals must be between 0 and 4");
            }
            for (name, value) in [("min", raw.min), ("max", raw.max)] {
                if value.is_some_and(|v| !v.is_finite()) {
                    c.report(place, format!("{name} must be a finite number"));
                }
            }
            if let (Some(min), Some(max)) = (raw.min, raw.max)
                && min > max
            {
                c.report(place, "min is greater than max");
            }
            QuestionKind::Number {
                decimals,
                min: raw.min,
                max: raw.max,
                unit: raw.unit,
            }
        }
        RawKind::YesNo => QuestionKind::YesNo,
        RawKind::Month => QuestionKind::Month,
    };
    Some(Question {
        id: id?,
        text: raw.text,
        help: raw.help,
        required: raw.required,
        dont_know: raw.dont_know,
        not_applicable: raw.not_applicable,
        show_if,
        kind,
    })
}

fn check_consistency(
    c: &mut Checker<'_>,
    raw: &RawCheck,
    sections: &[Section],
) -> Option<ConsistencyCheck> {
    let RawCheckKind::PartsWithinWhole = raw.kind;
    let place = format!("check on '{}'", raw.whole);
    let find = |id: &str| {
        sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .find(|q| q.id.as_str() == id)
    };
    let before = c.problems.len();
    for id in std::iter::once(&raw.whole).chain(raw.parts.iter()) {
        match find(id) {
            Some(q) if matches!(q.kind, QuestionKind::Number { .. }) => {}
            Some(_) => c.report(&place, format!("question '{id}' is not a number question")),
            None => c.report(&place, format!("question '{id}' does not exist")),
        }
    }
    if raw.parts.is_empty() {
        c.report(&place, "parts_within_whole needs at least one part");
    }
    if raw.parts.contains(&raw.whole) {
        c.report(
            &place,
            format!("'{}' is listed as a part of itself", raw.whole),
        );
    }
    let mut seen = HashSet::new();
    for part in &raw.parts {
        if !seen.insert(part) {
            c.report(&place, format!("part '{part}' is listed twice"));
        }
    }
    if c.problems.len() != before {
        return None;
    }
    let section_of = |id: &str| {
        sections
            .iter()
            .position(|s| s.questions.iter().any(|q| q.id.as_str() == id))
    };
    let whole_section = section_of(&raw.whole);
    if raw.parts.iter().any(|p| section_of(p) != whole_section) {
        c.report(
            &place,
            "the whole and its parts must be on the same page, where the check is made",
        );
    }
    Some(ConsistencyCheck::PartsWithinWhole {
        whole: Slug::parse(&raw.whole).ok()?,
        parts: raw
            .parts
            .iter()
            .map(|p| Slug::parse(p))
            .collect::<Result<_, _>>()
            .ok()?,
    })
}
