//! The network's sends, mapping links, reports, reminders and uploads, all in the
//! responses table (kept with backups, like the rounds they belong to).
//!
//! A mapping link is two items: the round's `ML#` item (hash, limit, visitor counter) and
//! an `MH#` item that finds the round by the token's hash. Opening by hash reads both and
//! accepts the hash only if the round's item still names it, so a replaced link stops
//! working the moment the round's item changes, even if deleting its `MH#` item failed.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::ReturnValue;
use time::OffsetDateTime;

use crate::domain::*;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{Item, corrupt, from_json, item, n, number, s, text, to_json};
use crate::store::dynamo::keys;
use crate::store::*;

const SENT: &str = "sent";
const IN_PROGRESS: &str = "in_progress";

fn status_name(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::InProgress => IN_PROGRESS,
        ReportStatus::Sent => SENT,
    }
}

/// Whether an SDK error is a failed condition (the expected "no" of a conditional write).
fn condition_failed<E>(error: &SdkError<E>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn link_of(stored: &Item) -> StoreResult<MappingLink> {
    let round = text(stored, "round")?;
    Ok(MappingLink {
        round: RoundId::parse(round).ok_or_else(|| corrupt("round"))?,
        hash: CredentialHash::from_stored(text(stored, "hash")?.to_owned()),
        answer_limit: number(stored, "answer_limit")?,
        created_at: OffsetDateTime::from_unix_timestamp(number(stored, "created_at")?)
            .map_err(|_| corrupt("created_at"))?,
    })
}

impl DynamoStore {
    async fn query_bodies(&self, partition: String) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.tables.responses)
                .consistent_read(true)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(partition.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(last) => start = Some(last),
                None => return Ok(items),
            }
        }
    }

    /// Puts the report unless the stored one is sent: `false` when it is.
    async fn put_unsent_report(&self, report: &StoredReport) -> StoreResult<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(
                keys::report(&report.round),
                [
                    ("status", s(status_name(report.status))),
                    ("body", s(to_json(report)?)),
                ],
            )))
            .condition_expression("attribute_not_exists(pk) OR #status <> :sent")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sent", s(SENT))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if condition_failed(&error) => Ok(false),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}

