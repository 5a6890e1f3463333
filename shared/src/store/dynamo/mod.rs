//! The DynamoDB store, the production store: two tables, split by how long their data may
//! be kept (see `docs/dynamodb.md`, "Two tables, and why").
//!
//! - the **responses table** (point-in-time recovery on): questionnaires, municipalities,
//!   rounds, responses and the rounds' response counters;
//! - the **invitations table** (no backups, time to live): invitations, credentials,
//!   drafts, counters of failed look-ups and export jobs (short-lived, no personal data).
//!
//! Every read is strongly consistent and every multi-item change is one
//! `TransactWriteItems` (submitting spans both tables), so the store behaves like the
//! embedded one (the contract tests in `tests/contract` check this).
//!
//! Modules: [`keys`] (which item is where), `items` (attribute conversion), `transact`
//! (transactions and their retries), [`admin`] (creating tables, a DynamoDB Local
//! client) and `operations` (the store traits).

pub mod admin;
mod items;
pub mod keys;
mod operations;
mod reads;
mod transact;

use aws_sdk_dynamodb::Client;

pub use admin::{create_tables, load_responses, local_client};
pub use items::TTL_ATTRIBUTE;
pub use transact::{TRANSACTION_ATTEMPTS, TRANSACTION_RETRY_BUDGET};

use crate::store::{StoreError, StoreResult};
use items::Item;

/// The names of the two tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// Questionnaires, municipalities, rounds, responses, response counters.
    pub responses: String,
    /// Invitations, credentials, drafts, failed look-up counters, export jobs.
    pub invitations: String,
}

impl Tables {
    /// Both tables named after `prefix` (`<prefix>-responses`, `<prefix>-invitations`),
    /// for tests and local use.
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            responses: format!("{prefix}-responses"),
            invitations: format!("{prefix}-invitations"),
        }
    }
}

/// The store on its two tables; cheap to clone (the client is shared).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }

    /// A strongly consistent `GetItem`.
    async fn get(&self, table: &str, key: Item) -> StoreResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(output.item)
    }
}
