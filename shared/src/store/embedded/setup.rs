//! Questionnaires, municipalities, rounds and invitations: set-up data.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{EmbeddedStore, from_json, parse_stored, to_json};
use crate::domain::questionnaire::{Questionnaire, QuestionnaireId, Slug};
use crate::domain::*;
use crate::store::{QuestionnaireStore, SetupStore, StoreError, StoreResult};

#[async_trait]
impl QuestionnaireStore for EmbeddedStore {
    async fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> StoreResult<()> {
        let questionnaire = questionnaire.clone();
        let definition = to_json(&questionnaire)?;
        self.write(move |conn| {
            let existing: Option<String> = conn
                .prepare_cached(
                    "SELECT definition FROM questionnaires WHERE id = ?1 AND version = ?2",
                )?
                .query_row(
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
                    conn.prepare_cached(
                        "INSERT INTO questionnaires (id, version, definition) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![
                        questionnaire.id.as_str(),
                        questionnaire.version,
                        definition
                    ])?;
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
        self.read(move |conn| {
            let stored: Option<String> = conn
                .prepare_cached(
                    "SELECT definition FROM questionnaires WHERE id = ?1 AND version = ?2",
                )?
                .query_row(params![id, version], |row| row.get(0))
                .optional()?;
            stored.map(|text| from_json(&text)).transpose()
        })
        .await
    }
}

#[async_trait]
impl SetupStore for EmbeddedStore {
    async fn put_municipality(&self, municipality: &Municipality) -> StoreResult<()> {
        let id = municipality.id.as_str().to_owned();
        let name = municipality.name.clone();
        let contact = to_json(&municipality.contact)?;
        let privacy_notice = to_json(&municipality.privacy_notice)?;
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO municipalities (id, name, contact, privacy_notice) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, contact = excluded.contact,
                     privacy_notice = excluded.privacy_notice",
            )?
            .execute(params![id, name, contact, privacy_notice])?;
            Ok(())
        })
        .await
    }

    async fn municipality(&self, id: &MunicipalityId) -> StoreResult<Option<Municipality>> {
        let id = id.clone();
        self.read(move |conn| {
            let row: Option<(String, String, String)> = conn
                .prepare_cached(
                    "SELECT name, contact, privacy_notice FROM municipalities WHERE id = ?1",
                )?
                .query_row([id.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
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
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO rounds (id, municipality, name, questionnaire_id, questionnaire_version,
                     kind, status, period_start, period_end, unit, sent_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                round.id.to_string(),
                round.municipality.as_str(),
                round.name,
                round.questionnaire.id.as_str(),
                round.questionnaire.version,
                round.kind.as_str(),
                round.status.as_str(),
                round.period.start().to_string(),
                round.period.end().to_string(),
                round.unit,
                round.sent_by.as_ref().map(|network| network.as_str()),
                round.created_at.unix_timestamp(),
            ])?;
            Ok(())
        })
        .await
    }

    async fn round(&self, id: &RoundId) -> StoreResult<Option<Round>> {
        let id = id.clone();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {ROUND_COLUMNS} FROM rounds WHERE id = ?1"))?
                .query_row([id.to_string()], StoredRound::from_row)
                .optional()?
                .map(StoredRound::into_round)
                .transpose()
        })
        .await
    }

    async fn create_invitation(&self, new: &NewInvitation) -> StoreResult<()> {
        let id = new.invitation.id.to_string();
        let round = new.invitation.round.to_string();
        let status = match new.invitation.status {
            InvitationStatus::Open => "open",
            InvitationStatus::Answered => "answered",
        };
        let expires_at = new.invitation.expires_at.unix_timestamp();
        let number = new.number;
        let hashes = [
            new.link_hash.as_str().to_owned(),
            new.code_hash.as_str().to_owned(),
        ];
        self.write(move |conn| {
            let round_exists: Option<i64> = conn
                .prepare_cached("SELECT 1 FROM rounds WHERE id = ?1")?
                .query_row([&round], |row| row.get(0))
                .optional()?;
            if round_exists.is_none() {
                return Err(StoreError::UnknownRound);
            }
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO invitations (id, round, status, expires_at, number)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, round, status, expires_at, number])?;
            if inserted == 0 {
                // The same invitation twice: its credentials are taken by itself.
                return Err(StoreError::DuplicateCredential);
            }
            // Counted as issued; a number given here is never reserved again.
            conn.prepare_cached(
                "UPDATE rounds SET issued = issued + 1, next_number = max(next_number, ?2 + 1)
                 WHERE id = ?1",
            )?
            .execute(params![round, number])?;
            for hash in &hashes {
                let inserted = conn
                    .prepare_cached(
                        "INSERT INTO credentials (hash, invitation) VALUES (?1, ?2)
                         ON CONFLICT (hash) DO NOTHING",
                    )?
                    .execute(params![hash, id])?;
                if inserted == 0 {
                    return Err(StoreError::DuplicateCredential);
                }
            }
            Ok(())
        })
        .await
    }
}

/// The columns [`StoredRound::from_row`] reads, in order.
pub(super) const ROUND_COLUMNS: &str = "id, municipality, name, questionnaire_id, \
     questionnaire_version, kind, status, period_start, period_end, unit, sent_by, created_at";

/// A `rounds` row as read, before its values are checked.
pub(super) struct StoredRound {
    id: String,
    municipality: String,
    name: String,
    questionnaire_id: String,
    questionnaire_version: u32,
    kind: String,
    status: String,
    period_start: String,
    period_end: String,
    unit: String,
    sent_by: Option<String>,
    created_at: i64,
}

impl StoredRound {
    pub(super) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            municipality: row.get(1)?,
            name: row.get(2)?,
            questionnaire_id: row.get(3)?,
            questionnaire_version: row.get(4)?,
            kind: row.get(5)?,
            status: row.get(6)?,
            period_start: row.get(7)?,
            period_end: row.get(8)?,
            unit: row.get(9)?,
            sent_by: row.get(10)?,
            created_at: row.get(11)?,
        })
    }

    pub(super) fn into_round(self) -> StoreResult<Round> {
        let date = |text: &str, what| {
            parse_stored(
                time::Date::parse(text, &time::format_description::well_known::Iso8601::DATE).ok(),
                what,
            )
        };
        let period = Period::new(
            date(&self.period_start, "period start")?,
            date(&self.period_end, "period end")?,
        );
        Ok(Round {
            id: parse_stored(RoundId::parse(&self.id), "round id")?,
            municipality: parse_stored(Slug::parse(&self.municipality).ok(), "municipality id")?,
            name: self.name,
            questionnaire: QuestionnaireRef {
                id: parse_stored(Slug::parse(&self.questionnaire_id).ok(), "questionnaire id")?,
                version: self.questionnaire_version,
            },
            kind: parse_stored(RoundKind::parse(&self.kind), "round kind")?,
            status: parse_stored(RoundStatus::parse(&self.status), "round status")?,
            period: parse_stored(period, "period")?,
            unit: self.unit,
            sent_by: self
                .sent_by
                .map(|network| parse_stored(Slug::parse(&network).ok(), "sender"))
                .transpose()?,
            created_at: parse_stored(
                time::OffsetDateTime::from_unix_timestamp(self.created_at).ok(),
                "creation time",
            )?,
        })
    }
}
