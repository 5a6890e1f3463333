//! Access keys: the organisation's list, a new key (its secret shown once, on the page
//! that answers the post, never in a URL), and revoking one. Revoking the key of the
//! current session ends it: the next request goes to the sign-in page.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use svar_shared::domain::AccessKey;
use svar_shared::service::workspace::{CreatedKey, KEY_LABEL_MAX, WorkspaceError};

use super::layout::{
    FieldError, Input, csrf_field, date_time, error_summary, input_field, page, scroll_table,
    title_with_errors,
};
use crate::AdminState;
use crate::auth::{Posted, SIGN_IN_PATH, SignedIn, ended_session};
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/nycklar"),
    ("POST", "/admin/nycklar"),
    ("POST", "/admin/nycklar/{id}/aterkalla"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/nycklar", get(list).post(create))
        .route("/admin/nycklar/{id}/aterkalla", post(revoke))
}

#[derive(serde::Deserialize)]
struct NewKey {
    #[serde(default)]
    label: String,
}

async fn list(State(state): State<AdminState>, signed_in: SignedIn) -> Result<Markup, AdminError> {
    let keys = state.workspace.keys(&signed_in.caller).await?;
    Ok(keys_page(&signed_in, &keys, "", None))
}

async fn create(
    State(state): State<AdminState>,
    posted: Posted<NewKey>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    match state
        .workspace
        .create_key(&signed_in.caller, &form.label)
        .await
    {
        Ok(created) => Ok(created_page(&signed_in, &created).into_response()),
        Err(WorkspaceError::Invalid { field, message }) => {
            let keys = state.workspace.keys(&signed_in.caller).await?;
            let error = FieldError {
                field,
                message: &message,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                keys_page(&signed_in, &keys, &form.label, Some(error)),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(serde::Deserialize)]
struct Nothing {}

async fn revoke(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Result<Response, AdminError> {
    let caller = &posted.signed_in.caller;
    let key = state.workspace.revoke_key(caller, &id).await?;
    if key.id == caller.key_id {
        return Ok((ended_session(&state), Redirect::to(SIGN_IN_PATH)).into_response());
    }
    Ok(Redirect::to("/admin/nycklar").into_response())
}

fn keys_page(
    signed_in: &SignedIn,
    keys: &[AccessKey],
    typed: &str,
    error: Option<FieldError<'_>>,
) -> Markup {
    let errors: Vec<_> = error.into_iter().collect();
    page(
        &title_with_errors(t("keys.title"), error.is_some()),
        Some(signed_in),
        html! {
            h1 { (t("keys.title")) }
            (error_summary(&errors))
            p { (tf("keys.intro", &[("organisation", &signed_in.caller.organisation.name)])) }
            h2 { (t("keys.list_title")) }
            @if keys.is_empty() {
                p { (t("keys.none")) }
            } @else {
                (scroll_table(t("keys.list_title"), html! {
                    table {
                        thead { tr {
                            th scope="col" { (t("keys.col_label")) }
                            th scope="col" { (t("keys.col_created")) }
                            th scope="col" { (t("keys.col_state")) }
                            th scope="col" { (t("keys.col_action")) }
                        } }
                        tbody {
                            @for key in keys {
                                tr {
                                    th scope="row" {
                                        (key.label)
                                        @if key.id == signed_in.caller.key_id { " " (t("keys.current")) }
                                    }
                                    td { (date_time(key.created_at)) }
                                    td {
                                        @match key.revoked_at {
                                            Some(at) => (tf("keys.revoked", &[("at", &date_time(at))])),
                                            None => (t("keys.active")),
                                        }
                                    }
                                    td {
                                        @if key.is_active() {
                                            form method="post" action={ "/admin/nycklar/" (key.id) "/aterkalla" } {
                                                (csrf_field(signed_in))
                                                button.secondary type="submit"
                                                    aria-label=(tf("keys.revoke_button_label", &[("label", &key.label)])) {
                                                    (t("keys.revoke_button"))
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
            h2 { (t("keys.create_title")) }
            form method="post" action="/admin/nycklar" novalidate {
                (csrf_field(signed_in))
                (input_field("label", t("keys.label_label"), typed, Input {
                    hint: Some(t("keys.label_hint")), maxlength: Some(KEY_LABEL_MAX), required: true,
                    autocomplete: Some("off"), ..Input::default()
                }, error.as_ref()))
                div.buttons { button.primary type="submit" { (t("keys.create_button")) } }
            }
        },
    )
}

/// The one page that shows a new key's secret.
fn created_page(signed_in: &SignedIn, created: &CreatedKey) -> Markup {
    page(
        t("keys.created_title"),
        Some(signed_in),
        html! {
            h1 { (t("keys.created_title")) }
            div.error-summary role="alert" {
                p { strong { (t("keys.created_warning")) } }
            }
            div.question {
                label for="secret" { (tf("keys.secret_label", &[("label", &created.key.label)])) }
                input #secret type="text" readonly value=(created.secret.reveal())
                    autocomplete="off" spellcheck="false";
            }
            p { a href="/admin/nycklar" { (t("keys.back")) } }
        },
    )
}
