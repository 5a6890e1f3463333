//! Access keys and the caller behind them.

use time::OffsetDateTime;

use super::{Caller, Workspace, WorkspaceResult};
use crate::domain::*;

impl Workspace {
    /// The caller a pasted key secret stands for: `None` for a malformed, unknown or
    /// revoked key (the same answer for each, so a guesser learns nothing).
    pub async fn caller_by_secret(&self, typed: &str) -> WorkspaceResult<Option<Caller>> {
        let Some(secret) = AccessSecret::parse(typed) else {
            return Ok(None);
        };
        let Some(key) = self
            .store
            .access_key_by_hash(&secret.hash(&self.hash_key))
            .await?
        else {
            return Ok(None);
        };
        self.caller_for(key).await
    }

    /// The caller behind a session: `None` once its key is revoked (which ends every
    /// session made from it) or when the key is not the organisation's.
    pub async fn caller_by_key_id(
        &self,
        organisation: &OrganisationId,
        key_id: &AccessKeyId,
    ) -> WorkspaceResult<Option<Caller>> {
        match self.store.access_key(key_id).await? {
            Some(key) if &key.organisation == organisation => self.caller_for(key).await,
            _ => Ok(None),
        }
    }

    async fn caller_for(&self, key: AccessKey) -> WorkspaceResult<Option<Caller>> {
        if !key.is_active() {
            return Ok(None);
        }
        let Some(organisation) = self.store.organisation(&key.organisation).await? else {
            return Ok(None);
        };
        Ok(Some(Caller {
            organisation,
            key_id: key.id,
            key_label: key.label,
        }))
    }

    /// Now, to the second: what records are stamped with.
    pub fn now() -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(0).unwrap_or(now)
    }
}
