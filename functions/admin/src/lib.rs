//! The workspace of municipalities and the network (`/admin/...` pages, `/api/...` JSON),
//! as a Lambda function and as routes the local server mounts beside the respondent's.
//!
//! Handlers are thin: they decode the request, call one function of
//! [`svar_shared::service::workspace::Workspace`] with the [`Caller`] from the session or
//! bearer key ([`auth`]), and render the outcome ([`pages`]) or JSON.

use std::sync::Arc;

use axum::Router;
use svar_shared::service::exports::Exports;
use svar_shared::service::workspace::Workspace;
use svar_shared::web::with_common_layers;

pub mod api;
pub mod auth;
pub mod error;
pub mod launcher;
pub mod pages;
pub mod texts;

pub use auth::SessionKey;
pub use svar_shared::service::workspace::Caller;

/// What every handler gets.
#[derive(Clone)]
pub struct AdminState {
    pub workspace: Arc<Workspace>,
    /// Exports and the network's comparison tables.
    pub exports: Arc<Exports>,
    pub sessions: Arc<SessionKey>,
    /// `Secure` on the session cookie: on except for the local server on plain HTTP.
    pub secure_cookies: bool,
}

/// Every route this function serves, as `(method, path)`: the SAM template must list each
/// one (checked by a test). Each area lists its own.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    [
        pages::signin::ROUTES,
        pages::home::ROUTES,
        pages::keys::ROUTES,
        pages::rounds::ROUTES,
        pages::audit::ROUTES,
        pages::network::ROUTES,
        pages::network_municipality::ROUTES,
        pages::network_upload::ROUTES,
        pages::invitations::ROUTES,
        pages::letters::ROUTES,
        pages::rates::ROUTES,
        pages::exports::ROUTES,
        pages::comparison::ROUTES,
        api::ROUTES,
    ]
    .concat()
}

/// The routes without fallback or layers, for mounting beside other functions' routes.
pub fn routes(state: AdminState) -> Router {
    Router::new()
        .merge(pages::signin::routes())
        .merge(pages::home::routes())
        .merge(pages::keys::routes())
        .merge(pages::rounds::routes())
        .merge(pages::audit::routes())
        .merge(pages::network::routes())
        .merge(pages::invitations::routes())
        .merge(pages::letters::routes())
        .merge(pages::rates::routes())
        .merge(pages::exports::routes())
        .merge(pages::comparison::routes())
        .merge(api::routes())
        .with_state(state)
}

/// The whole function as deployed: routes and common layers.
pub fn router(state: AdminState) -> Router {
    with_common_layers(routes(state))
}
