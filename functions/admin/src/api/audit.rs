//! The audit trail, a page at a time, newest first.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use svar_shared::domain::{AuditEntry, AuditResult};
use utoipa::{IntoParams, ToSchema};

use super::bodies::date_time;
use super::{ApiQuery, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The `next` of the previous page; left out for the newest page.
    pub after: Option<String>,
}

/// One line of the trail: never a key, a token or an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    #[schema(format = DateTime)]
    pub at: String,
    /// The label of the key that acted.
    pub key_label: String,
    #[schema(schema_with = super::bodies::audit_action)]
    pub action: String,
    /// What was acted on: a round's id, a key's label and id, a count.
    pub object: String,
    /// `done` or `refused`.
    #[schema(pattern = "^(done|refused)$")]
    pub outcome: String,
    /// Why it was refused; `null` when done.
    pub reason: Option<String>,
}

impl From<&AuditEntry> for AuditEntryBody {
    fn from(entry: &AuditEntry) -> Self {
        let (outcome, reason) = match &entry.result {
            AuditResult::Done => ("done", None),
            AuditResult::Refused(reason) => ("refused", Some(reason.clone())),
        };
        AuditEntryBody {
            at: date_time(entry.at),
            key_label: entry.key_label.clone(),
            action: entry.action.as_str().to_owned(),
            object: entry.object.clone(),
            outcome: outcome.to_owned(),
            reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageBody {
    pub entries: Vec<AuditEntryBody>,
    /// Pass as `after` for the next, older page; `null` on the last page.
    pub next: Option<String>,
}

/// One page of the organisation's audit trail, newest first.
#[utoipa::path(
    get,
    path = "/api/audit",
    operation_id = "audit_trail",
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of the trail.", body = AuditPageBody),
        (status = 400, description = "The query could not be decoded (`bad_request`).", body = ApiError),
    ),
)]
pub async fn page(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPageBody>> {
    let page = state
        .workspace
        .audit_page(&caller, query.after.as_deref())
        .await?;
    Ok(Json(AuditPageBody {
        entries: page.entries.iter().map(AuditEntryBody::from).collect(),
        next: page.next.map(|cursor| cursor.0),
    }))
}
