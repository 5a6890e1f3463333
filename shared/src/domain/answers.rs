//! Turning typed answers into validated [`Answer`]s, and deciding what is shown.
//!
//! Raw answers are what the form sent, question id to values. Validation is per page
//! (on Next) and over the whole questionnaire (on Send); answers to questions that
//! conditions hide are dropped, never stored.

use crate::domain::questionnaire::{
    Condition, ConsistencyCheck, NO, OptionCode, Question, QuestionId, QuestionKind, Questionnaire,
    Section, Slug, YES,
};
use crate::domain::{Answer, Answers, RawAnswers};

/// Form value for "Vet ej" (don't know).
pub const DONT_KNOW: &str = "vet_ej";
/// Form value for "Ej aktuellt" (not applicable).
pub const NOT_APPLICABLE: &str = "ej_aktuellt";

/// What is wrong with one answer; turned into a sentence by the page in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Required,
    NotAnOption,
    OneAnswerOnly,
    TooManyChoices {
        max: u32,
    },
    TooLong {
        max: u32,
        length: usize,
    },
    NotANumber,
    TooManyDecimals {
        decimals: u32,
    },
    BelowMin {
        min: f64,
    },
    AboveMax {
        max: f64,
    },
    NotAMonth,
    /// A special answer ("Vet ej") given together with an ordinary answer.
    SpecialAndValue,
    /// This part is larger than the whole it belongs to.
    PartExceedsWhole {
        whole: QuestionId,
    },
    /// The parts add up to more than their whole.
    PartsExceedWhole {
        whole: QuestionId,
        sum: f64,
        total: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub question: QuestionId,
    pub problem: Problem,
}

fn is_true(condition: &Condition, values: Option<&Vec<String>>) -> bool {
    values.is_some_and(|values| {
        values
            .iter()
            .any(|v| condition.any_of.iter().any(|code| code.as_str() == v))
    })
}

/// Whether a condition holds for the answers so far (a missing condition always holds).
pub fn shown(condition: Option<&Condition>, raw: &RawAnswers) -> bool {
    condition.is_none_or(|c| is_true(c, raw.get(c.question.as_str())))
}

/// Indexes of the sections shown for these answers, in order.
pub fn visible_sections(questionnaire: &Questionnaire, raw: &RawAnswers) -> Vec<usize> {
    questionnaire
        .sections
        .iter()
        .enumerate()
        .filter(|(_, section)| shown(section.show_if.as_ref(), raw))
        .map(|(index, _)| index)
        .collect()
}

/// The questions of a section shown for these answers.
pub fn visible_questions<'q>(
    section: &'q Section,
    raw: &RawAnswers,
) -> impl Iterator<Item = &'q Question> {
    section
        .questions
        .iter()
        .filter(move |q| shown(q.show_if.as_ref(), raw))
}

/// Where a returning respondent continues: the first shown page not yet saved, or saved
/// with a problem (Next keeps a page as typed when it finds one, so the patient comes back
/// to it rather than past it); the last page when every page is saved and passes.
pub fn resume_section(questionnaire: &Questionnaire, raw: &RawAnswers) -> usize {
    let visible = visible_sections(questionnaire, raw);
    visible
        .iter()
        .copied()
        .find(|&index| {
            let section = &questionnaire.sections[index];
            !section_saved(section, raw) || validate_section(questionnaire, section, raw).is_err()
        })
        .or_else(|| visible.last().copied())
        .unwrap_or(0)
}

/// Whether a page has been saved: every one of its questions is in the draft (a save
/// stores each question of the page, answered or not).
pub fn section_saved(section: &Section, raw: &RawAnswers) -> bool {
    section
        .questions
        .iter()
        .all(|q| raw.contains_key(q.id.as_str()))
}

