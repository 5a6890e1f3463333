//! The one mapping from the workspace's errors to HTTP: a plain page for the pages, JSON
//! with a stable `code` for the API (`/api/...`), opaque for our own faults with the full
//! error chain in the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use svar_shared::service::workspace::WorkspaceError;
use svar_shared::store::StoreError;
use svar_shared::telemetry::error_chain;
use svar_shared::web::error::RETRY_AFTER_UNAVAILABLE_SECONDS;

use crate::pages::layout::message_page;
use crate::texts::t;

/// Errors a workspace handler can end in.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// A form without the session's CSRF token, or with another.
    #[error("CSRF token missing or wrong")]
    Forbidden,
    /// The JSON API without a valid, active key.
    #[error("no valid access key")]
    Unauthenticated,
    #[error("request body too large")]
    PayloadTooLarge,
    /// A form or JSON body that could not be decoded at all.
    #[error("undecodable request: {0}")]
    BadForm(String),
    /// Too many failed sign-ins from this client.
    #[error("too many failed sign-ins")]
    TooManyAttempts,
}

/// The JSON error body of the API: a stable `code` and a plain-language `message`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    /// The property a value was wrong in, for `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl AdminError {
    fn status(&self) -> StatusCode {
        match self {
            AdminError::Workspace(error) => match error {
                WorkspaceError::NotFound => StatusCode::NOT_FOUND,
                WorkspaceError::NotAllowed(_) => StatusCode::FORBIDDEN,
                WorkspaceError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                WorkspaceError::Conflict(_) => StatusCode::CONFLICT,
                WorkspaceError::Store(StoreError::Unavailable(_)) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                WorkspaceError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            AdminError::Forbidden => StatusCode::FORBIDDEN,
            AdminError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AdminError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::BadForm(_) => StatusCode::BAD_REQUEST,
            AdminError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// The API's error body.
    pub fn api_body(&self) -> ApiError {
        let (code, message, field) = match self {
            AdminError::Workspace(WorkspaceError::Store(_)) => {
                let code = match self.status() {
                    StatusCode::SERVICE_UNAVAILABLE => "unavailable",
                    _ => "internal",
                };
                (code, t("common.internal_body").to_owned(), None)
            }
            AdminError::Workspace(WorkspaceError::Invalid { field, message }) => {
                ("invalid", message.clone(), Some(*field))
            }
            AdminError::Workspace(error) => (error.code(), error.to_string(), None),
            AdminError::Forbidden => ("csrf", t("common.forbidden_body").to_owned(), None),
            AdminError::Unauthenticated => {
                ("unauthenticated", t("api.unauthenticated").to_owned(), None)
            }
            AdminError::PayloadTooLarge => ("payload_too_large", self.to_string(), None),
            AdminError::BadForm(problem) => ("bad_request", problem.clone(), None),
            AdminError::TooManyAttempts => (
                "too_many_attempts",
                t("common.too_many_body").to_owned(),
                None,
            ),
        };
        ApiError {
            code,
            message,
            field,
        }
    }

    /// As JSON, for the API's handlers.
    pub fn into_api_response(self) -> Response {
        self.log();
        let status = self.status();
        let mut response = (status, Json(self.api_body())).into_response();
        add_retry_after(status, &mut response);
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750: say which scheme the API takes.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %error_chain(self), "workspace request failed");
        }
    }
}

fn add_retry_after(status: StatusCode, response: &mut Response) {
    if matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
    ) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE_SECONDS.into());
    }
}

/// As a page (the workspace's pages; the API's handlers use [`AdminError::into_api_response`]).
impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let (title, body) = match (&self, status) {
            (_, StatusCode::NOT_FOUND) => (
                t("common.not_found_title"),
                t("common.not_found_body").to_owned(),
            ),
            (AdminError::TooManyAttempts, _) => (
                t("common.too_many_title"),
                t("common.too_many_body").to_owned(),
            ),
            (AdminError::Forbidden, _) => (
                t("common.forbidden_title"),
                t("common.forbidden_body").to_owned(),
            ),
            // The decoder's words are for the API's programmers; on a page, plain words
            // (a page older than the form it posts is the usual cause).
            (AdminError::BadForm(_), _) => (
                t("common.bad_form_title"),
                t("common.bad_form_body").to_owned(),
            ),
            (_, StatusCode::SERVICE_UNAVAILABLE) => (
                t("common.unavailable_title"),
                t("common.unavailable_body").to_owned(),
            ),
            (_, status) if status.is_server_error() => (
                t("common.internal_title"),
                t("common.internal_body").to_owned(),
            ),
            (error, _) => (t("common.error_title"), error.api_body().message),
        };
        let mut response = (status, message_page(title, &body)).into_response();
        add_retry_after(status, &mut response);
        response
    }
}
