//! Organisations and their access keys (only the keys' hashes).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::{EmbeddedStore, parse_stored};
use crate::domain::questionnaire::Slug;
use crate::domain::*;
use crate::store::*;

#[async_trait]
impl OrganisationStore for EmbeddedStore {
    async fn put_organisation(&self, organisation: &Organisation) -> StoreResult<()> {
        let organisation = organisation.clone();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO organisations (id, name, kind, network) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                     network = excluded.network",
            )?
            .execute(params![
                organisation.id.as_str(),
                organisation.name,
                organisation.kind.as_str(),
                organisation
                    .network
                    .as_ref()
                    .map(|network| network.as_str()),
            ])?;
            Ok(())
        })
        .await
    }

    async fn organisation(&self, id: &OrganisationId) -> StoreResult<Option<Organisation>> {
        let id = id.as_str().to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {ORGANISATION_COLUMNS} FROM organisations WHERE id = ?1"
            ))?
            .query_row([id], organisation_row)
            .optional()?
            .map(into_organisation)
            .transpose()
        })
        .await
    }

    async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {ORGANISATION_COLUMNS} FROM organisations ORDER BY id"
            ))?
            .query_map([], organisation_row)?
            .map(|row| into_organisation(row?))
            .collect()
        })
        .await
    }
}

const ORGANISATION_COLUMNS: &str = "id, name, kind, network";

type OrganisationRow = (String, String, String, Option<String>);

fn organisation_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OrganisationRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn into_organisation((id, name, kind, network): OrganisationRow) -> StoreResult<Organisation> {
    Ok(Organisation {
        id: parse_stored(Slug::parse(&id).ok(), "organisation id")?,
        name,
        kind: parse_stored(OrganisationKind::parse(&kind), "organisation kind")?,
        network: network
            .map(|network| parse_stored(Slug::parse(&network).ok(), "network id"))
            .transpose()?,
    })
}

#[async_trait]
impl AccessKeyStore for EmbeddedStore {
    async fn create_access_key(&self, key: &AccessKey, hash: &AccessKeyHash) -> StoreResult<()> {
        let key = key.clone();
        let hash = hash.as_str().to_owned();
        self.write(move |conn| {
            // Both the id and the hash are unique: either taken leaves nothing written.
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO access_keys (id, hash, organisation, label, created_at, revoked_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    key.id.to_string(),
                    hash,
                    key.organisation.as_str(),
                    key.label,
                    key.created_at.unix_timestamp(),
                    key.revoked_at.map(OffsetDateTime::unix_timestamp),
                ])?;
            if inserted == 0 {
                return Err(StoreError::DuplicateCredential);
            }
            Ok(())
        })
        .await
    }

    async fn access_key_by_hash(&self, hash: &AccessKeyHash) -> StoreResult<Option<AccessKey>> {
        let hash = hash.as_str().to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM access_keys WHERE hash = ?1"
            ))?
            .query_row([hash], key_row)
            .optional()?
            .map(into_key)
            .transpose()
        })
        .await
    }

    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKey>> {
        let id = id.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM access_keys WHERE id = ?1"
            ))?
            .query_row([id], key_row)
            .optional()?
            .map(into_key)
            .transpose()
        })
        .await
    }

    async fn access_keys(&self, organisation: &OrganisationId) -> StoreResult<Vec<AccessKey>> {
        let organisation = organisation.as_str().to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM access_keys WHERE organisation = ?1
                 ORDER BY created_at DESC, rowid DESC"
            ))?
            .query_map([organisation], key_row)?
            .map(|row| into_key(row?))
            .collect()
        })
        .await
    }

    async fn revoke_access_key(
        &self,
        organisation: &OrganisationId,
        id: &AccessKeyId,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let organisation = organisation.as_str().to_owned();
        let id = id.to_string();
        self.write(move |conn| {
            let revoked = conn
                .prepare_cached(
                    "UPDATE access_keys SET revoked_at = ?3
                     WHERE id = ?1 AND organisation = ?2 AND revoked_at IS NULL",
                )?
                .execute(params![id, organisation, at.unix_timestamp()])?;
            Ok(revoked > 0)
        })
        .await
    }
}

const KEY_COLUMNS: &str = "id, organisation, label, created_at, revoked_at";

type KeyRow = (String, String, String, i64, Option<i64>);

fn key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn into_key((id, organisation, label, created_at, revoked_at): KeyRow) -> StoreResult<AccessKey> {
    let time =
        |seconds: i64, what| parse_stored(OffsetDateTime::from_unix_timestamp(seconds).ok(), what);
    Ok(AccessKey {
        id: parse_stored(AccessKeyId::parse(&id), "access key id")?,
        organisation: parse_stored(Slug::parse(&organisation).ok(), "organisation id")?,
        label,
        created_at: time(created_at, "creation time")?,
        revoked_at: revoked_at
            .map(|seconds| time(seconds, "revocation time"))
            .transpose()?,
    })
}
