//! A respondent's visit: opening an invitation, drafts, submitting; counting responses
//! and failed look-ups.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use rand::Rng;
use time::OffsetDateTime;

use super::{COUNT, GUESS_BUCKET_SLACK_SECONDS};
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{
    ANSWERED, Item, OPEN, TTL_ATTRIBUTE, corrupt, from_json, item, n, number,
    parse_invitation_status, s, slug, text, timestamp, to_json,
};
use crate::store::dynamo::keys::{self, COUNTER_SHARDS};
use crate::store::dynamo::transact::{
    EXISTING_ITEM, NEW_ITEM, OPEN_INVITATION, condition_check, put,
};
use crate::store::*;

#[async_trait]
impl InvitationStore for DynamoStore {
    async fn invitation_by_credential(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<Invitation>> {
        let table = &self.tables.invitations;
        let Some(credential) = self.get(table, keys::credential(hash)).await? else {
            return Ok(None);
        };
        let id = InvitationId::parse(text(&credential, "invitation")?)
            .ok_or_else(|| corrupt("invitation id"))?;
        let Some(stored) = self.get(table, keys::invitation(&id)).await? else {
            return Ok(None);
        };
        Ok(Some(Invitation {
            round: RoundId::parse(text(&stored, "round")?).ok_or_else(|| corrupt("round id"))?,
            municipality: slug(&stored, "municipality")?,
            questionnaire: QuestionnaireRef {
                id: slug(&stored, "questionnaire_id")?,
                version: number(&stored, "questionnaire_version")?,
            },
            status: parse_invitation_status(&stored)?,
            expires_at: timestamp(&stored, "expires_at")?,
            id,
        }))
    }
}

#[async_trait]
impl DraftStore for DynamoStore {
    async fn draft(
        &self,
        invitation: &InvitationId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Draft>> {
        let Some(stored) = self
            .get(&self.tables.invitations, keys::draft(invitation))
            .await?
        else {
            return Ok(None);
        };
        // Time to live deletes expired items only eventually, so expiry is checked here.
        let expires_at = timestamp(&stored, "expires_at")?;
        if expires_at <= now {
            return Ok(None);
        }
        Ok(Some(Draft {
            answers: from_json(&stored, "answers")?,
            expires_at,
        }))
    }

    async fn save_draft(
        &self,
        invitation: &InvitationId,
        draft: &Draft,
    ) -> StoreResult<SaveDraftOutcome> {
        let table = &self.tables.invitations;
        let expires_at = draft.expires_at.unix_timestamp();
        let draft_item = item(
            keys::draft(invitation),
            [
                ("answers", s(to_json(&draft.answers)?)),
                ("expires_at", n(expires_at)),
                (TTL_ATTRIBUTE, n(expires_at)),
            ],
        );
        // The condition check keeps drafts to open invitations: none is written beside a
        // sent response, nor for an invitation that does not exist.
        let actions = vec![
            condition_check(table, keys::invitation(invitation), OPEN_INVITATION)?,
            put(table, draft_item, None)?,
        ];
        match self.transact(actions).await? {
            Ok(()) => Ok(SaveDraftOutcome::Saved),
            Err(cancelled) if cancelled.condition_failed(0) => Ok(SaveDraftOutcome::NotOpen),
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }
}

#[async_trait]
impl ResponseStore for DynamoStore {
    /// One transaction over both tables: the invitation turns `answered` and its draft
    /// goes (invitations table) exactly when the response and one counter shard's `+1`,
    /// in all and for the day, are written (responses table).
    ///
    /// The export row is not kept: beside the JSON (about 850 bytes for the patient
    /// survey) its 100 bytes would take the item past DynamoDB's 1 KB write unit, two
    /// units per Send instead of one (doubled in a transaction), to save CPU in an export
    /// that from DynamoDB is slower for other reasons (2.8 s per 100,000 responses from
    /// DynamoDB Local to the S3 test server against 0.2 s from SQLite with the JSON:
    /// BENCHMARKS.md). Exports from DynamoDB read the JSON.
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
        _export_row: Option<&ExportRow>,
    ) -> StoreResult<SubmitOutcome> {
        let mark_answered = Update::builder()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::invitation(invitation)))
            .update_expression("SET #status = :answered")
            .condition_expression("#status = :open")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":answered", s(ANSWERED))
            .expression_attribute_values(":open", s(OPEN))
            .build()
            .map_err(StoreError::unavailable)?;
        // The shards exist exactly when the round does (`create_round` makes them), so
        // the condition also refuses a response to an unknown round.
        let shard = rand::rng().random_range(0..COUNTER_SHARDS);
        let count = Update::builder()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::counter_shard(&response.round, shard)))
            .update_expression("ADD #count :one")
            .condition_expression(EXISTING_ITEM)
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(StoreError::unavailable)?;
        // The same shard's count of the day, for `answered_per_day`: a second item in the
        // shard's partition, so it spreads like the counter does.
        let count_day = Update::builder()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::answered_on(
                &response.round,
                shard,
                response.submitted_on,
            )))
            .update_expression("ADD #count :one")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(StoreError::unavailable)?;
        let delete_draft = Delete::builder()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::draft(invitation)))
            .build()
            .map_err(StoreError::unavailable)?;
        let response_item = item(
            keys::response(&response.round, &response.id.to_string()),
            [("body", s(response_body::encode(response)?))],
        );
        let actions = vec![
            TransactWriteItem::builder().update(mark_answered).build(),
            put(&self.tables.responses, response_item, Some(NEW_ITEM))?,
            TransactWriteItem::builder().update(count).build(),
            TransactWriteItem::builder().delete(delete_draft).build(),
            TransactWriteItem::builder().update(count_day).build(),
        ];
        match self.transact(actions).await? {
            Ok(()) => Ok(SubmitOutcome::Stored),
            Err(cancelled) if cancelled.condition_failed(0) => Ok(SubmitOutcome::AlreadyAnswered),
            Err(cancelled) if cancelled.condition_failed(2) => Err(StoreError::UnknownRound),
            Err(cancelled) if cancelled.condition_failed(1) => {
                Err(cancelled.refused("a response with this id already exists"))
            }
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }

    /// The sum of the round's counter shards: one strongly consistent `BatchGetItem` of
    /// [`COUNTER_SHARDS`] keys (repeated for any DynamoDB leaves unprocessed). Exact, as
    /// every shard's `+1` is part of its submission's transaction.
    async fn count_responses(&self, round: &RoundId) -> StoreResult<u64> {
        let keys = (0..COUNTER_SHARDS)
            .map(|shard| keys::counter_shard(round, shard))
            .collect();
        let mut total: u64 = 0;
        for shard in self.get_many(&self.tables.responses, keys).await? {
            total += number::<u64>(&shard, COUNT)?;
        }
        Ok(total)
    }

    async fn responses_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponsePage> {
        let page = self.response_bodies_page(round, after, limit).await?;
        let responses = page
            .bodies
            .iter()
            .map(|body| response_body::decode(body))
            .collect::<StoreResult<_>>()?;
        Ok(ResponsePage {
            responses,
            next: page.next,
        })
    }

    /// The `body` attributes of one page, as stored.
    async fn response_bodies_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponseBodyPage> {
        if limit == 0 {
            return Ok(ResponseBodyPage {
                bodies: Vec::new(),
                next: None,
            });
        }
        // One more than asked for tells whether another page follows.
        let wanted = limit as usize + 1;
        let mut start = after.map(|cursor| keys::response(round, &cursor.0));
        let mut items: Vec<Item> = Vec::new();
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.tables.responses)
                .consistent_read(true)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(keys::responses_partition(round)))
                .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            items.extend(output.items.unwrap_or_default());
            // A query returns at most 1 MB, so a page may take several.
            match output.last_evaluated_key {
                Some(last) if items.len() < wanted => start = Some(last),
                _ => break,
            }
        }
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = match items.last() {
            Some(last) if more => Some(PageCursor(text(last, "sk")?.to_owned())),
            _ => None,
        };
        let bodies = items
            .into_iter()
            .map(|mut stored| match stored.remove("body") {
                Some(AttributeValue::S(body)) => Ok(body),
                _ => Err(corrupt("body")),
            })
            .collect::<StoreResult<_>>()?;
        Ok(ResponseBodyPage { bodies, next })
    }
}

#[async_trait]
impl GuessStore for DynamoStore {
    async fn record_failed_lookup(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<()> {
        let expires = (now + window).unix_timestamp() + GUESS_BUCKET_SLACK_SECONDS;
        self.client
            .update_item()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::guess(client, minute_bucket(now))))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(expires))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn failed_lookups(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<u32> {
        let (from, to) = (minute_bucket(now - window) + 1, minute_bucket(now));
        let bounds = (keys::guess(client, from), keys::guess(client, to));
        let output = self
            .client
            .query()
            .table_name(&self.tables.invitations)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", bounds.0["pk"].clone())
            .expression_attribute_values(":from", bounds.0["sk"].clone())
            .expression_attribute_values(":to", bounds.1["sk"].clone())
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let mut total: u32 = 0;
        for bucket in output.items() {
            total = total.saturating_add(number(bucket, COUNT)?);
        }
        Ok(total)
    }
}
