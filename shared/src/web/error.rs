//! The one mapping from errors to HTTP responses: plain pages in the respondent's language,
//! opaque for our own faults, with the full error chain in the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::pages;
use super::strings::ui;
use crate::domain::text::Lang;
use crate::service::guessing::GUESS_WINDOW;
use crate::service::respondent::SurveyError;
use crate::store::StoreError;
use crate::telemetry::error_chain;

/// Largest request body accepted; a full page of answers is far smaller.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Seconds a client is asked to wait when storage is unavailable: long enough for a
/// throttled table or a restarting database, short enough for a patient to try again.
pub const RETRY_AFTER_UNAVAILABLE_SECONDS: u32 = 30;

/// Errors a handler can end in. Expected outcomes (a wrong code, a validation problem)
/// are pages, not errors; these are the rest.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound(Lang),
    #[error("request body too large")]
    PayloadTooLarge(Lang),
    /// Too many failed look-ups of links or codes from this client.
    #[error("too many failed look-ups")]
    TooManyAttempts(Lang),
    /// A use case failed; the page is in `lang`.
    #[error("request failed")]
    Survey {
        lang: Lang,
        #[source]
        error: SurveyError,
    },
}

impl AppError {
    /// For `map_err`: a failed use case, answered in `lang`.
    pub fn survey(lang: Lang) -> impl FnOnce(SurveyError) -> Self {
        move |error| AppError::Survey { lang, error }
    }
}

/// Whether a failure is passing (storage unavailable: 503, try again) or our own fault
/// that waiting will not fix (damaged data, a missing questionnaire: 500).
fn is_passing(error: &SurveyError) -> bool {
    match error {
        SurveyError::Store(StoreError::Unavailable(_)) => true,
        SurveyError::Store(_)
        | SurveyError::QuestionnaireMissing(..)
        | SurveyError::MunicipalityMissing(_)
        | SurveyError::RoundMissing(_) => false,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, lang, title, body, retry_after) = match &self {
            AppError::NotFound(lang) => (
                StatusCode::NOT_FOUND,
                *lang,
                ui(*lang).not_found_title,
                ui(*lang).not_found_body,
                None,
            ),
            AppError::PayloadTooLarge(lang) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                *lang,
                ui(*lang).too_large_title,
                ui(*lang).too_large_body,
                None,
            ),
            AppError::TooManyAttempts(lang) => (
                StatusCode::TOO_MANY_REQUESTS,
                *lang,
                ui(*lang).too_many_attempts_title,
                ui(*lang).too_many_attempts_body,
                Some(GUESS_WINDOW.whole_seconds().unsigned_abs() as u32),
            ),
            AppError::Survey { lang, error } => {
                // The full chain goes to the log; the page says only that it is our fault.
                tracing::error!(error = %error_chain(&self), "request failed");
                if is_passing(error) {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        *lang,
                        ui(*lang).unavailable_title,
                        ui(*lang).unavailable_body,
                        Some(RETRY_AFTER_UNAVAILABLE_SECONDS),
                    )
                } else {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        *lang,
                        ui(*lang).failed_title,
                        ui(*lang).failed_body,
                        None,
                    )
                }
            }
        };
        let mut response = (status, pages::message_page(lang, title, body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The `Retry-After` header for a page that could not be saved (storage unavailable).
pub fn retry_after_unavailable() -> (header::HeaderName, HeaderValue) {
    (
        header::RETRY_AFTER,
        HeaderValue::from(RETRY_AFTER_UNAVAILABLE_SECONDS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(error: SurveyError) -> (StatusCode, Option<String>) {
        let response =
            AppError::survey(Lang::find("en").expect("English is built in"))(error).into_response();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        (response.status(), retry)
    }

    #[test]
    fn damaged_data_and_missing_definitions_are_500_and_unavailable_storage_503() {
        let unavailable = StoreError::unavailable(std::io::Error::other("down"));
        assert_eq!(
            status_of(SurveyError::Store(unavailable)),
            (StatusCode::SERVICE_UNAVAILABLE, Some("30".to_owned()))
        );
        for error in [
            SurveyError::Store(StoreError::Corrupt("bad".into())),
            SurveyError::QuestionnaireMissing("q".into(), 1),
            SurveyError::MunicipalityMissing("m".into()),
            SurveyError::RoundMissing("r".into()),
        ] {
            assert_eq!(status_of(error), (StatusCode::INTERNAL_SERVER_ERROR, None));
        }
    }
}
