//! Transactions: building their actions, running them, and retrying the ones DynamoDB
//! cancelled for a passing reason (another transaction on the same item, or throttling).

use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
use rand::Rng;

use super::DynamoStore;
use super::items::{Item, OPEN, s};
use crate::store::{StoreError, StoreResult};

pub(super) type TransactError = SdkError<TransactWriteItemsError>;

pub(super) const NEW_ITEM: &str = "attribute_not_exists(pk)";
pub(super) const EXISTING_ITEM: &str = "attribute_exists(pk)";
/// `status` is a reserved word in DynamoDB's expressions, so it is spelled `#status`
/// (see [`condition_check`]).
pub(super) const OPEN_INVITATION: &str = "attribute_exists(pk) AND #status = :open";

/// Attempts of a transaction that DynamoDB cancels for a passing reason.
pub const TRANSACTION_ATTEMPTS: u32 = 8;
/// No new attempt of a transaction starts once this much time has passed since its first.
/// With the SDK's operation timeout (`startup::SDK_OPERATION_TIMEOUT`, the longest one
/// attempt can take) this bounds a transaction well under the Lambda timeout.
pub const TRANSACTION_RETRY_BUDGET: Duration = Duration::from_secs(5);

/// Cancellation reasons that say nothing about the data, only that DynamoDB could not do
/// the work just then: another transaction held an item, or the table or one of its
/// partitions was over its throughput. Worth another try after a pause. (A whole request
/// refused for throughput, `ThrottlingException` or `ProvisionedThroughputExceededException`,
/// is retried by the SDK itself; inside a transaction they arrive as these reasons.)
const PASSING_REASONS: [&str; 3] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// A write DynamoDB cancelled because an item it depends on is missing or already there:
/// what a failed SQLite constraint is in the embedded store.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct Refused {
    what: &'static str,
    #[source]
    source: TransactError,
}

/// A transaction DynamoDB cancelled, with the reason code of each of its actions in order.
pub(super) struct Cancelled {
    reasons: Vec<Option<String>>,
    error: TransactError,
}

impl Cancelled {
    /// Whether action `index` was cancelled because its condition did not hold.
    pub(super) fn condition_failed(&self, index: usize) -> bool {
        self.reasons
            .get(index)
            .is_some_and(|code| code.as_deref() == Some("ConditionalCheckFailed"))
    }

    /// Whether any action was cancelled because its condition did not hold.
    pub(super) fn any_condition_failed(&self) -> bool {
        (0..self.reasons.len()).any(|index| self.condition_failed(index))
    }

    pub(super) fn refused(self, what: &'static str) -> StoreError {
        StoreError::unavailable(Refused {
            what,
            source: self.error,
        })
    }

    pub(super) fn into_error(self) -> StoreError {
        StoreError::unavailable(self.error)
    }

    fn is_passing(&self) -> bool {
        self.reasons.iter().any(|code| {
            code.as_deref()
                .is_some_and(|code| PASSING_REASONS.contains(&code))
        })
    }
}

/// DynamoDB's limit of actions in one transaction.
pub(super) const ACTIONS_PER_TRANSACTION: usize = 100;
/// Transactions of one bulk write in flight at once: enough to hide the round trips, few
/// enough not to crowd out other requests of the same function.
const TRANSACTIONS_IN_FLIGHT: usize = 12;

/// One transaction of a bulk write, and which of its actions put a credential, whose
/// failed condition means the credential is already taken.
pub(super) struct Chunk {
    pub actions: Vec<TransactWriteItem>,
    pub credentials: Vec<usize>,
}

/// A random pause before retrying a transaction: 10 to 20 ms at first, doubling up to
/// 0.3 to 0.6 s (under 2 s in all), so competing writers spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling: u64 = (10 << attempt.min(6)).min(600);
    Duration::from_millis(rand::rng().random_range(ceiling / 2..=ceiling))
}

/// An `Update` action.
pub(super) fn update(update: Update) -> TransactWriteItem {
    TransactWriteItem::builder().update(update).build()
}

