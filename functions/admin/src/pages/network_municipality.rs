//! The municipality's side of the network area: the rounds sent to it, a mapping's
//! multi-use link (shown once, like an access key), and the report form, which the
//! network also reads (and reopens) on the same page.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use svar_shared::domain::answers::FieldError as AnswerError;
use svar_shared::domain::questionnaire::{Question, QuestionKind};
use svar_shared::domain::text::Lang;
use svar_shared::domain::{OrganisationKind, RawAnswers, RoundKind};
use svar_shared::service::workspace::network::{ReportSending, ReportView, SentRound};
use svar_shared::web::pages::{all_question_fields, first_input_id, message_for};

use super::layout::{
    FieldError, csrf_field, date_time, error_summary, page, scroll_table, title_with_errors,
};
use super::network::{kind_text, period_text, progress_text, round_id};
use super::network_answers::own_answers;
use crate::AdminState;
use crate::auth::{Posted, SignedIn};
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/natverk/omgangar/{id}"),
    ("POST", "/admin/natverk/omgangar/{id}/lank"),
    ("GET", "/admin/natverk/omgangar/{id}/svar"),
    ("GET", "/admin/natverk/rapporter/{id}"),
    ("POST", "/admin/natverk/rapporter/{id}"),
    ("POST", "/admin/natverk/rapporter/{id}/oppna-igen"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/natverk/omgangar/{id}", get(mapping))
        .route("/admin/natverk/omgangar/{id}/lank", post(create_link))
        .route("/admin/natverk/omgangar/{id}/svar", get(own_answers))
        .route(
            "/admin/natverk/rapporter/{id}",
            get(report).post(save_report),
        )
        .route("/admin/natverk/rapporter/{id}/oppna-igen", post(reopen))
}

pub(super) fn round_path(sent: &SentRound) -> String {
    match sent.round.kind {
        RoundKind::Report => format!("/admin/natverk/rapporter/{}", sent.round.id),
        _ => format!("/admin/natverk/omgangar/{}", sent.round.id),
    }
}

/// `GET /admin/natverk` for a municipality.
pub async fn received(state: AdminState, signed_in: SignedIn) -> Result<Response, AdminError> {
    let rounds = state.workspace.sent_rounds(&signed_in.caller).await?;
    Ok(page(
        t("network.received_title"),
        Some(&signed_in),
        html! {
            h1 { (t("network.received_title")) }
            p { (t("network.municipality_intro")) }
            @if rounds.is_empty() {
                p { (t("network.no_received")) }
            } @else {
                (scroll_table(t("network.received_title"), html! { table {
                    thead { tr {
                        th scope="col" { (t("network.col_name")) }
                        th scope="col" { (t("network.col_kind")) }
                        th scope="col" { (t("network.col_period")) }
                        th scope="col" { (t("network.col_status")) }
                        th scope="col" { (t("network.col_answers")) }
                    } }
                    tbody {
                        @for sent in &rounds {
                            tr {
                                th scope="row" {
                                    a href=(round_path(sent)) { (sent.round.name) }
                                    @if let Some(at) = sent.reminded_at {
                                        p.notice { (tf("network.reminder_notice", &[("at", &date_time(at))])) }
                                    }
                                }
                                td { (kind_text(sent.round.kind)) }
                                td { (period_text(&sent.round.period)) }
                                td { (progress_text(sent.round.kind, sent.progress)) }
                                td { (sent.answers) }
                            }
                        }
                    }
                } }))
            }
        },
    )
    .into_response())
}

fn reminder(sent: &SentRound) -> Markup {
    html! {
        @if let Some(at) = sent.reminded_at {
            div.notice role="status" { p { (tf("network.reminder_notice", &[("at", &date_time(at))])) } }
        }
    }
}

async fn mapping(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, AdminError> {
    let sent = state
        .workspace
        .sent_round_of(&signed_in.caller, &round_id(&id)?)
        .await?;
    if sent.round.kind != RoundKind::Mapping {
        return Err(AdminError::Workspace(
            svar_shared::service::workspace::WorkspaceError::NotFound,
        ));
    }
    let round = &sent.round;
    let has_link = sent.progress != svar_shared::service::workspace::network::Progress::NotStarted;
    Ok(page(
        &round.name,
        Some(&signed_in),
        html! {
            h1 { (round.name) }
            (reminder(&sent))
            p { (t("network.mapping_intro")) }
            dl {
                dt { (t("network.col_period")) } dd { (period_text(&round.period)) }
                dt { (t("network.col_status")) } dd { (progress_text(round.kind, sent.progress)) }
                dt { (t("network.col_answers")) } dd { (sent.answers) }
            }
            p { (if has_link { t("network.link_exists") } else { t("network.link_none") }) }
            form method="post" action={ "/admin/natverk/omgangar/" (round.id) "/lank" } {
                (csrf_field(&signed_in))
                button.primary type="submit" {
                    (if has_link { t("network.link_recreate") } else { t("network.link_create") })
                }
            }
            p { a href={ "/admin/natverk/omgangar/" (round.id) "/svar" } { (t("network.own_answers_link")) } }
        },
    ))
}

/// The link as the staff will open it: on the address this page was asked for (the
/// respondent routes are served beside the workspace's), else as a path.
fn link_url(headers: &HeaderMap, secure: bool, path: &str) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() => {
            let scheme = if secure { "https" } else { "http" };
            format!("{scheme}://{host}{path}")
        }
        _ => path.to_owned(),
    }
}

