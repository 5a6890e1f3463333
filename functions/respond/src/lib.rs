//! The respondent pages: a questionnaire opened by link (`/s/{token}`) or by the short
//! code from a paper letter (`/kod`). Handlers are thin: they decode the request, call
//! one function of [`SurveyService`] and render the outcome.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use svar_shared::domain::Credential;
use svar_shared::domain::text::Lang;
use svar_shared::service::respondent::{Outcome, SurveyService};
use svar_shared::web::form::{decode_code_form, decode_page_form, query_param};
use svar_shared::web::pages;
use svar_shared::web::strings::ui;
use svar_shared::web::{AppError, stylesheet, with_common_layers};
use time::OffsetDateTime;
use validator::Validate;

/// Every route this function serves, as `(method, path)`: the SAM template must list
/// each one (checked by a test).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/kod"),
    ("POST", "/kod"),
    ("GET", "/s/{token}"),
    ("POST", "/s/{token}"),
    ("GET", pages::STYLESHEET_PATH),
];

/// The routes without fallback or layers, for mounting beside other functions' routes.
pub fn routes(survey: Arc<SurveyService>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/kod", get(code_form).post(code_submit))
        .route("/s/{token}", get(show_page).post(post_page))
        .route(pages::STYLESHEET_PATH, get(stylesheet))
        .with_state(survey)
}

/// The whole function as deployed: routes, a 404 page for anything else, common layers.
pub fn router(survey: Arc<SurveyService>) -> Router {
    with_common_layers(routes(survey).fallback(not_found))
}

pub async fn not_found(RawQuery(query): RawQuery) -> AppError {
    AppError::NotFound(lang_of(query.as_deref()))
}

fn lang_of(query: Option<&str>) -> Lang {
    Lang::from_param(query_param(query, "lang").as_deref())
}

async fn home(RawQuery(query): RawQuery) -> Response {
    pages::home_page(lang_of(query.as_deref())).into_response()
}

async fn code_form(RawQuery(query): RawQuery) -> Response {
    pages::code_page(lang_of(query.as_deref()), "", None).into_response()
}

async fn code_submit(
    State(survey): State<Arc<SurveyService>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let body = body_or_limit(body, Lang::default())?;
    let form = decode_code_form(&body);
    let (typed, lang) = (form.kod.as_str(), form.lang);
    let text = ui(lang);
    let code = form
        .validate()
        .ok()
        .and_then(|()| Credential::from_typed_code(typed));
    let Some(code) = code else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::code_page(lang, typed, Some(text.code_invalid)),
        )
            .into_response());
    };
    if !survey.code_exists(&code).await? {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::code_page(lang, typed, Some(text.code_unknown)),
        )
            .into_response());
    }
    Ok(Redirect::to(&format!("/s/{}?lang={}", code.path_segment(), lang.code())).into_response())
}

async fn show_page(
    State(survey): State<Arc<SurveyService>>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let lang = lang_of(query.as_deref());
    let position = query_param(query.as_deref(), "del").and_then(|d| d.trim().parse().ok());
    let outcome = survey
        .show_page(&token, position, OffsetDateTime::now_utc())
        .await?;
    render_outcome(outcome, lang, StatusCode::OK)
}

async fn post_page(
    State(survey): State<Arc<SurveyService>>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let body = body_or_limit(body, lang_of(query.as_deref()))?;
    let form = decode_page_form(&body);
    let lang = form.lang;
    let outcome = survey
        .post_page(&token, form.post, OffsetDateTime::now_utc())
        .await?;
    render_outcome(outcome, lang, StatusCode::CONFLICT)
}

/// The body, or the "too large" page when it is over the limit. A body that could not
/// be read for another reason is treated as empty: the page then says what is missing.
fn body_or_limit(body: Result<Bytes, BytesRejection>, lang: Lang) -> Result<Bytes, AppError> {
    match body {
        Ok(bytes) => Ok(bytes),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(AppError::PayloadTooLarge(lang))
        }
        Err(_) => Ok(Bytes::new()),
    }
}

/// Renders an outcome. `answered_status` is 200 when a link is opened again, 409 when a
/// submission arrives for an invitation that is already answered.
fn render_outcome(
    outcome: Outcome,
    lang: Lang,
    answered_status: StatusCode,
) -> Result<Response, AppError> {
    let text = ui(lang);
    Ok(match outcome {
        Outcome::Page(state) => {
            let status = if state.has_errors() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            (status, pages::survey_page(&state, lang)).into_response()
        }
        Outcome::Redirect { position } => {
            Redirect::to(&format!("?del={position}&lang={}", lang.code())).into_response()
        }
        Outcome::Thanks {
            questionnaire,
            municipality,
        } => pages::thanks_page(lang, &questionnaire, &municipality).into_response(),
        Outcome::AlreadyAnswered => (
            answered_status,
            pages::message_page(lang, text.answered_title, text.answered_body),
        )
            .into_response(),
        Outcome::NotFound => return Err(AppError::NotFound(lang)),
    })
}
