//! The network's side of its sends: reminding a municipality, reading every
//! municipality's mapping answers, and uploading a questionnaire. Each handler calls
//! one `Workspace` method, like the pages (`pages::network`, `pages::network_upload`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use svar_shared::domain::RoundId;
use svar_shared::service::workspace::WorkspaceError;
use utoipa::ToSchema;

use super::network_rounds::MappingAnswersBody;
use super::{ApiJson, ApiPath, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::ApiError;

/// The routes of this module (one `merge` in `api::routes`).
pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/api/rounds/{id}/remind", post(remind))
        .route("/api/network/sends/{id}/answers", get(send_answers))
        .route("/api/questionnaires", post(upload))
}

fn round_id(id: &str) -> Result<RoundId, WorkspaceError> {
    RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)
}

/// Reminds the municipality of a round the network sent it: its workspace shows a
/// notice.
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/remind",
    operation_id = "remind_municipality",
    tag = "network",
    params(("id" = String, Path, description = "The id of a round the network sent.")),
    responses(
        (status = 204, description = "Reminded."),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "Only the network reminds (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such round of this organisation (`not_found`).", body = ApiError),
    ),
)]
pub async fn remind(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let round = round_id(&id)?;
    state.workspace.remind_municipality(&caller, &round).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every municipality's answers to a mapping the network sent.
#[utoipa::path(
    get,
    path = "/api/network/sends/{id}/answers",
    operation_id = "send_answers",
    tag = "network",
    params(("id" = String, Path, description = "The mapping send's id.")),
    responses(
        (status = 200, description = "The answers.", body = MappingAnswersBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 404, description = "No such mapping send of this network (`not_found`).", body = ApiError),
    ),
)]
pub async fn send_answers(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<MappingAnswersBody>> {
    let send = round_id(&id)?;
    let answers = state.workspace.send_answers(&caller, &send).await?;
    Ok(Json(MappingAnswersBody::from(&answers)))
}

/// A questionnaire as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionnaireBody {
    pub id: String,
    pub version: u32,
    /// The Swedish title.
    pub title: String,
}

/// Checks a questionnaire definition (TOML, sent as one JSON string) with the loader,
/// publishes it and offers it to the network's sends and its municipalities' patient
/// rounds. The loader's problems: 422 `invalid` on `definition`, in the message.
#[utoipa::path(
    post,
    path = "/api/questionnaires",
    operation_id = "upload_questionnaire",
    tag = "network",
    request_body(content = String, description = "The questionnaire's TOML text as a JSON string.", content_type = "application/json"),
    responses(
        (status = 201, description = "Published.", body = QuestionnaireBody),
        (status = 400, description = "The body is not JSON (`bad_request`).", body = ApiError),
        (status = 403, description = "Only a network uploads questionnaires (`not_allowed`).", body = ApiError),
        (status = 413, description = "The body is too large (`payload_too_large`).", body = ApiError),
        (status = 422, description = "Not a JSON string, or the loader found problems (`invalid`).", body = ApiError),
    ),
)]
pub async fn upload(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(source): ApiJson<String>,
) -> ApiResult<(StatusCode, Json<QuestionnaireBody>)> {
    let questionnaire = state
        .workspace
        .upload_questionnaire(&caller, &source)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(QuestionnaireBody {
            id: questionnaire.id.as_str().to_owned(),
            version: questionnaire.version,
            title: questionnaire.title.sv().to_owned(),
        }),
    ))
}
