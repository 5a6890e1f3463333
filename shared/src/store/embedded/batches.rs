//! Invitation batches: made in bulk, reissued, reminded, and removed again after a
//! failure half-way.
//!
//! A batch is one write job, so one transaction with prepared statements: 20 000
//! invitations (60 000 rows) commit together or, on a credential already in use, not at
//! all. Credentials remember their batch, so a reissue can revoke exactly those of the
//! lost file.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::{EmbeddedStore, from_json, parse_stored, to_json};
use crate::store::*;

#[async_trait]
impl InvitationAdminStore for EmbeddedStore {
    async fn reserve_numbers(&self, round: &RoundId, count: u32) -> StoreResult<u32> {
        let round = round.to_string();
        // The writer runs one job at a time: no two callers read the same next number.
        self.write(move |conn| {
            let first: Option<i64> = conn
                .prepare_cached(
                    "UPDATE rounds SET next_number = next_number + ?2 WHERE id = ?1
                     RETURNING next_number - ?2",
                )?
                .query_row(params![round, count], |row| row.get(0))
                .optional()?;
            let first = first.ok_or(StoreError::UnknownRound)?;
            u32::try_from(first)
                .ok()
                .filter(|first| first.checked_add(count).is_some())
                .ok_or_else(|| StoreError::Corrupt("running numbers are used up".into()))
        })
        .await
    }

    async fn create_batch(
        &self,
        batch: &StoredBatch,
        invitations: &[NewInvitation],
    ) -> StoreResult<()> {
        let record = BatchRow::from_batch(batch)?;
        if invitations
            .iter()
            .any(|new| new.invitation.round != batch.round)
        {
            return Err(StoreError::Corrupt(
                "a batch holds an invitation of another round".into(),
            ));
        }
        let rows: Vec<InvitationRow> = invitations.iter().map(InvitationRow::from).collect();
        self.write(move |conn| {
            require_round(conn, &record.round)?;
            record.insert(conn)?;
            let mut invitation = conn.prepare_cached(
                "INSERT INTO invitations (id, round, status, expires_at, number, reminders, batch)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6) ON CONFLICT (id) DO NOTHING",
            )?;
            let mut credential = conn.prepare_cached(
                "INSERT INTO credentials (hash, invitation, batch) VALUES (?1, ?2, ?3)
                 ON CONFLICT (hash) DO NOTHING",
            )?;
            let mut highest = 0;
            for row in &rows {
                let inserted = invitation.execute(params![
                    row.id,
                    record.round,
                    row.status,
                    row.expires_at,
                    row.number,
                    record.id,
                ])?;
                if inserted == 0 {
                    return Err(StoreError::DuplicateCredential);
                }
                for hash in [&row.link_hash, &row.code_hash] {
                    if credential.execute(params![hash, row.id, record.id])? == 0 {
                        // Returning the error rolls the whole job back: nothing remains.
                        return Err(StoreError::DuplicateCredential);
                    }
                }
                highest = highest.max(row.number);
            }
            conn.prepare_cached(
                "UPDATE rounds SET issued = issued + ?2, next_number = max(next_number, ?3 + 1)
                 WHERE id = ?1",
            )?
            .execute(params![record.round, rows.len() as i64, highest])?;
            Ok(())
        })
        .await
    }

    async fn add_credentials(
        &self,
        batch: &StoredBatch,
        replaces: Option<&BatchId>,
        credentials: &[(InvitationId, CredentialHash, CredentialHash)],
    ) -> StoreResult<()> {
        let record = BatchRow::from_batch(batch)?;
        let reminder = i64::from(batch.kind == BatchKind::Reminder);
        let replaces = replaces.map(ToString::to_string);
        let rows: Vec<(String, String, String)> = credentials
            .iter()
            .map(|(invitation, link, code)| {
                (
                    invitation.to_string(),
                    link.as_str().to_owned(),
                    code.as_str().to_owned(),
                )
            })
            .collect();
        self.write(move |conn| {
            require_round(conn, &record.round)?;
            record.insert(conn)?;
            let mut touch = conn.prepare_cached(
                "UPDATE invitations SET reminders = reminders + ?3 WHERE id = ?1 AND round = ?2",
            )?;
            let mut revoke = conn
                .prepare_cached("DELETE FROM credentials WHERE batch = ?1 AND invitation = ?2")?;
            let mut credential = conn.prepare_cached(
                "INSERT INTO credentials (hash, invitation, batch) VALUES (?1, ?2, ?3)
                 ON CONFLICT (hash) DO NOTHING",
            )?;
            for (invitation, link, code) in &rows {
                if touch.execute(params![invitation, record.round, reminder])? == 0 {
                    return Err(StoreError::Corrupt(
                        "new credentials for an invitation not in the batch's round".into(),
                    ));
                }
                if let Some(lost) = &replaces {
                    revoke.execute(params![lost, invitation])?;
                }
                for hash in [link, code] {
                    if credential.execute(params![hash, invitation, record.id])? == 0 {
                        return Err(StoreError::DuplicateCredential);
                    }
                }
            }
            Ok(())
        })
        .await
    }

