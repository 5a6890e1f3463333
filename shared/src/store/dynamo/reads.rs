//! Reads of many items: a partition by `Query` (page by page, as DynamoDB returns at most
//! 1 MB at a time) and many keys by `BatchGetItem` (100 keys a request, several requests
//! in flight). Every read is strongly consistent.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use tokio::task::JoinSet;

use super::DynamoStore;
use super::items::{Item, s, text_of};
use crate::store::{StoreError, StoreResult};

/// DynamoDB's limit of keys in one `BatchGetItem`.
const KEYS_PER_BATCH_GET: usize = 100;
/// `BatchGetItem` requests of one read in flight at once.
const BATCH_GETS_IN_FLIGHT: usize = 8;

/// Which sort keys of a partition a [`PartitionQuery`] reads.
pub(super) enum SortKeys {
    All,
    /// Those starting with this.
    BeginningWith(String),
    /// Those after this one in the query's direction (it need not exist).
    After(String),
    /// This one and those after it (it need not exist); oldest first only.
    From(String),
    /// From the first to the second, both included.
    Between(String, String),
}

/// One partition's items, in sort key order or its reverse.
pub(super) struct PartitionQuery<'a> {
    pub table: &'a str,
    pub pk: String,
    pub sort_keys: SortKeys,
    pub newest_first: bool,
    /// At most this many items; `None` for all.
    pub limit: Option<usize>,
}

impl DynamoStore {
    /// The items of one partition, following DynamoDB's pages until `limit` items are read
    /// or the partition ends.
    pub(super) async fn query(&self, query: PartitionQuery<'_>) -> StoreResult<Vec<Item>> {
        let mut condition = "pk = :pk".to_owned();
        let mut values = vec![(":pk", s(query.pk.clone()))];
        match &query.sort_keys {
            SortKeys::All => {}
            SortKeys::BeginningWith(prefix) => {
                condition.push_str(" AND begins_with(sk, :sk)");
                values.push((":sk", s(prefix.clone())));
            }
            SortKeys::After(sk) => {
                condition.push_str(if query.newest_first {
                    " AND sk < :sk"
                } else {
                    " AND sk > :sk"
                });
                values.push((":sk", s(sk.clone())));
            }
            SortKeys::From(sk) => {
                condition.push_str(" AND sk >= :sk");
                values.push((":sk", s(sk.clone())));
            }
            SortKeys::Between(first, last) => {
                condition.push_str(" AND sk BETWEEN :first AND :last");
                values.push((":first", s(first.clone())));
                values.push((":last", s(last.clone())));
            }
        }
        let mut items: Vec<Item> = Vec::new();
        let mut start = None;
        loop {
            let wanted = query.limit.map(|limit| limit - items.len());
            if wanted == Some(0) {
                break;
            }
            let mut request = self
                .client
                .query()
                .table_name(query.table)
                .consistent_read(true)
                .scan_index_forward(!query.newest_first)
                .key_condition_expression(&condition)
                .set_exclusive_start_key(start.take())
                .set_limit(wanted.map(|wanted| i32::try_from(wanted).unwrap_or(i32::MAX)));
            for (name, value) in &values {
                request = request.expression_attribute_values(*name, value.clone());
            }
            let output = request.send().await.map_err(StoreError::unavailable)?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        Ok(items)
    }

    /// The items of `keys` that exist, in no particular order (duplicate keys are read
    /// once).
    pub(super) async fn get_many(&self, table: &str, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut seen = HashSet::new();
        let keys: Vec<Item> = keys
            .into_iter()
            .filter(|key| seen.insert((text_of(key, "pk"), text_of(key, "sk"))))
            .collect();
        let mut chunks = keys
            .chunks(KEYS_PER_BATCH_GET)
            .map(<[Item]>::to_vec)
            .collect::<Vec<_>>()
            .into_iter();
        let mut running = JoinSet::new();
        let mut found = Vec::with_capacity(keys.len());
        loop {
            while running.len() < BATCH_GETS_IN_FLIGHT {
                let Some(chunk) = chunks.next() else { break };
                let (store, table) = (self.clone(), table.to_owned());
                running.spawn(async move { store.batch_get(&table, chunk).await });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            found.extend(joined.map_err(StoreError::unavailable)??);
        }
        Ok(found)
    }

    /// One `BatchGetItem` of at most 100 keys, asked again for the keys DynamoDB leaves
    /// unprocessed (it was busy).
    async fn batch_get(&self, table: &str, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut wanted = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(StoreError::unavailable)?,
        );
        let mut found = Vec::new();
        let mut attempt: u32 = 0;
        while let Some(request) = wanted.take() {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(10 << attempt.min(5))).await;
            }
            attempt += 1;
            let mut output = self
                .client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            found.extend(
                output
                    .responses
                    .unwrap_or_default()
                    .remove(table)
                    .unwrap_or_default(),
            );
            wanted = output
                .unprocessed_keys
                .as_mut()
                .and_then(|unprocessed| unprocessed.remove(table))
                .filter(|rest| !rest.keys().is_empty());
        }
        Ok(found)
    }
}
