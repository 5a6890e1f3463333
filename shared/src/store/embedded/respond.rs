//! What a respondent does: open an invitation, save drafts, send, and the counts of
//! failed look-ups that limit guessing.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::writer::AfterCommit;
use super::{EmbeddedStore, from_json, parse_stored, to_json};
use crate::domain::questionnaire::Slug;
use crate::store::*;

#[async_trait]
impl InvitationStore for EmbeddedStore {
    async fn invitation_by_credential(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<Invitation>> {
        let hash = hash.as_str().to_owned();
        self.read(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT i.id, i.round, r.municipality, r.questionnaire_id, r.questionnaire_version, i.status, i.expires_at
                     FROM credentials c JOIN invitations i ON i.id = c.invitation JOIN rounds r ON r.id = i.round
                     WHERE c.hash = ?1",
                )?
                .query_row([hash], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, u32>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, i64>(6)?,
                    ))
                })
                .optional()?;
            let Some((id, round, municipality, q_id, q_version, status, expires_at)) = row else {
                return Ok(None);
            };
            Ok(Some(Invitation {
                id: parse_stored(InvitationId::parse(&id), "invitation id")?,
                round: parse_stored(RoundId::parse(&round), "round id")?,
                municipality: parse_stored(Slug::parse(&municipality).ok(), "municipality id")?,
                questionnaire: QuestionnaireRef {
                    id: parse_stored(Slug::parse(&q_id).ok(), "questionnaire id")?,
                    version: q_version,
                },
                status: match status.as_str() {
                    "open" => InvitationStatus::Open,
                    "answered" => InvitationStatus::Answered,
                    _ => return Err(StoreError::Corrupt(format!("invitation status '{status}'"))),
                },
                expires_at: parse_stored(OffsetDateTime::from_unix_timestamp(expires_at).ok(), "expiry time")?,
            }))
        })
        .await
    }
}

#[async_trait]
impl DraftStore for EmbeddedStore {
    async fn draft(
        &self,
        invitation: &InvitationId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Draft>> {
        let invitation = invitation.to_string();
        self.read(move |conn| {
            let stored: Option<(String, i64)> = conn
                .prepare_cached(
                    "SELECT answers, expires_at FROM drafts WHERE invitation = ?1 AND expires_at > ?2",
                )?
                .query_row(params![invitation, now.unix_timestamp()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?;
            stored
                .map(|(answers, expires_at)| {
                    Ok(Draft {
                        answers: from_json(&answers)?,
                        expires_at: parse_stored(
                            OffsetDateTime::from_unix_timestamp(expires_at).ok(),
                            "expiry time",
                        )?,
                    })
                })
                .transpose()
        })
        .await
    }

    async fn save_draft(
        &self,
        invitation: &InvitationId,
        draft: &Draft,
    ) -> StoreResult<SaveDraftOutcome> {
        let invitation = invitation.to_string();
        let answers = to_json(&draft.answers)?;
        let expires_at = draft.expires_at.unix_timestamp();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.write(move |conn| {
            // Expired drafts are removed here, so no separate clean-up job is needed locally.
            conn.prepare_cached("DELETE FROM drafts WHERE expires_at <= ?1")?
                .execute([now])?;
            let saved = conn
                .prepare_cached(
                    "INSERT INTO drafts (invitation, answers, expires_at)
                     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM invitations WHERE id = ?1 AND status = 'open')
                     ON CONFLICT (invitation) DO UPDATE SET answers = excluded.answers, expires_at = excluded.expires_at",
                )?
                .execute(params![invitation, answers, expires_at])?;
            Ok(if saved == 0 {
                SaveDraftOutcome::NotOpen
            } else {
                SaveDraftOutcome::Saved
            })
        })
        .await
    }
}

#[async_trait]
impl ResponseStore for EmbeddedStore {
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
        export_row: Option<&ExportRow>,
    ) -> StoreResult<SubmitOutcome> {
        let invitation = invitation.to_string();
        let round = response.round.to_string();
        let id = response.id.to_string();
        let day = response.submitted_on.to_string();
        let body = response_body::encode(response)?;
        let export_row = export_row.cloned();
        // The draft deleted here must leave the write-ahead log too.
        let work = move |conn: &rusqlite::Connection| {
            let consumed = conn
                .prepare_cached(
                    "UPDATE invitations SET status = 'answered' WHERE id = ?1 AND status = 'open'",
                )?
                .execute([&invitation])?;
            if consumed == 0 {
                return Ok(SubmitOutcome::AlreadyAnswered);
            }
            let counted = conn
                .prepare_cached(
                    "UPDATE rounds SET response_count = response_count + 1 WHERE id = ?1",
                )?
                .execute([&round])?;
            if counted == 0 {
                return Err(StoreError::UnknownRound);
            }
            conn.prepare_cached("INSERT INTO responses (round, id, body) VALUES (?1, ?2, ?3)")?
                .execute(params![round, id, body])?;
            if let Some(row) = &export_row {
                conn.prepare_cached(
                    "INSERT INTO export_rows (round, id, format, excel_same, cells)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    round,
                    id,
                    row.format,
                    row.excel_same,
                    row.cells
                ])?;
            }
            // The day is already in the response: counting by it tells nothing more.
            conn.prepare_cached(
                "INSERT INTO answered_per_day (round, day, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (round, day) DO UPDATE SET count = count + 1",
            )?
            .execute(params![round, day])?;
            conn.prepare_cached("DELETE FROM drafts WHERE invitation = ?1")?
                .execute([&invitation])?;
            Ok(SubmitOutcome::Stored)
        };
        self.writer.write(AfterCommit::Checkpoint, work).await
    }

