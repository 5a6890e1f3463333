//! A municipality's side of the rounds the network sent it: the mapping's multi-use
//! link and its own mapping answers, the report (read, saved as a draft, sent); and the
//! network's reopening of a sent report. Each handler calls one `Workspace` method, like
//! the pages (`pages::network_municipality`).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use svar_shared::domain::questionnaire::Question;
use svar_shared::domain::text::Lang;
use svar_shared::domain::{RawAnswers, RoundId};
use svar_shared::service::workspace::WorkspaceError;
use svar_shared::service::workspace::network::{MappingAnswers, ReportSending, ReportView};
use svar_shared::store::ReportStatus;
use svar_shared::web::pages::message_for;
use utoipa::ToSchema;

use super::bodies::date_time;
use super::rounds::RoundBody;
use super::{ApiJson, ApiPath, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::pages::network_answers::answer_text;

/// The routes of this module (one `merge` in `api::routes`).
pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/api/rounds/{id}/mapping-link", post(create_link))
        .route("/api/rounds/{id}/mapping-answers", get(own_answers))
        .route("/api/rounds/{id}/report", get(report).put(save_report))
        .route("/api/rounds/{id}/report/reopen", post(reopen_report))
}

fn round_id(id: &str) -> Result<RoundId, WorkspaceError> {
    RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)
}

/// A mapping's multi-use link, shown once: only its hash is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct MappingLinkBody {
    /// The link's path on the survey's address (`/m/...`); each opening gives the
    /// staff member an invitation of their own.
    pub path: String,
}

/// Makes the mapping round's multi-use link, replacing (and so revoking) one made
/// before. The link is in this answer only (`Cache-Control: no-store`).
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/mapping-link",
    operation_id = "create_mapping_link",
    tag = "network",
    params(("id" = String, Path, description = "The mapping round's id.")),
    responses(
        (status = 201, description = "The link, shown once.", body = MappingLinkBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "Only the municipality makes the link (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such mapping round sent to this municipality (`not_found`).", body = ApiError),
        (status = 409, description = "The mapping is closed (`conflict`).", body = ApiError),
    ),
)]
pub async fn create_link(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(
    StatusCode,
    [(header::HeaderName, &'static str); 1],
    Json<MappingLinkBody>,
)> {
    let round = round_id(&id)?;
    let token = state.workspace.create_mapping_link(&caller, &round).await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(MappingLinkBody {
            path: format!("/m/{}", token.path_segment()),
        }),
    ))
}

/// One municipality's answers to one question, as read (option labels, Ja/Nej).
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerGroupBody {
    pub municipality: String,
    pub name: String,
    pub answers: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionAnswersBody {
    pub question: String,
    /// The question's Swedish text.
    pub text: String,
    /// Per municipality; those without an answer left out.
    pub groups: Vec<AnswerGroupBody>,
}

/// A mapping's answers grouped by question, then by municipality.
#[derive(Debug, Serialize, ToSchema)]
pub struct MappingAnswersBody {
    pub name: String,
    pub questionnaire: String,
    pub questionnaire_version: u32,
    pub responses: u64,
    pub questions: Vec<QuestionAnswersBody>,
}

impl From<&MappingAnswers> for MappingAnswersBody {
    fn from(answers: &MappingAnswers) -> Self {
        MappingAnswersBody {
            name: answers.name.clone(),
            questionnaire: answers.questionnaire.id.as_str().to_owned(),
            questionnaire_version: answers.questionnaire.version,
            responses: answers.responses,
            questions: answers
                .questions
                .iter()
                .map(|q| QuestionAnswersBody {
                    question: q.question.id.as_str().to_owned(),
                    text: question_text(&q.question),
                    groups: q
                        .groups
                        .iter()
                        .map(|g| AnswerGroupBody {
                            municipality: g.municipality.as_str().to_owned(),
                            name: g.name.clone(),
                            answers: g
                                .answers
                                .iter()
                                .map(|a| answer_text(&q.question, a))
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

fn question_text(question: &Question) -> String {
    question.text.sv().to_owned()
}

/// The calling municipality's own answers to a mapping sent to it.
#[utoipa::path(
    get,
    path = "/api/rounds/{id}/mapping-answers",
    operation_id = "own_mapping_answers",
    tag = "network",
    params(("id" = String, Path, description = "The mapping round's id.")),
    responses(
        (status = 200, description = "The answers.", body = MappingAnswersBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "Only the municipality reads its own answers here (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such mapping round sent to this municipality (`not_found`).", body = ApiError),
    ),
)]
pub async fn own_answers(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<MappingAnswersBody>> {
    let round = round_id(&id)?;
    let answers = state.workspace.own_mapping_answers(&caller, &round).await?;
    Ok(Json(MappingAnswersBody::from(&answers)))
}

/// A report round and its report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportBody {
    pub round: RoundBody,
    /// `none` before anything is saved, then `draft` or `sent`.
    #[schema(schema_with = report_status)]
    pub status: String,
    /// The answers as saved, question id to values.
    pub answers: BTreeMap<String, Vec<String>>,
    /// `null` before anything is saved.
    #[schema(format = DateTime)]
    pub saved_at: Option<String>,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
}

fn report_status() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["none", "draft", "sent"]))
}

impl From<&ReportView> for ReportBody {
    fn from(view: &ReportView) -> Self {
        let report = view.report.as_ref();
        ReportBody {
            round: RoundBody::from(&view.round),
            status: match report.map(|r| r.status) {
                None => "none",
                Some(ReportStatus::Sent) => "sent",
                Some(_) => "draft",
            }
            .to_owned(),
            answers: report.map(|r| r.answers.clone()).unwrap_or_default(),
            saved_at: report.map(|r| date_time(r.saved_at)),
            sent_at: report.and_then(|r| r.sent_at).map(date_time),
        }
    }
}

/// The report round, for the municipality it was sent to or the network that sent it.
#[utoipa::path(
    get,
    path = "/api/rounds/{id}/report",
    operation_id = "get_report",
    tag = "network",
    params(("id" = String, Path, description = "The report round's id.")),
    responses(
        (status = 200, description = "The report.", body = ReportBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 404, description = "No such report round of this organisation (`not_found`).", body = ApiError),
    ),
)]
pub async fn report(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ReportBody>> {
    let round = round_id(&id)?;
    let view = state.workspace.report_view(&caller, &round).await?;
    Ok(Json(ReportBody::from(&view)))
}

/// The report's answers, saved as a draft or sent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"answers": {"antal_brukare": ["120"]}, "send": false}))]
pub struct SaveReportBody {
    /// Question id to values, as typed (several for a multiple choice). Unknown
    /// questions are left out.
    #[serde(default)]
    pub answers: BTreeMap<String, Vec<String>>,
    /// `true` checks every answer and sends the report; `false` (the default) saves it.
    #[serde(default)]
    pub send: bool,
}

/// What saving did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReportBody {
    /// `draft` (saved) or `sent`.
    #[schema(schema_with = saved_status)]
    pub status: String,
}

fn saved_status() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["draft", "sent"]))
}

