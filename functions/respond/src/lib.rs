//! The respondent pages: a questionnaire opened by link (`/s/{token}`) or by the short
//! code from a paper letter (`/kod`). Handlers are thin: they decode the request, call
//! one function of [`SurveyService`] and render the outcome.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use svar_shared::domain::text::Lang;
use svar_shared::service::respondent::{CodeLookup, MappingVisit, Outcome, SurveyService};
use svar_shared::web::client::ClientAddress;
use svar_shared::web::error::retry_after_unavailable;
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
    ("GET", "/m/{token}"),
    ("GET", pages::STYLESHEET_PATH),
];

/// The routes without fallback or layers, for mounting beside other functions' routes.
pub fn routes(survey: Arc<SurveyService>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/kod", get(code_form).post(code_submit))
        .route("/s/{token}", get(show_page).post(post_page))
        .route("/s/{token}/", get(without_trailing_slash))
        .route("/m/{token}", get(open_mapping_link))
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

/// A link copied with a slash after it (`/s/{token}/`) goes to the link without it. Not in
/// [`ROUTES`] (and so not an API Gateway route): whether API Gateway hands such a path to
/// the `/s/{token}` route has not been checked against a deployed API; locally (`cargo
/// run`, the function alone) the router sees the path as typed and this route serves it.
async fn without_trailing_slash(uri: Uri) -> Redirect {
    let path = uri.path().trim_end_matches('/');
    match uri.query() {
        Some(query) => Redirect::permanent(&format!("{path}?{query}")),
        None => Redirect::permanent(path),
    }
}

async fn home(RawQuery(query): RawQuery) -> Response {
    pages::home_page(lang_of(query.as_deref())).into_response()
}

async fn code_form(
    State(survey): State<Arc<SurveyService>>,
    ClientAddress(address): ClientAddress,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let lang = lang_of(query.as_deref());
    let client = survey.client(address);
    let allowed = survey
        .may_try_credentials(&client, OffsetDateTime::now_utc())
        .await
        .map_err(AppError::survey(lang))?;
    if !allowed {
        return Err(AppError::TooManyAttempts(lang));
    }
    Ok(pages::code_page(lang, "", None).into_response())
}

async fn code_submit(
    State(survey): State<Arc<SurveyService>>,
    ClientAddress(address): ClientAddress,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let body = body_or_limit(body, Lang::default())?;
    let form = decode_code_form(&body);
    let (typed, lang) = (form.kod.as_str(), form.lang);
    let text = ui(lang);
    let lookup = survey
        .look_up_code(
            form.validate().is_ok().then_some(typed),
            &survey.client(address),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(AppError::survey(lang))?;
    let message = match lookup {
        CodeLookup::Found(code) => {
            return Ok(
                Redirect::to(&format!("/s/{}?lang={}", code.path_segment(), lang.code()))
                    .into_response(),
            );
        }
        CodeLookup::TooManyAttempts => return Err(AppError::TooManyAttempts(lang)),
        CodeLookup::Malformed => text.code_invalid,
        CodeLookup::Unknown => text.code_unknown,
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::code_page(lang, typed, Some(message)),
    )
        .into_response())
}

async fn show_page(
    State(survey): State<Arc<SurveyService>>,
    ClientAddress(address): ClientAddress,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let lang = lang_of(query.as_deref());
    let position = query_param(query.as_deref(), "del").and_then(|d| d.trim().parse().ok());
    let outcome = survey
        .show_page(
            &token,
            position,
            &survey.client(address),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(AppError::survey(lang))?;
    render_outcome(outcome, lang, Via::Get)
}

/// A mapping's multi-use link: each visitor gets an invitation of their own and is sent
/// on to it (a `303`, so a reload of `/s/...` never makes another), or a polite page when
/// the mapping is full or not open.
async fn open_mapping_link(
    State(survey): State<Arc<SurveyService>>,
    ClientAddress(address): ClientAddress,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let lang = lang_of(query.as_deref());
    let visit = survey
        .open_mapping_link(&token, &survey.client(address), OffsetDateTime::now_utc())
        .await
        .map_err(AppError::survey(lang))?;
    let text = ui(lang);
    let (title, body) = match visit {
        MappingVisit::Invitation(link) => {
            let to = format!("/s/{}?lang={}", link.path_segment(), lang.code());
            return Ok(Redirect::to(&to).into_response());
        }
        MappingVisit::Full => (text.mapping_full_title, text.mapping_full_body),
        MappingVisit::Closed => (text.mapping_closed_title, text.mapping_closed_body),
        MappingVisit::NotFound => return Err(AppError::NotFound(lang)),
        MappingVisit::TooManyAttempts => return Err(AppError::TooManyAttempts(lang)),
    };
    Ok((StatusCode::GONE, pages::message_page(lang, title, body)).into_response())
}

async fn post_page(
    State(survey): State<Arc<SurveyService>>,
    ClientAddress(address): ClientAddress,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let body = body_or_limit(body, lang_of(query.as_deref()))?;
    let form = decode_page_form(&body);
    let lang = form.lang;
    let outcome = survey
        .post_page(
            &token,
            form.post,
            &survey.client(address),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(AppError::survey(lang))?;
    render_outcome(outcome, lang, Via::Post)
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

/// How the page was asked for, which decides the status of a page that is not plain.
#[derive(Clone, Copy)]
enum Via {
    /// Opening the link: an answered link's thanks page and a resumed page that shows a
    /// saved problem are both 200 (the request itself was fine).
    Get,
    /// Posting a page: 409 to an answered link, 422 for a page with problems.
    Post,
}

/// Renders an outcome, its status chosen by `via`.
fn render_outcome(outcome: Outcome, lang: Lang, via: Via) -> Result<Response, AppError> {
    let answered_status = match via {
        Via::Get => StatusCode::OK,
        Via::Post => StatusCode::CONFLICT,
    };
    Ok(match outcome {
        Outcome::Page(state) => {
            let page = pages::survey_page(&state, lang);
            if state.not_saved.is_some() {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [retry_after_unavailable()],
                    page,
                )
                    .into_response()
            } else if state.has_errors() && matches!(via, Via::Post) {
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
            } else {
                page.into_response()
            }
        }
        Outcome::Redirect { position } => {
            Redirect::to(&format!("?del={position}&lang={}", lang.code())).into_response()
        }
        // The link itself is the thanks page once answered; a fresh GET, so a reload or
        // Back never posts the form again.
        Outcome::Sent => Redirect::to(&format!("?lang={}", lang.code())).into_response(),
        Outcome::Answered {
            questionnaire,
            municipality,
        } => (
            answered_status,
            pages::thanks_page(lang, &questionnaire, &municipality),
        )
            .into_response(),
        // A valid link of a round that is not open: a normal page, nothing saved, and
        // no failed look-up counted. Planned is 403 (refused for now; it will open, so
        // not 410; nothing is broken, so not 503, which monitoring would take for an
        // outage); closed is 410 (gone for good).
        Outcome::NotStarted {
            questionnaire,
            municipality,
            starts_on,
        } => (
            StatusCode::FORBIDDEN,
            pages::not_started_page(lang, &questionnaire, &municipality, starts_on),
        )
            .into_response(),
        Outcome::Ended {
            questionnaire,
            municipality,
        } => (
            StatusCode::GONE,
            pages::ended_page(lang, &questionnaire, &municipality),
        )
            .into_response(),
        Outcome::NotFound => return Err(AppError::NotFound(lang)),
        Outcome::TooManyAttempts => return Err(AppError::TooManyAttempts(lang)),
    })
}
