//! Invitations in bulk (invitations table): running numbers, batches of invitations,
//! credentials added by a reissue or reminder, and a round's invitations by number.
//! Undoing a batch is in `batch_undo`.
//!
//! A batch of 20,000 is 20,000 invitations with two credentials each: far more than one
//! transaction holds (100 actions), so it is written as many transactions, several in
//! flight at once. Each invitation is whole in one transaction (its item, its credentials
//! and its number), so a failure leaves whole invitations or none of one. The batch record
//! is written first, so a failure can always be undone from it (`delete_batch`), which the
//! batch's own call does before it returns the error.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, Update};

use super::batch_records::{
    batch_credentials, batch_record, credentials_map, has_duplicates, read_batch,
};
use super::setup::{credential_item, delete_after, invitation_item, with_round_data};
use super::{BATCHES, ISSUED, NUMBERS_RESERVED, REMINDERS, update_condition_failed};
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{
    Item, TTL_ATTRIBUTE, corrupt, item, n, number, parse_invitation_status, s, text,
};
use crate::store::dynamo::keys;
use crate::store::dynamo::reads::{PartitionQuery, SortKeys};
use crate::store::dynamo::transact::{
    ACTIONS_PER_TRANSACTION, Cancelled, Chunk, EXISTING_ITEM, NEW_ITEM, delete, put, update,
};
use crate::store::*;

/// Actions per new invitation: its item, two credentials, its number.
const ACTIONS_PER_NEW_INVITATION: usize = 4;
/// Actions per invitation given credentials (its item, two credentials), and per
/// invitation losing those of a lost batch (its item, two credentials).
const ACTIONS_PER_CHANGED_INVITATION: usize = 3;