pub(super) fn delete(table: &str, key: Item) -> StoreResult<TransactWriteItem> {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .build()
        .map_err(StoreError::unavailable)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

pub(super) fn put(
    table: &str,
    item: Item,
    condition: Option<&str>,
) -> StoreResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .map_err(StoreError::unavailable)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub(super) fn condition_check(
    table: &str,
    key: Item,
    condition: &str,
) -> StoreResult<TransactWriteItem> {
    let mut check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition);
    if condition == OPEN_INVITATION {
        check = check
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":open", s(OPEN));
    }
    let check = check.build().map_err(StoreError::unavailable)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

impl DynamoStore {
    /// Runs one transaction. A cancellation for a passing reason ([`PASSING_REASONS`]) is
    /// retried after a pause, by when the other transaction has usually finished (and the
    /// retry sees its result) or the throughput has recovered, at most
    /// [`TRANSACTION_ATTEMPTS`] times and not after [`TRANSACTION_RETRY_BUDGET`]. Other
    /// cancellations go to the caller, which knows what each action's failed condition
    /// means; one still cancelled for a passing reason after the last attempt becomes
    /// [`StoreError::Unavailable`] there (no condition of it failed).
    pub(super) async fn transact(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> StoreResult<Result<(), Cancelled>> {
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Ok(())),
                Err(error) => error,
            };
            let reasons: Vec<Option<String>> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| reason.code().map(str::to_owned))
                    .collect(),
                _ => return Err(StoreError::unavailable(error)),
            };
            let cancelled = Cancelled { reasons, error };
            let pause = backoff(attempt);
            let out_of_time = started.elapsed() + pause >= TRANSACTION_RETRY_BUDGET;
            if !cancelled.is_passing() || attempt == TRANSACTION_ATTEMPTS || out_of_time {
                return Ok(Err(cancelled));
            }
            tracing::debug!(
                attempt,
                "transaction cancelled for a passing reason, retrying"
            );
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    /// Runs the transactions of a bulk write, several at once, each retried as
    /// [`Self::transact`] retries. At the first failure no further one starts; the
    /// running ones finish, and the failure is returned: a credential's failed condition
    /// is [`StoreError::DuplicateCredential`], another failed condition is refused as
    /// `what`. Transactions that finished stay written (the caller undoes them).
    ///
    /// `chunks` is drawn only as transactions are started, so a caller that builds them
    /// lazily keeps no more than [`TRANSACTIONS_IN_FLIGHT`] in memory (a batch of 20,000
    /// invitations is 800 of them); a chunk that could not be built stops the run too.
    pub(super) async fn transact_chunks(
        &self,
        chunks: impl IntoIterator<Item = StoreResult<Chunk>> + Send,
        what: &'static str,
    ) -> StoreResult<()> {
        let mut chunks = chunks.into_iter();
        let mut running = JoinSet::new();
        let mut failure = None;
        loop {
            while failure.is_none() && running.len() < TRANSACTIONS_IN_FLIGHT {
                let chunk = match chunks.next() {
                    Some(Ok(chunk)) => chunk,
                    Some(Err(error)) => {
                        failure = Some(error);
                        break;
                    }
                    None => break,
                };
                let store = self.clone();
                running.spawn(async move {
                    match store.transact(chunk.actions).await? {
                        Ok(()) => Ok(()),
                        Err(cancelled)
                            if chunk
                                .credentials
                                .iter()
                                .any(|&index| cancelled.condition_failed(index)) =>
                        {
                            Err(StoreError::DuplicateCredential)
                        }
                        Err(cancelled) if cancelled.any_condition_failed() => {
                            Err(cancelled.refused(what))
                        }
                        Err(cancelled) => Err(cancelled.into_error()),
                    }
                });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let result = joined
                .map_err(StoreError::unavailable)
                .and_then(|result| result);
            if let (Err(error), None) = (result, &failure) {
                failure = Some(error);
            }
        }
        failure.map_or(Ok(()), Err)
    }
}
