//! Extractors for the API whose rejections are JSON errors with stable codes, never
//! axum's plain-text ones: a body that is not JSON is `400 bad_request`, JSON of the
//! wrong shape `422 invalid` (with `field: "body"` and serde's path to the problem), a
//! body over the limit `413 payload_too_large`, a query string that does not decode
//! `400 bad_request`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use svar_shared::service::workspace::WorkspaceError;

use crate::error::AdminError;
use crate::texts::tf;

/// An API handler's failure: any [`AdminError`], answered as JSON.
#[derive(Debug)]
pub struct ApiFailure(pub AdminError);

impl<E: Into<AdminError>> From<E> for ApiFailure {
    fn from(error: E) -> Self {
        ApiFailure(error.into())
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        self.0.into_api_response()
    }
}

pub type ApiResult<T> = Result<T, ApiFailure>;

/// A JSON body (`Content-Type: application/json`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiFailure;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiFailure(json_rejection(&rejection))),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> AdminError {
    match rejection {
        JsonRejection::JsonDataError(error) => WorkspaceError::invalid(
            "body",
            tf("api.body_invalid", &[("problem", &error.body_text())]),
        )
        .into(),
        JsonRejection::JsonSyntaxError(error) => {
            AdminError::BadForm(tf("api.body_not_json", &[("problem", &error.body_text())]))
        }
        JsonRejection::MissingJsonContentType(_) => {
            AdminError::BadForm(crate::texts::t("api.body_content_type").to_owned())
        }
        JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AdminError::PayloadTooLarge
        }
        other => AdminError::BadForm(other.body_text()),
    }
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiFailure(query_rejection(&rejection))),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> AdminError {
    AdminError::BadForm(tf(
        "api.query_invalid",
        &[("problem", &rejection.body_text())],
    ))
}

/// Path parameters. Ids are taken as text and parsed by the handler (an id that does
/// not parse names nothing: 404); this only fails for a path that does not decode.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiFailure(path_rejection(&rejection))),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> AdminError {
    AdminError::BadForm(tf(
        "api.path_invalid",
        &[("problem", &rejection.body_text())],
    ))
}
