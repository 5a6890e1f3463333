//! A batch's record: `RB#<round>` / `<batch id>` in the invitations table. Its running
//! numbers are kept as ranges (`1-20000`, `3,8-9`): a first batch's are one range, and even
//! 20,000 scattered numbers stay far below DynamoDB's 400 KB per item.
//!
//! And a batch's entry in an invitation's `batches`: the hashes of the credentials it gave.

use std::collections::HashSet;
use std::fmt::Write;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{BATCHES, wall_clock_nanos};
use crate::domain::*;
use crate::store::StoreResult;
use crate::store::StoredBatch;
use crate::store::dynamo::items::{
    Item, TTL_ATTRIBUTE, corrupt, from_json, item, n, named, s, text, time_at, to_json,
};
use crate::store::dynamo::keys;

/// Most running numbers a stored record may expand to: more is damage, not data.
const MOST_NUMBERS: u64 = 10_000_000;

/// The record's item, kept by time to live until `kept_until` (unix seconds: when its
/// last invitation may go), or forever if it made none. `written` (the wall clock in
/// nanoseconds) orders batches made in the same second.
pub(super) fn batch_record(batch: &StoredBatch, kept_until: Option<i64>) -> StoreResult<Item> {
    let written = wall_clock_nanos();
    Ok(item(
        keys::batch(&batch.round, &batch.id),
        [
            ("kind", s(batch.kind.as_str())),
            ("numbers", s(encode_numbers(&batch.numbers))),
            ("secret_hash", s(&batch.secret_hash)),
            ("code_attempts", s(to_json(&batch.code_attempts)?)),
            ("created_at", n(batch.created_at.unix_timestamp())),
            ("written", n(written)),
        ]
        .into_iter()
        .chain(kept_until.map(|at| (TTL_ATTRIBUTE, n(at)))),
    ))
}

pub(super) fn read_batch(stored: &Item) -> StoreResult<StoredBatch> {
    let round = text(stored, "pk")?
        .strip_prefix(keys::ROUND_BATCHES_PREFIX)
        .and_then(RoundId::parse)
        .ok_or_else(|| corrupt("batch's round"))?;
    Ok(StoredBatch {
        id: BatchId::parse(text(stored, "sk")?).ok_or_else(|| corrupt("batch id"))?,
        round,
        kind: named(stored, "kind", BatchKind::parse)?,
        numbers: decode_numbers(text(stored, "numbers")?).ok_or_else(|| corrupt("numbers"))?,
        secret_hash: text(stored, "secret_hash")?.to_owned(),
        code_attempts: from_json(stored, "code_attempts")?,
        created_at: time_at(stored, "created_at")?,
    })
}

/// Ascending numbers as comma-separated ranges: `1-3,7`.
fn encode_numbers(numbers: &[u32]) -> String {
    let mut text = String::new();
    let mut rest = numbers.iter().copied().peekable();
    while let Some(start) = rest.next() {
        let mut end = start;
        while let Some(&next) = rest.peek() {
            if Some(next) != end.checked_add(1) {
                break;
            }
            end = next;
            rest.next();
        }
        if !text.is_empty() {
            text.push(',');
        }
        // Writing to a String cannot fail.
        let _ = if start == end {
            write!(text, "{start}")
        } else {
            write!(text, "{start}-{end}")
        };
    }
    text
}

fn decode_numbers(text: &str) -> Option<Vec<u32>> {
    let mut numbers = Vec::new();
    if text.is_empty() {
        return Some(numbers);
    }
    for range in text.split(',') {
        let (start, end) = match range.split_once('-') {
            Some((start, end)) => (start.parse::<u32>().ok()?, end.parse::<u32>().ok()?),
            None => {
                let single = range.parse::<u32>().ok()?;
                (single, single)
            }
        };
        let total = numbers.len() as u64 + u64::from(end.checked_sub(start)?) + 1;
        if total > MOST_NUMBERS {
            return None;
        }
        numbers.extend(start..=end);
    }
    Some(numbers)
}

pub(super) fn has_duplicates<'a>(hashes: impl Iterator<Item = &'a CredentialHash>) -> bool {
    let mut seen = HashSet::new();
    hashes.into_iter().any(|hash| !seen.insert(hash.as_str()))
}

/// A batch's entry in an invitation's `batches`: the hashes of the two credentials.
pub(super) fn credentials_map(link: &CredentialHash, code: &CredentialHash) -> AttributeValue {
    AttributeValue::M(
        [
            ("link".to_owned(), s(link.as_str())),
            ("code".to_owned(), s(code.as_str())),
        ]
        .into(),
    )
}

/// The credentials `batch` gave a stored invitation, if it gave it any.
pub(super) fn batch_credentials(stored: &Item, batch: &BatchId) -> Option<Vec<CredentialHash>> {
    let Some(AttributeValue::M(batches)) = stored.get(BATCHES) else {
        return None;
    };
    batches.get(&batch.to_string()).map(hashes_of)
}

/// Every credential any batch gave a stored invitation.
pub(super) fn all_credentials(stored: &Item) -> Vec<CredentialHash> {
    match stored.get(BATCHES) {
        Some(AttributeValue::M(batches)) => batches.values().flat_map(hashes_of).collect(),
        _ => Vec::new(),
    }
}

fn hashes_of(entry: &AttributeValue) -> Vec<CredentialHash> {
    let AttributeValue::M(entry) = entry else {
        return Vec::new();
    };
    ["link", "code"]
        .iter()
        .filter_map(|name| match entry.get(*name) {
            Some(AttributeValue::S(hash)) => Some(CredentialHash::from_stored(hash.clone())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_kept_as_ranges_and_read_back_equal() {
        for numbers in [
            vec![],
            vec![1],
            vec![1, 2, 3, 7, 9, 10],
            (1..=20_000).collect(),
            vec![4, u32::MAX - 1, u32::MAX],
        ] {
            let text = encode_numbers(&numbers);
            assert_eq!(decode_numbers(&text), Some(numbers));
        }
        assert_eq!(encode_numbers(&[1, 2, 3, 7, 9, 10]), "1-3,7,9-10");
        assert_eq!(encode_numbers(&(1..=20_000).collect::<Vec<_>>()), "1-20000");
    }

    #[test]
    fn damaged_numbers_are_refused() {
        for text in ["x", "3-1", "1,", "1-", "0-4294967295"] {
            assert_eq!(decode_numbers(text), None, "{text}");
        }
    }
}
