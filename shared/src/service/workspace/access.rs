//! Access keys and the caller behind them.

use std::net::{IpAddr, Ipv6Addr};

use time::OffsetDateTime;

use super::{Caller, Workspace, WorkspaceError, WorkspaceResult};
use crate::domain::*;
use crate::service::guessing;
use crate::store::StoreError;

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

/// The longest label a key may have.
pub const KEY_LABEL_MAX: usize = 100;

/// What a sign-in with a pasted key came to.
#[derive(Debug)]
pub enum SignIn {
    SignedIn(Caller),
    /// Malformed, unknown or revoked: one answer for all, so a guesser learns nothing.
    Wrong,
    /// Too many failed sign-ins from this client lately; try again later.
    TooManyAttempts,
}

/// A key just made: what is listed about it, and the secret, shown once.
#[derive(Debug)]
pub struct CreatedKey {
    pub key: AccessKey,
    pub secret: AccessSecret,
}

/// Who acts for the command line (`keys create|list|revoke`): whoever runs it already
/// holds the store and its keys, so it needs no key of its own. Its lines in an
/// organisation's audit trail carry this label.
pub const OPERATOR_LABEL: &str = "Drift (kommandorad)";

impl Workspace {
    /// The client a request comes from, for the limit on failed sign-ins (shared with
    /// the respondent path's guessing limit). Without an address (router tests) every
    /// request counts as one client.
    pub fn client(&self, address: Option<IpAddr>) -> ClientKey {
        ClientKey::from_address(
            &self.hash_key,
            address.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        )
    }

    /// Whether `client` has used up its failed sign-ins for now (the form is not shown).
    pub async fn sign_in_blocked(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> WorkspaceResult<bool> {
        Ok(guessing::is_blocked(&*self.store, client, now).await?)
    }

    /// Signs in with a pasted key. A failed attempt counts towards the client's limit,
    /// exactly like a guessed short code; a blocked client is refused before the key is
    /// even looked at. A valid key records `sign_in` in its organisation's trail.
    pub async fn sign_in(
        &self,
        typed: &str,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> WorkspaceResult<SignIn> {
        if guessing::is_blocked(&*self.store, client, now).await? {
            return Ok(SignIn::TooManyAttempts);
        }
        match self.caller_by_secret(typed).await? {
            Some(caller) => {
                self.record(&caller, AuditAction::SignIn, "", AuditResult::Done)
                    .await?;
                Ok(SignIn::SignedIn(caller))
            }
            None => {
                guessing::record_failure(&*self.store, client, now).await?;
                Ok(SignIn::Wrong)
            }
        }
    }

    /// Records the end of a session (the cookie itself is removed by the caller).
    pub async fn sign_out(&self, caller: &Caller) -> WorkspaceResult<()> {
        self.record(caller, AuditAction::SignOut, "", AuditResult::Done)
            .await
    }

    /// The caller for the command line, acting for `organisation`. `NotFound` for an
    /// organisation that does not exist.
    pub async fn operator(&self, organisation: &str) -> WorkspaceResult<Caller> {
        let id = OrganisationId::parse(organisation).map_err(|_| WorkspaceError::NotFound)?;
        let organisation = self
            .store
            .organisation(&id)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        Ok(Caller {
            organisation,
            // Names no stored key: revoking "the current key" never matches it.
            key_id: AccessKeyId::random(),
            key_label: OPERATOR_LABEL.to_owned(),
        })
    }

    /// The caller's organisation's keys, newest first, revoked ones included.
    pub async fn keys(&self, caller: &Caller) -> WorkspaceResult<Vec<AccessKey>> {
        Ok(self.store.access_keys(&caller.organisation.id).await?)
    }

    /// Makes a key for the caller's organisation. `label` (trimmed) must be 1 to
    /// [`KEY_LABEL_MAX`] characters. The secret is returned once and never stored.
    pub async fn create_key(&self, caller: &Caller, label: &str) -> WorkspaceResult<CreatedKey> {
        let label = label.trim();
        let length = label.chars().count();
        if length == 0 || length > KEY_LABEL_MAX {
            return Err(WorkspaceError::invalid(
                "label",
                format!("Skriv vem eller vad nyckeln är till, 1–{KEY_LABEL_MAX} tecken."),
            ));
        }
        let key = AccessKey {
            id: AccessKeyId::random(),
            organisation: caller.organisation.id.clone(),
            label: label.to_owned(),
            created_at: Self::now(),
            revoked_at: None,
        };
        // 160 random bits: a collision is not a real possibility, but the store refuses
        // one rather than overwrite; then one more secret is drawn.
        let mut attempts = 0;
        let secret = loop {
            let secret = AccessSecret::generate();
            match self
                .store
                .create_access_key(&key, &secret.hash(&self.hash_key))
                .await
            {
                Ok(()) => break secret,
                Err(StoreError::DuplicateCredential) if attempts < 2 => attempts += 1,
                Err(error) => return Err(error.into()),
            }
        };
        self.record(
            caller,
            AuditAction::KeyCreated,
            key_object(&key),
            AuditResult::Done,
        )
        .await?;
        Ok(CreatedKey { key, secret })
    }

    /// Revokes one of the caller's organisation's keys: every session made from it ends
    /// at its next request. Another organisation's key or an unknown id is `NotFound`;
    /// one already revoked is a `Conflict`.
    pub async fn revoke_key(&self, caller: &Caller, id: &str) -> WorkspaceResult<AccessKey> {
        let id = AccessKeyId::parse(id.trim()).ok_or(WorkspaceError::NotFound)?;
        let key = match self.store.access_key(&id).await? {
            Some(key) if key.organisation == caller.organisation.id => key,
            _ => return Err(WorkspaceError::NotFound),
        };
        let at = Self::now();
        if !key.is_active()
            || !self
                .store
                .revoke_access_key(&caller.organisation.id, &id, at)
                .await?
        {
            let reason = "Nyckeln var redan återkallad.";
            self.record(
                caller,
                AuditAction::KeyRevoked,
                key_object(&key),
                AuditResult::Refused(reason.into()),
            )
            .await?;
            return Err(WorkspaceError::Conflict(reason.into()));
        }
        self.record(
            caller,
            AuditAction::KeyRevoked,
            key_object(&key),
            AuditResult::Done,
        )
        .await?;
        Ok(AccessKey {
            revoked_at: Some(at),
            ..key
        })
    }
}

/// How a key is named in the audit trail: its label and id, never its secret.
fn key_object(key: &AccessKey) -> String {
    format!("{} ({})", key.label, key.id)
}
