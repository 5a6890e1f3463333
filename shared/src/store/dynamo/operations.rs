//! The store traits on DynamoDB. Which request each method makes is listed in
//! `docs/dynamodb.md`, "Access patterns".

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, TransactWriteItem, Update};
use rand::Rng;
use time::OffsetDateTime;

use super::DynamoStore;
use super::items::{
    ANSWERED, Item, OPEN, TTL_ATTRIBUTE, corrupt, from_json, invitation_status, item, n, number,
    parse_invitation_status, s, slug, text, timestamp, to_json,
};
use super::keys::{self, COUNTER_SHARDS};
use super::transact::{EXISTING_ITEM, NEW_ITEM, OPEN_INVITATION, condition_check, put};
use crate::domain::questionnaire::{Questionnaire, QuestionnaireId};
use crate::domain::*;
use crate::store::*;

/// How long an invitation (and its credentials) is kept after it expires, so that a late
/// visitor is told the invitation has expired rather than that the link is unknown.
const INVITATION_KEPT_AFTER_EXPIRY_SECONDS: i64 = 30 * 24 * 60 * 60;
/// How long a failed look-up bucket outlives its minute, beyond the window asked for.
const GUESS_BUCKET_SLACK_SECONDS: i64 = 120;
/// The attribute of a counter shard that holds its part of the count.
const COUNT: &str = "count";

