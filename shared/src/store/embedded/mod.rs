//! The embedded store: SQLite in a file, the local default.
//!
//! WAL journal with `synchronous = FULL`, so a committed submission survives a crash or
//! power cut. One connection behind a mutex, used from Tokio's blocking pool: a local
//! server for one municipality's testing is far from SQLite's limits.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::*;
use crate::domain::questionnaire::Slug;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS questionnaires (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE IF NOT EXISTS municipalities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    contact TEXT NOT NULL,
    privacy_notice TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rounds (
    id TEXT PRIMARY KEY,
    municipality TEXT NOT NULL REFERENCES municipalities (id),
    name TEXT NOT NULL,
    questionnaire_id TEXT NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    response_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS invitations (
    id TEXT PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds (id),
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    hash TEXT PRIMARY KEY,
    invitation TEXT NOT NULL REFERENCES invitations (id)
);
CREATE TABLE IF NOT EXISTS drafts (
    invitation TEXT PRIMARY KEY REFERENCES invitations (id),
    answers TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS responses (
    round TEXT NOT NULL REFERENCES rounds (id),
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (round, id)
);
CREATE TABLE IF NOT EXISTS failed_lookups (
    client TEXT NOT NULL,
    minute INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (client, minute)
) WITHOUT ROWID;
";

/// Changes to tables made by an earlier version, applied in order; `PRAGMA user_version`
/// counts those already applied. A new database gets the current schema from [`SCHEMA`]
/// and skips them all.
const MIGRATIONS: &[&str] = &[
    // 1: a municipality's contact and privacy notice.
    "ALTER TABLE municipalities ADD COLUMN contact TEXT NOT NULL DEFAULT '{\"sv\":\"\"}';
     ALTER TABLE municipalities ADD COLUMN privacy_notice TEXT NOT NULL DEFAULT '{\"sv\":\"\"}';",
];

#[derive(Clone)]
pub struct EmbeddedStore {
    connection: Arc<Mutex<Connection>>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::unavailable(error)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("unencodable value ({:?})", e.classify())))
}

/// Decodes stored JSON. The error names the place, never the content: it may hold answers.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "undecodable JSON ({:?}) at line {}, column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

fn parse_stored<T>(value: Option<T>, what: &str) -> StoreResult<T> {
    value.ok_or_else(|| StoreError::Corrupt(format!("invalid {what}")))
}

impl EmbeddedStore {
    /// Opens (or creates) the database file.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let connection = Connection::open(path)?;
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )?;
        migrate(&connection)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` on the connection in Tokio's blocking pool.
    async fn with_connection<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            let mut guard = connection
                .lock()
                .map_err(|_| StoreError::Unavailable("the database lock was poisoned".into()))?;
            work(&mut guard)
        })
        .await
        .map_err(StoreError::unavailable)?
    }
}

/// Brings the schema up to date: a new file gets [`SCHEMA`], an older one its [`MIGRATIONS`].
fn migrate(connection: &Connection) -> StoreResult<()> {
    let current = MIGRATIONS.len() as i64;
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let is_new: bool = connection.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'municipalities')",
        [],
        |row| row.get(0),
    )?;
    if is_new {
        connection.execute_batch(SCHEMA)?;
    } else {
        for migration in MIGRATIONS.iter().skip(version.max(0) as usize) {
            connection.execute_batch(migration)?;
        }
        // Tables added since (without data to migrate) come with `IF NOT EXISTS`.
        connection.execute_batch(SCHEMA)?;
    }
    connection.execute_batch(&format!("PRAGMA user_version = {current}"))?;
    Ok(())
}

#[async_trait]
impl QuestionnaireStore for EmbeddedStore {
    async fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> StoreResult<()> {
        let questionnaire = questionnaire.clone();
        let definition = to_json(&questionnaire)?;
        self.with_connection(move |conn| {
            let tx = conn.transaction()?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT definition FROM questionnaires WHERE id = ?1 AND version = ?2",
                    params![questionnaire.id.as_str(), questionnaire.version],
                    |row| row.get(0),
                )
                .optional()?;
            match existing {
                Some(stored) if from_json::<Questionnaire>(&stored)? == questionnaire => Ok(()),
                Some(_) => Err(StoreError::PublishedVersionChanged {
                    id: questionnaire.id.clone(),
                    version: questionnaire.version,
                }),
                None => {
                    tx.execute(
                        "INSERT INTO questionnaires (id, version, definition) VALUES (?1, ?2, ?3)",
                        params![questionnaire.id.as_str(), questionnaire.version, definition],
                    )?;
                    tx.commit()?;
                    Ok(())
                }
            }
        })
        .await
    }

    async fn questionnaire(
        &self,
        id: &QuestionnaireId,
        version: u32,
    ) -> StoreResult<Option<Questionnaire>> {
        let id = id.to_string();
        self.with_connection(move |conn| {
            let stored: Option<String> = conn
                .query_row(
                    "SELECT definition FROM questionnaires WHERE id = ?1 AND version = ?2",
                    params![id, version],
                    |row| row.get(0),
                )
                .optional()?;
            stored.map(|text| from_json(&text)).transpose()
        })
        .await
    }
}

#[async_trait]
impl InvitationStore for EmbeddedStore {
    async fn invitation_by_credential(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<Invitation>> {
        let hash = hash.as_str().to_owned();
        self.with_connection(move |conn| {
            let row = conn
                .query_row(
                    "SELECT i.id, i.round, r.municipality, r.questionnaire_id, r.questionnaire_version, i.status, i.expires_at
                     FROM credentials c JOIN invitations i ON i.id = c.invitation JOIN rounds r ON r.id = i.round
                     WHERE c.hash = ?1",
                    [hash],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, u32>(4)?,
                            row.get::<_, String>(5)?,
                            row.get::<_, i64>(6)?,
                        ))
                    },
                )
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
        self.with_connection(move |conn| {
            let stored: Option<(String, i64)> = conn
                .query_row(
                    "SELECT answers, expires_at FROM drafts WHERE invitation = ?1 AND expires_at > ?2",
                    params![invitation, now.unix_timestamp()],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            stored
                .map(|(answers, expires_at)| {
                    Ok(Draft {
                        answers: from_json(&answers)?,
                        expires_at: parse_stored(OffsetDateTime::from_unix_timestamp(expires_at).ok(), "expiry time")?,
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
        self.with_connection(move |conn| {
            let tx = conn.transaction()?;
            // Expired drafts are removed here, so no separate clean-up job is needed locally.
            tx.execute(
                "DELETE FROM drafts WHERE expires_at <= ?1",
                [OffsetDateTime::now_utc().unix_timestamp()],
            )?;
            let saved = tx.execute(
                "INSERT INTO drafts (invitation, answers, expires_at)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM invitations WHERE id = ?1 AND status = 'open')
                 ON CONFLICT (invitation) DO UPDATE SET answers = excluded.answers, expires_at = excluded.expires_at",
                params![invitation, answers, expires_at],
            )?;
            tx.commit()?;
            Ok(if saved == 0 { SaveDraftOutcome::NotOpen } else { SaveDraftOutcome::Saved })
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
    ) -> StoreResult<SubmitOutcome> {
        let invitation = invitation.to_string();
        let round = response.round.to_string();
        let id = response.id.to_string();
        let body = to_json(response)?;
        self.with_connection(move |conn| {
            let tx = conn.transaction()?;
            let consumed = tx.execute(
                "UPDATE invitations SET status = 'answered' WHERE id = ?1 AND status = 'open'",
                [&invitation],
            )?;
            if consumed == 0 {
                return Ok(SubmitOutcome::AlreadyAnswered);
            }
            let counted = tx.execute(
                "UPDATE rounds SET response_count = response_count + 1 WHERE id = ?1",
                [&round],
            )?;
            if counted == 0 {
                return Err(StoreError::UnknownRound);
            }
            tx.execute(
                "INSERT INTO responses (round, id, body) VALUES (?1, ?2, ?3)",
                params![round, id, body],
            )?;
            tx.execute("DELETE FROM drafts WHERE invitation = ?1", [&invitation])?;
            tx.commit()?;
            Ok(SubmitOutcome::Stored)
        })
        .await
    }

    async fn count_responses(&self, round: &RoundId) -> StoreResult<u64> {
        let round = round.to_string();
        self.with_connection(move |conn| {
            let count: Option<i64> = conn
                .query_row(
                    "SELECT response_count FROM rounds WHERE id = ?1",
                    [round],
                    |row| row.get(0),
                )
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
        let round = round.to_string();
        let after = after.map(|c| c.0.clone()).unwrap_or_default();
        self.with_connection(move |conn| {
            let mut statement = conn.prepare(
                "SELECT id, body FROM responses WHERE round = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = statement
                .query_map(params![round, after, i64::from(limit) + 1], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let more = rows.len() > limit as usize;
            let mut responses = Vec::with_capacity(rows.len().min(limit as usize));
            let mut last_id = None;
            for (id, body) in rows.into_iter().take(limit as usize) {
                responses.push(from_json(&body)?);
                last_id = Some(id);
            }
            Ok(ResponsePage {
                responses,
                next: if more { last_id.map(PageCursor) } else { None },
            })
        })
        .await
    }
}

#[async_trait]
impl SetupStore for EmbeddedStore {
    async fn put_municipality(&self, municipality: &Municipality) -> StoreResult<()> {
        let municipality = municipality.clone();
        self.with_connection(move |conn| {
            conn.execute(
                "INSERT INTO municipalities (id, name, contact, privacy_notice) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, contact = excluded.contact,
                     privacy_notice = excluded.privacy_notice",
                params![
                    municipality.id.as_str(),
                    municipality.name,
                    to_json(&municipality.contact)?,
                    to_json(&municipality.privacy_notice)?
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn municipality(&self, id: &MunicipalityId) -> StoreResult<Option<Municipality>> {
        let id = id.clone();
        self.with_connection(move |conn| {
            let row: Option<(String, String, String)> = conn
                .query_row(
                    "SELECT name, contact, privacy_notice FROM municipalities WHERE id = ?1",
                    [id.as_str()],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            row.map(|(name, contact, privacy_notice)| {
                Ok(Municipality {
                    id: id.clone(),
                    name,
                    contact: from_json(&contact)?,
                    privacy_notice: from_json(&privacy_notice)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn create_round(&self, round: &Round) -> StoreResult<()> {
        let round = round.clone();
        self.with_connection(move |conn| {
            conn.execute(
                "INSERT INTO rounds (id, municipality, name, questionnaire_id, questionnaire_version) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    round.id.to_string(),
                    round.municipality.as_str(),
                    round.name,
                    round.questionnaire.id.as_str(),
                    round.questionnaire.version
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn round(&self, id: &RoundId) -> StoreResult<Option<Round>> {
        let id = id.clone();
        self.with_connection(move |conn| {
            let row: Option<(String, String, String, u32)> = conn
                .query_row(
                    "SELECT municipality, name, questionnaire_id, questionnaire_version FROM rounds WHERE id = ?1",
                    [id.to_string()],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?;
            row.map(|(municipality, name, q_id, q_version)| {
                Ok(Round {
                    id: id.clone(),
                    municipality: parse_stored(Slug::parse(&municipality).ok(), "municipality id")?,
                    name,
                    questionnaire: QuestionnaireRef {
                        id: parse_stored(Slug::parse(&q_id).ok(), "questionnaire id")?,
                        version: q_version,
                    },
                })
            })
            .transpose()
        })
        .await
    }

    async fn create_invitation(&self, new: &NewInvitation) -> StoreResult<()> {
        let new = new.clone();
        self.with_connection(move |conn| {
            let tx = conn.transaction()?;
            let invitation = &new.invitation;
            let round_exists: Option<i64> = tx
                .query_row("SELECT 1 FROM rounds WHERE id = ?1", [invitation.round.to_string()], |row| row.get(0))
                .optional()?;
            if round_exists.is_none() {
                return Err(StoreError::UnknownRound);
            }
            let status = match invitation.status {
                InvitationStatus::Open => "open",
                InvitationStatus::Answered => "answered",
            };
            let inserted = tx.execute(
                "INSERT INTO invitations (id, round, status, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    invitation.id.to_string(),
                    invitation.round.to_string(),
                    status,
                    invitation.expires_at.unix_timestamp()
                ],
            )?;
            if inserted == 0 {
                // The same invitation twice: its credentials are taken by itself.
                return Err(StoreError::DuplicateCredential);
            }
            for hash in [&new.link_hash, &new.code_hash] {
                let inserted = tx.execute(
                    "INSERT INTO credentials (hash, invitation) VALUES (?1, ?2) ON CONFLICT (hash) DO NOTHING",
                    params![hash.as_str(), invitation.id.to_string()],
                )?;
                if inserted == 0 {
                    return Err(StoreError::DuplicateCredential);
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
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
        self.with_connection(move |conn| {
            let tx = conn.transaction()?;
            // Old buckets go here, as drafts do: no clean-up job is needed locally.
            tx.execute(
                "DELETE FROM failed_lookups WHERE minute < ?1",
                [oldest_kept],
            )?;
            tx.execute(
                "INSERT INTO failed_lookups (client, minute, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (client, minute) DO UPDATE SET count = count + 1",
                params![client, minute],
            )?;
            tx.commit()?;
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
        self.with_connection(move |conn| {
            let count: i64 = conn.query_row(
                "SELECT COALESCE(SUM(count), 0) FROM failed_lookups WHERE client = ?1 AND minute > ?2 AND minute <= ?3",
                params![client, from, to],
                |row| row.get(0),
            )?;
            Ok(u32::try_from(count).unwrap_or(u32::MAX))
        })
        .await
    }
}
