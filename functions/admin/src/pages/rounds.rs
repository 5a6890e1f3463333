//! Rounds: the list with live counts, a new patient round, one round with its counts and
//! the buttons that open and close it (transitions: `service::workspace::rounds`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use svar_shared::domain::{OrganisationKind, Round, RoundKind, RoundStatus};
use svar_shared::service::workspace::{
    NewRound, QuestionnaireChoice, ROUND_NAME_MAX, ROUND_UNIT_MAX, RoundOverview, WorkspaceError,
    transition_allowed,
};

use super::layout::{
    FieldError, Input, csrf_field, date, error_summary, input_field, page, scroll_table,
    title_with_errors,
};
use crate::AdminState;
use crate::auth::{Posted, SignedIn};
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/omgangar"),
    ("POST", "/admin/omgangar"),
    ("GET", "/admin/omgangar/ny"),
    ("GET", "/admin/omgangar/{id}"),
    ("POST", "/admin/omgangar/{id}/oppna"),
    ("POST", "/admin/omgangar/{id}/stang"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/omgangar", get(list).post(create))
        .route("/admin/omgangar/ny", get(new_form))
        .route("/admin/omgangar/{id}", get(detail))
        .route("/admin/omgangar/{id}/oppna", post(open))
        .route("/admin/omgangar/{id}/stang", post(close))
}

/// Only a municipality makes patient rounds (a network sends mapping and report rounds).
pub fn may_create_rounds(signed_in: &SignedIn) -> bool {
    signed_in.caller.organisation.kind == OrganisationKind::Municipality
}

pub fn status_text(status: RoundStatus) -> &'static str {
    match status {
        RoundStatus::Planned => t("rounds.status_planned"),
        RoundStatus::Open => t("rounds.status_open"),
        RoundStatus::Closed => t("rounds.status_closed"),
    }
}

pub fn kind_text(kind: RoundKind) -> &'static str {
    match kind {
        RoundKind::Patient => t("rounds.kind_patient"),
        RoundKind::Mapping => t("rounds.kind_mapping"),
        RoundKind::Report => t("rounds.kind_report"),
    }
}

fn rate_text(overview: &RoundOverview) -> String {
    match overview.rate_percent() {
        Some(percent) => tf("rounds.rate", &[("percent", &percent)]),
        None => t("rounds.rate_none").to_owned(),
    }
}

fn period_text(round: &Round) -> String {
    tf(
        "rounds.period",
        &[
            ("start", &date(round.period.start())),
            ("end", &date(round.period.end())),
        ],
    )
}

/// The rounds with their counts, as a table (the overview and the list).
pub fn rounds_table(rounds: &[RoundOverview]) -> Markup {
    html! {
        @if rounds.is_empty() {
            p { (t("rounds.no_rounds")) }
        } @else {
            (scroll_table(t("rounds.list_title"), html! {
                table {
                    thead { tr {
                        th scope="col" { (t("rounds.col_name")) }
                        th scope="col" { (t("rounds.col_kind")) }
                        th scope="col" { (t("rounds.col_status")) }
                        th scope="col" { (t("rounds.col_period")) }
                        th scope="col" { (t("rounds.col_issued")) }
                        th scope="col" { (t("rounds.col_answered")) }
                        th scope="col" { (t("rounds.col_rate")) }
                    } }
                    tbody {
                        @for overview in rounds {
                            @let round = &overview.round;
                            tr {
                                th scope="row" { a href={ "/admin/omgangar/" (round.id) } { (round.name) } }
                                td { (kind_text(round.kind)) }
                                td { (status_text(round.status)) }
                                td { (period_text(round)) }
                                td { (overview.counts.issued) }
                                td { (overview.counts.answered) }
                                td { (rate_text(overview)) }
                            }
                        }
                    }
                }
            }))
        }
    }
}

