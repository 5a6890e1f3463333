//! The network area (`/admin/natverk/...`): for a network its sends (sending a
//! questionnaire to municipalities, the status per municipality, reminding, the answers)
//! and its uploaded questionnaires; for a municipality the rounds sent to it
//! ([`super::network_municipality`]). Use cases: `service::workspace::network`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use svar_shared::domain::{OrganisationKind, Period, RoundId, RoundKind};
use svar_shared::service::workspace::WorkspaceError;
use svar_shared::service::workspace::network::{
    DEFAULT_ANSWER_LIMIT, MAX_ANSWER_LIMIT, Progress, SendChoices, SendForm, SendOverview,
};
use svar_shared::store::NetworkSend;

use super::layout::{
    FieldError, Input, csrf_field, date, date_time, error_summary, input_field, page, scroll_table,
    title_with_errors,
};
use super::{network_answers, network_municipality, network_upload};
use crate::AdminState;
use crate::auth::{Posted, SignedIn};
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/natverk"),
    ("GET", "/admin/natverk/skicka"),
    ("POST", "/admin/natverk/skicka"),
    ("GET", "/admin/natverk/utskick/{id}"),
    ("GET", "/admin/natverk/utskick/{id}/svar"),
    ("POST", "/admin/natverk/omgangar/{id}/paminn"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/natverk", get(area))
        .route("/admin/natverk/skicka", get(send_form).post(send))
        .route("/admin/natverk/utskick/{id}", get(overview))
        .route(
            "/admin/natverk/utskick/{id}/svar",
            get(network_answers::send_answers),
        )
        .route("/admin/natverk/omgangar/{id}/paminn", post(remind))
        .merge(network_municipality::routes())
        .merge(network_upload::routes())
}

/// A path's id: anything that is not a UUID is simply not found.
pub(super) fn round_id(text: &str) -> Result<RoundId, AdminError> {
    RoundId::parse(text).ok_or(AdminError::Workspace(WorkspaceError::NotFound))
}

pub(super) fn kind_text(kind: RoundKind) -> &'static str {
    match kind {
        RoundKind::Report => t("network.kind_report"),
        _ => t("network.kind_mapping"),
    }
}

pub(super) fn period_text(period: &Period) -> String {
    tf(
        "network.period",
        &[
            ("start", &date(period.start())),
            ("end", &date(period.end())),
        ],
    )
}

/// A mapping "has answers" rather than "is sent": many staff answer one mapping.
pub(super) fn progress_text(kind: RoundKind, progress: Progress) -> &'static str {
    match (progress, kind) {
        (Progress::NotStarted, _) => t("network.status_not_started"),
        (Progress::InProgress, _) => t("network.status_in_progress"),
        (Progress::Sent, RoundKind::Report) => t("network.status_sent"),
        (Progress::Sent, _) => t("network.status_answered"),
    }
}

/// The network's sends, or a municipality's rounds from its network.
async fn area(
    State(state): State<AdminState>,
    signed_in: SignedIn,
) -> Result<Response, AdminError> {
    if signed_in.caller.organisation.kind == OrganisationKind::Municipality {
        return network_municipality::received(state, signed_in).await;
    }
    let sends = state.workspace.sends(&signed_in.caller).await?;
    Ok(sends_page(&signed_in, &sends).into_response())
}

fn sends_page(signed_in: &SignedIn, sends: &[NetworkSend]) -> Markup {
    page(
        t("network.area_title"),
        Some(signed_in),
        html! {
            h1 { (t("network.area_title")) }
            p { (t("network.network_intro")) }
            ul {
                li { a href="/admin/natverk/skicka" { (t("network.send_link")) } }
                li { a href="/admin/natverk/enkater" { (t("network.upload_link")) } }
            }
            h2 { (t("network.sends_title")) }
            @if sends.is_empty() {
                p { (t("network.no_sends")) }
            } @else {
                (scroll_table(t("network.sends_title"), html! { table {
                    thead { tr {
                        th scope="col" { (t("network.col_name")) }
                        th scope="col" { (t("network.col_kind")) }
                        th scope="col" { (t("network.col_period")) }
                        th scope="col" { (t("network.col_municipalities")) }
                        th scope="col" { (t("network.col_sent")) }
                    } }
                    tbody {
                        @for send in sends {
                            tr {
                                th scope="row" { a href={ "/admin/natverk/utskick/" (send.id) } { (send.name) } }
                                td { (kind_text(send.kind)) }
                                td { (period_text(&send.period)) }
                                td { (send.rounds.len()) }
                                td { (date_time(send.created_at)) }
                            }
                        }
                    }
                } }))
            }
        },
    )
}

