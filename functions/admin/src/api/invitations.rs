//! Invitations made through the API: a batch's credentials come back in the answer
//! that makes it, the only time they exist outside the store's hashes.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use svar_shared::domain::{BatchId, RoundId};
use svar_shared::service::workspace::invitations::{BatchSize, MadeBatch, PublicUrl};
use svar_shared::service::workspace::{Caller, WorkspaceError};
use utoipa::ToSchema;

use super::bodies::{self, date_time};
use super::{ApiJson, ApiPath, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::{AdminError, ApiError};

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewInvitationsBody {
    /// How many invitations to make, 1 to 20 000.
    #[schema(minimum = 1, maximum = 20000, example = 100)]
    pub count: u64,
}

/// One invitation's credentials, for a mail merge: no personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationBody {
    /// The invitation's running number in its round.
    pub number: u32,
    /// The single-use link.
    pub link: String,
    /// The short code for the paper letter, e.g. `ABCDE-FGHJK`.
    pub code: String,
}

/// One of a round's batches, without its credentials.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchSummaryBody {
    #[schema(format = Uuid)]
    pub id: String,
    /// first: made new; reissue: replaces a lost batch; reminder: reminders.
    #[schema(schema_with = bodies::batch_kind)]
    pub kind: &'static str,
    /// How many invitations the batch holds.
    pub count: u64,
    /// When it was made, RFC 3339.
    #[schema(format = DateTime)]
    pub created: String,
}

/// A batch just made.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchBody {
    #[schema(format = Uuid)]
    pub batch: String,
    /// Downloads the batch's CSV and letters again in the workspace. Shown this once,
    /// never stored: keep it like the links themselves.
    pub secret: String,
    pub invitations: Vec<InvitationBody>,
}

/// Makes invitations for a patient round that is planned or open, and answers with
/// their links and codes. Later only their hashes exist: a lost answer is replaced by
/// reissuing the batch in the workspace.
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/invitations",
    operation_id = "make_invitations",
    tag = "invitations",
    params(("id" = String, Path, description = "The round's id.")),
    request_body = NewInvitationsBody,
    responses(
        (status = 201, description = "The batch, its secret and every invitation's link and code.", body = BatchBody),
        (status = 400, description = "The body is not JSON, or the request has no usable Host (`bad_request`).", body = ApiError),
        (status = 403, description = "Not a round this organisation makes invitations for (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such patient round of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "The round is closed (`conflict`).", body = ApiError),
        (status = 413, description = "The body is too large (`payload_too_large`).", body = ApiError),
        (status = 422, description = "A count outside 1 to 20 000 (`invalid`, `field`: `count` or `body`).", body = ApiError),
    ),
)]
pub async fn make(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewInvitationsBody>,
) -> ApiResult<(StatusCode, Json<BatchBody>)> {
    let round = RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)?;
    let size = BatchSize::new(body.count).map_err(count_field)?;
    let base = public_url(&state, &headers)?;
    let made = state.workspace.generate(&caller, &round, size).await?;
    created_batch(&state, &caller, made, &base).await
}

/// The round's batches, oldest first: what was made when, never a credential.
#[utoipa::path(
    get,
    path = "/api/rounds/{id}/batches",
    operation_id = "round_batches",
    tag = "invitations",
    params(("id" = String, Path, description = "The round's id.")),
    responses(
        (status = 200, description = "The round's batches.", body = Vec<BatchSummaryBody>),
        (status = 403, description = "Not a round this organisation makes invitations for (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such patient round of this organisation (`not_found`).", body = ApiError),
    ),
)]
pub async fn batches(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<BatchSummaryBody>>> {
    let round = RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)?;
    let overview = state
        .workspace
        .invitations_overview(&caller, &round)
        .await?;
    Ok(Json(
        overview
            .batches
            .iter()
            .map(|batch| BatchSummaryBody {
                id: batch.id.to_string(),
                kind: batch.kind.as_str(),
                count: batch.numbers.len() as u64,
                created: date_time(batch.created_at),
            })
            .collect(),
    ))
}

/// Reminders for every invitation of an open round not yet answered that has had
/// fewer than two: new credentials beside the old ones, answered like making invitations.
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/reminders",
    operation_id = "make_reminders",
    tag = "invitations",
    params(("id" = String, Path, description = "The round's id.")),
    responses(
        (status = 201, description = "The reminder batch, its secret and every reminder's link and code.", body = BatchBody),
        (status = 400, description = "The request has no usable Host (`bad_request`).", body = ApiError),
        (status = 403, description = "Not a round this organisation makes invitations for (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such patient round of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "The round is not open, or no invitation can get a reminder (`conflict`).", body = ApiError),
    ),
)]
pub async fn remind(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<BatchBody>)> {
    let round = RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)?;
    let base = public_url(&state, &headers)?;
    let made = state.workspace.remind(&caller, &round).await?;
    created_batch(&state, &caller, made, &base).await
}

/// New credentials for every invitation of a lost batch; the lost batch's stop working.
#[utoipa::path(
    post,
    path = "/api/rounds/{id}/batches/{batch}/reissue",
    operation_id = "reissue_batch",
    tag = "invitations",
    params(
        ("id" = String, Path, description = "The round's id."),
        ("batch" = String, Path, description = "The lost batch's id."),
    ),
    responses(
        (status = 201, description = "The new batch, its secret and every invitation's new link and code.", body = BatchBody),
        (status = 400, description = "The request has no usable Host (`bad_request`).", body = ApiError),
        (status = 403, description = "Not a round this organisation makes invitations for (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such patient round of this organisation, or no such batch in it (`not_found`).", body = ApiError),
        (status = 409, description = "The round is closed (`conflict`).", body = ApiError),
    ),
)]
pub async fn reissue(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath((id, batch)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<BatchBody>)> {
    let round = RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)?;
    let lost = BatchId::parse(batch.trim()).ok_or(WorkspaceError::NotFound)?;
    let base = public_url(&state, &headers)?;
    let made = state.workspace.reissue(&caller, &round, &lost).await?;
    created_batch(&state, &caller, made, &base).await
}

/// A batch just made, with its rows: the same as the batch's CSV download (which also
/// records the download), read with the secret while it still exists.
async fn created_batch(
    state: &AdminState,
    caller: &Caller,
    made: MadeBatch,
    base: &PublicUrl,
) -> ApiResult<(StatusCode, Json<BatchBody>)> {
    let secret = made.secret.to_text();
    let (_, rows) = state
        .workspace
        .download(caller, &made.round.id, &made.batch.id, &secret, base, None)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(BatchBody {
            batch: made.batch.id.to_string(),
            secret,
            invitations: rows
                .into_iter()
                .map(|row| InvitationBody {
                    number: row.number,
                    link: row.link,
                    code: row.code,
                })
                .collect(),
        }),
    ))
}

/// The service names the form's field (`antal`); the API's property is `count`.
fn count_field(error: WorkspaceError) -> WorkspaceError {
    match error {
        WorkspaceError::Invalid { message, .. } => WorkspaceError::invalid("count", message),
        other => other,
    }
}

/// Links start with the address the caller used (as in the workspace's downloads).
fn public_url(state: &AdminState, headers: &HeaderMap) -> Result<PublicUrl, AdminError> {
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| PublicUrl::from_host(host, state.secure_cookies))
        .ok_or_else(|| AdminError::BadForm("no usable Host header".into()))
}
