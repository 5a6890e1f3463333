//! The network's sends, mapping links, reports, reminders and uploads.
//!
//! Sends, reports and uploads are kept as JSON bodies (read whole, never queried inside);
//! a mapping link has columns, as it is looked up by its hash.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::{EmbeddedStore, from_json, parse_stored, to_json};
use crate::domain::*;
use crate::store::*;

fn time_of(seconds: i64) -> StoreResult<OffsetDateTime> {
    parse_stored(OffsetDateTime::from_unix_timestamp(seconds).ok(), "time")
}

fn round_id(text: &str) -> StoreResult<RoundId> {
    parse_stored(RoundId::parse(text), "round id")
}

#[async_trait]
impl NetworkStore for EmbeddedStore {
    async fn put_send(&self, send: &NetworkSend) -> StoreResult<()> {
        let (id, network) = (send.id.to_string(), send.network.to_string());
        let (created_at, body) = (send.created_at.unix_timestamp(), to_json(send)?);
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO network_sends (id, network, created_at, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![id, network, created_at, body])?;
            Ok(())
        })
        .await
    }

    async fn send(
        &self,
        network: &OrganisationId,
        id: &RoundId,
    ) -> StoreResult<Option<NetworkSend>> {
        let (id, network) = (id.to_string(), network.to_string());
        self.read(move |conn| {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM network_sends WHERE id = ?1 AND network = ?2")?
                .query_row(params![id, network], |row| row.get(0))
                .optional()?;
            body.map(|body| from_json(&body)).transpose()
        })
        .await
    }

    async fn sends(&self, network: &OrganisationId) -> StoreResult<Vec<NetworkSend>> {
        let network = network.to_string();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT body FROM network_sends WHERE network = ?1 ORDER BY created_at DESC, id",
            )?;
            let bodies = statement
                .query_map([network], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            bodies.iter().map(|body| from_json(body)).collect()
        })
        .await
    }

    async fn replace_mapping_link(&self, link: &MappingLink) -> StoreResult<()> {
        let (round, hash) = (link.round.to_string(), link.hash.as_str().to_owned());
        let (limit, created_at) = (link.answer_limit, link.created_at.unix_timestamp());
        self.write(move |conn| {
            // The visitor count stays: running numbers are never given out twice.
            conn.prepare_cached(
                "INSERT INTO mapping_links (round, hash, answer_limit, created_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (round) DO UPDATE SET hash = excluded.hash,
                     answer_limit = excluded.answer_limit, created_at = excluded.created_at",
            )?
            .execute(params![round, hash, limit, created_at])?;
            Ok(())
        })
        .await
    }

    async fn mapping_link_of_round(&self, round: &RoundId) -> StoreResult<Option<MappingLink>> {
        let round = round.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {LINK_COLUMNS} FROM mapping_links WHERE round = ?1"
            ))?
            .query_row([round], link_row)
            .optional()?
            .map(into_link)
            .transpose()
        })
        .await
    }

    async fn save_report_draft(
        &self,
        round: &RoundId,
        answers: &RawAnswers,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (round, answers) = (round.clone(), answers.clone());
        self.write(move |conn| {
            let stored = read_report(conn, &round)?;
            if stored
                .as_ref()
                .is_some_and(|r| r.status == ReportStatus::Sent)
            {
                return Ok(false);
            }
            let report = StoredReport {
                round,
                status: ReportStatus::InProgress,
                answers,
                saved_at: at,
                sent_at: stored.and_then(|r| r.sent_at),
            };
            write_report(conn, &report)?;
            Ok(true)
        })
        .await
    }

    async fn send_report(
        &self,
        round: &RoundId,
        answers: &RawAnswers,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (round, answers) = (round.clone(), answers.clone());
        self.write(move |conn| {
            let stored = read_report(conn, &round)?;
            if stored
                .as_ref()
                .is_some_and(|r| r.status == ReportStatus::Sent)
            {
                return Ok(false);
            }
            let report = StoredReport {
                round,
                status: ReportStatus::Sent,
                answers,
                saved_at: at,
                sent_at: Some(at),
            };
            write_report(conn, &report)?;
            Ok(true)
        })
        .await
    }

    async fn reopen_report(&self, round: &RoundId, at: OffsetDateTime) -> StoreResult<bool> {
        let round = round.clone();
        self.write(move |conn| match read_report(conn, &round)? {
            Some(report) if report.status == ReportStatus::Sent => {
                let report = StoredReport {
                    status: ReportStatus::InProgress,
                    saved_at: at,
                    ..report
                };
                write_report(conn, &report)?;
                Ok(true)
            }
            _ => Ok(false),
        })
        .await
    }

    async fn report(&self, round: &RoundId) -> StoreResult<Option<StoredReport>> {
        let round = round.clone();
        self.read(move |conn| read_report(conn, &round)).await
    }

    async fn set_reminded(&self, round: &RoundId, at: OffsetDateTime) -> StoreResult<()> {
        let (round, at) = (round.to_string(), at.unix_timestamp());
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO network_reminders (round, at) VALUES (?1, ?2)
                 ON CONFLICT (round) DO UPDATE SET at = excluded.at",
            )?
            .execute(params![round, at])?;
            Ok(())
        })
        .await
    }

    async fn reminded_at(&self, round: &RoundId) -> StoreResult<Option<OffsetDateTime>> {
        let round = round.to_string();
        self.read(move |conn| {
            let at: Option<i64> = conn
                .prepare_cached("SELECT at FROM network_reminders WHERE round = ?1")?
                .query_row([round], |row| row.get(0))
                .optional()?;
            at.map(time_of).transpose()
        })
        .await
    }

    async fn add_uploaded_questionnaire(&self, upload: &UploadedQuestionnaire) -> StoreResult<()> {
        let network = upload.network.to_string();
        let id = upload.questionnaire.id.to_string();
        let version = upload.questionnaire.version;
        let (at, body) = (upload.uploaded_at.unix_timestamp(), to_json(upload)?);
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO uploaded_questionnaires (network, id, version, uploaded_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (network, id, version) DO UPDATE SET
                     uploaded_at = excluded.uploaded_at, body = excluded.body",
            )?
            .execute(params![network, id, version, at, body])?;
            Ok(())
        })
        .await
    }

    async fn uploaded_questionnaires(
        &self,
        network: &OrganisationId,
    ) -> StoreResult<Vec<UploadedQuestionnaire>> {
        let network = network.to_string();
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT body FROM uploaded_questionnaires WHERE network = ?1
                 ORDER BY uploaded_at DESC, id, version DESC",
            )?;
            let bodies = statement
                .query_map([network], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            bodies.iter().map(|body| from_json(body)).collect()
        })
        .await
    }
}

