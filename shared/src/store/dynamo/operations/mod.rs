//! The store traits on DynamoDB. Which request each method makes is listed in
//! `docs/dynamodb.md`, "Access patterns".
//!
//! `setup`: what a deployment and the municipality workspace do (questionnaires,
//! municipalities, rounds, invitations); `respondent`: what a respondent's visit does
//! (opening an invitation, drafts, submitting, counting failed look-ups) and counting.

mod audit;
mod batch_records;
mod batch_undo;
mod batches;
mod export_jobs;
mod network;
mod organisations;
mod respondent;
mod rounds;
mod setup;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

/// How long an invitation (and its credentials) is kept after it expires, so that a late
/// visitor is told the invitation has expired rather than that the link is unknown.
const INVITATION_KEPT_AFTER_EXPIRY_SECONDS: i64 = 30 * 24 * 60 * 60;
/// How long a failed look-up bucket outlives its minute, beyond the window asked for.
const GUESS_BUCKET_SLACK_SECONDS: i64 = 120;
/// The attribute of an invitation that maps each batch that gave it credentials (by
/// batch id) to the hashes of those credentials, `{link, code}`: what a reissue revokes
/// and what undoing a failed batch deletes. Hashes only, never a token or code.
const BATCHES: &str = "batches";
/// The attribute of a round that counts its invitations (each once).
const ISSUED: &str = "issued";
/// The attribute of a round holding the last running number given out.
const NUMBERS_RESERVED: &str = "numbers_reserved";
/// The attribute of an invitation counting the reminders it had.
const REMINDERS: &str = "reminders";
/// The attribute of a counter shard (and of a failed look-up bucket) that holds its count.
const COUNT: &str = "count";

/// Whether an `UpdateItem` failed only because its condition did not hold.
fn update_condition_failed(error: &SdkError<UpdateItemError>) -> bool {
    matches!(
        error.as_service_error(),
        Some(UpdateItemError::ConditionalCheckFailedException(_))
    )
}

/// The wall clock in nanoseconds: orders items written in the same second (sort keys,
/// `written` attributes) as far as the clocks of the writers agree.
fn wall_clock_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
}
