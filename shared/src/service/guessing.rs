//! Limiting guesses of links and short codes. A short code has 50 bits, far too many to
//! guess at 10 tries per 5 minutes; the limit keeps it that way against a script, while a
//! patient who mistypes a code a few times is never stopped.
//!
//! Only failed look-ups count (a well-formed link or code that opens nothing); a client is
//! a keyed hash of its network address ([`ClientKey`]), so one client's limit never blocks
//! another and no address is stored.

use time::{Duration, OffsetDateTime};

use crate::domain::ClientKey;
use crate::store::{GuessStore, StoreResult};

/// Failed look-ups a client may make within [`GUESS_WINDOW`]; the next one is refused.
pub const MAX_FAILED_LOOKUPS: u32 = 10;

/// How far back failed look-ups are counted. Counts are kept per whole minute, so a
/// blocked client is let in again at most this long after its last failure.
pub const GUESS_WINDOW: Duration = Duration::minutes(5);

/// Whether `client` has used up its failed look-ups and must wait.
pub(crate) async fn is_blocked<S: GuessStore + ?Sized>(
    store: &S,
    client: &ClientKey,
    now: OffsetDateTime,
) -> StoreResult<bool> {
    let failures = store.failed_lookups(client, now, GUESS_WINDOW).await?;
    Ok(failures >= MAX_FAILED_LOOKUPS)
}

/// Counts one failed look-up by `client`.
pub(crate) async fn record_failure<S: GuessStore + ?Sized>(
    store: &S,
    client: &ClientKey,
    now: OffsetDateTime,
) -> StoreResult<()> {
    store.record_failed_lookup(client, now, GUESS_WINDOW).await
}