/// Validates the shown questions of one section. Returns the answers given (blank optional
/// questions are left out) or every problem found.
pub fn validate_section(
    questionnaire: &Questionnaire,
    section: &Section,
    raw: &RawAnswers,
) -> Result<Answers, Vec<FieldError>> {
    let mut answers = Answers::new();
    let mut errors = Vec::new();
    for question in visible_questions(section, raw) {
        let values = raw
            .get(question.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        match validate_answer(question, values) {
            Ok(Some(answer)) => {
                answers.insert(question.id.clone(), answer);
            }
            Ok(None) => {}
            Err(problem) => errors.push(FieldError {
                question: question.id.clone(),
                problem,
            }),
        }
    }
    let in_section = |id: &QuestionId| section.questions.iter().any(|q| &q.id == id);
    errors.extend(
        check_consistency(questionnaire, &answers)
            .into_iter()
            .filter(|e| in_section(&e.question)),
    );
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

/// Validates every shown section, as on the final Send. On problems, returns the index of
/// the first section that has any, with its problems.
pub fn validate_all(
    questionnaire: &Questionnaire,
    raw: &RawAnswers,
) -> Result<Answers, (usize, Vec<FieldError>)> {
    let mut answers = Answers::new();
    for index in visible_sections(questionnaire, raw) {
        let section = &questionnaire.sections[index];
        let section_answers =
            validate_section(questionnaire, section, raw).map_err(|errors| (index, errors))?;
        answers.extend(section_answers);
    }
    // Checks whose questions span several pages are reported on the page of the part.
    let errors = check_consistency(questionnaire, &answers);
    if let Some(first) = errors.first() {
        let index = questionnaire
            .questions()
            .find(|(_, q)| q.id == first.question)
            .map_or(0, |(index, _)| index);
        return Err((index, errors));
    }
    Ok(answers)
}

fn number_of(answers: &Answers, id: &QuestionId) -> Option<f64> {
    match answers.get(id) {
        Some(Answer::Number(n)) => Some(*n),
        _ => None,
    }
}

/// Cross-question rules; a rule is checked once all of its numbers are given.
fn check_consistency(questionnaire: &Questionnaire, answers: &Answers) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for check in &questionnaire.checks {
        let ConsistencyCheck::PartsWithinWhole { whole, parts } = check;
        let Some(total) = number_of(answers, whole) else {
            continue;
        };
        let mut sum = 0.0;
        let mut first_part = None;
        for part in parts {
            let Some(value) = number_of(answers, part) else {
                continue;
            };
            first_part.get_or_insert(part);
            sum += value;
            if value > total {
                errors.push(FieldError {
                    question: part.clone(),
                    problem: Problem::PartExceedsWhole {
                        whole: whole.clone(),
                    },
                });
            }
        }
        if errors.is_empty()
            && sum > total
            && let Some(part) = first_part
        {
            errors.push(FieldError {
                question: part.clone(),
                problem: Problem::PartsExceedWhole {
                    whole: whole.clone(),
                    sum,
                    total,
                },
            });
        }
    }
    errors
}

/// Validates the values sent for one question. `Ok(None)` is a blank optional answer.
pub fn validate_answer(question: &Question, values: &[String]) -> Result<Option<Answer>, Problem> {
    let given: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let special = given
        .iter()
        .filter(|v| {
            (**v == DONT_KNOW && question.dont_know)
                || (**v == NOT_APPLICABLE && question.not_applicable)
        })
        .copied()
        .collect::<Vec<_>>();
    if let Some(first) = special.first() {
        if given.len() > 1 {
            return Err(Problem::SpecialAndValue);
        }
        return Ok(Some(if *first == DONT_KNOW {
            Answer::DontKnow
        } else {
            Answer::NotApplicable
        }));
    }
    if given.is_empty() {
        return if question.required {
            Err(Problem::Required)
        } else {
            Ok(None)
        };
    }
    let code_of = |value: &str| -> Result<OptionCode, Problem> {
        if question.choice_codes().contains(&value) {
            Slug::parse(value).map_err(|_| Problem::NotAnOption)
        } else {
            Err(Problem::NotAnOption)
        }
    };
    let single = || -> Result<&str, Problem> {
        match given.as_slice() {
            [one] => Ok(one),
            _ => Err(Problem::OneAnswerOnly),
        }
    };
    let answer = match &question.kind {
        QuestionKind::SingleChoice { .. } => Answer::Choice(code_of(single()?)?),
        QuestionKind::MultipleChoice { max_choices, .. } => {
            let mut codes = Vec::new();
            for value in &given {
                let code = code_of(value)?;
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            if let Some(max) = max_choices
                && codes.len() > *max as usize
            {
                return Err(Problem::TooManyChoices { max: *max });
            }
            // Stored in the questionnaire's order, whatever order the browser sent.
            let order = question.choice_codes();
            codes.sort_by_key(|c| order.iter().position(|o| *o == c.as_str()));
            Answer::Choices(codes)
        }
        QuestionKind::Text { max_length, .. } => {
            // The untrimmed text is kept; only surrounding white space is removed.
            let text = single()?;
            let length = text.chars().count();
            if length > *max_length as usize {
                return Err(Problem::TooLong {
                    max: *max_length,
                    length,
                });
            }
            Answer::Text(text.to_owned())
        }
        QuestionKind::Number {
            decimals, min, max, ..
        } => {
            let value = parse_number(single()?, *decimals)?;
            if let Some(min) = min
                && value < *min
            {
                return Err(Problem::BelowMin { min: *min });
            }
            if let Some(max) = max
                && value > *max
            {
                return Err(Problem::AboveMax { max: *max });
            }
            Answer::Number(value)
        }
        QuestionKind::YesNo => match single()? {
            YES => Answer::YesNo(true),
            NO => Answer::YesNo(false),
            _ => return Err(Problem::NotAnOption),
        },
        QuestionKind::Month => Answer::Month(parse_month(single()?)?),
    };
    Ok(Some(answer))
}

/// Parses a number as Swedes write it: `1 234,5` or `1234.5`; at most `decimals` decimals.
pub fn parse_number(text: &str, decimals: u32) -> Result<f64, Problem> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let unsigned = cleaned.strip_prefix('-').unwrap_or(&cleaned);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_ok = !whole.is_empty()
        && whole.len() <= 15
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(unsigned.contains('.') && fraction.is_empty());
    if !digits_ok {
        return Err(Problem::NotANumber);
    }
    if fraction.len() > decimals as usize {
        return Err(Problem::TooManyDecimals { decimals });
    }
    cleaned.parse::<f64>().map_err(|_| Problem::NotANumber)
}

/// Parses `YYYY-MM` (also `YYYY-M`), years 1900 to 2199.
pub fn parse_month(text: &str) -> Result<String, Problem> {
    let (year, month) = text.split_once('-').ok_or(Problem::NotAMonth)?;
    let year: u32 = year.parse().map_err(|_| Problem::NotAMonth)?;
    let month: u32 = month.parse().map_err(|_| Problem::NotAMonth)?;
    if !(1900..=2199).contains(&year) || !(1..=12).contains(&month) {
        return Err(Problem::NotAMonth);
    }
    Ok(format!("{year:04}-{month:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_numbers_parse() {
        assert_eq!(parse_number("1 234,5", 1), Ok(1234.5));
        assert_eq!(parse_number("-3", 0), Ok(-3.0));
        assert_eq!(
            parse_number("1,25", 1),
            Err(Problem::TooManyDecimals { decimals: 1 })
        );
        for bad in ["", "1e5", "abc", "1.", ".5", "NaN", "inf", "--1", "1,2,3"] {
            assert_eq!(parse_number(bad, 2), Err(Problem::NotANumber), "{bad}");
        }
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2026-3"), Ok("2026-03".into()));
        for bad in ["2026-13", "2026", "26-01", "2026-00", "abcd-ef"] {
            assert_eq!(parse_month(bad), Err(Problem::NotAMonth), "{bad}");
        }
    }
}
