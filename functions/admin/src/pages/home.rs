//! The overview: the organisation's name, what the network waits for (a municipality)
//! or what the network does here, its rounds with live counts.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};
use svar_shared::domain::RoundStatus;
use svar_shared::service::workspace::network::{Progress, SentRound};

use super::layout::page;
use super::network::progress_text;
use super::network_municipality::round_path;
use super::rounds::{may_create_rounds, rounds_table};
use crate::AdminState;
use crate::auth::SignedIn;
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[("GET", "/admin")];

pub fn routes() -> Router<AdminState> {
    Router::new().route("/admin", get(home))
}

async fn home(State(state): State<AdminState>, signed_in: SignedIn) -> Result<Markup, AdminError> {
    let rounds = state.workspace.rounds(&signed_in.caller).await?;
    let name = &signed_in.caller.organisation.name;
    // What the network waits for from a municipality, so it is seen on the first screen
    // and not only under "Nätverket": open rounds not yet answered (or sent).
    let waiting: Vec<SentRound> = if may_create_rounds(&signed_in) {
        state
            .workspace
            .sent_rounds(&signed_in.caller)
            .await?
            .into_iter()
            .filter(|sent| {
                sent.progress != Progress::Sent && sent.round.status == RoundStatus::Open
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(page(
        name,
        Some(&signed_in),
        html! {
            h1 { (name) }
            @if may_create_rounds(&signed_in) {
                p { (t("rounds.home_intro")) }
                @if !waiting.is_empty() {
                    h2 { (t("rounds.home_waiting_title")) }
                    p { (t("rounds.home_waiting")) }
                    ul {
                        @for sent in &waiting {
                            li {
                                a href=(round_path(sent)) { (sent.round.name) }
                                " – " (progress_text(sent.round.kind, sent.progress)) ", "
                                (tf("rounds.home_waiting_until", &[("end", &sent.round.period.end().to_string())]))
                            }
                        }
                    }
                }
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
