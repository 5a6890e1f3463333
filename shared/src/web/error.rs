//! The one mapping from errors to HTTP responses: plain pages for the respondent, opaque
//! for our own faults, with the full error chain in the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::pages;
use super::strings::ui;
use crate::domain::text::Lang;
use crate::service::respondent::SurveyError;
use crate::store::StoreError;
use crate::telemetry::error_chain;

/// Largest request body accepted; a full page of answers is far smaller.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Errors a handler can end in. Expected outcomes (a wrong code, a validation problem)
/// are pages, not errors; these are the rest.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound(Lang),
    #[error("request body too large")]
    PayloadTooLarge(Lang),
    #[error(transparent)]
    Survey(#[from] SurveyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, lang, title, body) = match &self {
            AppError::NotFound(lang) => (
                StatusCode::NOT_FOUND,
                *lang,
                ui(*lang).not_found_title,
                ui(*lang).not_found_body,
            ),
            AppError::PayloadTooLarge(lang) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                *lang,
                ui(*lang).too_large_title,
                ui(*lang).too_large_body,
            ),
            AppError::Survey(_) | AppError::Store(_) => {
                // The full chain goes to the log; the page says only that it is our fault.
                tracing::error!(error = %error_chain(&self), "request failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Lang::default(),
                    ui(Lang::default()).unavailable_title,
                    ui(Lang::default()).unavailable_body,
                )
            }
        };
        (status, pages::message_page(lang, title, body)).into_response()
    }
}