#[async_trait]
impl QuestionnaireStore for DynamoStore {
    async fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> StoreResult<()> {
        let key = keys::questionnaire(&questionnaire.id, questionnaire.version);
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(
                key.clone(),
                [("definition", s(to_json(questionnaire)?))],
            )))
            .condition_expression(NEW_ITEM)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(PutItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                // Already published: fine if it is the same questionnaire. Compared as
                // values, so a change in JSON formatting is not a change of content.
                let stored = self
                    .get(&self.tables.responses, key)
                    .await?
                    .ok_or_else(|| corrupt("questionnaire version"))?;
                if from_json::<Questionnaire>(&stored, "definition")? == *questionnaire {
                    Ok(())
                } else {
                    Err(StoreError::PublishedVersionChanged {
                        id: questionnaire.id.clone(),
                        version: questionnaire.version,
                    })
                }
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }

    async fn questionnaire(
        &self,
        id: &QuestionnaireId,
        version: u32,
    ) -> StoreResult<Option<Questionnaire>> {
        self.get(&self.tables.responses, keys::questionnaire(id, version))
            .await?
            .map(|stored| from_json(&stored, "definition"))
            .transpose()
    }
}

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
    /// goes (invitations table) exactly when the response and one counter shard's `+1`
    /// are written (responses table).
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
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
        let delete_draft = Delete::builder()
            .table_name(&self.tables.invitations)
            .set_key(Some(keys::draft(invitation)))
            .build()
            .map_err(StoreError::unavailable)?;
        let response_item = item(
            keys::response(&response.round, &response.id.to_string()),
            [("body", s(to_json(response)?))],
        );
        let actions = vec![
            TransactWriteItem::builder().update(mark_answered).build(),
            put(&self.tables.responses, response_item, Some(NEW_ITEM))?,
            TransactWriteItem::builder().update(count).build(),
            TransactWriteItem::builder().delete(delete_draft).build(),
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
        let table = &self.tables.responses;
        let keys = (0..COUNTER_SHARDS)
            .map(|shard| keys::counter_shard(round, shard))
            .collect();
        let mut wanted = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(StoreError::unavailable)?,
        );
        let mut total: u64 = 0;
        let mut attempt: u32 = 0;
        while let Some(request) = wanted.take() {
            if attempt > 0 {
                // Unprocessed keys mean DynamoDB was busy: a short pause before asking again.
                tokio::time::sleep(std::time::Duration::from_millis(10 << attempt.min(5))).await;
            }
            attempt += 1;
            let mut output = self
                .client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            for shard in output
                .responses
                .unwrap_or_default()
                .remove(table)
                .unwrap_or_default()
            {
                total += number::<u64>(&shard, COUNT)?;
            }
            wanted = output
                .unprocessed_keys
                .as_mut()
                .and_then(|unprocessed| unprocessed.remove(table))
                .filter(|rest| !rest.keys().is_empty());
        }
        Ok(total)
    }

    async fn responses_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponsePage> {
        if limit == 0 {
            return Ok(ResponsePage {
                responses: Vec::new(),
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
        let responses = items
            .iter()
            .map(|stored| from_json(stored, "body"))
            .collect::<StoreResult<_>>()?;
        Ok(ResponsePage { responses, next })
    }
}

#[async_trait]
impl SetupStore for DynamoStore {
    async fn put_municipality(&self, municipality: &Municipality) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(
                keys::municipality(&municipality.id),
                [
                    ("name", s(&municipality.name)),
                    ("contact", s(to_json(&municipality.contact)?)),
                    ("privacy_notice", s(to_json(&municipality.privacy_notice)?)),
                ],
            )))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// The round and its [`COUNTER_SHARDS`] counter shards (each at 0) in one transaction,
    /// so a round never exists without its counter.
    async fn create_round(&self, round: &Round) -> StoreResult<()> {
        let table = &self.tables.responses;
        let round_item = item(
            keys::round(&round.id),
            [
                ("municipality", s(round.municipality.as_str())),
                ("name", s(&round.name)),
                ("questionnaire_id", s(round.questionnaire.id.as_str())),
                ("questionnaire_version", n(round.questionnaire.version)),
            ],
        );
        // The condition check keeps rounds to existing municipalities, as the embedded
        // store's foreign key does.
        let mut actions = vec![
            condition_check(
                table,
                keys::municipality(&round.municipality),
                EXISTING_ITEM,
            )?,
            put(table, round_item, Some(NEW_ITEM))?,
        ];
        for shard in 0..COUNTER_SHARDS {
            let shard_item = item(keys::counter_shard(&round.id, shard), [(COUNT, n(0))]);
            actions.push(put(table, shard_item, Some(NEW_ITEM))?);
        }
        match self.transact(actions).await? {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.condition_failed(1) => Ok(()),
            Err(cancelled) if cancelled.condition_failed(0) => {
                Err(cancelled.refused("a round of a municipality that does not exist"))
            }
            Err(cancelled) => Err(cancelled.into_error()),
        }
    }

    async fn municipality(&self, id: &MunicipalityId) -> StoreResult<Option<Municipality>> {
        self.get(&self.tables.responses, keys::municipality(id))
            .await?
            .map(|stored| {
                Ok(Municipality {
                    id: id.clone(),
                    name: text(&stored, "name")?.to_owned(),
                    contact: from_json(&stored, "contact")?,
                    privacy_notice: from_json(&stored, "privacy_notice")?,
                })
            })
            .transpose()
    }

    async fn round(&self, id: &RoundId) -> StoreResult<Option<Round>> {
        self.get(&self.tables.responses, keys::round(id))
            .await?
            .map(|stored| {
                Ok(Round {
                    id: id.clone(),
                    municipality: slug(&stored, "municipality")?,
                    name: text(&stored, "name")?.to_owned(),
                    questionnaire: QuestionnaireRef {
                        id: slug(&stored, "questionnaire_id")?,
                        version: number(&stored, "questionnaire_version")?,
                    },
                })
            })
            .transpose()
    }

    async fn create_invitation(&self, new: &NewInvitation) -> StoreResult<()> {
        let invitation = &new.invitation;
        // The round's data is copied into the invitation so that opening a link is two
        // key lookups. Rounds are never changed or deleted, so the copy cannot go stale
        // and the round need not be checked again in the transaction.
        let Some(round) = self.round(&invitation.round).await? else {
            return Err(StoreError::UnknownRound);
        };
        if new.link_hash == new.code_hash {
            // One transaction may not write an item twice; this is a duplicate anyway.
            return Err(StoreError::DuplicateCredential);
        }
        let table = &self.tables.invitations;
        let delete_after = n(invitation
            .expires_at
            .unix_timestamp()
            .saturating_add(INVITATION_KEPT_AFTER_EXPIRY_SECONDS));
        let invitation_item = item(
            keys::invitation(&invitation.id),
            [
                ("round", s(round.id.to_string())),
                ("municipality", s(round.municipality.as_str())),
                ("questionnaire_id", s(round.questionnaire.id.as_str())),
                ("questionnaire_version", n(round.questionnaire.version)),
                ("status", s(invitation_status(invitation.status))),
                ("expires_at", n(invitation.expires_at.unix_timestamp())),
                (TTL_ATTRIBUTE, delete_after.clone()),
            ],
        );
        let credential = |hash: &CredentialHash| {
            item(
                keys::credential(hash),
                [
                    ("invitation", s(invitation.id.to_string())),
                    (TTL_ATTRIBUTE, delete_after.clone()),
                ],
            )
        };
        let actions = vec![
            put(table, invitation_item, Some(NEW_ITEM))?,
            put(table, credential(&new.link_hash), Some(NEW_ITEM))?,
            put(table, credential(&new.code_hash), Some(NEW_ITEM))?,
        ];
        match self.transact(actions).await? {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.condition_failed(1) || cancelled.condition_failed(2) => {
                Err(StoreError::DuplicateCredential)
            }
            Err(cancelled) if cancelled.condition_failed(0) => {
                Err(cancelled.refused("an invitation with this id already exists"))
            }
            Err(cancelled) => Err(cancelled.into_error()),
        }
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