    async fn count_responses(&self, round: &RoundId) -> StoreResult<u64> {
        let round = round.to_string();
        self.read(move |conn| {
            let count: Option<i64> = conn
                .prepare_cached("SELECT response_count FROM rounds WHERE id = ?1")?
                .query_row([round], |row| row.get(0))
                .optional()?;
            Ok(count.map_or(0, |c| c.max(0) as u64))
        })
        .await
    }

    async fn responses_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponsePage> {
        let page = self.response_bodies_page(round, after, limit).await?;
        Ok(ResponsePage {
            responses: page
                .bodies
                .iter()
                .map(|body| response_body::decode(body))
                .collect::<StoreResult<_>>()?,
            next: page.next,
        })
    }

    /// One query (its statement prepared once per connection) on one reading
    /// connection, so a page is one consistent snapshot.
    async fn response_bodies_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponseBodyPage> {
        let round = round.to_string();
        let after = after.map(|c| c.0.clone()).unwrap_or_default();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, body FROM responses WHERE round = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let mut rows = statement.query(params![round, after, i64::from(limit) + 1])?;
            let mut bodies = Vec::with_capacity(limit.min(10_000) as usize);
            let mut last_id = String::new();
            let mut more = false;
            while let Some(row) = rows.next()? {
                if bodies.len() == limit as usize {
                    // One more than asked for: another page follows.
                    more = true;
                    break;
                }
                // Borrowed from SQLite's row, copied once.
                last_id.clear();
                last_id.push_str(row_text(row, 0, "response id")?);
                bodies.push(row_text(row, 1, "response")?.to_owned());
            }
            let next = (more && !bodies.is_empty()).then_some(PageCursor(last_id));
            Ok(ResponseBodyPage { bodies, next })
        })
        .await
    }

    fn keeps_export_rows(&self) -> bool {
        true
    }

    /// As [`ResponseStore::response_bodies_page`], from the `export_rows` table alone.
    async fn export_rows_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ExportRowPage> {
        let round = round.to_string();
        let after = after.map(|c| c.0.clone()).unwrap_or_default();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, format, excel_same, cells FROM export_rows
                 WHERE round = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let mut found = statement.query(params![round, after, i64::from(limit) + 1])?;
            let mut rows = Vec::with_capacity(limit.min(10_000) as usize);
            let mut last_id = String::new();
            let mut more = false;
            while let Some(row) = found.next()? {
                if rows.len() == limit as usize {
                    more = true;
                    break;
                }
                rows.push(ExportRow {
                    format: row.get(1)?,
                    excel_same: row.get(2)?,
                    cells: row_text(row, 3, "export row")?.to_owned(),
                });
                // Only the last row of a full page gives a cursor.
                if rows.len() == limit as usize {
                    last_id.push_str(row_text(row, 0, "response id")?);
                }
            }
            let next = (more && !rows.is_empty()).then_some(PageCursor(last_id));
            Ok(ExportRowPage { rows, next })
        })
        .await
    }
}

/// A text column of a row, borrowed.
fn row_text<'r>(row: &'r rusqlite::Row<'_>, column: usize, what: &str) -> StoreResult<&'r str> {
    row.get_ref(column)?
        .as_str()
        .map_err(|_| StoreError::Corrupt(format!("{what} is not text")))
}

#[async_trait]
impl GuessStore for EmbeddedStore {
    async fn record_failed_lookup(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<()> {
        let client = client.as_str().to_owned();
        let minute = minute_bucket(now);
        let oldest_kept = minute_bucket(now - window);
        self.write(move |conn| {
            // Old buckets go here, as drafts do: no clean-up job is needed locally.
            conn.prepare_cached("DELETE FROM failed_lookups WHERE minute < ?1")?
                .execute([oldest_kept])?;
            conn.prepare_cached(
                "INSERT INTO failed_lookups (client, minute, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (client, minute) DO UPDATE SET count = count + 1",
            )?
            .execute(params![client, minute])?;
            Ok(())
        })
        .await
    }

    async fn failed_lookups(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<u32> {
        let client = client.as_str().to_owned();
        let (from, to) = (minute_bucket(now - window), minute_bucket(now));
        self.read(move |conn| {
            let count: i64 = conn
                .prepare_cached(
                    "SELECT COALESCE(SUM(count), 0) FROM failed_lookups
                     WHERE client = ?1 AND minute > ?2 AND minute <= ?3",
                )?
                .query_row(params![client, from, to], |row| row.get(0))?;
            Ok(u32::try_from(count).unwrap_or(u32::MAX))
        })
        .await
    }
}