async fn list(State(state): State<AdminState>, signed_in: SignedIn) -> Result<Markup, AdminError> {
    let rounds = state.workspace.rounds(&signed_in.caller).await?;
    Ok(page(
        t("rounds.list_title"),
        Some(&signed_in),
        html! {
            h1 { (t("rounds.list_title")) }
            @if may_create_rounds(&signed_in) {
                p { a href="/admin/omgangar/ny" { (t("rounds.new_link")) } }
            }
            (rounds_table(&rounds))
        },
    ))
}

async fn new_form(
    State(state): State<AdminState>,
    signed_in: SignedIn,
) -> Result<Markup, AdminError> {
    if !may_create_rounds(&signed_in) {
        return Err(WorkspaceError::NotAllowed(t("rounds.network_may_not").to_owned()).into());
    }
    let choices = state
        .workspace
        .patient_questionnaires(&signed_in.caller)
        .await?;
    Ok(new_round_page(
        &signed_in,
        &choices,
        &NewRound::default(),
        None,
    ))
}

async fn create(
    State(state): State<AdminState>,
    posted: Posted<NewRound>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    match state
        .workspace
        .create_patient_round(&signed_in.caller, &form)
        .await
    {
        Ok(round) => Ok(Redirect::to(&format!("/admin/omgangar/{}", round.id)).into_response()),
        Err(WorkspaceError::Invalid { field, message }) => {
            let choices = state
                .workspace
                .patient_questionnaires(&signed_in.caller)
                .await?;
            let error = FieldError {
                field,
                message: &message,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                new_round_page(&signed_in, &choices, &form, Some(error)),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// The form for a new round, with what was typed and at most one error. Dates are text
/// fields with an example, not `type="date"`: a date picker differs per browser and
/// locale, and a typed date is kept as typed when the form comes back with an error.
fn new_round_page(
    signed_in: &SignedIn,
    choices: &[QuestionnaireChoice],
    typed: &NewRound,
    error: Option<FieldError<'_>>,
) -> Markup {
    let errors: Vec<_> = error.into_iter().collect();
    let error = error.as_ref();
    let questionnaire_error = error.filter(|e| e.field == "questionnaire");
    let date_hint = Some(t("rounds.date_hint"));
    page(
        &title_with_errors(t("rounds.new_title"), error.is_some()),
        Some(signed_in),
        html! {
            h1 { (t("rounds.new_title")) }
            (error_summary(&errors))
            p { (t("rounds.new_intro")) }
            form method="post" action="/admin/omgangar" novalidate {
                (csrf_field(signed_in))
                div class=(if questionnaire_error.is_some() { "question has-error" } else { "question" }) {
                    label for="questionnaire" { (t("rounds.questionnaire_label")) }
                    p.hint #questionnaire-hint { (t("rounds.questionnaire_hint")) }
                    @if let Some(error) = questionnaire_error {
                        p.error-message #questionnaire-error { (error.message) }
                    }
                    select #questionnaire name="questionnaire"
                        aria-describedby=(if questionnaire_error.is_some() { "questionnaire-hint questionnaire-error" } else { "questionnaire-hint" })
                        aria-invalid=[questionnaire_error.map(|_| "true")] {
                        option value="" { (t("rounds.questionnaire_choose")) }
                        @for choice in choices {
                            @let value = choice.value();
                            option value=(value) selected[typed.questionnaire.trim() == value] {
                                (tf("rounds.questionnaire_version", &[("title", &choice.title), ("version", &choice.questionnaire.version)]))
                            }
                        }
                    }
                }
                (input_field("name", t("rounds.name_label"), &typed.name, Input {
                    hint: Some(t("rounds.name_hint")), maxlength: Some(ROUND_NAME_MAX), required: true,
                    ..Input::default()
                }, error))
                (input_field("start", t("rounds.start_label"), &typed.start, Input {
                    hint: date_hint, required: true, short: true, autocomplete: Some("off"), ..Input::default()
                }, error))
                (input_field("end", t("rounds.end_label"), &typed.end, Input {
                    hint: date_hint, required: true, short: true, autocomplete: Some("off"), ..Input::default()
                }, error))
                (input_field("unit", t("rounds.unit_label"), &typed.unit, Input {
                    hint: Some(t("rounds.unit_hint")), maxlength: Some(ROUND_UNIT_MAX), ..Input::default()
                }, error))
                div.buttons { button.primary type="submit" { (t("rounds.create_button")) } }
            }
        },
    )
}

async fn detail(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AdminError> {
    let overview = state.workspace.round(&signed_in.caller, &id).await?;
    let title = state
        .workspace
        .questionnaire_title(&overview.round.questionnaire)
        .await?
        .unwrap_or_else(|| overview.round.questionnaire.id.as_str().to_owned());
    Ok(round_page(&signed_in, &overview, &title))
}

fn round_page(signed_in: &SignedIn, overview: &RoundOverview, questionnaire: &str) -> Markup {
    let round = &overview.round;
    let base = format!("/admin/omgangar/{}", round.id);
    let own = round.sent_by.is_none()
        || round.sent_by.as_ref() == Some(&signed_in.caller.organisation.id);
    let may_open = own && transition_allowed(round.status, RoundStatus::Open);
    let may_close = own && transition_allowed(round.status, RoundStatus::Closed);
    page(
        &round.name,
        Some(signed_in),
        html! {
            h1 { (round.name) }
            h2 { (t("rounds.facts_title")) }
            dl {
                dt { (t("rounds.col_kind")) } dd { (kind_text(round.kind)) }
                dt { (t("rounds.col_status")) } dd { (status_text(round.status)) }
                dt { (t("rounds.col_period")) } dd { (period_text(round)) }
                dt { (t("rounds.questionnaire_label")) }
                dd { (tf("rounds.questionnaire_version", &[("title", &questionnaire), ("version", &round.questionnaire.version)])) }
                @if !round.unit.is_empty() {
                    dt { (t("rounds.unit_label_short")) } dd { (round.unit) }
                }
            }
            @if !own {
                p { (t("rounds.sent_by_network")) }
            }
            h2 { (t("rounds.counts_title")) }
            dl {
                dt { (t("rounds.col_issued")) } dd { (overview.counts.issued) }
                dt { (t("rounds.col_answered")) } dd { (overview.counts.answered) }
                dt { (t("rounds.col_rate")) } dd { (rate_text(overview)) }
            }
            ul {
                li { a href={ (base) "/inbjudningar" } { (t("rounds.invitations_link")) } }
                li { a href={ (base) "/svarsfrekvens" } { (t("rounds.rate_link")) } }
            }
            @if may_open || may_close {
                h2 { (t("rounds.actions_title")) }
                @if may_open {
                    p { (t("rounds.open_explain")) }
                    form method="post" action={ (base) "/oppna" } {
                        (csrf_field(signed_in))
                        button.primary type="submit" {
                            @if round.status == RoundStatus::Closed { (t("rounds.reopen_button")) }
                            @else { (t("rounds.open_button")) }
                        }
                    }
                }
                @if may_close {
                    p { (t("rounds.close_explain")) }
                    form method="post" action={ (base) "/stang" } {
                        (csrf_field(signed_in))
                        button.secondary type="submit" { (t("rounds.close_button")) }
                    }
                }
            }
        },
    )
}

#[derive(serde::Deserialize)]
struct Nothing {}

async fn open(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Result<Response, AdminError> {
    let round = state
        .workspace
        .open_round(&posted.signed_in.caller, &id)
        .await?;
    Ok(Redirect::to(&format!("/admin/omgangar/{}", round.id)).into_response())
}

async fn close(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<Nothing>,
) -> Result<Response, AdminError> {
    let round = state
        .workspace
        .close_round(&posted.signed_in.caller, &id)
        .await?;
    Ok(Redirect::to(&format!("/admin/omgangar/{}", round.id)).into_response())
}
