//! HTML pages, rendered with maud. Views are functions of their data; user input is
//! only ever spliced as escaped text or attribute values.
//!
//! The pages need no JavaScript: every step is a plain form post. The CSS is served by
//! the function itself from [`STYLESHEET_PATH`].

mod respondent_extra;

use maud::{DOCTYPE, Markup, html};

use crate::domain::answers::{DONT_KNOW, FieldError, NOT_APPLICABLE, visible_questions};
use crate::domain::questionnaire::{ChoiceOption, NO, Question, QuestionKind, Questionnaire, YES};
use crate::domain::text::{Lang, Localized};
use crate::service::respondent::PageState;
use crate::web::form::{FIELD_ACTION, FIELD_LANG, FIELD_SECTION};
use crate::web::strings::{UiText, form_problem_message, problem_message, ui};

pub const STYLESHEET: &str = include_str!("../../../assets/svar.css");
pub const STYLESHEET_PATH: &str = "/static/svar.css";

/// The common frame: language, title, skip link, language switch and main content.
/// `switch_href` is the same page in the other language.
pub fn layout(lang: Lang, title: &str, switch_href: &str, content: Markup) -> Markup {
    let text = ui(lang);
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (text.service_name) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                a.skip href="#main" { (text.skip_to_content) }
                header {
                    div.wrap {
                        span.brand { (text.service_name) }
                        a href=(switch_href) lang=(lang.other().code()) hreflang=(lang.other().code()) {
                            (text.switch_language)
                        }
                    }
                }
                main #main.wrap tabindex="-1" { (content) }
            }
        }
    }
}

/// Text from a questionnaire, marked with its real language where it fell back to Swedish.
fn localized(text: &Localized, lang: Lang) -> Markup {
    let (value, actual) = text.get(lang);
    if actual == lang {
        html! { (value) }
    } else {
        html! { span lang=(actual.code()) { (value) } }
    }
}

fn field_id(question: &Question) -> String {
    format!("q-{}", question.id)
}

/// The id of the element the error summary links to: the first input of the question.
fn first_input_id(question: &Question) -> String {
    match question.kind {
        QuestionKind::Text { .. } | QuestionKind::Number { .. } | QuestionKind::Month => {
            field_id(question)
        }
        _ => format!("{}-0", field_id(question)),
    }
}

/// "Question? Message." in the error summary: a colon only where the question text does
/// not already end in punctuation.
fn summary_line(question: &str, message: &str) -> String {
    let question = question.trim_end();
    if question.ends_with(['?', '.', '!', ':']) {
        format!("{question} {message}")
    } else {
        format!("{question}: {message}")
    }
}

fn message_for(questionnaire: &Questionnaire, error: &FieldError, lang: Lang) -> String {
    let whole = match &error.problem {
        crate::domain::answers::Problem::PartExceedsWhole { whole }
        | crate::domain::answers::Problem::PartsExceedWhole { whole, .. } => questionnaire
            .question(whole.as_str())
            .map(|q| q.text.text(lang).to_owned()),
        _ => None,
    };
    problem_message(&error.problem, whole.as_deref(), lang)
}

/// A page of the questionnaire, with the respondent's answers and any errors.
pub fn survey_page(state: &PageState, lang: Lang) -> Markup {
    let text = ui(lang);
    let questionnaire = &state.questionnaire;
    let section = &questionnaire.sections[state.section];
    let section_title = section.title.text(lang);
    let page_title = if state.has_errors() {
        format!("{}{}", text.error_title_prefix, section_title)
    } else {
        section_title.to_owned()
    };
    let switch = format!("?del={}&lang={}", state.position, lang.other().code());
    let error_count = state.errors.len() + state.form_problems.len();
    let content = html! {
        p.progress { (questionnaire.title.text(lang)) }
        p.progress { (respondent_extra::progress_text(state, lang)) }
        (respondent_extra::not_saved_notice(state, lang))
        @if state.has_errors() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { ((text.error_summary_title)(error_count)) }
                ul {
                    @for problem in &state.form_problems {
                        li { (form_problem_message(problem, lang)) }
                    }
                    @for error in &state.errors {
                        @if let Some(question) = questionnaire.question(error.question.as_str()) {
                            li {
                                a href={ "#" (first_input_id(question)) } {
                                    (summary_line(question.text.text(lang), &message_for(questionnaire, error, lang)))
                                }
                            }
                        }
                    }
                }
            }
        }
        h1 { (localized(&section.title, lang)) }
        @if state.is_first() && let Some(intro) = &questionnaire.intro {
            p { (localized(intro, lang)) }
        }
        @if let Some(intro) = &section.intro {
            p { (localized(intro, lang)) }
        }
        form method="post" novalidate {
            input type="hidden" name=(FIELD_SECTION) value=(state.section);
            input type="hidden" name=(FIELD_LANG) value=(lang.code());
            @for question in visible_questions(section, &state.answers) {
                (question_field(questionnaire, question, state, lang, text))
            }
            div.buttons {
                @if state.is_last() {
                    button.primary type="submit" name=(FIELD_ACTION) value="send" { (text.send) }
                } @else {
                    button.primary type="submit" name=(FIELD_ACTION) value="next" { (text.next) }
                }
                @if !state.is_first() {
                    button.secondary type="submit" name=(FIELD_ACTION) value="back" { (text.back) }
                }
            }
        }
        p.note { (text.saved_note) }
    };
    layout(lang, &page_title, &switch, content)
}

