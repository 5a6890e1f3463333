//! Undoing a batch that failed half-way (`delete_batch`): what `create_batch` or
//! `add_credentials` wrote, found from the batch record, which both write first.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};

use super::batch_records::{all_credentials, batch_credentials, read_batch};
use super::batches::listed_invitation;
use super::{BATCHES, ISSUED, REMINDERS};
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{Item, corrupt, n, number, s, text};
use crate::store::dynamo::keys;
use crate::store::dynamo::reads::{PartitionQuery, SortKeys};
use crate::store::dynamo::transact::{
    ACTIONS_PER_TRANSACTION, Chunk, EXISTING_ITEM, delete, update,
};
use crate::store::*;

/// Actions per invitation undone: at most its item, draft, number and the credentials of
/// a few batches; counted generously.
const ACTIONS_PER_UNDONE_INVITATION: usize = 10;

impl DynamoStore {
    /// Reads the batch record, then the round's number entries from its lowest number to
    /// its highest (one `Query`), keeps the batch's numbers and reads those invitations;
    /// deletes what the batch wrote (a first batch's invitations whole, with their
    /// drafts, numbers and credentials; another batch's credentials, its entry in
    /// `batches` and a reminder's `+1`), several transactions at once; last, in one
    /// transaction, the record and (for a first batch) the `issued` it added. Safe to
    /// run again; nothing to do without a record.
    pub(super) async fn undo_batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<()> {
        let table = &self.tables.invitations;
        let Some(record) = self.get(table, keys::batch(round, batch)).await? else {
            return Ok(());
        };
        let record = read_batch(&record)?;
        let ids = match (record.numbers.first(), record.numbers.last()) {
            (Some(&lowest), Some(&highest)) => {
                // `$` sorts right after `#`: the bound is above every entry of `highest`.
                let listed = self
                    .query(PartitionQuery {
                        table,
                        pk: keys::round_invitations_partition(round),
                        sort_keys: SortKeys::Between(
                            keys::number_sort_key(lowest),
                            format!("{}$", keys::number_sort_key(highest)),
                        ),
                        newest_first: false,
                        limit: None,
                    })
                    .await?;
                let numbers: HashSet<String> = record
                    .numbers
                    .iter()
                    .map(|&number| keys::number_sort_key(number))
                    .collect();
                listed
                    .iter()
                    .filter(|listed| {
                        text(listed, "sk")
                            .ok()
                            .and_then(|sk| sk.rsplit_once('#'))
                            .is_some_and(|(number, _)| numbers.contains(number))
                    })
                    .map(listed_invitation)
                    .collect::<StoreResult<Vec<_>>>()?
            }
            _ => Vec::new(),
        };
        let invitations = self.invitations_by_id(ids.iter()).await?;

        let mut chunks = Vec::new();
        let mut actions = Vec::new();
        for stored in invitations.values() {
            let Some(own) = batch_credentials(stored, batch) else {
                continue;
            };
            if actions.len() + ACTIONS_PER_UNDONE_INVITATION > ACTIONS_PER_TRANSACTION {
                chunks.push(Chunk {
                    actions: std::mem::take(&mut actions),
                    credentials: Vec::new(),
                });
            }
            actions.extend(undo(table, stored, batch, &record, own)?);
        }
        if !actions.is_empty() {
            chunks.push(Chunk {
                actions,
                credentials: Vec::new(),
            });
        }
        self.transact_chunks(chunks.into_iter().map(Ok), "undoing a batch")
            .await?;

        let remove_record = Delete::builder()
            .table_name(table)
            .set_key(Some(keys::batch(round, batch)))
            .condition_expression(EXISTING_ITEM)
            .build()
            .map_err(StoreError::unavailable)?;
        let mut actions = vec![TransactWriteItem::builder().delete(remove_record).build()];
        if record.kind == BatchKind::First {
            let count = i64::try_from(record.numbers.len()).unwrap_or(i64::MAX);
            let lower_issued = Update::builder()
                .table_name(&self.tables.responses)
                .set_key(Some(keys::round(round)))
                .update_expression("ADD #issued :minus")
                .expression_attribute_names("#issued", ISSUED)
                .expression_attribute_values(":minus", n(-count))
                .build()
                .map_err(StoreError::unavailable)?;
            actions.push(update(lower_issued));
        }
        match self.transact(actions).await? {
            Ok(()) => Ok(()),
            // Removed meanwhile by another call: done.
            Err(cancelled) if cancelled.condition_failed(0) => Ok(()),
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }
}

/// What undoing `batch` does to one invitation it wrote to (`own`: its credentials).
fn undo(
    table: &str,
    stored: &Item,
    batch: &BatchId,
    record: &StoredBatch,
    own: Vec<CredentialHash>,
) -> StoreResult<Vec<TransactWriteItem>> {
    let mut actions = Vec::new();
    let invitation_key = Item::from([
        ("pk".to_owned(), s(text(stored, "pk")?)),
        ("sk".to_owned(), s(text(stored, "sk")?)),
    ]);
    if record.kind == BatchKind::First {
        let id = text(stored, "pk")?
            .strip_prefix(keys::INVITATION_PREFIX)
            .and_then(InvitationId::parse)
            .ok_or_else(|| corrupt("invitation id"))?;
        let number: u32 = number(stored, "number")?;
        actions.push(delete(table, invitation_key)?);
        actions.push(delete(table, keys::draft(&id))?);
        actions.push(delete(
            table,
            keys::round_invitation(&record.round, number, &id),
        )?);
        // A new invitation has only this batch's credentials; any other's go with it.
        for hash in all_credentials(stored) {
            actions.push(delete(table, keys::credential(&hash))?);
        }
        return Ok(actions);
    }
    let mut expression = "REMOVE #batches.#batch".to_owned();
    let mut change = Update::builder()
        .table_name(table)
        .set_key(Some(invitation_key))
        .expression_attribute_names("#batches", BATCHES)
        .expression_attribute_names("#batch", batch.to_string());
    if record.kind == BatchKind::Reminder {
        expression.push_str(" ADD #reminders :minus");
        change = change
            .expression_attribute_names("#reminders", REMINDERS)
            .expression_attribute_values(":minus", n(-1));
    }
    let change = change
        .update_expression(expression)
        .build()
        .map_err(StoreError::unavailable)?;
    actions.push(update(change));
    for hash in own {
        actions.push(delete(table, keys::credential(&hash))?);
    }
    Ok(actions)
}
