//! The store traits on DynamoDB. Which request each method makes is listed in
//! `docs/dynamodb.md`, "Access patterns".
//!
//! `setup`: what a deployment and the municipality workspace do (questionnaires,
//! municipalities, rounds, invitations); `respondent`: what a respondent's visit does
//! (opening an invitation, drafts, submitting, counting failed look-ups) and counting.

mod network;
mod respondent;
mod setup;
mod workspace;

/// How long an invitation (and its credentials) is kept after it expires, so that a late
/// visitor is told the invitation has expired rather than that the link is unknown.
const INVITATION_KEPT_AFTER_EXPIRY_SECONDS: i64 = 30 * 24 * 60 * 60;
/// How long a failed look-up bucket outlives its minute, beyond the window asked for.
const GUESS_BUCKET_SLACK_SECONDS: i64 = 120;
/// The attribute of a counter shard (and of a failed look-up bucket) that holds its count.
const COUNT: &str = "count";
