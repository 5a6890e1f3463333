//! A municipality's exports (`/admin/exporter`): the form that asks for one (a round, or
//! a questionnaire over a period; k; free text) and the list of past exports with their
//! state. One export and its downloads: [`super::export_job`]. Use cases:
//! `service::exports`. The network is refused here by the service: it never gets rows.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use svar_shared::domain::swedish_time::day_in_sweden;
use svar_shared::domain::{ExportFailure, ExportJob, ExportScope, ExportState, RoundId};
use svar_shared::export::DEFAULT_K;
use svar_shared::service::exports::NewExport;
use svar_shared::service::workspace::invitations::thousands;
use svar_shared::service::workspace::{QuestionnaireChoice, RoundOverview, WorkspaceError};

use super::export_job;
use super::layout::{
    FieldError, Input, csrf_field, date, date_time, error_summary, input_field, page, scroll_table,
    title_with_errors,
};
use crate::AdminState;
use crate::auth::{Posted, SignedIn};
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/exporter"),
    ("POST", "/admin/exporter"),
    ("GET", "/admin/exporter/{id}"),
    ("POST", "/admin/exporter/{id}/filer/{file}"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/exporter", get(list).post(request))
        .route("/admin/exporter/{id}", get(export_job::detail))
        .route(
            "/admin/exporter/{id}/filer/{file}",
            post(export_job::download),
        )
}

/// What the form offers: the municipality's rounds and the questionnaires.
struct Choices {
    rounds: Vec<RoundOverview>,
    questionnaires: Vec<QuestionnaireChoice>,
}

async fn choices(state: &AdminState, signed_in: &SignedIn) -> Result<Choices, AdminError> {
    let rounds = state.workspace.rounds(&signed_in.caller).await?;
    let mut questionnaires = state
        .workspace
        .questionnaire_choices(&signed_in.caller)
        .await?;
    // The export takes every version of a questionnaire: one entry per questionnaire.
    questionnaires.sort_by(|a, b| {
        a.questionnaire
            .id
            .cmp(&b.questionnaire.id)
            .then(b.questionnaire.version.cmp(&a.questionnaire.version))
    });
    questionnaires.dedup_by(|a, b| a.questionnaire.id == b.questionnaire.id);
    Ok(Choices {
        rounds,
        questionnaires,
    })
}

async fn list(State(state): State<AdminState>, signed_in: SignedIn) -> Result<Markup, AdminError> {
    // First: the service refuses the network before anything is read.
    let jobs = state.exports.jobs(&signed_in.caller).await?;
    let choices = choices(&state, &signed_in).await?;
    let typed = NewExport {
        k: DEFAULT_K.to_string(),
        ..NewExport::default()
    };
    Ok(exports_page(&signed_in, &choices, &jobs, &typed, None))
}

/// A new export: to its page (303), or the same form again with what was typed and
/// the problem next to its field.
async fn request(
    State(state): State<AdminState>,
    posted: Posted<NewExport>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    let (status, field, message) = match state.exports.request(&signed_in.caller, &form).await {
        Ok(requested) => {
            let notice = if requested.created { "" } else { "?pagar=1" };
            let to = format!("/admin/exporter/{}{notice}", requested.job.id);
            return Ok(Redirect::to(&to).into_response());
        }
        Err(WorkspaceError::Invalid { field, message }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, field, message)
        }
        // Too few responses, or versions that cannot share columns: about the round or
        // questionnaire chosen.
        Err(WorkspaceError::Conflict(message)) => {
            let field = if form.round.trim().is_empty() {
                "questionnaire"
            } else {
                "round"
            };
            (StatusCode::CONFLICT, field, message)
        }
        Err(error) => return Err(error.into()),
    };
    let jobs = state.exports.jobs(&signed_in.caller).await?;
    let choices = choices(&state, &signed_in).await?;
    let error = FieldError {
        field,
        message: &message,
    };
    Ok((
        status,
        exports_page(&signed_in, &choices, &jobs, &form, Some(error)),
    )
        .into_response())
}

