//! A round's invitations: its batches, generating more, reissuing a lost batch, reminders,
//! and the page right after a batch is made (the only page with its downloads).
//!
//! That page is the answer to the POST that made the batch, not a redirect: the batch's
//! secret must not end up in a URL (history, logs). It is sent `no-store` (common layers),
//! so the browser keeps no copy, and reloading asks before posting again.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use svar_shared::domain::{BatchId, BatchKind, RoundId};
use svar_shared::service::workspace::WorkspaceError;
use svar_shared::service::workspace::invitations::{
    BatchSize, InvitationsOverview, MAX_BATCH, MAX_REMINDERS, MadeBatch, thousands,
};
use svar_shared::service::workspace::letters::{LETTER_PART, MAX_LETTER_TEXT, parts};

use super::layout::{csrf_field, page};
use crate::AdminState;
use crate::auth::{Posted, SignedIn};
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/omgangar/{id}/inbjudningar"),
    ("POST", "/admin/omgangar/{id}/inbjudningar"),
    ("POST", "/admin/omgangar/{id}/inbjudningar/{batch}/ersatt"),
    ("POST", "/admin/omgangar/{id}/paminnelser"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route(
            "/admin/omgangar/{id}/inbjudningar",
            get(overview).post(generate),
        )
        .route(
            "/admin/omgangar/{id}/inbjudningar/{batch}/ersatt",
            post(reissue),
        )
        .route("/admin/omgangar/{id}/paminnelser", post(remind))
}

/// A round id from the path; a malformed one is simply not found.
pub fn round_id(text: &str) -> Result<RoundId, AdminError> {
    RoundId::parse(text).ok_or(AdminError::Workspace(WorkspaceError::NotFound))
}

pub fn batch_id(text: &str) -> Result<BatchId, AdminError> {
    BatchId::parse(text).ok_or(AdminError::Workspace(WorkspaceError::NotFound))
}

