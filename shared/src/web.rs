//! What every function's router shares: the one mapping from errors to HTTP responses,
//! security headers, the body limit and request logging without tokens.

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::render;
use crate::store::StoreError;
use crate::strings::ui;
use crate::survey::SurveyError;
use crate::text::Lang;

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
                    Lang::Sv,
                    ui(Lang::Sv).unavailable_title,
                    ui(Lang::Sv).unavailable_body,
                )
            }
        };
        let switch = format!("?lang={}", lang.other().code());
        (status, render::message_page(lang, &switch, title, body)).into_response()
    }
}

/// An error and all its causes on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Logs method, route template, status and time. Never the URI: it holds link tokens.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        millis = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Headers for every response: no referrer (links carry tokens), no caching of pages that
/// may show answers on a shared computer, and a strict content security policy (no scripts).
pub fn with_common_layers(router: Router) -> Router {
    let headers: [(HeaderName, &'static str); 5] = [
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let mut router = router
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(log_request));
    for (name, value) in headers {
        // `if_not_present` lets a route (the stylesheet) set its own caching.
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// The stylesheet, cacheable for a day.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        render::STYLESHEET,
    )
        .into_response()
}