fn question_field(
    questionnaire: &Questionnaire,
    question: &Question,
    state: &PageState,
    lang: Lang,
    text: &UiText,
) -> Markup {
    let id = field_id(question);
    let values: &[String] = state
        .answers
        .get(question.id.as_str())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let error = state
        .errors
        .iter()
        .find(|e| e.question == question.id)
        .map(|e| message_for(questionnaire, e, lang));
    let help_id = format!("{id}-help");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let hint = match &question.kind {
        QuestionKind::MultipleChoice {
            max_choices: Some(max),
            ..
        } => Some((text.choose_at_most)(*max)),
        QuestionKind::Number { decimals, .. } => Some((text.number_hint)(*decimals)),
        QuestionKind::Month => Some(text.month_hint.to_owned()),
        QuestionKind::Text { max_length, .. } => Some((text.max_characters)(*max_length)),
        _ => None,
    };
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
                textarea #(id) name=(question.id) rows="5" aria-describedby=[described_by] aria-invalid=[invalid] { (typed) }
            } @else if inputmode.is_some() {
                input.short #(id) type="text" inputmode=[inputmode] autocomplete="off" name=(question.id) value=(typed)
                    aria-describedby=[described_by] aria-invalid=[invalid];
            } @else {
                input #(id) type="text" name=(question.id) value=(typed) aria-describedby=[described_by] aria-invalid=[invalid];
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

/// A page with a heading and a paragraph: thanks, already answered, not found, errors.
pub fn message_page(lang: Lang, switch_href: &str, title: &str, body: &str) -> Markup {
    layout(
        lang,
        title,
        switch_href,
        html! {
            h1 { (title) }
            p { (body) }
        },
    )
}

pub fn thanks_page(lang: Lang, questionnaire: &Questionnaire) -> Markup {
    let text = ui(lang);
    layout(
        lang,
        text.thanks_title,
        &format!("?lang={}", lang.other().code()),
        html! {
            p.progress { (localized(&questionnaire.title, lang)) }
            h1 { (text.thanks_title) }
            p { (text.thanks_body) }
        },
    )
}

/// The page for typing the short code from a paper letter.
pub fn code_page(lang: Lang, typed: &str, error: Option<&str>) -> Markup {
    let text = ui(lang);
    let title = match error {
        Some(_) => format!("{}{}", text.error_title_prefix, text.code_title),
        None => text.code_title.to_owned(),
    };
    let described_by = if error.is_some() {
        "kod-hint kod-error"
    } else {
        "kod-hint"
    };
    layout(
        lang,
        &title,
        &format!("/kod?lang={}", lang.other().code()),
        html! {
            @if let Some(message) = error {
                div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                    h2 #error-summary-title { ((text.error_summary_title)(1)) }
                    ul { li { a href="#kod" { (message) } } }
                }
            }
            h1 { (text.code_title) }
            p { (text.code_intro) }
            form method="post" action="/kod" novalidate {
                input type="hidden" name=(FIELD_LANG) value=(lang.code());
                div class=(if error.is_some() { "question has-error" } else { "question" }) {
                    label for="kod" { (text.code_label) }
                    p.hint #kod-hint { (text.code_hint) }
                    @if let Some(message) = error {
                        p.error-message #kod-error { (message) }
                    }
                    input.short #kod type="text" name="kod" value=(typed) autocomplete="off" autocapitalize="characters"
                        spellcheck="false" aria-describedby=(described_by) aria-invalid=[error.map(|_| "true")];
                }
                div.buttons {
                    button.primary type="submit" { (text.code_button) }
                }
            }
        },
    )
}

/// The start page: what the service is, and the way in by code.
pub fn home_page(lang: Lang) -> Markup {
    let text = ui(lang);
    layout(
        lang,
        text.home_title,
        &format!("/?lang={}", lang.other().code()),
        html! {
            h1 { (text.home_title) }
            p { (text.home_body) }
            p { a href={ "/kod?lang=" (lang.code()) } { (text.home_code_link) } }
        },
    )
}