#[async_trait]
impl NetworkStore for DynamoStore {
    async fn put_send(&self, send: &NetworkSend) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(
                keys::network_send(&send.network, &send.id),
                [
                    ("created_at", n(send.created_at.unix_timestamp())),
                    ("body", s(to_json(send)?)),
                ],
            )))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn send(
        &self,
        network: &OrganisationId,
        id: &RoundId,
    ) -> StoreResult<Option<NetworkSend>> {
        self.get(&self.tables.responses, keys::network_send(network, id))
            .await?
            .map(|stored| from_json(&stored, "body"))
            .transpose()
    }

    async fn sends(&self, network: &OrganisationId) -> StoreResult<Vec<NetworkSend>> {
        let items = self.query_bodies(keys::network_sends(network)).await?;
        let mut sends = items
            .iter()
            .map(|stored| from_json::<NetworkSend>(stored, "body"))
            .collect::<StoreResult<Vec<_>>>()?;
        sends.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(sends)
    }

    async fn replace_mapping_link(&self, link: &MappingLink) -> StoreResult<()> {
        let table = &self.tables.responses;
        let old = self.mapping_link_of_round(&link.round).await?;
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(item(
                keys::mapping_hash(&link.hash),
                [("round", s(link.round.to_string()))],
            )))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        // An update, not a put: the visitor counter stays.
        self.client
            .update_item()
            .table_name(table)
            .set_key(Some(keys::mapping_link(&link.round)))
            .update_expression(
                "SET #round = :round, #hash = :hash, answer_limit = :limit, created_at = :at",
            )
            .expression_attribute_names("#round", "round")
            .expression_attribute_names("#hash", "hash")
            .expression_attribute_values(":round", s(link.round.to_string()))
            .expression_attribute_values(":hash", s(link.hash.as_str()))
            .expression_attribute_values(":limit", n(link.answer_limit))
            .expression_attribute_values(":at", n(link.created_at.unix_timestamp()))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        if let Some(old) = old.filter(|old| old.hash != link.hash) {
            self.client
                .delete_item()
                .table_name(table)
                .set_key(Some(keys::mapping_hash(&old.hash)))
                .send()
                .await
                .map_err(StoreError::unavailable)?;
        }
        Ok(())
    }

    async fn mapping_link_of_round(&self, round: &RoundId) -> StoreResult<Option<MappingLink>> {
        self.get(&self.tables.responses, keys::mapping_link(round))
            .await?
            .map(|stored| link_of(&stored))
            .transpose()
    }

    async fn save_report_draft(
        &self,
        round: &RoundId,
        answers: &RawAnswers,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let sent_at = self.report(round).await?.and_then(|r| r.sent_at);
        let report = StoredReport {
            round: round.clone(),
            status: ReportStatus::InProgress,
            answers: answers.clone(),
            saved_at: at,
            sent_at,
        };
        self.put_unsent_report(&report).await
    }

    async fn send_report(
        &self,
        round: &RoundId,
        answers: &RawAnswers,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let report = StoredReport {
            round: round.clone(),
            status: ReportStatus::Sent,
            answers: answers.clone(),
            saved_at: at,
            sent_at: Some(at),
        };
        self.put_unsent_report(&report).await
    }

    async fn reopen_report(&self, round: &RoundId, at: OffsetDateTime) -> StoreResult<bool> {
        let Some(report) = self.report(round).await? else {
            return Ok(false);
        };
        if report.status != ReportStatus::Sent {
            return Ok(false);
        }
        let reopened = StoredReport {
            status: ReportStatus::InProgress,
            saved_at: at,
            ..report
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(
                keys::report(round),
                [("status", s(IN_PROGRESS)), ("body", s(to_json(&reopened)?))],
            )))
            .condition_expression("#status = :sent")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sent", s(SENT))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if condition_failed(&error) => Ok(false),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }

    async fn report(&self, round: &RoundId) -> StoreResult<Option<StoredReport>> {
        self.get(&self.tables.responses, keys::report(round))
            .await?
            .map(|stored| from_json(&stored, "body"))
            .transpose()
    }

    async fn set_reminded(&self, round: &RoundId, at: OffsetDateTime) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(
                keys::reminder(round),
                [("at", n(at.unix_timestamp()))],
            )))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn reminded_at(&self, round: &RoundId) -> StoreResult<Option<OffsetDateTime>> {
        self.get(&self.tables.responses, keys::reminder(round))
            .await?
            .map(|stored| {
                OffsetDateTime::from_unix_timestamp(number(&stored, "at")?)
                    .map_err(|_| corrupt("at"))
            })
            .transpose()
    }

    async fn add_uploaded_questionnaire(&self, upload: &UploadedQuestionnaire) -> StoreResult<()> {
        let key = keys::upload(
            &upload.network,
            &upload.questionnaire.id,
            upload.questionnaire.version,
        );
        self.client
            .put_item()
            .table_name(&self.tables.responses)
            .set_item(Some(item(key, [("body", s(to_json(upload)?))])))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    async fn uploaded_questionnaires(
        &self,
        network: &OrganisationId,
    ) -> StoreResult<Vec<UploadedQuestionnaire>> {
        let items = self.query_bodies(keys::uploads(network)).await?;
        let mut uploads = items
            .iter()
            .map(|stored| from_json::<UploadedQuestionnaire>(stored, "body"))
            .collect::<StoreResult<Vec<_>>>()?;
        uploads.sort_by(|a, b| {
            b.uploaded_at
                .cmp(&a.uploaded_at)
                .then(a.questionnaire.id.cmp(&b.questionnaire.id))
                .then(b.questionnaire.version.cmp(&a.questionnaire.version))
        });
        Ok(uploads)
    }
}

#[async_trait]
impl MappingLinkStore for DynamoStore {
    async fn mapping_link_by_hash(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<MappingLink>> {
        let Some(pointer) = self
            .get(&self.tables.responses, keys::mapping_hash(hash))
            .await?
        else {
            return Ok(None);
        };
        let round = RoundId::parse(text(&pointer, "round")?).ok_or_else(|| corrupt("round"))?;
        let link = self.mapping_link_of_round(&round).await?;
        Ok(link.filter(|link| &link.hash == hash))
    }

    async fn next_mapping_visitor(&self, round: &RoundId) -> StoreResult<u32> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::mapping_link(round)))
            .update_expression("ADD visitors :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(output) => number(&output.attributes.unwrap_or_default(), "visitors"),
            Err(error) if condition_failed(&error) => Err(StoreError::UnknownRound),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}