    async fn delete_batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<()> {
        let round = round.to_string();
        let batch = batch.to_string();
        self.write(move |conn| {
            let kind: Option<String> = conn
                .prepare_cached("SELECT kind FROM batches WHERE id = ?1 AND round = ?2")?
                .query_row(params![batch, round], |row| row.get(0))
                .optional()?;
            let Some(kind) = kind else {
                // Never stored, or removed already: nothing of it remains.
                return Ok(());
            };
            if kind == BatchKind::Reminder.as_str() {
                conn.prepare_cached(
                    "UPDATE invitations SET reminders = max(reminders - 1, 0)
                     WHERE id IN (SELECT invitation FROM credentials WHERE batch = ?1)",
                )?
                .execute([&batch])?;
            }
            // The invitations it made go with every credential and draft they have.
            for sql in [
                "DELETE FROM credentials WHERE invitation IN
                     (SELECT id FROM invitations WHERE batch = ?1)",
                "DELETE FROM drafts WHERE invitation IN
                     (SELECT id FROM invitations WHERE batch = ?1)",
                "DELETE FROM credentials WHERE batch = ?1",
            ] {
                conn.prepare_cached(sql)?.execute([&batch])?;
            }
            let removed = conn
                .prepare_cached("DELETE FROM invitations WHERE batch = ?1")?
                .execute([&batch])?;
            conn.prepare_cached("UPDATE rounds SET issued = max(issued - ?2, 0) WHERE id = ?1")?
                .execute(params![round, removed as i64])?;
            conn.prepare_cached("DELETE FROM batches WHERE id = ?1")?
                .execute([&batch])?;
            Ok(())
        })
        .await
    }

    async fn batch(&self, round: &RoundId, batch: &BatchId) -> StoreResult<Option<StoredBatch>> {
        let round = round.to_string();
        let batch = batch.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1 AND round = ?2"
            ))?
            .query_row(params![batch, round], BatchRow::from_row)
            .optional()?
            .map(BatchRow::into_batch)
            .transpose()
        })
        .await
    }

    async fn batches(&self, round: &RoundId) -> StoreResult<Vec<StoredBatch>> {
        let round = round.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {BATCH_COLUMNS} FROM batches WHERE round = ?1 ORDER BY created_at, rowid"
            ))?
            .query_map([round], BatchRow::from_row)?
            .map(|row| row?.into_batch())
            .collect()
        })
        .await
    }

    async fn invitation_summaries(
        &self,
        round: &RoundId,
        after: u32,
        limit: u32,
    ) -> StoreResult<Vec<InvitationSummary>> {
        let round = round.to_string();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT id, number, status, reminders FROM invitations
                 WHERE round = ?1 AND number > ?2 ORDER BY number LIMIT ?3",
            )?
            .query_map(params![round, after, limit], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, u32>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?
            .map(|row| {
                let (id, number, status, reminders) = row?;
                Ok(InvitationSummary {
                    id: parse_stored(InvitationId::parse(&id), "invitation id")?,
                    number,
                    status: match status.as_str() {
                        "open" => InvitationStatus::Open,
                        "answered" => InvitationStatus::Answered,
                        _ => return Err(StoreError::Corrupt("invitation status".into())),
                    },
                    reminders: u8::try_from(reminders.max(0)).unwrap_or(u8::MAX),
                })
            })
            .collect()
        })
        .await
    }
}

fn require_round(conn: &Connection, round: &str) -> StoreResult<()> {
    let exists: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM rounds WHERE id = ?1")?
        .query_row([round], |row| row.get(0))
        .optional()?;
    exists.map(|_| ()).ok_or(StoreError::UnknownRound)
}

/// An invitation of a batch, as written.
struct InvitationRow {
    id: String,
    status: &'static str,
    expires_at: i64,
    number: u32,
    link_hash: String,
    code_hash: String,
}

