//! Access keys: list, make (the secret is in this one answer only), revoke.

use axum::Json;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use svar_shared::domain::AccessKey;
use utoipa::ToSchema;

use super::bodies::date_time;
use super::{ApiJson, ApiPath, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use axum::extract::State;

/// An access key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBody {
    #[schema(format = Uuid)]
    pub id: String,
    pub label: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was revoked; `null` while it is active.
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    pub active: bool,
}

impl From<&AccessKey> for KeyBody {
    fn from(key: &AccessKey) -> Self {
        KeyBody {
            id: key.id.to_string(),
            label: key.label.clone(),
            created_at: date_time(key.created_at),
            revoked_at: key.revoked_at.map(date_time),
            active: key.is_active(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewKeyBody {
    /// Who or what the key is for, 1 to 100 characters, e.g. "Statistikexport".
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub label: String,
}

/// A key just made, with its secret: shown this once, only its keyed hash is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKeyBody {
    pub key: KeyBody,
    /// `svar_` and 32 characters. Keep it like a password.
    pub secret: String,
}

/// The organisation's keys, newest first, revoked ones included.
#[utoipa::path(
    get,
    path = "/api/keys",
    operation_id = "list_keys",
    tag = "access",
    responses((status = 200, description = "The keys.", body = Vec<KeyBody>)),
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<KeyBody>>> {
    let keys = state.workspace.keys(&caller).await?;
    Ok(Json(keys.iter().map(KeyBody::from).collect()))
}

/// Makes a key for the organisation.
#[utoipa::path(
    post,
    path = "/api/keys",
    operation_id = "create_key",
    tag = "access",
    request_body = NewKeyBody,
    responses(
        (status = 201, description = "The key and its secret, shown this once.", body = CreatedKeyBody),
        (status = 400, description = "The body is not JSON (`bad_request`).", body = crate::error::ApiError),
        (status = 413, description = "The body is too large (`payload_too_large`).", body = crate::error::ApiError),
        (status = 422, description = "No label, or a label too long (`invalid`, `field`: `label` or `body`).", body = crate::error::ApiError),
    ),
)]
pub async fn create(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewKeyBody>,
) -> ApiResult<(StatusCode, Json<CreatedKeyBody>)> {
    let created = state.workspace.create_key(&caller, &body.label).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKeyBody {
            key: KeyBody::from(&created.key),
            secret: created.secret.reveal().to_owned(),
        }),
    ))
}

/// Revokes a key: it stops working at once, and so does every session made from it.
#[utoipa::path(
    post,
    path = "/api/keys/{id}/revoke",
    operation_id = "revoke_key",
    tag = "access",
    params(("id" = String, Path, description = "The key's id.")),
    responses(
        (status = 200, description = "The key, now revoked.", body = KeyBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = crate::error::ApiError),
        (status = 404, description = "No such key of this organisation (`not_found`).", body = crate::error::ApiError),
        (status = 409, description = "The key was already revoked (`conflict`).", body = crate::error::ApiError),
    ),
)]
pub async fn revoke(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<KeyBody>> {
    let key = state.workspace.revoke_key(&caller, &id).await?;
    Ok(Json(KeyBody::from(&key)))
}