#[async_trait]
impl InvitationAdminStore for DynamoStore {
    /// `UpdateItem` on the round: `ADD numbers_reserved count` if it exists, returning
    /// the new value; DynamoDB applies concurrent updates of one item one after another.
    async fn reserve_numbers(&self, round: &RoundId, count: u32) -> StoreResult<u32> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::round(round)))
            .update_expression("ADD #reserved :count")
            .condition_expression(EXISTING_ITEM)
            .expression_attribute_names("#reserved", NUMBERS_RESERVED)
            .expression_attribute_values(":count", n(count))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(error) if update_condition_failed(&error) => return Err(StoreError::UnknownRound),
            Err(error) => return Err(StoreError::unavailable(error)),
        };
        let reserved: u64 = number(&output.attributes.unwrap_or_default(), NUMBERS_RESERVED)?;
        u32::try_from(reserved)
            .ok()
            .and_then(|reserved| reserved.checked_sub(count))
            .map(|before| before + 1)
            .ok_or_else(|| StoreError::Corrupt("running numbers are used up".into()))
    }

    /// First one transaction: the batch record and `ADD issued` on the round (so the
    /// count is raised exactly once, and `delete_batch` lowers it with the record's
    /// deletion). Then the invitations, [`ACTIONS_PER_NEW_INVITATION`] actions each, in
    /// transactions of 25, several at once.
    async fn create_batch(
        &self,
        batch: &StoredBatch,
        invitations: &[NewInvitation],
    ) -> StoreResult<()> {
        if invitations
            .iter()
            .any(|new| new.invitation.round != batch.round)
        {
            return Err(StoreError::Corrupt(
                "a batch holds an invitation of another round".into(),
            ));
        }
        if has_duplicates(
            invitations
                .iter()
                .flat_map(|new| [&new.link_hash, &new.code_hash]),
        ) {
            // One transaction may not write an item twice; a duplicate anyway.
            return Err(StoreError::DuplicateCredential);
        }
        let Some(round) = self.round(&batch.round).await? else {
            return Err(StoreError::UnknownRound);
        };
        let table = &self.tables.invitations;
        let kept_until = invitations
            .iter()
            .map(|new| delete_after(new.invitation.expires_at))
            .max();
        let count = u64::try_from(invitations.len()).unwrap_or(u64::MAX);
        let raise_issued = Update::builder()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::round(&batch.round)))
            .update_expression("ADD #issued :count")
            .condition_expression(EXISTING_ITEM)
            .expression_attribute_names("#issued", ISSUED)
            .expression_attribute_values(":count", n(count))
            .build()
            .map_err(StoreError::unavailable)?;
        let actions = vec![
            put(table, batch_record(batch, kept_until)?, Some(NEW_ITEM))?,
            update(raise_issued),
        ];
        match self.transact(actions).await? {
            Ok(()) => {}
            Err(cancelled) if cancelled.condition_failed(1) => {
                return Err(StoreError::UnknownRound);
            }
            Err(cancelled) => return Err(batch_taken(cancelled)),
        }
        if let Some(highest) = invitations.iter().map(|new| new.number).max() {
            self.reserved_at_least(&batch.round, highest).await?;
        }

        // Built as they are sent (see `transact_chunks`), not all 800 of a big batch first.
        // (By index: a closure over a borrowed slice is not accepted in this Send future.)
        let per_chunk = ACTIONS_PER_TRANSACTION / ACTIONS_PER_NEW_INVITATION;
        let chunks =
            (0..invitations.len().div_ceil(per_chunk)).map(|index| -> StoreResult<Chunk> {
                let start = index * per_chunk;
                let group = &invitations[start..(start + per_chunk).min(invitations.len())];
                let mut chunk = Chunk {
                    actions: Vec::with_capacity(group.len() * ACTIONS_PER_NEW_INVITATION),
                    credentials: Vec::with_capacity(group.len() * 3),
                };
                for new in group {
                    let new = with_round_data(new, &round);
                    let id = &new.invitation.id;
                    let delete_after = n(delete_after(new.invitation.expires_at));
                    let credentials = credentials_map(&new.link_hash, &new.code_hash);
                    let batches = AttributeValue::M([(batch.id.to_string(), credentials)].into());
                    let listed = item(
                        keys::round_invitation(&batch.round, new.number, id),
                        [
                            ("invitation", s(id.to_string())),
                            (TTL_ATTRIBUTE, delete_after.clone()),
                        ],
                    );
                    // An invitation id already there is a duplicate, as its credentials are.
                    chunk.credentials.push(chunk.actions.len());
                    let stored = invitation_item(&new, batches);
                    chunk.actions.push(put(table, stored, Some(NEW_ITEM))?);
                    for hash in [&new.link_hash, &new.code_hash] {
                        chunk.credentials.push(chunk.actions.len());
                        let credential = credential_item(hash, id, &delete_after);
                        chunk.actions.push(put(table, credential, Some(NEW_ITEM))?);
                    }
                    chunk.actions.push(put(table, listed, None)?);
                }
                Ok(chunk)
            });
        let written = self.transact_chunks(chunks, "writing a batch").await;
        self.undone_on_failure(&batch.round, &batch.id, written)
            .await
    }

    /// Checks the round and reads the invitations (for their round and time to live),
    /// writes the batch record, then per invitation in one transaction: `Update` it (the
    /// batch's credentials into `batches`; a reminder `ADD reminders 1`) if it is in the
    /// batch's round, `Put` the new credentials if new. 33 invitations a transaction. Only
    /// once all are written does a reissue revoke the lost batch's credentials (and
    /// remove its entries), so a failure leaves the old credentials working.
    async fn add_credentials(
        &self,
        batch: &StoredBatch,
        replaces: Option<&BatchId>,
        credentials: &[(InvitationId, CredentialHash, CredentialHash)],
    ) -> StoreResult<()> {
        if has_duplicates(credentials.iter().flat_map(|(_, link, code)| [link, code])) {
            return Err(StoreError::DuplicateCredential);
        }
        if self.round(&batch.round).await?.is_none() {
            return Err(StoreError::UnknownRound);
        }
        let table = &self.tables.invitations;
        let stored = self
            .invitations_by_id(credentials.iter().map(|(id, _, _)| id))
            .await?;
        let round_text = batch.round.to_string();
        let in_round = |id: &InvitationId| {
            stored
                .get(id)
                .filter(|stored| text(stored, "round").ok() == Some(round_text.as_str()))
        };
        if credentials.iter().any(|(id, _, _)| in_round(id).is_none()) {
            return Err(StoreError::Corrupt(
                "new credentials for an invitation not in the batch's round".into(),
            ));
        }
        let kept_until = stored
            .values()
            .filter_map(|stored| number::<i64>(stored, TTL_ATTRIBUTE).ok())
            .max();
        let record = batch_record(batch, kept_until)?;
        if let Err(cancelled) = self
            .transact(vec![put(table, record, Some(NEW_ITEM))?])
            .await?
        {
            return Err(batch_taken(cancelled));
        }

        let batch_id = batch.id.to_string();
        let mut chunks = Vec::new();
        for group in credentials.chunks(ACTIONS_PER_TRANSACTION / ACTIONS_PER_CHANGED_INVITATION) {
            let mut chunk = Chunk {
                actions: Vec::with_capacity(group.len() * ACTIONS_PER_CHANGED_INVITATION),
                credentials: Vec::with_capacity(group.len() * 2),
            };
            for (id, link, code) in group {
                let mut expression = "SET #batches.#batch = :credentials".to_owned();
                let mut change = Update::builder()
                    .table_name(table)
                    .set_key(Some(keys::invitation(id)))
                    .condition_expression("attribute_exists(pk) AND #round = :round")
                    .expression_attribute_names("#batches", BATCHES)
                    .expression_attribute_names("#batch", &batch_id)
                    .expression_attribute_names("#round", "round")
                    .expression_attribute_values(":round", s(&round_text))
                    .expression_attribute_values(":credentials", credentials_map(link, code));
                if batch.kind == BatchKind::Reminder {
                    expression.push_str(" ADD #reminders :one");
                    change = change
                        .expression_attribute_names("#reminders", REMINDERS)
                        .expression_attribute_values(":one", n(1));
                }
                let change = change
                    .update_expression(expression)
                    .build()
                    .map_err(StoreError::unavailable)?;
                chunk.actions.push(update(change));
                let delete_after = in_round(id)
                    .and_then(|stored| stored.get(TTL_ATTRIBUTE).cloned())
                    .unwrap_or_else(|| n(batch.created_at.unix_timestamp()));
                for hash in [link, code] {
                    chunk.credentials.push(chunk.actions.len());
                    let credential = credential_item(hash, id, &delete_after);
                    chunk.actions.push(put(table, credential, Some(NEW_ITEM))?);
                }
            }
            chunks.push(chunk);
        }
        let written = self
            .transact_chunks(
                chunks.into_iter().map(Ok),
                "credentials for an invitation not in the batch's round",
            )
            .await;
        self.undone_on_failure(&batch.round, &batch.id, written)
            .await?;

        let Some(lost) = replaces else {
            return Ok(());
        };
        let mut chunks = Vec::new();
        let mut actions = Vec::new();
        for (id, _, _) in credentials {
            let Some(hashes) = in_round(id).and_then(|stored| batch_credentials(stored, lost))
            else {
                continue;
            };
            if actions.len() + ACTIONS_PER_CHANGED_INVITATION > ACTIONS_PER_TRANSACTION {
                chunks.push(Chunk {
                    actions: std::mem::take(&mut actions),
                    credentials: Vec::new(),
                });
            }
            let revoke = Update::builder()
                .table_name(table)
                .set_key(Some(keys::invitation(id)))
                .update_expression("REMOVE #batches.#lost")
                .expression_attribute_names("#batches", BATCHES)
                .expression_attribute_names("#lost", lost.to_string())
                .build()
                .map_err(StoreError::unavailable)?;
            actions.push(update(revoke));
            for hash in hashes {
                actions.push(delete(table, keys::credential(&hash))?);
            }
        }
        if !actions.is_empty() {
            chunks.push(Chunk {
                actions,
                credentials: Vec::new(),
            });
        }
        self.transact_chunks(chunks.into_iter().map(Ok), "revoking a lost batch")
            .await
    }

    async fn delete_batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<()> {
        self.undo_batch(round, batch).await
    }

    async fn batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<Option<StoredBatch>> {
        self.get(&self.tables.invitations, keys::batch(round, batch))
            .await?
            .map(|stored| read_batch(&stored))
            .transpose()
    }

    /// One `Query` of the round's batches, sorted by when they were made.
    async fn batches(&self, round: &RoundId) -> StoreResult<Vec<StoredBatch>> {
        let stored = self
            .query(PartitionQuery {
                table: &self.tables.invitations,
                pk: keys::batches_partition(round),
                sort_keys: SortKeys::All,
                newest_first: false,
                limit: None,
            })
            .await?;
        let mut batches = stored
            .iter()
            .map(|stored| Ok((read_batch(stored)?, number::<u128>(stored, "written")?)))
            .collect::<StoreResult<Vec<_>>>()?;
        batches.sort_by_key(|(batch, written)| (batch.created_at, *written));
        Ok(batches.into_iter().map(|(batch, _)| batch).collect())
    }

    /// A `Query` of the round's numbers above `after` (at most `limit`), then the
    /// invitations by `BatchGetItem` for their status and reminders.
    async fn invitation_summaries(
        &self,
        round: &RoundId,
        after: u32,
        limit: u32,
    ) -> StoreResult<Vec<InvitationSummary>> {
        let Some(first) = after.checked_add(1).filter(|_| limit > 0) else {
            return Ok(Vec::new());
        };
        let listed = self
            .query(PartitionQuery {
                table: &self.tables.invitations,
                pk: keys::round_invitations_partition(round),
                sort_keys: SortKeys::From(keys::number_sort_key(first)),
                newest_first: false,
                limit: Some(limit as usize),
            })
            .await?;
        let ids = listed
            .iter()
            .map(listed_invitation)
            .collect::<StoreResult<Vec<_>>>()?;
        let stored = self.invitations_by_id(ids.iter()).await?;
        let mut summaries = Vec::with_capacity(ids.len());
        for id in ids {
            // Time to live may have deleted the invitation before its number.
            let Some(stored) = stored.get(&id) else {
                continue;
            };
            summaries.push(InvitationSummary {
                number: number(stored, "number")?,
                status: parse_invitation_status(stored)?,
                reminders: if stored.contains_key(REMINDERS) {
                    number(stored, REMINDERS)?
                } else {
                    0
                },
                id,
            });
        }
        Ok(summaries)
    }
}

