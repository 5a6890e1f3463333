//! `GET /api/me`: whom a key belongs to. The first call a script makes, to see that its
//! key works and which organisation it acts for.

use axum::Json;
use serde::Serialize;
use svar_shared::domain::OrganisationKind;
use utoipa::ToSchema;

use crate::Caller;
use crate::auth::ApiCaller;

/// The organisation a key acts for, and the key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub organisation: OrganisationBody,
    /// The key's id (as listed under `/api/keys`).
    #[schema(format = "uuid")]
    pub key_id: String,
    pub key_label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationBody {
    /// Short id, e.g. `kungalv`.
    pub id: String,
    pub name: String,
    pub kind: OrganisationKindBody,
    /// The network a municipality belongs to; `null` for a network.
    pub network: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKindBody {
    Municipality,
    Network,
}

impl From<&Caller> for Me {
    fn from(caller: &Caller) -> Self {
        let organisation = &caller.organisation;
        Me {
            organisation: OrganisationBody {
                id: organisation.id.as_str().to_owned(),
                name: organisation.name.clone(),
                kind: match organisation.kind {
                    OrganisationKind::Municipality => OrganisationKindBody::Municipality,
                    OrganisationKind::Network => OrganisationKindBody::Network,
                },
                network: organisation.network.as_ref().map(|n| n.as_str().to_owned()),
            },
            key_id: caller.key_id.to_string(),
            key_label: caller.key_label.clone(),
        }
    }
}

/// Who the key belongs to.
#[utoipa::path(
    get,
    path = "/api/me",
    operation_id = "me",
    tag = "access",
    responses((status = 200, description = "The key's organisation and label.", body = Me)),
)]
pub async fn me(ApiCaller(caller): ApiCaller) -> Json<Me> {
    Json(Me::from(&caller))
}
