//! The network's own questionnaires: a TOML file pasted into a form, checked by the
//! loader (its problems shown as they are), published and listed.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use svar_shared::service::workspace::WorkspaceError;
use svar_shared::service::workspace::network::QuestionnaireChoice;

use super::layout::{FieldError, csrf_field, error_summary, page, title_with_errors};
use crate::AdminState;
use crate::auth::{Posted, SignedIn};
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/natverk/enkater"),
    ("POST", "/admin/natverk/enkater"),
];

pub fn routes() -> Router<AdminState> {
    Router::new().route("/admin/natverk/enkater", get(form).post(upload))
}

#[derive(serde::Deserialize, Default)]
struct UploadForm {
    #[serde(default)]
    definition: String,
}

async fn form(State(state): State<AdminState>, signed_in: SignedIn) -> Result<Markup, AdminError> {
    let choices = uploads(&state, &signed_in).await?;
    Ok(upload_page(&signed_in, &choices, "", None, None))
}

/// Only a network uploads; its list is the uploaded part of its choices.
async fn uploads(
    state: &AdminState,
    signed_in: &SignedIn,
) -> Result<Vec<QuestionnaireChoice>, AdminError> {
    if signed_in.caller.organisation.kind != svar_shared::domain::OrganisationKind::Network {
        return Err(WorkspaceError::NotAllowed(t("network.upload_title").to_owned()).into());
    }
    let choices = state
        .workspace
        .questionnaire_choices(&signed_in.caller)
        .await?;
    Ok(choices.into_iter().filter(|c| c.uploaded).collect())
}

async fn upload(
    State(state): State<AdminState>,
    posted: Posted<UploadForm>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    match state
        .workspace
        .upload_questionnaire(&signed_in.caller, &form.definition)
        .await
    {
        Ok(questionnaire) => {
            let done = tf(
                "network.uploaded_done",
                &[
                    ("title", &questionnaire.title.sv()),
                    ("version", &questionnaire.version),
                ],
            );
            let choices = uploads(&state, &signed_in).await?;
            Ok(upload_page(&signed_in, &choices, "", None, Some(&done)).into_response())
        }
        Err(WorkspaceError::Invalid { field, message }) => {
            let choices = uploads(&state, &signed_in).await?;
            let error = FieldError {
                field,
                message: &message,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                upload_page(&signed_in, &choices, &form.definition, Some(error), None),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

fn upload_page(
    signed_in: &SignedIn,
    uploaded: &[QuestionnaireChoice],
    typed: &str,
    error: Option<FieldError<'_>>,
    done: Option<&str>,
) -> Markup {
    let errors: Vec<_> = error.into_iter().collect();
    page(
        &title_with_errors(t("network.upload_title"), error.is_some()),
        Some(signed_in),
        html! {
            h1 { (t("network.upload_title")) }
            (error_summary(&errors))
            @if let Some(done) = done { div.notice role="status" { p { (done) } } }
            p { (t("network.upload_intro")) }
            form method="post" action="/admin/natverk/enkater" novalidate {
                (csrf_field(signed_in))
                div class=(if error.is_some() { "question has-error" } else { "question" }) {
                    label for="definition" { (t("network.definition_label")) }
                    p.hint #definition-hint { (t("network.definition_hint")) }
                    @if let Some(error) = error {
                        // The loader's problems, one per line.
                        div.error-message #definition-error {
                            @for line in error.message.lines() { p { (line) } }
                        }
                    }
                    textarea #definition name="definition" rows="20"
                        aria-describedby=(if error.is_some() { "definition-hint definition-error" } else { "definition-hint" })
                        aria-invalid=[error.map(|_| "true")] { (typed) }
                }
                div.buttons { button.primary type="submit" { (t("network.upload_button")) } }
            }
            h2 { (t("network.uploaded_title")) }
            @if uploaded.is_empty() {
                p { (t("network.no_uploads")) }
            } @else {
                ul {
                    @for choice in uploaded {
                        li { (tf("network.questionnaire_version", &[("title", &choice.title), ("version", &choice.questionnaire.version)])) }
                    }
                }
            }
        },
    )
}
