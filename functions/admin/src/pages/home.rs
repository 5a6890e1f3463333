//! The overview: the organisation's name, its rounds with live counts, the areas.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};

use super::layout::page;
use super::rounds::{may_create_rounds, rounds_table};
use crate::AdminState;
use crate::auth::SignedIn;
use crate::error::AdminError;
use crate::texts::t;

pub const ROUTES: &[(&str, &str)] = &[("GET", "/admin")];

pub fn routes() -> Router<AdminState> {
    Router::new().route("/admin", get(home))
}

async fn home(State(state): State<AdminState>, signed_in: SignedIn) -> Result<Markup, AdminError> {
    let rounds = state.workspace.rounds(&signed_in.caller).await?;
    let name = &signed_in.caller.organisation.name;
    Ok(page(
        name,
        Some(&signed_in),
        html! {
            h1 { (name) }
            @if may_create_rounds(&signed_in) {
                p { (t("rounds.home_intro")) }
            } @else {
                // The network makes no patient rounds: its first screen says what it does
                // here instead, with the way to each.
                p { (t("rounds.home_intro_network")) }
                ul {
                    li { a href="/admin/natverk/skicka" { (t("rounds.home_network_send")) } }
                    li { a href="/admin/natverk" { (t("rounds.home_network_follow")) } }
                    li { a href="/admin/jamforelse" { (t("rounds.home_network_compare")) } }
                }
            }
            h2 { (t("rounds.home_rounds")) }
            (rounds_table(&rounds))
            @if may_create_rounds(&signed_in) {
                p { a href="/admin/omgangar/ny" { (t("rounds.new_link")) } }
            }
        },
    ))
}