fn exports_page(
    signed_in: &SignedIn,
    choices: &Choices,
    jobs: &[ExportJob],
    typed: &NewExport,
    error: Option<FieldError<'_>>,
) -> Markup {
    let errors: Vec<_> = error.into_iter().collect();
    page(
        &title_with_errors(t("exports.title"), error.is_some()),
        Some(signed_in),
        html! {
            h1 { (t("exports.title")) }
            (error_summary(&errors))
            p { (t("exports.intro")) }
            h2 { (t("exports.request_title")) }
            (request_form(signed_in, choices, typed, error.as_ref()))
            h2 { (t("exports.list_title")) }
            (jobs_table(jobs, &choices.rounds))
        },
    )
}

/// A `select` with its label, hint and error, like [`input_field`] draws an input.
fn select_field(
    name: &str,
    label: &str,
    hint: &str,
    error: Option<&FieldError<'_>>,
    options: Markup,
) -> Markup {
    let error = error.filter(|e| e.field == name);
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        div class=(if error.is_some() { "question has-error" } else { "question" }) {
            label for=(name) { (label) }
            p.hint id=(hint_id) { (hint) }
            @if let Some(error) = error {
                p.error-message id=(error_id) { (error.message) }
            }
            select id=(name) name=(name) aria-describedby=(described_by)
                aria-invalid=[error.map(|_| "true")] { (options) }
        }
    }
}

fn request_form(
    signed_in: &SignedIn,
    choices: &Choices,
    typed: &NewExport,
    error: Option<&FieldError<'_>>,
) -> Markup {
    let date_hint = Some(t("exports.date_hint"));
    html! {
        form method="post" action="/admin/exporter" novalidate {
            (csrf_field(signed_in))
            fieldset.question {
                legend { (t("exports.round_legend")) }
                (select_field("round", t("exports.round_label"), t("exports.round_hint"), error, html! {
                    option value="" { (t("exports.round_none")) }
                    @for overview in &choices.rounds {
                        @let round = &overview.round;
                        @let value = round.id.to_string();
                        option value=(value) selected[typed.round.trim() == value] {
                            (tf("exports.round_option", &[("name", &round.name), ("answered", &thousands(overview.counts.answered))]))
                        }
                    }
                }))
            }
            fieldset.question {
                legend { (t("exports.period_legend")) }
                (select_field("questionnaire", t("exports.questionnaire_label"), t("exports.questionnaire_hint"), error, html! {
                    option value="" { (t("exports.questionnaire_choose")) }
                    @for choice in &choices.questionnaires {
                        @let value = choice.questionnaire.id.as_str();
                        option value=(value) selected[typed.questionnaire.trim() == value] { (choice.title) }
                    }
                }))
                (input_field("from", t("exports.from_label"), &typed.from, Input {
                    hint: date_hint, short: true, autocomplete: Some("off"), ..Input::default()
                }, error))
                (input_field("to", t("exports.to_label"), &typed.to, Input {
                    hint: date_hint, short: true, autocomplete: Some("off"), ..Input::default()
                }, error))
            }
            (input_field("k", t("exports.k_label"), &typed.k, Input {
                hint: Some(t("exports.k_hint")), short: true, autocomplete: Some("off"), ..Input::default()
            }, error))
            fieldset.question aria-describedby="free_text-hint" {
                legend { (t("exports.free_text_legend")) }
                p.hint #free_text-hint { (t("exports.free_text_hint")) }
                div.choice {
                    input type="checkbox" id="free_text" name="free_text" value="true" checked[typed.free_text];
                    label for="free_text" { (t("exports.free_text_label")) }
                }
            }
            div.buttons { button.primary type="submit" { (t("exports.request_button")) } }
        }
    }
}

fn jobs_table(jobs: &[ExportJob], rounds: &[RoundOverview]) -> Markup {
    html! {
        @if jobs.is_empty() {
            p { (t("exports.no_exports")) }
        } @else {
            (scroll_table(t("exports.list_title"), html! { table {
                caption { (t("exports.list_caption")) }
                thead { tr {
                    th scope="col" { (t("exports.col_scope")) }
                    th scope="col" { (t("exports.col_requested")) }
                    th scope="col" { (t("exports.col_state")) }
                    th scope="col" { (t("exports.col_files")) }
                    th scope="col" { (t("exports.col_expires")) }
                } }
                tbody {
                    @for job in jobs {
                        tr {
                            th scope="row" {
                                a href={ "/admin/exporter/" (job.id) } { (scope_text(&job.scope, rounds)) }
                                @if !job.rounds_left_out.is_empty() {
                                    br; span.hint-inline { (tf("exports.rounds_left_out_count", &[("count", &job.rounds_left_out.len())])) }
                                }
                            }
                            td { (requested_text(job)) }
                            td { (state_text(&job.state)) }
                            td { (files_text(&job.state)) }
                            td { (date(day_in_sweden(job.expires_at))) }
                        }
                    }
                }
            } }))
        }
    }
}

