//! The audit trail: append-only (triggers in the schema refuse any change or removal),
//! read newest first, page by page.

use async_trait::async_trait;
use rusqlite::params;
use time::OffsetDateTime;

use super::{EmbeddedStore, parse_stored};
use crate::domain::questionnaire::Slug;
use crate::domain::*;
use crate::store::*;

#[async_trait]
impl AuditStore for EmbeddedStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let entry = entry.clone();
        self.write(move |conn| {
            let refused = match &entry.result {
                AuditResult::Done => None,
                AuditResult::Refused(reason) => Some(reason.as_str()),
            };
            conn.prepare_cached(
                "INSERT INTO audit (organisation, key_label, action, object, at, refused)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                entry.organisation.as_str(),
                entry.key_label,
                entry.action.as_str(),
                entry.object,
                entry.at.unix_timestamp(),
                refused,
            ])?;
            Ok(())
        })
        .await
    }

    /// Newest first by time, lines of the same second in the reverse order they were
    /// written. The cursor is the last line's `time:sequence`; one that is not (typed by
    /// hand) reads as the end of the trail rather than an error.
    async fn audit_trail(
        &self,
        organisation: &OrganisationId,
        after: Option<&AuditCursor>,
        limit: u32,
    ) -> StoreResult<AuditPage> {
        let organisation = organisation.as_str().to_owned();
        let position = match after {
            None => Some((i64::MAX, i64::MAX)),
            Some(cursor) => parse_cursor(&cursor.0),
        };
        let Some((before_at, before_seq)) = position else {
            return Ok(AuditPage {
                entries: Vec::new(),
                next: None,
            });
        };
        self.read(move |conn| {
            let rows = conn
                .prepare_cached(
                    "SELECT seq, key_label, action, object, at, refused FROM audit
                     WHERE organisation = ?1 AND (at, seq) < (?2, ?3)
                     ORDER BY at DESC, seq DESC LIMIT ?4",
                )?
                .query_map(
                    params![organisation, before_at, before_seq, i64::from(limit) + 1],
                    |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, i64>(4)?,
                            row.get::<_, Option<String>>(5)?,
                        ))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let more = rows.len() > limit as usize;
            let organisation = parse_stored(Slug::parse(&organisation).ok(), "organisation")?;
            let mut entries = Vec::with_capacity(rows.len().min(limit as usize));
            let mut last = None;
            for (seq, key_label, action, object, at, refused) in
                rows.into_iter().take(limit as usize)
            {
                entries.push(AuditEntry {
                    organisation: organisation.clone(),
                    key_label,
                    action: parse_stored(AuditAction::parse(&action), "audit action")?,
                    object,
                    at: parse_stored(OffsetDateTime::from_unix_timestamp(at).ok(), "audit time")?,
                    result: refused.map_or(AuditResult::Done, AuditResult::Refused),
                });
                last = Some(format!("{at}:{seq}"));
            }
            Ok(AuditPage {
                entries,
                next: if more { last.map(AuditCursor) } else { None },
            })
        })
        .await
    }
}

fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (at, seq) = text.split_once(':')?;
    Some((at.parse().ok()?, seq.parse().ok()?))
}