async fn create_link(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let signed_in = posted.signed_in;
    let round = round_id(&id)?;
    let token = state
        .workspace
        .create_mapping_link(&signed_in.caller, &round)
        .await?;
    let url = link_url(
        &headers,
        state.secure_cookies,
        &format!("/m/{}", token.path_segment()),
    );
    let markup = page(
        t("network.link_made_title"),
        Some(&signed_in),
        html! {
            h1 { (t("network.link_made_title")) }
            p { (t("network.link_made_intro")) }
            div.question {
                label for="link" { (t("network.link_label")) }
                input #link type="text" readonly value=(url);
            }
            p { a href={ "/admin/natverk/omgangar/" (round) } { (t("network.link_back")) } }
        },
    );
    // The link is shown once: never kept by a cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], markup).into_response())
}

#[derive(serde::Deserialize, Default)]
struct ReportQuery {
    #[serde(default)]
    sparad: Option<String>,
}

async fn report(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Markup, AdminError> {
    let view = state
        .workspace
        .report_view(&signed_in.caller, &round_id(&id)?)
        .await?;
    let answers = view
        .report
        .as_ref()
        .map(|r| r.answers.clone())
        .unwrap_or_default();
    Ok(report_page(
        &signed_in,
        &view,
        &answers,
        &[],
        query.sparad.is_some(),
    ))
}

async fn save_report(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    let round = round_id(&id)?;
    let send = form.iter().any(|(k, v)| k == "_action" && v == "send");
    let mut answers = RawAnswers::new();
    for (key, value) in form {
        if key != "csrf" && key != "_action" {
            answers.entry(key).or_default().push(value);
        }
    }
    let path = format!("/admin/natverk/rapporter/{round}");
    match state
        .workspace
        .save_report(&signed_in.caller, &round, answers.clone(), send)
        .await?
    {
        ReportSending::Sent => Ok(Redirect::to(&path).into_response()),
        ReportSending::Problems(problems) if problems.is_empty() => {
            Ok(Redirect::to(&format!("{path}?sparad=1")).into_response())
        }
        ReportSending::Problems(problems) => {
            let view = state
                .workspace
                .report_view(&signed_in.caller, &round)
                .await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                report_page(&signed_in, &view, &answers, &problems, false),
            )
                .into_response())
        }
    }
}

async fn reopen(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, AdminError> {
    let round = round_id(&id)?;
    state
        .workspace
        .reopen_report(&posted.signed_in.caller, &round)
        .await?;
    Ok(Redirect::to(&format!("/admin/natverk/rapporter/{round}")).into_response())
}

/// The values of a question as read back: option labels for codes.
fn values_text(question: &Question, values: &[String]) -> String {
    let label = |value: &String| match &question.kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options, .. } => {
            options
                .iter()
                .find(|o| o.code.as_str() == value)
                .map_or_else(|| value.clone(), |o| o.label.sv().to_owned())
        }
        _ => value.clone(),
    };
    values.iter().map(label).collect::<Vec<_>>().join(", ")
}

fn report_page(
    signed_in: &SignedIn,
    view: &ReportView,
    answers: &RawAnswers,
    problems: &[AnswerError],
    saved: bool,
) -> Markup {
    let round = &view.round;
    let questionnaire = &view.questionnaire;
    let is_network = signed_in.caller.organisation.kind == OrganisationKind::Network;
    let messages: Vec<(String, String)> = problems
        .iter()
        .filter_map(|problem| {
            let question = questionnaire
                .sections
                .iter()
                .flat_map(|s| &s.questions)
                .find(|q| q.id == problem.question)?;
            Some((
                first_input_id(question),
                message_for(questionnaire, problem, Lang::default()),
            ))
        })
        .collect();
    let errors: Vec<FieldError<'_>> = messages
        .iter()
        .map(|(field, message)| FieldError { field, message })
        .collect();
    let sent_at = view.report.as_ref().and_then(|r| r.sent_at);
    page(
        &title_with_errors(&round.name, !errors.is_empty()),
        Some(signed_in),
        html! {
            h1 { (round.name) }
            (error_summary(&errors))
            @if saved { div.notice role="status" { p { (t("network.report_saved")) } } }
            p { (period_text(&round.period)) }
            @if view.is_sent() {
                @if let Some(at) = sent_at { p { (tf("network.report_sent_notice", &[("at", &date_time(at))])) } }
            } @else if is_network {
                p { (if view.report.is_some() { t("network.report_not_sent") } else { t("network.report_nothing") }) }
            }
            @if view.is_sent() || is_network {
                dl {
                    @for question in questionnaire.sections.iter().flat_map(|s| &s.questions) {
                        dt { (question.text.sv()) }
                        dd { (answers.get(question.id.as_str()).map(|v| values_text(question, v)).unwrap_or_default()) }
                    }
                }
                @if is_network && view.is_sent() {
                    form method="post" action={ "/admin/natverk/rapporter/" (round.id) "/oppna-igen" } {
                        (csrf_field(signed_in))
                        p.hint { (t("network.report_reopen_hint")) }
                        button.secondary type="submit" { (t("network.report_reopen")) }
                    }
                }
            } @else {
                p { (t("network.report_intro")) }
                form method="post" action={ "/admin/natverk/rapporter/" (round.id) } novalidate {
                    (csrf_field(signed_in))
                    (all_question_fields(questionnaire, answers, problems, Lang::default()))
                    div.buttons {
                        button.secondary type="submit" name="_action" value="save" { (t("network.report_save")) }
                        button.primary type="submit" name="_action" value="send" { (t("network.report_send")) }
                    }
                }
            }
        },
    )
}