async fn send_form(
    State(state): State<AdminState>,
    signed_in: SignedIn,
) -> Result<Markup, AdminError> {
    let choices = state.workspace.send_choices(&signed_in.caller).await?;
    let typed = SendForm {
        kind: "mapping".to_owned(),
        ..SendForm::default()
    };
    Ok(send_page(&signed_in, &choices, &typed, None))
}

async fn send(
    State(state): State<AdminState>,
    posted: Posted<SendForm>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    match state
        .workspace
        .send_questionnaire(&signed_in.caller, &form)
        .await
    {
        Ok(send) => {
            Ok(Redirect::to(&format!("/admin/natverk/utskick/{}", send.id)).into_response())
        }
        Err(WorkspaceError::Invalid { field, message }) => {
            let choices = state.workspace.send_choices(&signed_in.caller).await?;
            let error = FieldError {
                field: field_anchor(field),
                message: &message,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                send_page(&signed_in, &choices, &form, Some(error)),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// The element an error links to: a group's first input.
fn field_anchor(field: &str) -> &str {
    match field {
        "kind" => "kind-mapping",
        "municipalities" => "municipality-0",
        other => other,
    }
}

fn send_page(
    signed_in: &SignedIn,
    choices: &SendChoices,
    typed: &SendForm,
    error: Option<FieldError<'_>>,
) -> Markup {
    let errors: Vec<_> = error.into_iter().collect();
    let error = error.as_ref();
    let error_on = |field: &str| error.filter(|e| e.field == field_anchor(field));
    let date_hint = Some(t("network.date_hint"));
    let limit_hint = tf(
        "network.answer_limit_hint",
        &[("default", &DEFAULT_ANSWER_LIMIT)],
    );
    let group_class = |field: &str| {
        if error_on(field).is_some() {
            "question has-error"
        } else {
            "question"
        }
    };
    page(
        &title_with_errors(t("network.send_title"), error.is_some()),
        Some(signed_in),
        html! {
            h1 { (t("network.send_title")) }
            (error_summary(&errors))
            p { (t("network.send_intro")) }
            form method="post" action="/admin/natverk/skicka" novalidate {
                (csrf_field(signed_in))
                fieldset class=(group_class("kind")) {
                    legend { (t("network.kind_legend")) }
                    @if let Some(error) = error_on("kind") { p.error-message { (error.message) } }
                    @for (value, label) in [("mapping", t("network.kind_mapping_choice")), ("report", t("network.kind_report_choice"))] {
                        div.choice {
                            input type="radio" name="kind" id={ "kind-" (value) } value=(value)
                                checked[typed.kind == value];
                            label for={ "kind-" (value) } { (label) }
                        }
                    }
                }
                div class=(group_class("questionnaire")) {
                    label for="questionnaire" { (t("network.questionnaire_label")) }
                    @if let Some(error) = error_on("questionnaire") {
                        p.error-message #questionnaire-error { (error.message) }
                    }
                    select #questionnaire name="questionnaire" aria-invalid=[error_on("questionnaire").map(|_| "true")] {
                        option value="" { (t("network.questionnaire_choose")) }
                        @for choice in &choices.questionnaires {
                            @let value = choice.value();
                            option value=(value) selected[typed.questionnaire.trim() == value] {
                                (tf("network.questionnaire_version", &[("title", &choice.title), ("version", &choice.questionnaire.version)]))
                            }
                        }
                    }
                }
                (input_field("name", t("network.name_label"), &typed.name, Input {
                    hint: Some(t("network.name_hint")), maxlength: Some(200), required: true, ..Input::default()
                }, error))
                (input_field("start", t("network.start_label"), &typed.start, Input {
                    kind: "date", hint: date_hint, required: true, short: true, ..Input::default()
                }, error))
                (input_field("end", t("network.end_label"), &typed.end, Input {
                    kind: "date", hint: date_hint, required: true, short: true, ..Input::default()
                }, error))
                fieldset class=(group_class("municipalities")) aria-describedby="municipalities-hint" {
                    legend { (t("network.municipalities_legend")) }
                    p.hint #municipalities-hint { (t("network.municipalities_hint")) }
                    @if let Some(error) = error_on("municipalities") { p.error-message { (error.message) } }
                    @for (index, municipality) in choices.municipalities.iter().enumerate() {
                        div.choice {
                            input type="checkbox" name="municipalities" id={ "municipality-" (index) }
                                value=(municipality.id.as_str())
                                checked[typed.municipalities.iter().any(|m| m == municipality.id.as_str())];
                            label for={ "municipality-" (index) } { (municipality.name) }
                        }
                    }
                }
                (input_field("answer_limit", t("network.answer_limit_label"), &typed.answer_limit, Input {
                    kind: "number", hint: Some(&limit_hint), short: true,
                    maxlength: Some(MAX_ANSWER_LIMIT.to_string().len()), ..Input::default()
                }, error))
                div.buttons { button.primary type="submit" { (t("network.send_button")) } }
            }
        },
    )
}

async fn overview(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AdminError> {
    let overview = state
        .workspace
        .send_overview(&signed_in.caller, &round_id(&id)?)
        .await?;
    Ok(overview_page(&signed_in, &overview))
}

fn overview_page(signed_in: &SignedIn, overview: &SendOverview) -> Markup {
    let send = &overview.send;
    let period = period_text(&send.period);
    page(
        &send.name,
        Some(signed_in),
        html! {
            h1 { (send.name) }
            p { (tf("network.overview_intro", &[("kind", &kind_text(send.kind)), ("period", &period)])) }
            @if send.kind == RoundKind::Mapping {
                p { a href={ "/admin/natverk/utskick/" (send.id) "/svar" } { (t("network.answers_link")) } }
            }
            (scroll_table(&send.name, html! { table {
                thead { tr {
                    th scope="col" { (t("network.col_municipality")) }
                    th scope="col" { (t("network.col_status")) }
                    th scope="col" { (t("network.col_answers")) }
                    th scope="col" { (t("network.col_reminded")) }
                    th scope="col" { (t("network.col_actions")) }
                } }
                tbody {
                    @for line in &overview.municipalities {
                        tr {
                            th scope="row" { (line.municipality.name) }
                            td { (progress_text(send.kind, line.progress)) }
                            td { (line.answers) }
                            td { @match line.reminded_at {
                                Some(at) => (date_time(at)),
                                None => (t("network.not_reminded")),
                            } }
                            td {
                                @if send.kind == RoundKind::Report {
                                    p { a href={ "/admin/natverk/rapporter/" (line.round.id) } {
                                        (tf("network.report_link", &[("municipality", &line.municipality.name)]))
                                    } }
                                }
                                @if line.progress != Progress::Sent || send.kind == RoundKind::Mapping {
                                    form method="post" action={ "/admin/natverk/omgangar/" (line.round.id) "/paminn" } {
                                        (csrf_field(signed_in))
                                        input type="hidden" name="send" value=(send.id);
                                        button.secondary type="submit" {
                                            (tf("network.remind_button", &[("municipality", &line.municipality.name)]))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            } }))
        },
    )
}

#[derive(serde::Deserialize)]
struct RemindForm {
    #[serde(default)]
    send: String,
}

async fn remind(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<RemindForm>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    state
        .workspace
        .remind_municipality(&signed_in.caller, &round_id(&id)?)
        .await?;
    let back = match RoundId::parse(&form.send) {
        Some(send) => format!("/admin/natverk/utskick/{send}"),
        None => "/admin/natverk".to_owned(),
    };
    Ok(Redirect::to(&back).into_response())
}
