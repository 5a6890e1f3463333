//! Rounds as the workspace lists and changes them: the lists of a municipality's and a
//! network's rounds (written with the round, see `create_round`), status, counts.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use tokio::task::JoinSet;

use super::setup::read_round;
use super::{COUNT, ISSUED, update_condition_failed};
use crate::domain::*;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{corrupt, number, s, text, text_of};
use crate::store::dynamo::keys::{self, COUNTER_SHARDS, DAY};
use crate::store::dynamo::reads::{PartitionQuery, SortKeys};
use crate::store::*;

#[async_trait]
impl RoundAdminStore for DynamoStore {
    async fn rounds_of_municipality(
        &self,
        municipality: &MunicipalityId,
    ) -> StoreResult<Vec<Round>> {
        self.listed_rounds(keys::municipality_rounds_partition(municipality))
            .await
    }

    async fn rounds_sent_by(&self, network: &OrganisationId) -> StoreResult<Vec<Round>> {
        self.listed_rounds(keys::network_rounds_partition(network))
            .await
    }

    async fn set_round_status(&self, round: &RoundId, status: RoundStatus) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::round(round)))
            .update_expression("SET #status = :status")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if update_condition_failed(&error) => Ok(false),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }

    /// One strongly consistent `BatchGetItem` of the round (its `issued`) and its
    /// [`COUNTER_SHARDS`] counter shards (their sum), so both are of one moment. An
    /// unknown round counts nothing.
    async fn round_counts(&self, round: &RoundId) -> StoreResult<RoundCounts> {
        let round_key = keys::round(round);
        let wanted = std::iter::once(round_key.clone())
            .chain((0..COUNTER_SHARDS).map(|shard| keys::counter_shard(round, shard)))
            .collect();
        let round_pk = text_of(&round_key, "pk");
        let mut counts = RoundCounts::default();
        for stored in self.get_many(&self.tables.responses, wanted).await? {
            if text_of(&stored, "pk") == round_pk {
                if stored.contains_key(ISSUED) {
                    counts.issued = number(&stored, ISSUED)?;
                }
            } else {
                counts.answered += number::<u64>(&stored, COUNT)?;
            }
        }
        Ok(counts)
    }

    /// One `Query` per counter shard (`begins_with(sk, "D#")`, all in flight at once),
    /// added up by day.
    async fn answered_per_day(&self, round: &RoundId) -> StoreResult<Vec<(time::Date, u64)>> {
        let mut running = JoinSet::new();
        for shard in 0..COUNTER_SHARDS {
            let (store, round) = (self.clone(), round.clone());
            running.spawn(async move {
                let shard_key = keys::counter_shard(&round, shard);
                store
                    .query(PartitionQuery {
                        table: &store.tables.responses,
                        pk: text_of(&shard_key, "pk"),
                        sort_keys: SortKeys::BeginningWith(DAY.to_owned()),
                        newest_first: false,
                        limit: None,
                    })
                    .await
            });
        }
        let mut per_day: BTreeMap<time::Date, u64> = BTreeMap::new();
        while let Some(joined) = running.join_next().await {
            for stored in joined.map_err(StoreError::unavailable)?? {
                let day = text(&stored, "sk")?
                    .strip_prefix(DAY)
                    .and_then(|day| {
                        time::Date::parse(day, &time::format_description::well_known::Iso8601::DATE)
                            .ok()
                    })
                    .ok_or_else(|| corrupt("day"))?;
                *per_day.entry(day).or_default() += number::<u64>(&stored, COUNT)?;
            }
        }
        Ok(per_day
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .collect())
    }
}

impl DynamoStore {
    /// The rounds of a list partition, newest first: one `Query` (newest first) for their
    /// ids, then the rounds themselves by `BatchGetItem` (status changes, so the list
    /// holds no copy of it).
    async fn listed_rounds(&self, partition: String) -> StoreResult<Vec<Round>> {
        let table = &self.tables.responses;
        let listed = self
            .query(PartitionQuery {
                table,
                pk: partition,
                sort_keys: SortKeys::All,
                newest_first: true,
                limit: None,
            })
            .await?;
        let ids = listed
            .iter()
            .map(|entry| RoundId::parse(text(entry, "round")?).ok_or_else(|| corrupt("round id")))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut rounds: HashMap<RoundId, Round> = self
            .get_many(table, ids.iter().map(keys::round).collect())
            .await?
            .iter()
            .map(|stored| read_round(stored).map(|round| (round.id.clone(), round)))
            .collect::<StoreResult<_>>()?;
        // Rounds are never deleted, so every listed one is there.
        ids.iter()
            .map(|id| rounds.remove(id).ok_or_else(|| corrupt("listed round")))
            .collect()
    }
}
