//! The JSON API under `/api/`: the same use cases as the pages, for scripts and other
//! systems. A caller sends an access key as `Authorization: Bearer svar_...` (see
//! [`crate::auth::ApiCaller`]); every answer is JSON, errors included
//! (`{code, message, field?}`, [`crate::error::ApiError`]).
//!
//! The OpenAPI 3.1 document at `GET /api/openapi.json` is generated from the handlers'
//! `#[utoipa::path]` attributes and the bodies' `ToSchema` derives, so it cannot drift
//! from the code; a test checks that it lists exactly the `/api` routes of
//! [`crate::route_table`], and schemathesis checks the running server against it.
//!
//! - `extract`: the JSON, query and path extractors whose rejections are JSON errors.
//! - `doc`: the OpenAPI document: security scheme, error responses every operation has.
//! - `bodies`: schemas several endpoints share.
//! - `me`: who the key belongs to; `keys`, `rounds`, `invitations`, `rates`, `audit`, `network`: one module per area, each
//!   handler calling one `Workspace` method, like the pages.
//! - `exports`: a municipality's exports and the network's comparison.
//! - `network_rounds`: a municipality's mapping link, mapping answers and report (and
//!   the network's reopening of it); `network_side`: the network's reminders, a send's
//!   answers, uploading a questionnaire.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::AdminState;

mod audit;
mod bodies;
mod doc;
mod exports;
pub mod extract;
mod invitations;
mod keys;
mod me;
mod network;
mod network_rounds;
mod network_side;
mod rates;
mod rounds;

pub use doc::ApiDoc;
pub use extract::{ApiFailure, ApiJson, ApiPath, ApiQuery, ApiResult};

/// The API's routes as `(method, path)`, one entry each: part of
/// [`crate::route_table`], so each is an event of the SAM template too.
#[rustfmt::skip]
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/openapi.json"),
    ("GET", "/api/me"),
    ("GET", "/api/keys"),
    ("POST", "/api/keys"),
    ("POST", "/api/keys/{id}/revoke"),
    ("GET", "/api/rounds"),
    ("POST", "/api/rounds"),
    ("GET", "/api/rounds/{id}"),
    ("POST", "/api/rounds/{id}/open"),
    ("POST", "/api/rounds/{id}/close"),
    ("POST", "/api/rounds/{id}/invitations"),
    ("GET", "/api/rounds/{id}/batches"),
    ("POST", "/api/rounds/{id}/reminders"),
    ("POST", "/api/rounds/{id}/batches/{batch}/reissue"),
    ("GET", "/api/rounds/{id}/rates"),
    ("GET", "/api/audit"),
    ("GET", "/api/network/sends"),
    ("POST", "/api/network/sends"),
    ("POST", "/api/rounds/{id}/mapping-link"), ("GET", "/api/rounds/{id}/mapping-answers"), ("GET", "/api/rounds/{id}/report"), ("PUT", "/api/rounds/{id}/report"), ("POST", "/api/rounds/{id}/report/reopen"),
    ("POST", "/api/rounds/{id}/remind"), ("GET", "/api/network/sends/{id}/answers"), ("POST", "/api/questionnaires"),
    ("GET", "/api/exporter"),
    ("POST", "/api/exporter"),
    ("GET", "/api/exporter/{id}"),
    ("POST", "/api/exporter/{id}/filer/{file}/lank"),
    ("GET", "/api/jamforelse"),
];

/// The API's routes, without state (the crate's router adds it).
pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/me", get(me::me))
        .route("/api/keys", get(keys::list).post(keys::create))
        .route("/api/keys/{id}/revoke", post(keys::revoke))
        .route("/api/rounds", get(rounds::list).post(rounds::create))
        .route("/api/rounds/{id}", get(rounds::get))
        .route("/api/rounds/{id}/open", post(rounds::open))
        .route("/api/rounds/{id}/close", post(rounds::close))
        .route("/api/rounds/{id}/invitations", post(invitations::make))
        .route("/api/rounds/{id}/batches", get(invitations::batches))
        .route("/api/rounds/{id}/reminders", post(invitations::remind))
        .route(
            "/api/rounds/{id}/batches/{batch}/reissue",
            post(invitations::reissue),
        )
        .route("/api/rounds/{id}/rates", get(rates::rates))
        .route("/api/audit", get(audit::page))
        .route("/api/network/sends", get(network::list).post(network::send))
        .route("/api/exporter", get(exports::list).post(exports::request))
        .route("/api/exporter/{id}", get(exports::get))
        .route("/api/exporter/{id}/filer/{file}/lank", post(exports::link))
        .route("/api/jamforelse", get(exports::comparison))
        .merge(network_rounds::routes())
        .merge(network_side::routes())
}

/// This document (OpenAPI 3.1), generated from the code. No key needed.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "document",
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object)),
)]
async fn openapi_json() -> impl IntoResponse {
    // Made once: it is the same for the life of the process.
    ([(header::CONTENT_TYPE, "application/json")], doc::json())
}
