//! The audit trail: one partition per organisation in the responses table (backed up),
//! items only ever added.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use rand::Rng;

use super::wall_clock_nanos;
use crate::domain::*;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{from_json, item, s, text, to_json};
use crate::store::dynamo::keys;
use crate::store::dynamo::reads::{PartitionQuery, SortKeys};
use crate::store::dynamo::transact::NEW_ITEM;
use crate::store::*;

/// Attempts at a sort key not yet taken (two entries with the same key would be one).
const APPEND_ATTEMPTS: u32 = 3;

#[async_trait]
impl AuditStore for DynamoStore {
    /// `PutItem` if `attribute_not_exists(pk)`: the entry's sort key is its time to the
    /// second, then the wall clock in nanoseconds (entries of one second keep the order
    /// they were written in, as far as the clocks of the writers agree) and a random
    /// suffix, so two entries never share a key.
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let body = to_json(entry)?;
        let mut attempt = 1;
        loop {
            let nanos = wall_clock_nanos();
            let suffix: u32 = rand::rng().random();
            let sort_key = format!("{:012}#{nanos:020}#{suffix:08x}", entry.at.unix_timestamp());
            let stored = item(
                keys::audit_entry(&entry.organisation, sort_key),
                [("entry", s(body.clone()))],
            );
            let result = self
                .client
                .put_item()
                .table_name(&self.tables.responses)
                .set_item(Some(stored))
                .condition_expression(NEW_ITEM)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(error)
                    if attempt < APPEND_ATTEMPTS
                        && matches!(
                            error.as_service_error(),
                            Some(PutItemError::ConditionalCheckFailedException(_))
                        ) =>
                {
                    attempt += 1;
                }
                Err(error) => return Err(StoreError::unavailable(error)),
            }
        }
    }

    /// `Query` newest first with `Limit` = limit + 1 (the extra entry only tells whether
    /// another page follows), starting after the cursor, which is the sort key of the
    /// last entry of the page before.
    async fn audit_trail(
        &self,
        organisation: &OrganisationId,
        after: Option<&AuditCursor>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        if limit == 0 {
            return Ok(AuditPage {
                entries: Vec::new(),
                next: None,
            });
        }
        let mut items = self
            .query(PartitionQuery {
                table: &self.tables.responses,
                pk: keys::audit_partition(organisation),
                sort_keys: after.map_or(SortKeys::All, |cursor| SortKeys::After(cursor.0.clone())),
                newest_first: true,
                limit: Some(limit as usize + 1),
            })
            .await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = match items.last() {
            Some(last) if more => Some(AuditCursor(text(last, "sk")?.to_owned())),
            _ => None,
        };
        let entries = items
            .iter()
            .map(|stored| from_json(stored, "entry"))
            .collect::<StoreResult<_>>()?;
        Ok(AuditPage { entries, next })
    }
}
