//! Signing in with an access key, and out.
//!
//! The sign-in form carries no CSRF token (there is no session yet to tie one to): a
//! forged sign-in would need the forger's own key and only signs the victim in to the
//! forger's organisation, and the cookie is `SameSite=Strict`. Failed sign-ins count
//! towards the same per-client limit as guessed short codes.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use svar_shared::service::workspace::SignIn;
use time::OffsetDateTime;

use super::layout::{FieldError, Input, error_summary, input_field, page, title_with_errors};
use crate::AdminState;
use svar_shared::web::client::ClientAddress;

use crate::auth::{Posted, SIGN_IN_PATH, ended_session, session_cookie};
use crate::error::AdminError;
use crate::texts::t;

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", SIGN_IN_PATH),
    ("POST", SIGN_IN_PATH),
    ("POST", "/admin/logga-ut"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route(SIGN_IN_PATH, get(form).post(submit))
        .route("/admin/logga-ut", post(sign_out))
}

#[derive(serde::Deserialize, Default)]
struct SignInForm {
    #[serde(default)]
    key: String,
}

async fn form(
    State(state): State<AdminState>,
    ClientAddress(address): ClientAddress,
    RawQuery(query): RawQuery,
) -> Result<Response, AdminError> {
    let workspace = &state.workspace;
    if workspace
        .sign_in_blocked(&workspace.client(address), OffsetDateTime::now_utc())
        .await?
    {
        return Err(AdminError::TooManyAttempts);
    }
    let signed_out = query.is_some_and(|query| query.split('&').any(|pair| pair == "utloggad"));
    Ok(sign_in_page(None, signed_out).into_response())
}

async fn submit(
    State(state): State<AdminState>,
    ClientAddress(address): ClientAddress,
    body: Bytes,
) -> Result<Response, AdminError> {
    let form: SignInForm = serde_html_form::from_bytes(&body).unwrap_or_default();
    let workspace = &state.workspace;
    let outcome = workspace
        .sign_in(
            &form.key,
            &workspace.client(address),
            OffsetDateTime::now_utc(),
        )
        .await?;
    match outcome {
        SignIn::SignedIn(caller) => {
            Ok((session_cookie(&state, &caller), Redirect::to("/admin")).into_response())
        }
        SignIn::Wrong => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            sign_in_page(Some(t("auth.wrong_key")), false),
        )
            .into_response()),
        SignIn::TooManyAttempts => Err(AdminError::TooManyAttempts),
    }
}

#[derive(serde::Deserialize)]
struct Nothing {}

async fn sign_out(
    State(state): State<AdminState>,
    posted: Posted<Nothing>,
) -> Result<Response, AdminError> {
    state.workspace.sign_out(&posted.signed_in.caller).await?;
    let to = format!("{SIGN_IN_PATH}?utloggad");
    Ok((ended_session(&state), Redirect::to(&to)).into_response())
}

/// The form. A wrong key is never shown again: the field starts empty.
fn sign_in_page(error: Option<&str>, signed_out: bool) -> Markup {
    let error = error.map(|message| FieldError {
        field: "key",
        message,
    });
    let errors: Vec<_> = error.into_iter().collect();
    page(
        &title_with_errors(t("auth.title"), error.is_some()),
        None,
        html! {
            h1 { (t("auth.title")) }
            @if signed_out {
                p.note role="status" { (t("auth.signed_out")) }
            }
            (error_summary(&errors))
            p { (t("auth.intro")) }
            form method="post" action=(SIGN_IN_PATH) novalidate {
                (input_field("key", t("auth.key_label"), "", Input {
                    kind: "password",
                    hint: Some(t("auth.key_hint")),
                    autocomplete: Some("current-password"),
                    required: true,
                    ..Input::default()
                }, error.as_ref()))
                div.buttons { button.primary type="submit" { (t("auth.button")) } }
            }
        },
    )
}
