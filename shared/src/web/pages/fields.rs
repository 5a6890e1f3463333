//! The questions of a survey page: choice lists, text, number and month fields, their
//! hints and error messages, and the "Vet ej" / "Ej aktuellt" answers.

use maud::{Markup, html};

use super::layout::localized;
use crate::domain::RawAnswers;
use crate::domain::answers::{DONT_KNOW, FieldError, NOT_APPLICABLE, Problem};
use crate::domain::questionnaire::{ChoiceOption, NO, Question, QuestionKind, Questionnaire, YES};
use crate::domain::text::Lang;
use crate::service::respondent::PageState;
use crate::web::strings::{UiText, fill, problem_message};

fn field_id(question: &Question) -> String {
    format!("q-{}", question.id)
}

/// The id of the element the error summary links to: the first input of the question.
pub fn first_input_id(question: &Question) -> String {
    match question.kind {
        QuestionKind::Text { .. } | QuestionKind::Number { .. } | QuestionKind::Month => {
            field_id(question)
        }
        _ => format!("{}-0", field_id(question)),
    }
}

pub fn message_for(questionnaire: &Questionnaire, error: &FieldError, lang: Lang) -> String {
    let whole = match &error.problem {
        Problem::PartExceedsWhole { whole } | Problem::PartsExceedWhole { whole, .. } => {
            questionnaire
                .question(whole.as_str())
                .map(|q| q.text.text(lang).to_owned())
        }
        _ => None,
    };
    problem_message(&error.problem, whole.as_deref(), lang)
}

/// The standing hint of a question: the format or limit its answer must keep.
fn hint_for(kind: &QuestionKind, text: &UiText) -> Option<String> {
    match kind {
        QuestionKind::MultipleChoice {
            max_choices: Some(max),
            ..
        } => Some(fill(text.choose_at_most, &[("max", &max.to_string())])),
        QuestionKind::Number { decimals, .. } => Some(text.number_hint(*decimals)),
        QuestionKind::Month => Some(text.month_hint.to_owned()),
        QuestionKind::Text { max_length, .. } => Some(fill(
            text.max_characters,
            &[("max", &max_length.to_string())],
        )),
        _ => None,
    }
}

/// Whether the error message says again what the hint says ("Välj högst 3."), so the
/// hint is left out while the error shows: each is read out, and once is enough.
fn restates_hint(problem: &Problem) -> bool {
    matches!(
        problem,
        Problem::TooManyChoices { .. }
            | Problem::TooLong { .. }
            | Problem::TooManyDecimals { .. }
            | Problem::NotAMonth
    )
}

pub(super) fn question_field(
    questionnaire: &Questionnaire,
    question: &Question,
    state: &PageState,
    lang: Lang,
    text: &UiText,
) -> Markup {
    filled_field(
        questionnaire,
        question,
        &state.answers,
        &state.errors,
        lang,
        text,
    )
}

/// Every question of `questionnaire` as one form's fields, filled with `answers` and
/// marked with `errors`, the same fields as the respondent's pages: for a report a
/// municipality fills in inside the workspace (one form, no pages or conditions).
pub fn all_question_fields(
    questionnaire: &Questionnaire,
    answers: &RawAnswers,
    errors: &[FieldError],
    lang: Lang,
) -> Markup {
    let text = crate::web::strings::ui(lang);
    html! {
        @for section in &questionnaire.sections {
            h2 { (localized(&section.title, lang)) }
            @for question in &section.questions {
                (filled_field(questionnaire, question, answers, errors, lang, text))
            }
        }
    }
}

fn filled_field(
    questionnaire: &Questionnaire,
    question: &Question,
    answers: &RawAnswers,
    errors: &[FieldError],
    lang: Lang,
    text: &UiText,
) -> Markup {
    let id = field_id(question);
    let values: &[String] = answers
        .get(question.id.as_str())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let field_error = errors.iter().find(|e| e.question == question.id);
    let error = field_error.map(|e| message_for(questionnaire, e, lang));
    let help_id = format!("{id}-help");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let hint = hint_for(&question.kind, text)
        .filter(|_| !field_error.is_some_and(|e| restates_hint(&e.problem)));
    let described_by: Vec<&str> = [
        question.help.as_ref().map(|_| help_id.as_str()),
        hint.as_ref().map(|_| hint_id.as_str()),
        error.as_ref().map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described_by = (!described_by.is_empty()).then(|| described_by.join(" "));
    let requirement = if question.required {
        text.required
    } else {
        text.optional
    };
    let label_content = html! {
        (localized(&question.text, lang))
        " " span.hint-inline { "(" (requirement) ")" }
    };
    let descriptions = html! {
        @if let Some(help) = &question.help {
            p.help #(help_id) { (localized(help, lang)) }
        }
        @if let Some(hint) = &hint {
            p.hint #(hint_id) { (hint) }
        }
        @if let Some(message) = &error {
            p.error-message #(error_id) { span.visually-hidden { (text.error_title_prefix) } (message) }
        }
    };
    let class = if error.is_some() {
        "question has-error"
    } else {
        "question"
    };
    let invalid = error.as_ref().map(|_| "true");
    let choices = |options: &[ChoiceOption]| options_with_specials(options, question, lang, text);
    let (choices, input_type) = match &question.kind {
        QuestionKind::SingleChoice { options } => (choices(options), "radio"),
        QuestionKind::MultipleChoice { options, .. } => (choices(options), "checkbox"),
        QuestionKind::YesNo => (yes_no_with_specials(question, text), "radio"),
        QuestionKind::Text { .. } | QuestionKind::Number { .. } | QuestionKind::Month => {
            let field = TypedField {
                id: &id,
                class,
                label: label_content,
                descriptions,
                described_by: described_by.as_deref(),
                invalid,
            };
            return typed_field(question, values, text, lang, field);
        }
    };
    html! {
        fieldset class=(class) aria-describedby=[described_by] {
            legend { (label_content) }
            (descriptions)
            (choice_list(&id, question, &choices, values, input_type))
        }
    }
}

/// The parts of a typed (text, number, month) field that [`question_field`] prepares.
struct TypedField<'a> {
    id: &'a str,
    class: &'a str,
    label: Markup,
    descriptions: Markup,
    described_by: Option<&'a str>,
    invalid: Option<&'a str>,
}