/// What was exported, in words: the round's name when the caller still sees it.
pub fn scope_text(scope: &ExportScope, rounds: &[RoundOverview]) -> String {
    match scope {
        ExportScope::Round { round } => round_name(round, rounds).map_or_else(
            || t("exports.scope_round_unknown").to_owned(),
            |name| tf("exports.scope_round", &[("round", &name)]),
        ),
        ExportScope::Questionnaire {
            questionnaire,
            from,
            to,
        } => tf(
            "exports.scope_questionnaire",
            &[
                ("questionnaire", &questionnaire),
                ("from", &date(*from)),
                ("to", &date(*to)),
            ],
        ),
    }
}

fn round_name(id: &RoundId, rounds: &[RoundOverview]) -> Option<String> {
    rounds
        .iter()
        .find(|o| &o.round.id == id)
        .map(|o| o.round.name.clone())
}

pub fn requested_text(job: &ExportJob) -> String {
    tf(
        "exports.requested_by",
        &[
            ("at", &date_time(job.created_at)),
            ("by", &job.requested_by),
        ],
    )
}

/// Where a job is, in plain words: progress, rows, or why it failed.
pub fn state_text(state: &ExportState) -> String {
    match state {
        ExportState::Queued => t("exports.state_queued").to_owned(),
        ExportState::Running { rows_done } => {
            tf("exports.state_running", &[("rows", &thousands(*rows_done))])
        }
        ExportState::Ready { rows, .. } => {
            tf("exports.state_ready", &[("rows", &thousands(*rows))])
        }
        ExportState::Failed { failure } => tf(
            "exports.state_failed",
            &[("reason", &failure_text(failure))],
        ),
    }
}

/// Why an export failed, in words a member of staff can act on.
pub fn failure_text(failure: &ExportFailure) -> String {
    match failure {
        ExportFailure::TooFewResponses { round, count, k } => tf(
            "exports.failure_too_few",
            &[("round", round), ("count", count), ("k", k)],
        ),
        ExportFailure::ChangedDuringExport => t("exports.failure_changed").to_owned(),
        ExportFailure::Interrupted => t("exports.failure_interrupted").to_owned(),
        ExportFailure::Internal => t("exports.failure_internal").to_owned(),
    }
}

fn files_text(state: &ExportState) -> String {
    match state {
        ExportState::Ready { files, .. } => tf(
            "exports.files_total",
            &[
                ("count", &files.len()),
                ("size", &size_text(files.iter().map(|f| f.bytes).sum())),
            ],
        ),
        _ => "–".to_owned(),
    }
}

/// A file size as Swedish text: `512 byte`, `3,4 kB`, `12,0 MB` (1 kB = 1000 byte).
pub fn size_text(bytes: u64) -> String {
    let tenths = |unit: u64| {
        let tenths = (bytes.saturating_mul(10) + unit / 2) / unit;
        format!("{},{}", thousands(tenths / 10), tenths % 10)
    };
    if bytes < 1000 {
        tf("exports.bytes", &[("n", &bytes)])
    } else if bytes < 1_000_000 {
        tf("exports.kilobytes", &[("n", &tenths(1000))])
    } else {
        tf("exports.megabytes", &[("n", &tenths(1_000_000))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_swedish_with_a_decimal_comma() {
        assert_eq!(size_text(0), "0 byte");
        assert_eq!(size_text(999), "999 byte");
        assert_eq!(size_text(1000), "1,0 kB");
        assert_eq!(size_text(3449), "3,4 kB");
        assert_eq!(size_text(3450), "3,5 kB");
        assert_eq!(size_text(12_000_000), "12,0 MB");
        assert_eq!(size_text(1_234_000_000), "1\u{a0}234,0 MB");
    }
}