async fn overview(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AdminError> {
    let round = round_id(&id)?;
    let overview = state
        .workspace
        .invitations_overview(&signed_in.caller, &round)
        .await?;
    Ok(overview_page(&signed_in, &overview, None))
}

#[derive(Deserialize)]
struct GenerateForm {
    #[serde(default)]
    antal: String,
}

async fn generate(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<GenerateForm>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    let round = round_id(&id)?;
    let made = match BatchSize::parse(&form.antal) {
        Ok(size) => {
            state
                .workspace
                .generate(&signed_in.caller, &round, size)
                .await
        }
        Err(error) => Err(error),
    };
    match made {
        Ok(made) => Ok(made_page(&signed_in, &made, None).into_response()),
        Err(WorkspaceError::Invalid { message, .. }) => {
            // The form again, with what was typed and why it was not accepted.
            let overview = state
                .workspace
                .invitations_overview(&signed_in.caller, &round)
                .await?;
            let typed = Some((form.antal.as_str(), message.as_str()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                overview_page(&signed_in, &overview, typed),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

async fn reissue(
    State(state): State<AdminState>,
    Path((id, batch)): Path<(String, String)>,
    posted: Posted<Empty>,
) -> Result<Markup, AdminError> {
    let signed_in = posted.signed_in;
    let (round, batch) = (round_id(&id)?, batch_id(&batch)?);
    let made = state
        .workspace
        .reissue(&signed_in.caller, &round, &batch)
        .await?;
    Ok(made_page(&signed_in, &made, None))
}

#[derive(Deserialize)]
pub struct Empty {}

async fn remind(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<Empty>,
) -> Result<Markup, AdminError> {
    let signed_in = posted.signed_in;
    let made = state
        .workspace
        .remind(&signed_in.caller, &round_id(&id)?)
        .await?;
    Ok(made_page(&signed_in, &made, None))
}

fn kind_name(kind: BatchKind) -> &'static str {
    match kind {
        BatchKind::First => t("invitations.kind_first"),
        BatchKind::Reissue => t("invitations.kind_reissue"),
        BatchKind::Reminder => t("invitations.kind_reminder"),
    }
}

fn date(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    at.format(&format).unwrap_or_default()
}

/// The round's invitations page; `typed` is a rejected count and why.
pub fn overview_page(
    signed_in: &SignedIn,
    overview: &InvitationsOverview,
    typed: Option<(&str, &str)>,
) -> Markup {
    let round = &overview.round;
    let base = format!("/admin/omgangar/{}", round.id);
    let title = tf("invitations.title", &[("round", &round.name)]);
    let content = html! {
        h1 { (title) }
        p { a href=(base) { (t("invitations.back_to_round")) } " · "
            a href={ (base) "/svarsfrekvens" } { (t("invitations.to_rates")) } }
        @if let Some((_, message)) = typed {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { (t("invitations.error_summary")) }
                ul { li { a href="#antal" { (message) } } }
            }
        }
        p { (tf("invitations.counts", &[
            ("issued", &thousands(overview.counts.issued)),
            ("answered", &thousands(overview.counts.answered)),
        ])) }
        h2 { (t("invitations.generate_heading")) }
        form method="post" action={ (base) "/inbjudningar" } {
            (csrf_field(signed_in))
            div class=[typed.map(|_| "has-error")] {
                label for="antal" { (t("invitations.count_label")) }
                p.hint #antal-hint { (tf("invitations.count_hint", &[("max", &thousands(MAX_BATCH))])) }
                @if let Some((_, message)) = typed {
                    p.error-message #antal-error {
                        span.visually-hidden { (t("invitations.error_prefix")) } (message)
                    }
                }
                input #antal.short type="text" name="antal" inputmode="numeric" autocomplete="off"
                    value=(typed.map_or("", |(value, _)| value))
                    aria-describedby={ "antal-hint" @if typed.is_some() { " antal-error" } }
                    aria-invalid=[typed.map(|_| "true")];
            }
            p.note { (t("invitations.shown_once")) }
            div.buttons { button.primary type="submit" { (t("invitations.generate_button")) } }
        }
        h2 { (t("invitations.reminders_heading")) }
        p { (tf("invitations.reminders_would", &[
            ("count", &thousands(overview.remindable)),
            ("max", &MAX_REMINDERS),
        ])) }
        @if overview.remindable > 0 {
            form method="post" action={ (base) "/paminnelser" } {
                (csrf_field(signed_in))
                div.buttons { button.secondary type="submit" {
                    (tf("invitations.reminders_button", &[("count", &thousands(overview.remindable))]))
                } }
            }
        }
        h2 { (t("invitations.batches_heading")) }
        @if overview.batches.is_empty() {
            p { (t("invitations.no_batches")) }
        } @else {
            table {
                caption { (t("invitations.batches_caption")) }
                thead { tr {
                    th scope="col" { (t("invitations.col_kind")) }
                    th scope="col" { (t("invitations.col_count")) }
                    th scope="col" { (t("invitations.col_numbers")) }
                    th scope="col" { (t("invitations.col_made")) }
                    th scope="col" { (t("invitations.col_reissue")) }
                } }
                tbody {
                    @for batch in &overview.batches {
                        tr {
                            th scope="row" { (kind_name(batch.kind)) }
                            td { (thousands(batch.numbers.len() as u64)) }
                            td { (number_span(&batch.numbers)) }
                            td { (date(batch.created_at)) }
                            td {
                                form method="post" action={ (base) "/inbjudningar/" (batch.id) "/ersatt" } {
                                    (csrf_field(signed_in))
                                    button.secondary type="submit" {
                                        (t("invitations.reissue_button"))
                                        span.visually-hidden { " " (tf("invitations.reissue_which", &[
                                            ("kind", &kind_name(batch.kind)),
                                            ("made", &date(batch.created_at)),
                                        ])) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p.note { (t("invitations.reissue_note")) }
        }
    };
    page(&title, Some(signed_in), content)
}

/// `1–100`, or `3, 7–9 …` for a reminder's scattered numbers (first and last only).
fn number_span(numbers: &[u32]) -> String {
    match (numbers.first(), numbers.last()) {
        (Some(first), Some(last)) if first == last => first.to_string(),
        (Some(first), Some(last)) => format!("{first}–{last}"),
        _ => String::new(),
    }
}

/// The page right after a batch is made: its count, the warning that its links and codes
/// can be downloaded only now, and the downloads. `letter_error` is a rejected letter
/// text with why (the same page again).
pub fn made_page(
    signed_in: &SignedIn,
    made: &MadeBatch,
    letter_error: Option<(&str, &str)>,
) -> Markup {
    let batch = &made.batch;
    let count = batch.numbers.len();
    let action = format!(
        "/admin/omgangar/{}/inbjudningar/{}",
        made.round.id, batch.id
    );
    let title = match batch.kind {
        BatchKind::First => tf(
            "invitations.made_title",
            &[("count", &thousands(count as u64))],
        ),
        BatchKind::Reissue => tf(
            "invitations.reissued_title",
            &[("count", &thousands(count as u64))],
        ),
        BatchKind::Reminder => tf(
            "invitations.reminded_title",
            &[("count", &thousands(count as u64))],
        ),
    };
    let secret = made.secret.to_text();
    let text = letter_error.map_or(t("letters.default_text"), |(typed, _)| typed);
    let content = html! {
        h1 { (title) }
        @if let Some((_, message)) = letter_error {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { (t("invitations.error_summary")) }
                ul { li { a href="#text" { (message) } } }
            }
        }
        div.note role="note" {
            p { strong { (t("invitations.only_now_title")) } }
            p { (t("invitations.only_now_body")) }
        }
        h2 { (t("invitations.csv_heading")) }
        p { (t("invitations.csv_body")) }
        form method="post" action={ (action) "/csv" } {
            (csrf_field(signed_in))
            input type="hidden" name="nyckel" value=(secret);
            div.buttons { button.primary type="submit" { (t("invitations.csv_button")) } }
        }
        h2 { (t("invitations.letters_heading")) }
        form method="post" action={ (action) "/brev" } {
            (csrf_field(signed_in))
            input type="hidden" name="nyckel" value=(secret);
            div class=[letter_error.map(|_| "has-error")] {
                label for="text" { (t("letters.text_label")) }
                p.hint #text-hint { (tf("letters.text_hint", &[("max", &thousands(MAX_LETTER_TEXT as u64))])) }
                @if let Some((_, message)) = letter_error {
                    p.error-message #text-error {
                        span.visually-hidden { (t("invitations.error_prefix")) } (message)
                    }
                }
                textarea #text name="text" rows="12"
                    aria-describedby={ "text-hint" @if letter_error.is_some() { " text-error" } }
                    aria-invalid=[letter_error.map(|_| "true")] { (text) }
            }
            p { (tf("letters.parts_body", &[("part", &thousands(LETTER_PART as u64))])) }
            div.buttons {
                @for (index, range) in parts(count).iter().enumerate() {
                    button.secondary type="submit" name="del" value=(index + 1) {
                        (tf("letters.part_button", &[
                            ("from", &thousands(range.start as u64 + 1)),
                            ("to", &thousands(range.end as u64)),
                        ]))
                    }
                }
            }
        }
        p { a href={ "/admin/omgangar/" (made.round.id) "/inbjudningar" } { (t("invitations.done_link")) } }
    };
    page(&title, Some(signed_in), content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_spans_name_the_first_and_last() {
        assert_eq!(number_span(&[]), "");
        assert_eq!(number_span(&[5]), "5");
        assert_eq!(number_span(&[1, 2, 3, 100]), "1–100");
    }
}
