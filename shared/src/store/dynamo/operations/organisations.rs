//! Organisations and their access keys (responses table, so they are backed up).
//!
//! A key is stored three times, each copy whole: by the hash of its secret (signing in
//! and bearer tokens read it in one `GetItem`), by id (a session checks its key in one
//! `GetItem`) and in its organisation's list. All three are written and revoked in one
//! transaction, so they never disagree.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::Update;
use time::OffsetDateTime;

use super::wall_clock_nanos;
use crate::domain::*;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{
    Item, corrupt, item, n, named, optional_slug, s, slug, text, time_at,
};
use crate::store::dynamo::keys;
use crate::store::dynamo::reads::{PartitionQuery, SortKeys};
use crate::store::dynamo::transact::{NEW_ITEM, put, update};
use crate::store::*;

#[async_trait]
impl OrganisationStore for DynamoStore {
    async fn put_organisation(&self, organisation: &Organisation) -> StoreResult<()> {
        let attributes = [
            ("name", s(&organisation.name)),
            ("kind", s(organisation.kind.as_str())),
        ]
        .into_iter()
        .chain(
            organisation
                .network
                .as_ref()
                .map(|network| ("network", s(network.as_str()))),
        );
        self.client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(keys::organisation(&organisation.id), attributes)))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn organisation(&self, id: &OrganisationId) -> StoreResult<Option<Organisation>> {
        self.get(&self.tables.responses, keys::organisation(id))
            .await?
            .map(|stored| read_organisation(&stored))
            .transpose()
    }

    /// One `Query` of the organisations' partition, whose sort keys are their ids.
    async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        self.query(PartitionQuery {
            table: &self.tables.responses,
            pk: keys::organisations_partition(),
            sort_keys: SortKeys::All,
            newest_first: false,
            limit: None,
        })
        .await?
        .iter()
        .map(read_organisation)
        .collect()
    }
}

fn read_organisation(stored: &Item) -> StoreResult<Organisation> {
    Ok(Organisation {
        id: slug(stored, "sk")?,
        name: text(stored, "name")?.to_owned(),
        kind: named(stored, "kind", OrganisationKind::parse)?,
        network: optional_slug(stored, "network")?,
    })
}

const REVOKED_AT: &str = "revoked_at";
/// The sort key of a key's entry in its organisation's list.
const LISTED: &str = "listed";

#[async_trait]
impl AccessKeyStore for DynamoStore {
    async fn create_access_key(&self, key: &AccessKey, hash: &AccessKeyHash) -> StoreResult<()> {
        let table = &self.tables.responses;
        let created_at = key.created_at.unix_timestamp();
        let listed = keys::organisation_key_sort_key(created_at, wall_clock_nanos(), &key.id);
        let copy = |base: Item| {
            item(
                base,
                [
                    ("key_id", s(key.id.to_string())),
                    ("hash", s(hash.as_str())),
                    ("organisation", s(key.organisation.as_str())),
                    ("label", s(&key.label)),
                    ("created_at", n(created_at)),
                    (LISTED, s(listed.clone())),
                ]
                .into_iter()
                .chain(
                    key.revoked_at
                        .map(|at| (REVOKED_AT, n(at.unix_timestamp()))),
                ),
            )
        };
        let actions = vec![
            put(table, copy(keys::access_key_by_hash(hash)), Some(NEW_ITEM))?,
            put(table, copy(keys::access_key(&key.id)), Some(NEW_ITEM))?,
            put(
                table,
                copy(keys::organisation_key(&key.organisation, listed.clone())),
                None,
            )?,
        ];
        // A hash or an id already taken: as the embedded store's unique columns.
        match self.transact(actions).await? {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.any_condition_failed() => {
                Err(StoreError::DuplicateCredential)
            }
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }

    async fn access_key_by_hash(&self, hash: &AccessKeyHash) -> StoreResult<Option<AccessKey>> {
        self.get(&self.tables.responses, keys::access_key_by_hash(hash))
            .await?
            .map(|stored| read_access_key(&stored))
            .transpose()
    }

    async fn access_key(&self, id: &AccessKeyId) -> StoreResult<Option<AccessKey>> {
        self.get(&self.tables.responses, keys::access_key(id))
            .await?
            .map(|stored| read_access_key(&stored))
            .transpose()
    }

    /// One `Query` of the organisation's list, newest first (its sort keys start with
    /// the time the key was made).
    async fn access_keys(&self, organisation: &OrganisationId) -> StoreResult<Vec<AccessKey>> {
        self.query(PartitionQuery {
            table: &self.tables.responses,
            pk: keys::organisation_keys_partition(organisation),
            sort_keys: SortKeys::All,
            newest_first: true,
            limit: None,
        })
        .await?
        .iter()
        .map(read_access_key)
        .collect()
    }

    /// Reads the key by id (for its hash and list entry, which name the other copies),
    /// then sets `revoked_at` on all three in one transaction. The condition on the copy
    /// by id (this organisation's, not yet revoked) makes a concurrent second revocation
    /// `false`.
    async fn revoke_access_key(
        &self,
        organisation: &OrganisationId,
        id: &AccessKeyId,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let table = &self.tables.responses;
        let Some(stored) = self.get(table, keys::access_key(id)).await? else {
            return Ok(false);
        };
        let key = read_access_key(&stored)?;
        if key.organisation != *organisation || !key.is_active() {
            return Ok(false);
        }
        let hash = AccessKeyHash::from_stored(text(&stored, "hash")?.to_owned());
        let revoke = |key: Item, checked: bool| {
            let mut builder = Update::builder()
                .table_name(table)
                .set_key(Some(key))
                .update_expression("SET #revoked = :at")
                .expression_attribute_names("#revoked", REVOKED_AT)
                .expression_attribute_values(":at", n(at.unix_timestamp()));
            if checked {
                builder = builder
                    .condition_expression("#org = :org AND attribute_not_exists(#revoked)")
                    .expression_attribute_names("#org", "organisation")
                    .expression_attribute_values(":org", s(organisation.as_str()));
            }
            builder.build().map(update).map_err(StoreError::unavailable)
        };
        let listed = text(&stored, LISTED)?.to_owned();
        let actions = vec![
            revoke(keys::access_key(id), true)?,
            revoke(keys::access_key_by_hash(&hash), false)?,
            revoke(keys::organisation_key(organisation, listed), false)?,
        ];
        match self.transact(actions).await? {
            Ok(()) => Ok(true),
            Err(cancelled) if cancelled.condition_failed(0) => Ok(false),
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }
}

fn read_access_key(stored: &Item) -> StoreResult<AccessKey> {
    Ok(AccessKey {
        id: AccessKeyId::parse(text(stored, "key_id")?).ok_or_else(|| corrupt("key_id"))?,
        organisation: slug(stored, "organisation")?,
        label: text(stored, "label")?.to_owned(),
        created_at: time_at(stored, "created_at")?,
        revoked_at: stored
            .contains_key(REVOKED_AT)
            .then(|| time_at(stored, REVOKED_AT))
            .transpose()?,
    })
}