/// A text area or text input, with its unit and the "Vet ej" / "Ej aktuellt" boxes.
fn typed_field(
    question: &Question,
    values: &[String],
    text: &UiText,
    lang: Lang,
    field: TypedField<'_>,
) -> Markup {
    let TypedField {
        id,
        class,
        label,
        descriptions,
        described_by,
        invalid,
    } = field;
    let typed = values
        .iter()
        .find(|v| !is_special(v))
        .map(String::as_str)
        .unwrap_or("");
    let (inputmode, unit) = match &question.kind {
        QuestionKind::Number { unit, .. } => (Some("decimal"), unit.as_ref()),
        QuestionKind::Month => (Some("numeric"), None),
        _ => (None, None),
    };
    html! {
        div class=(class) {
            label for=(id) { (label) }
            (descriptions)
            @if matches!(question.kind, QuestionKind::Text { multiline: true, .. }) {
                textarea #(id) name=(question.id) rows="5" autocomplete="off" aria-describedby=[described_by] aria-invalid=[invalid] { (typed) }
            } @else if inputmode.is_some() {
                input.short #(id) type="text" inputmode=[inputmode] autocomplete="off" name=(question.id) value=(typed)
                    aria-describedby=[described_by] aria-invalid=[invalid];
            } @else {
                input #(id) type="text" autocomplete="off" name=(question.id) value=(typed) aria-describedby=[described_by] aria-invalid=[invalid];
            }
            @if let Some(unit) = unit {
                span.unit { (localized(unit, lang)) }
            }
            (special_checkboxes(id, question, values, text))
        }
    }
}

fn is_special(value: &str) -> bool {
    value == DONT_KNOW || value == NOT_APPLICABLE
}

/// One option as shown: its code, its label and whether it is a special answer.
struct Choice {
    code: String,
    label: Markup,
    special: bool,
}

fn specials(question: &Question, text: &UiText) -> Vec<Choice> {
    let mut choices = Vec::new();
    if question.dont_know {
        choices.push(Choice {
            code: DONT_KNOW.into(),
            label: html! { (text.dont_know) },
            special: true,
        });
    }
    if question.not_applicable {
        choices.push(Choice {
            code: NOT_APPLICABLE.into(),
            label: html! { (text.not_applicable) },
            special: true,
        });
    }
    choices
}

fn options_with_specials(
    options: &[ChoiceOption],
    question: &Question,
    lang: Lang,
    text: &UiText,
) -> Vec<Choice> {
    options
        .iter()
        .map(|o| Choice {
            code: o.code.to_string(),
            label: localized(&o.label, lang),
            special: false,
        })
        .chain(specials(question, text))
        .collect()
}

fn yes_no_with_specials(question: &Question, text: &UiText) -> Vec<Choice> {
    [(YES, text.yes), (NO, text.no)]
        .into_iter()
        .map(|(code, label)| Choice {
            code: code.into(),
            label: html! { (label) },
            special: false,
        })
        .chain(specials(question, text))
        .collect()
}

fn choice_list(
    id: &str,
    question: &Question,
    choices: &[Choice],
    values: &[String],
    input_type: &str,
) -> Markup {
    let first_special = choices.iter().position(|c| c.special);
    html! {
        @for (index, choice) in choices.iter().enumerate() {
            div.choice.special[first_special == Some(index)] {
                input type=(input_type) id={ (id) "-" (index) } name=(question.id) value=(choice.code)
                    checked[values.contains(&choice.code)];
                label for={ (id) "-" (index) } { (choice.label) }
            }
        }
    }
}

/// "Vet ej" / "Ej aktuellt" for text, number and month questions, as checkboxes.
fn special_checkboxes(id: &str, question: &Question, values: &[String], text: &UiText) -> Markup {
    html! {
        @for (index, choice) in specials(question, text).iter().enumerate() {
            div.choice.special[index == 0] {
                input type="checkbox" id={ (id) "-s" (index) } name=(question.id) value=(choice.code)
                    checked[values.contains(&choice.code)];
                label for={ (id) "-s" (index) } { (choice.label) }
            }
        }
    }
}
