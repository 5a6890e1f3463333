//! The network's sends: a questionnaire sent to chosen municipalities (one open round
//! each), and every send with where each municipality is. Only a network may: a
//! municipality's key gets 403 `not_allowed`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use svar_shared::service::workspace::network::{SendForm, SendOverview};
use svar_shared::store::NetworkSend;
use utoipa::ToSchema;

use super::bodies::{self, date_time};
use super::{ApiJson, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::ApiError;

/// A send to make. Every property is checked by the service, with a message naming the
/// property (`field`) when one is wrong.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({
    "kind": "mapping",
    "questionnaire": "kartlaggning:1",
    "name": "Kartläggning hösten 2026",
    "start": "2026-09-01",
    "end": "2026-10-31",
    "answer_limit": 50,
    "municipalities": ["ale", "kungalv"]
}))]
pub struct NewSendBody {
    /// `mapping` or `report`.
    #[serde(default)]
    #[schema(schema_with = bodies::send_kind)]
    pub kind: String,
    /// A published network questionnaire as `<id>:<version>`, e.g. `kartlaggning:1`.
    #[serde(default)]
    pub questionnaire: String,
    /// 1 to 200 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date)]
    pub start: String,
    /// `YYYY-MM-DD`, not before `start`.
    #[serde(default)]
    #[schema(format = Date)]
    pub end: String,
    /// Mapping only: the answers each municipality's link takes, 1 to 5 000; 50 when
    /// left out. Ignored for a report.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5000)]
    pub answer_limit: Option<u32>,
    /// Ids of municipalities of the network, at least one.
    #[serde(default)]
    pub municipalities: Vec<String>,
}

/// A send as made: its settings and the round made for each municipality.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendBody {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(schema_with = bodies::send_kind)]
    pub kind: &'static str,
    pub name: String,
    pub questionnaire: String,
    pub questionnaire_version: u32,
    #[schema(format = Date)]
    pub start: String,
    #[schema(format = Date)]
    pub end: String,
    /// The answers each municipality's mapping link takes; 0 for a report.
    pub answer_limit: u32,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub rounds: Vec<SentRoundBody>,
}

/// The round a send made for one municipality.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentRoundBody {
    pub municipality: String,
    #[schema(format = Uuid)]
    pub round: String,
}

impl From<&NetworkSend> for SendBody {
    fn from(send: &NetworkSend) -> Self {
        SendBody {
            id: send.id.to_string(),
            kind: send.kind.as_str(),
            name: send.name.clone(),
            questionnaire: send.questionnaire.id.as_str().to_owned(),
            questionnaire_version: send.questionnaire.version,
            start: send.period.start().to_string(),
            end: send.period.end().to_string(),
            answer_limit: send.answer_limit,
            created_at: date_time(send.created_at),
            rounds: send
                .rounds
                .iter()
                .map(|(municipality, round)| SentRoundBody {
                    municipality: municipality.as_str().to_owned(),
                    round: round.to_string(),
                })
                .collect(),
        }
    }
}

/// A send with where each municipality is.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendOverviewBody {
    pub send: SendBody,
    pub municipalities: Vec<MunicipalityStatusBody>,
}

/// One municipality's progress with a send.
#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityStatusBody {
    pub municipality: String,
    pub name: String,
    #[schema(format = Uuid)]
    pub round: String,
    /// Mapping: not_started (no link made), in_progress (a link, no answers), sent (at
    /// least one answer). Report: not_started, in_progress (saved), sent.
    #[schema(schema_with = bodies::progress)]
    pub status: &'static str,
    /// Mapping: answers so far. Report: 1 once sent.
    pub answers: u64,
    /// When the network last reminded the municipality; `null` if never.
    #[schema(format = DateTime)]
    pub reminded_at: Option<String>,
}

impl From<&SendOverview> for SendOverviewBody {
    fn from(overview: &SendOverview) -> Self {
        SendOverviewBody {
            send: SendBody::from(&overview.send),
            municipalities: overview
                .municipalities
                .iter()
                .map(|line| MunicipalityStatusBody {
                    municipality: line.municipality.id.as_str().to_owned(),
                    name: line.municipality.name.clone(),
                    round: line.round.id.to_string(),
                    status: line.progress.as_str(),
                    answers: line.answers,
                    reminded_at: line.reminded_at.map(date_time),
                })
                .collect(),
        }
    }
}

/// Sends a mapping questionnaire or the indicator report to chosen municipalities of
/// the caller's network: one open round each.
#[utoipa::path(
    post,
    path = "/api/network/sends",
    operation_id = "make_send",
    tag = "network",
    request_body = NewSendBody,
    responses(
        (status = 201, description = "The send and its rounds.", body = SendBody),
        (status = 400, description = "The body is not JSON (`bad_request`).", body = ApiError),
        (status = 403, description = "Not a network's key (`not_allowed`).", body = ApiError),
        (status = 413, description = "The body is too large (`payload_too_large`).", body = ApiError),
        (status = 422, description = "A property is wrong (`invalid`; `field` names it, or `body`).", body = ApiError),
    ),
)]
pub async fn send(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewSendBody>,
) -> ApiResult<(StatusCode, Json<SendBody>)> {
    let form = SendForm {
        kind: body.kind,
        questionnaire: body.questionnaire,
        name: body.name,
        start: body.start,
        end: body.end,
        municipalities: body.municipalities,
        answer_limit: body.answer_limit.map(|n| n.to_string()).unwrap_or_default(),
    };
    let send = state.workspace.send_questionnaire(&caller, &form).await?;
    Ok((StatusCode::CREATED, Json(SendBody::from(&send))))
}

/// The network's sends, newest first, each with every municipality's progress.
#[utoipa::path(
    get,
    path = "/api/network/sends",
    operation_id = "list_sends",
    tag = "network",
    responses(
        (status = 200, description = "The sends.", body = Vec<SendOverviewBody>),
        (status = 403, description = "Not a network's key (`not_allowed`).", body = ApiError),
    ),
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<SendOverviewBody>>> {
    let overviews = state.workspace.send_overviews(&caller).await?;
    Ok(Json(overviews.iter().map(SendOverviewBody::from).collect()))
}
