//! A page of a questionnaire: progress, the page's heading, the error summary, the
//! questions ([`super::fields`]) and the buttons.

use maud::{Markup, html};

use super::fields::{first_input_id, message_for, question_field};
use super::layout::{layout, localized};
use crate::domain::answers::visible_questions;
use crate::domain::text::Lang;
use crate::service::respondent::{PageAction, PageState};
use crate::web::form::{FIELD_ACTION, FIELD_LANG, FIELD_SECTION};
use crate::web::strings::{fill, form_problem_message, ui};

/// "Del 2 av 5" once the number of pages is final, "Del 2" while a condition on a page
/// not yet answered may still add or remove one: the total never jumps mid-way.
fn progress_text(state: &PageState, lang: Lang) -> String {
    let text = ui(lang);
    let n = state.position.to_string();
    if state.total_is_final {
        fill(
            text.part_of,
            &[("n", &n), ("total", &state.total.to_string())],
        )
    } else {
        fill(text.part, &[("n", &n)])
    }
}

/// An alert when the page could not be stored: what was typed is in the fields below,
/// and the same button should be pressed again.
fn not_saved_notice(state: &PageState, lang: Lang) -> Markup {
    let text = ui(lang);
    let Some(action) = state.not_saved else {
        return html! {};
    };
    let button = match action {
        PageAction::Back => text.back,
        PageAction::Next => text.next,
        PageAction::Send => text.send,
    };
    html! {
        div.error-summary role="alert" aria-labelledby="not-saved-title" tabindex="-1" {
            h2 #not-saved-title { (text.not_saved_title) }
            p { (fill(text.not_saved_body, &[("button", button)])) }
        }
    }
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
    let switch_base = format!("?del={}", state.position);
    let error_count = state.errors.len() + state.form_problems.len();
    let content = html! {
        p.progress { (localized(&questionnaire.title, lang)) }
        p.progress { (progress_text(state, lang)) }
        // The page's heading first and the summary's h2 after it, so headings never
        // skip a level; `role="alert"` still has the summary read out at once.
        h1 { (localized(&section.title, lang)) }
        (not_saved_notice(state, lang))
        @if state.has_errors() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { (text.error_summary_title(error_count)) }
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
    layout(
        lang,
        &page_title,
        &switch_base,
        Some(&state.municipality),
        content,
    )
}

/// "Question? Message." in the error summary: a colon only where the question text does
/// not already end in punctuation.
fn summary_line(question: &str, message: &str) -> String {
    let question = question.trim_end();
    if question.ends_with(['?', '.', '!', ':', '؟']) {
        format!("{question} {message}")
    } else {
        format!("{question}: {message}")
    }
}
