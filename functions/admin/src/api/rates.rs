//! A round's response rate and answers per day.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use svar_shared::domain::RoundId;
use svar_shared::service::workspace::WorkspaceError;
use utoipa::ToSchema;

use super::rounds::RoundBody;
use super::{ApiPath, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct DayBody {
    #[schema(format = Date)]
    pub date: String,
    pub answered: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatesBody {
    pub round: RoundBody,
    pub issued: u64,
    pub answered: u64,
    /// Answered per issued in tenths of a percent (`25` is 2.5 %), rounded half up;
    /// `null` before any invitation.
    pub rate_permille: Option<u64>,
    /// Answers per day of submission, in date order; days without answers left out.
    pub per_day: Vec<DayBody>,
}

/// A round's invitations issued, answers, rate and answers per day.
#[utoipa::path(
    get,
    path = "/api/rounds/{id}/rates",
    operation_id = "round_rates",
    tag = "rates",
    params(("id" = String, Path, description = "The round's id.")),
    responses(
        (status = 200, description = "The round's rate.", body = RatesBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 404, description = "No such round of this organisation (`not_found`).", body = ApiError),
    ),
)]
pub async fn rates(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RatesBody>> {
    let round = RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)?;
    let rates = state.workspace.round_rates(&caller, &round).await?;
    Ok(Json(RatesBody {
        round: RoundBody::from(&rates.round),
        issued: rates.counts.issued,
        answered: rates.counts.answered,
        rate_permille: rates.rate_permille(),
        per_day: rates
            .per_day
            .iter()
            .map(|(date, answered)| DayBody {
                date: date.to_string(),
                answered: *answered,
            })
            .collect(),
    }))
}
