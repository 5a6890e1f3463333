//! A mapping's answers, grouped by question and then by municipality: all of a send's for
//! the network, a municipality's own for it.

use axum::extract::{Path, State};
use maud::{Markup, html};
use svar_shared::domain::Answer;
use svar_shared::domain::questionnaire::{Question, QuestionKind};
use svar_shared::domain::text::Lang;
use svar_shared::service::workspace::network::MappingAnswers;
use svar_shared::web::strings::format_number;

use super::layout::page;
use super::network::round_id;
use crate::AdminState;
use crate::auth::SignedIn;
use crate::error::AdminError;
use crate::texts::{t, tf};

/// `GET /admin/natverk/utskick/{id}/svar`: every municipality's answers (the network).
pub async fn send_answers(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AdminError> {
    let answers = state
        .workspace
        .send_answers(&signed_in.caller, &round_id(&id)?)
        .await?;
    Ok(answers_page(&signed_in, &answers))
}

/// `GET /admin/natverk/omgangar/{id}/svar`: the municipality's own answers.
pub async fn own_answers(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AdminError> {
    let answers = state
        .workspace
        .own_mapping_answers(&signed_in.caller, &round_id(&id)?)
        .await?;
    Ok(answers_page(&signed_in, &answers))
}

fn answers_page(signed_in: &SignedIn, answers: &MappingAnswers) -> Markup {
    let title = tf("network.answers_title", &[("name", &answers.name)]);
    page(
        &title,
        Some(signed_in),
        html! {
            h1 { (title) }
            p { (tf("network.answers_intro", &[("count", &answers.responses)])) }
            @for group in &answers.questions {
                section {
                    h2 { (group.question.text.sv()) }
                    @if group.groups.is_empty() {
                        p { (t("network.no_answers")) }
                    }
                    @for municipality in &group.groups {
                        h3 { (municipality.name) }
                        ul {
                            @for answer in &municipality.answers {
                                li { (answer_text(&group.question, answer)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// An answer as read: option labels, numbers with a decimal comma, Ja/Nej.
pub fn answer_text(question: &Question, answer: &Answer) -> String {
    let label = |code: &str| match &question.kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options, .. } => {
            options
                .iter()
                .find(|o| o.code.as_str() == code)
                .map_or_else(|| code.to_owned(), |o| o.label.sv().to_owned())
        }
        _ => code.to_owned(),
    };
    match answer {
        Answer::Choice(code) => label(code.as_str()),
        Answer::Choices(codes) => codes
            .iter()
            .map(|c| label(c.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        Answer::Text(text) | Answer::Month(text) => text.clone(),
        Answer::Number(value) => format_number(*value, Lang::default()),
        Answer::YesNo(true) => t("network.answer_yes").to_owned(),
        Answer::YesNo(false) => t("network.answer_no").to_owned(),
        Answer::DontKnow => t("network.answer_dont_know").to_owned(),
        Answer::NotApplicable => t("network.answer_not_applicable").to_owned(),
    }
}