#[async_trait]
impl MappingLinkStore for EmbeddedStore {
    async fn mapping_link_by_hash(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<MappingLink>> {
        let hash = hash.as_str().to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {LINK_COLUMNS} FROM mapping_links WHERE hash = ?1"
            ))?
            .query_row([hash], link_row)
            .optional()?
            .map(into_link)
            .transpose()
        })
        .await
    }

    async fn next_mapping_visitor(&self, round: &RoundId) -> StoreResult<u32> {
        let round = round.to_string();
        self.write(move |conn| {
            let number: Option<u32> = conn
                .prepare_cached(
                    "UPDATE mapping_links SET visitors = visitors + 1 WHERE round = ?1
                     RETURNING visitors",
                )?
                .query_row([round], |row| row.get(0))
                .optional()?;
            number.ok_or(StoreError::UnknownRound)
        })
        .await
    }
}

const LINK_COLUMNS: &str = "round, hash, answer_limit, created_at";

type LinkRow = (String, String, u32, i64);

fn link_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<LinkRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn into_link((round, hash, answer_limit, created_at): LinkRow) -> StoreResult<MappingLink> {
    Ok(MappingLink {
        round: round_id(&round)?,
        hash: CredentialHash::from_stored(hash),
        answer_limit,
        created_at: time_of(created_at)?,
    })
}

fn read_report(conn: &rusqlite::Connection, round: &RoundId) -> StoreResult<Option<StoredReport>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM reports WHERE round = ?1")?
        .query_row([round.to_string()], |row| row.get(0))
        .optional()?;
    body.map(|body| from_json(&body)).transpose()
}

fn write_report(conn: &rusqlite::Connection, report: &StoredReport) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO reports (round, body) VALUES (?1, ?2)
         ON CONFLICT (round) DO UPDATE SET body = excluded.body",
    )?
    .execute(params![report.round.to_string(), to_json(report)?])?;
    Ok(())
}