/// Saves the report's answers as typed, or with `send` checks them all and sends the
/// report. Answers that are wrong when sending: 422 `invalid` on `answers`, `message`
/// naming every wrong question and its problem (the answers are saved as typed all the same).
#[utoipa::path(
    put,
    path = "/api/rounds/{id}/report",
    operation_id = "save_report",
    tag = "network",
    params(("id" = String, Path, description = "The report round's id.")),
    request_body = SaveReportBody,
    responses(
        (status = 200, description = "Saved, or sent.", body = SavedReportBody),
        (status = 400, description = "The body is not JSON (`bad_request`).", body = ApiError),
        (status = 403, description = "Only the municipality saves the report (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such report round of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "Already sent, or the round is closed (`conflict`).", body = ApiError),
        (status = 413, description = "The body is too large (`payload_too_large`).", body = ApiError),
        (status = 422, description = "The body has the wrong shape, or answers are wrong when sending (`invalid`).", body = ApiError),
    ),
)]
pub async fn save_report(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SaveReportBody>,
) -> ApiResult<Json<SavedReportBody>> {
    let round = round_id(&id)?;
    let answers: RawAnswers = body.answers;
    let sending = state
        .workspace
        .save_report(&caller, &round, answers, body.send)
        .await?;
    let status = match sending {
        ReportSending::Sent => "sent",
        ReportSending::Problems(problems) if problems.is_empty() => "draft",
        ReportSending::Problems(problems) => {
            // The problems' messages need the questionnaire; the round's is the
            // report's, read again only on this (rare) path.
            let view = state.workspace.report_view(&caller, &round).await?;
            let messages: Vec<String> = problems
                .iter()
                .map(|p| {
                    format!(
                        "{}: {}",
                        p.question,
                        message_for(&view.questionnaire, p, Lang::default())
                    )
                })
                .collect();
            return Err(WorkspaceError::invalid("answers", messages.join(" ")).into());
        }
    };
    Ok(Json(SavedReportBody {
        status: status.to_owned(),
    }))
}

/// Reopens a sent report of a round the caller (a network) sent, so the municipality
/// can correct it and send it again.
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/report/reopen",
    operation_id = "reopen_report",
    tag = "network",
    params(("id" = String, Path, description = "The report round's id.")),
    responses(
        (status = 204, description = "Reopened."),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "Only the network reopens a report (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such report round of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "The report is not sent (`conflict`).", body = ApiError),
    ),
)]
pub async fn reopen_report(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let round = round_id(&id)?;
    state.workspace.reopen_report(&caller, &round).await?;
    Ok(StatusCode::NO_CONTENT)
}