impl DynamoStore {
    /// Makes sure no running number up to `number` is reserved again: `SET
    /// numbers_reserved` if the round has reserved fewer (else nothing to do).
    pub(super) async fn reserved_at_least(&self, round: &RoundId, number: u32) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::round(round)))
            .update_expression("SET #reserved = :number")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(#reserved) OR #reserved < :number)",
            )
            .expression_attribute_names("#reserved", NUMBERS_RESERVED)
            .expression_attribute_values(":number", n(number))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if update_condition_failed(&error) => Ok(()),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }

    /// Stored invitations by id (those that exist), by `BatchGetItem`.
    pub(super) async fn invitations_by_id(
        &self,
        ids: impl Iterator<Item = &InvitationId>,
    ) -> StoreResult<HashMap<InvitationId, Item>> {
        self.get_many(
            &self.tables.invitations,
            ids.map(keys::invitation).collect(),
        )
        .await?
        .into_iter()
        .map(|stored| {
            let id = text(&stored, "pk")?
                .strip_prefix(keys::INVITATION_PREFIX)
                .and_then(InvitationId::parse)
                .ok_or_else(|| corrupt("invitation id"))?;
            Ok((id, stored))
        })
        .collect()
    }

    /// `written`, or, when it failed, the same error after undoing the batch (a failure
    /// to undo is logged: the caller's `delete_batch` tries again).
    async fn undone_on_failure(
        &self,
        round: &RoundId,
        batch: &BatchId,
        written: StoreResult<()>,
    ) -> StoreResult<()> {
        if written.is_err()
            && let Err(error) = self.undo_batch(round, batch).await
        {
            tracing::warn!(
                error = %crate::telemetry::error_chain(&error),
                "could not undo a batch that failed half-way"
            );
        }
        written
    }
}

/// The invitation a round's number entry names.
pub(super) fn listed_invitation(listed: &Item) -> StoreResult<InvitationId> {
    InvitationId::parse(text(listed, "invitation")?).ok_or_else(|| corrupt("invitation"))
}

/// A batch record's condition failed: the batch id is taken, refused like a credential
/// (as the embedded store does).
fn batch_taken(cancelled: Cancelled) -> StoreError {
    if cancelled.condition_failed(0) {
        StoreError::DuplicateCredential
    } else {
        cancelled.into_error()
    }
}