impl From<&NewInvitation> for InvitationRow {
    fn from(new: &NewInvitation) -> Self {
        Self {
            id: new.invitation.id.to_string(),
            status: match new.invitation.status {
                InvitationStatus::Open => "open",
                InvitationStatus::Answered => "answered",
            },
            expires_at: new.invitation.expires_at.unix_timestamp(),
            number: new.number,
            link_hash: new.link_hash.as_str().to_owned(),
            code_hash: new.code_hash.as_str().to_owned(),
        }
    }
}

const BATCH_COLUMNS: &str = "id, round, kind, numbers, secret_hash, code_attempts, created_at";

/// A `batches` row: the numbers as compact ranges (see [`encode_numbers`]), the code
/// attempts as JSON.
struct BatchRow {
    id: String,
    round: String,
    kind: String,
    numbers: String,
    secret_hash: String,
    code_attempts: String,
    created_at: i64,
}

impl BatchRow {
    fn from_batch(batch: &StoredBatch) -> StoreResult<Self> {
        Ok(Self {
            id: batch.id.to_string(),
            round: batch.round.to_string(),
            kind: batch.kind.as_str().to_owned(),
            numbers: encode_numbers(&batch.numbers),
            secret_hash: batch.secret_hash.clone(),
            code_attempts: to_json(&batch.code_attempts)?,
            created_at: batch.created_at.unix_timestamp(),
        })
    }

    /// A batch id already stored is refused as a duplicate, like a credential.
    fn insert(&self, conn: &Connection) -> StoreResult<()> {
        let inserted = conn
            .prepare_cached(
                "INSERT INTO batches (id, round, kind, numbers, secret_hash, code_attempts, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                self.id,
                self.round,
                self.kind,
                self.numbers,
                self.secret_hash,
                self.code_attempts,
                self.created_at,
            ])?;
        if inserted == 0 {
            return Err(StoreError::DuplicateCredential);
        }
        Ok(())
    }

    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            round: row.get(1)?,
            kind: row.get(2)?,
            numbers: row.get(3)?,
            secret_hash: row.get(4)?,
            code_attempts: row.get(5)?,
            created_at: row.get(6)?,
        })
    }

    fn into_batch(self) -> StoreResult<StoredBatch> {
        Ok(StoredBatch {
            id: parse_stored(BatchId::parse(&self.id), "batch id")?,
            round: parse_stored(RoundId::parse(&self.round), "round id")?,
            kind: parse_stored(BatchKind::parse(&self.kind), "batch kind")?,
            numbers: parse_stored(decode_numbers(&self.numbers), "batch numbers")?,
            secret_hash: self.secret_hash,
            code_attempts: from_json(&self.code_attempts)?,
            created_at: parse_stored(
                OffsetDateTime::from_unix_timestamp(self.created_at).ok(),
                "creation time",
            )?,
        })
    }
}

/// Ascending numbers as ranges, `1-20000` or `3,7-9`: a batch's numbers are almost
/// always one run, so 20 000 of them take a few bytes.
fn encode_numbers(numbers: &[u32]) -> String {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &number in numbers {
        match ranges.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(number) => *last = number,
            _ => ranges.push((number, number)),
        }
    }
    ranges
        .iter()
        .map(|&(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}-{last}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_numbers(text: &str) -> Option<Vec<u32>> {
    let mut numbers = Vec::new();
    if text.is_empty() {
        return Some(numbers);
    }
    for range in text.split(',') {
        let (first, last): (u32, u32) = match range.split_once('-') {
            Some((first, last)) => (first.parse().ok()?, last.parse().ok()?),
            None => {
                let only = range.parse().ok()?;
                (only, only)
            }
        };
        if first > last {
            return None;
        }
        numbers.extend(first..=last);
    }
    Some(numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stored_as_ranges_and_read_back_equal() {
        for numbers in [
            vec![],
            vec![5],
            (1..=20_000).collect(),
            vec![1, 2, 3, 7, 9, 10, u32::MAX],
        ] {
            assert_eq!(decode_numbers(&encode_numbers(&numbers)), Some(numbers));
        }
        assert_eq!(encode_numbers(&[3, 7, 8, 9]), "3,7-9");
        assert_eq!(encode_numbers(&(1..=20_000).collect::<Vec<_>>()), "1-20000");
        for damaged in ["x", "3-", "9-7", "1,,2"] {
            assert_eq!(decode_numbers(damaged), None, "{damaged}");
        }
    }
}
