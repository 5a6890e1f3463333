//! Survey rounds: list with counts, create a patient round, read one, open, close.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use svar_shared::domain::{Round, RoundCounts};
use svar_shared::service::workspace::{NewRound, RoundOverview};
use utoipa::ToSchema;

use super::bodies::date_time;
use super::{ApiJson, ApiPath, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::ApiError;

/// A round's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundBody {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// The municipality that runs it (for a mapping or report round: the one it was
    /// sent to).
    pub municipality: String,
    pub questionnaire: String,
    pub questionnaire_version: u32,
    #[schema(schema_with = super::bodies::round_kind)]
    pub kind: String,
    #[schema(schema_with = super::bodies::round_status)]
    pub status: String,
    #[schema(format = Date)]
    pub start: String,
    #[schema(format = Date)]
    pub end: String,
    /// Unit or form of care; may be empty.
    pub unit: String,
    /// The network that sent a mapping or report round; `null` for a municipality's own.
    pub sent_by: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&Round> for RoundBody {
    fn from(round: &Round) -> Self {
        RoundBody {
            id: round.id.to_string(),
            name: round.name.clone(),
            municipality: round.municipality.as_str().to_owned(),
            questionnaire: round.questionnaire.id.as_str().to_owned(),
            questionnaire_version: round.questionnaire.version,
            kind: round.kind.as_str().to_owned(),
            status: round.status.as_str().to_owned(),
            start: round.period.start().to_string(),
            end: round.period.end().to_string(),
            unit: round.unit.clone(),
            sent_by: round.sent_by.as_ref().map(|s| s.as_str().to_owned()),
            created_at: date_time(round.created_at),
        }
    }
}

/// Invitations made and answers received.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsBody {
    /// Invitations made (each once, however many reminders it had).
    pub issued: u64,
    pub answered: u64,
    /// Answered per issued in whole percent, rounded down; `null` before any invitation.
    pub rate_percent: Option<u64>,
}

/// A round with its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundOverviewBody {
    pub round: RoundBody,
    pub counts: CountsBody,
}

impl From<&RoundOverview> for RoundOverviewBody {
    fn from(overview: &RoundOverview) -> Self {
        let RoundCounts { issued, answered } = overview.counts;
        RoundOverviewBody {
            round: RoundBody::from(&overview.round),
            counts: CountsBody {
                issued,
                answered,
                rate_percent: overview.rate_percent(),
            },
        }
    }
}

/// A new patient round. Every property is checked by the service, with a message
/// naming the property (`field`) when one is wrong.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({
    "questionnaire": "patientupplevelse",
    "name": "Hemsjukvård våren 2026",
    "start": "2026-03-01",
    "end": "2026-05-31",
    "unit": "Hemsjukvård"
}))]
pub struct NewRoundBody {
    /// A patient questionnaire's id, e.g. `patientupplevelse`.
    #[serde(default)]
    #[schema(example = "patientupplevelse")]
    pub questionnaire: String,
    /// 1 to 200 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date)]
    pub start: String,
    /// `YYYY-MM-DD`, not before `start`.
    #[serde(default)]
    #[schema(format = Date)]
    pub end: String,
    /// Unit or form of care, at most 200 characters; may be left out.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub unit: String,
}

/// The caller's rounds, newest first, with counts: a municipality's own and those sent
/// to it, or the rounds a network sent.
#[utoipa::path(
    get,
    path = "/api/rounds",
    operation_id = "list_rounds",
    tag = "rounds",
    responses((status = 200, description = "The rounds.", body = Vec<RoundOverviewBody>)),
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<RoundOverviewBody>>> {
    let rounds = state.workspace.rounds(&caller).await?;
    Ok(Json(rounds.iter().map(RoundOverviewBody::from).collect()))
}

/// Creates a planned patient round (a municipality only).
#[utoipa::path(
    post,
    path = "/api/rounds",
    operation_id = "create_round",
    tag = "rounds",
    request_body = NewRoundBody,
    responses(
        (status = 201, description = "The round, planned.", body = RoundBody),
        (status = 400, description = "The body is not JSON (`bad_request`).", body = ApiError),
        (status = 403, description = "A network cannot make patient rounds (`not_allowed`).", body = ApiError),
        (status = 413, description = "The body is too large (`payload_too_large`).", body = ApiError),
        (status = 422, description = "A property is wrong (`invalid`, `field` names it).", body = ApiError),
    ),
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewRoundBody>,
) -> ApiResult<(StatusCode, Json<RoundBody>)> {
    let new = NewRound {
        questionnaire: body.questionnaire,
        name: body.name,
        start: body.start,
        end: body.end,
        unit: body.unit,
    };
    let round = state.workspace.create_patient_round(&caller, &new).await?;
    Ok((StatusCode::CREATED, Json(RoundBody::from(&round))))
}

/// One round with its counts.
#[utoipa::path(
    get,
    path = "/api/rounds/{id}",
    operation_id = "get_round",
    tag = "rounds",
    params(("id" = String, Path, description = "The round's id.")),
    responses(
        (status = 200, description = "The round.", body = RoundOverviewBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 404, description = "No such round of this organisation (`not_found`).", body = ApiError),
    ),
)]
pub async fn get(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RoundOverviewBody>> {
    let round = state.workspace.round(&caller, &id).await?;
    Ok(Json(RoundOverviewBody::from(&round)))
}

/// Opens a round: its links and codes can be answered.
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/open",
    operation_id = "open_round",
    tag = "rounds",
    params(("id" = String, Path, description = "The round's id.")),
    responses(
        (status = 200, description = "The round, open.", body = RoundBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "Not this organisation's to open (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such round of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "Already open (`conflict`).", body = ApiError),
    ),
)]
pub async fn open(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RoundBody>> {
    let round = state.workspace.open_round(&caller, &id).await?;
    Ok(Json(RoundBody::from(&round)))
}

/// Closes a round: its links say politely that the survey has ended.
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/close",
    operation_id = "close_round",
    tag = "rounds",
    params(("id" = String, Path, description = "The round's id.")),
    responses(
        (status = 200, description = "The round, closed.", body = RoundBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "Not this organisation's to close (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such round of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "Already closed (`conflict`).", body = ApiError),
    ),
)]
pub async fn close(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RoundBody>> {
    let round = state.workspace.close_round(&caller, &id).await?;
    Ok(Json(RoundBody::from(&round)))
}
