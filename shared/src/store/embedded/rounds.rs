//! Rounds as the workspace lists and changes them, and their counts.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use time::Date;

use super::setup::{ROUND_COLUMNS, StoredRound};
use super::{EmbeddedStore, parse_stored};
use crate::domain::*;
use crate::store::*;

#[async_trait]
impl RoundAdminStore for EmbeddedStore {
    async fn rounds_of_municipality(
        &self,
        municipality: &MunicipalityId,
    ) -> StoreResult<Vec<Round>> {
        let municipality = municipality.as_str().to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {ROUND_COLUMNS} FROM rounds WHERE municipality = ?1
                 ORDER BY created_at DESC, id DESC"
            ))?
            .query_map([municipality], StoredRound::from_row)?
            .map(|row| row?.into_round())
            .collect()
        })
        .await
    }

    async fn rounds_sent_by(&self, network: &OrganisationId) -> StoreResult<Vec<Round>> {
        let network = network.as_str().to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {ROUND_COLUMNS} FROM rounds WHERE sent_by = ?1
                 ORDER BY created_at DESC, id DESC"
            ))?
            .query_map([network], StoredRound::from_row)?
            .map(|row| row?.into_round())
            .collect()
        })
        .await
    }

    async fn set_round_status(&self, round: &RoundId, status: RoundStatus) -> StoreResult<bool> {
        let round = round.to_string();
        self.write(move |conn| {
            let changed = conn
                .prepare_cached("UPDATE rounds SET status = ?2 WHERE id = ?1")?
                .execute(params![round, status.as_str()])?;
            Ok(changed > 0)
        })
        .await
    }

    async fn round_counts(&self, round: &RoundId) -> StoreResult<RoundCounts> {
        let round = round.to_string();
        self.read(move |conn| {
            let counts: Option<(i64, i64)> = conn
                .prepare_cached("SELECT issued, response_count FROM rounds WHERE id = ?1")?
                .query_row([round], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?;
            Ok(
                counts.map_or_else(RoundCounts::default, |(issued, answered)| RoundCounts {
                    issued: issued.max(0) as u64,
                    answered: answered.max(0) as u64,
                }),
            )
        })
        .await
    }

    async fn answered_per_day(&self, round: &RoundId) -> StoreResult<Vec<(Date, u64)>> {
        let round = round.to_string();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT day, count FROM answered_per_day WHERE round = ?1 AND count > 0
                 ORDER BY day",
            )?
            .query_map([round], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?
            .map(|row| {
                let (day, count) = row?;
                let day =
                    Date::parse(&day, &time::format_description::well_known::Iso8601::DATE).ok();
                Ok((parse_stored(day, "day")?, count.max(0) as u64))
            })
            .collect()
        })
        .await
    }
}
