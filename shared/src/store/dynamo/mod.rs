//! The DynamoDB store: one table, the production store.
//!
//! Item design and access patterns are documented in `docs/dynamodb.md`. Every read is
//! strongly consistent and every multi-item change is one `TransactWriteItems`, so the
//! store behaves like the embedded one (the contract tests in `tests/contract` check this).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, KeySchemaElement,
    KeyType, Put, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use rand::Rng;
use time::OffsetDateTime;

use super::*;
use crate::domain::questionnaire::Slug;

type Item = HashMap<String, AttributeValue>;
type TransactError = SdkError<TransactWriteItemsError>;

/// The attribute DynamoDB's time to live deletes items by (unix seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at_epoch";
/// How long an invitation (and its credentials) is kept after it expires, so that a late
/// visitor is told the invitation has expired rather than that the link is unknown.
const INVITATION_KEPT_AFTER_EXPIRY_SECONDS: i64 = 30 * 24 * 60 * 60;
/// Attempts of a transaction that DynamoDB cancels because another one holds its items.
const TRANSACTION_ATTEMPTS: u32 = 8;

const META: &str = "META";
const DRAFT: &str = "DRAFT";
const CREDENTIAL: &str = "C";
const RESPONSE_PREFIX: &str = "RESP#";
const OPEN: &str = "open";
const ANSWERED: &str = "answered";
const NEW_ITEM: &str = "attribute_not_exists(pk)";
const EXISTING_ITEM: &str = "attribute_exists(pk)";
/// `status` is a reserved word in DynamoDB's expressions, so it is spelled `#status`
/// with [`status_name`].
const OPEN_INVITATION: &str = "attribute_exists(pk) AND #status = :open";
/// How long a failed look-up bucket outlives its minute, beyond the window asked for.
const GUESS_BUCKET_SLACK_SECONDS: i64 = 120;

/// The store on one DynamoDB table; cheap to clone (the client is shared).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

/// A client for DynamoDB Local at `endpoint`, e.g. `http://127.0.0.1:8000`. Local accepts
/// any credentials; fixed dummy ones keep a developer's real AWS credentials out of tests.
pub fn local_client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-north-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "svar-dynamodb-local",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// Creates the table (on-demand billing, `pk`/`sk` string keys) and enables time to live
/// on [`TTL_ATTRIBUTE`]. For tests and local use; fails if the table already exists.
pub async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest);
    for (name, key_type) in [("pk", KeyType::Hash), ("sk", KeyType::Range)] {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(StoreError::unavailable)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(key_type)
                    .build()
                    .map_err(StoreError::unavailable)?,
            );
    }
    request.send().await.map_err(StoreError::unavailable)?;
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(Duration::from_secs(300))
        .await
        .map_err(StoreError::unavailable)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(StoreError::unavailable)?,
        )
        .send()
        .await
        .map_err(StoreError::unavailable)?;
    Ok(())
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn questionnaire_key(id: &QuestionnaireId, version: u32) -> Item {
    // Zero-padded so versions sort numerically, should they ever be listed.
    key(format!("Q#{id}"), format!("V#{version:010}"))
}

fn municipality_key(id: &MunicipalityId) -> Item {
    key(format!("M#{id}"), META)
}

fn round_key(id: &RoundId) -> Item {
    key(format!("R#{id}"), META)
}

fn invitation_key(id: &InvitationId) -> Item {
    key(format!("I#{id}"), META)
}

fn credential_key(hash: &CredentialHash) -> Item {
    key(format!("C#{}", hash.as_str()), CREDENTIAL)
}

fn draft_key(invitation: &InvitationId) -> Item {
    key(format!("I#{invitation}"), DRAFT)
}

fn guess_key(client: &ClientKey, minute: i64) -> Item {
    // Zero-padded so a range of minutes is a range of sort keys.
    key(format!("G#{}", client.as_str()), format!("M#{minute:012}"))
}

fn response_key(round: &RoundId, response: &str) -> Item {
    key(format!("R#{round}"), format!("{RESPONSE_PREFIX}{response}"))
}

/// Item `base` (a key) with more attributes.
fn item(
    mut base: Item,
    attributes: impl IntoIterator<Item = (&'static str, AttributeValue)>,
) -> Item {
    base.extend(attributes.into_iter().map(|(k, v)| (k.to_owned(), v)));
    base
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("missing or invalid {what}"))
}

fn text<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(corrupt(name)),
    }
}

fn number<T: FromStr>(item: &Item, name: &str) -> StoreResult<T> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| corrupt(name)),
        _ => Err(corrupt(name)),
    }
}

fn slug(item: &Item, name: &str) -> StoreResult<Slug> {
    Slug::parse(text(item, name)?).map_err(|_| corrupt(name))
}

fn timestamp(item: &Item, name: &str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(number(item, name)?).map_err(|_| corrupt(name))
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Parses a stored JSON attribute. The error names the place, never the content: it may
/// hold a respondent's answers.
fn from_json<T: serde::de::DeserializeOwned>(item: &Item, name: &str) -> StoreResult<T> {
    serde_json::from_str(text(item, name)?).map_err(|e| {
        StoreError::Corrupt(format!(
            "{name}: {:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

fn invitation_status(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Open => OPEN,
        InvitationStatus::Answered => ANSWERED,
    }
}

/// A write DynamoDB cancelled because an item it depends on is missing or already there:
/// what a failed SQLite constraint is in the embedded store.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct Refused {
    what: &'static str,
    #[source]
    source: TransactError,
}

/// A transaction DynamoDB cancelled, with the reason code of each of its actions in order.
struct Cancelled {
    reasons: Vec<Option<String>>,
    error: TransactError,
}

impl Cancelled {
    /// Whether action `index` was cancelled because its condition did not hold.
    fn condition_failed(&self, index: usize) -> bool {
        self.reasons
            .get(index)
            .is_some_and(|code| code.as_deref() == Some("ConditionalCheckFailed"))
    }

    fn refused(self, what: &'static str) -> StoreError {
        StoreError::unavailable(Refused {
            what,
            source: self.error,
        })
    }

    fn into_error(self) -> StoreError {
        StoreError::unavailable(self.error)
    }
}

/// A random pause before retrying a conflicting transaction: 10 to 20 ms at first, doubling
/// up to 0.3 to 0.6 s (under 2 s in all), so competing writers spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling: u64 = (10 << attempt.min(6)).min(600);
    Duration::from_millis(rand::rng().random_range(ceiling / 2..=ceiling))
}

fn put(table: &str, item: Item, condition: &str) -> StoreResult<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .build()
        .map_err(StoreError::unavailable)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn condition_check(table: &str, key: Item, condition: &str) -> StoreResult<TransactWriteItem> {
    let mut check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition);
    if condition == OPEN_INVITATION {
        check = check
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":open", s(OPEN));
    }
    let check = check.build().map_err(StoreError::unavailable)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

impl DynamoStore {
    async fn get(&self, key: Item) -> StoreResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(output.item)
    }

    /// Runs one transaction. A cancellation because another transaction held one of its
    /// items (`TransactionConflict`) is retried after a pause, by when the other one has
    /// usually finished and the retry sees its result. Other cancellations go to the
    /// caller, which knows what each action's failed condition means.
    async fn transact(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> StoreResult<Result<(), Cancelled>> {
        let mut attempt = 1;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Ok(())),
                Err(error) => error,
            };
            let reasons: Vec<Option<String>> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| reason.code().map(str::to_owned))
                    .collect(),
                _ => return Err(StoreError::unavailable(error)),
            };
            let conflict = reasons
                .iter()
                .any(|code| code.as_deref() == Some("TransactionConflict"));
            if !conflict || attempt == TRANSACTION_ATTEMPTS {
                return Ok(Err(Cancelled { reasons, error }));
            }
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
    }
}

#[async_trait]
impl QuestionnaireStore for DynamoStore {
    async fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> StoreResult<()> {
        let key = questionnaire_key(&questionnaire.id, questionnaire.version);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
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
                    .get(key)
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
        self.get(questionnaire_key(id, version))
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
        let Some(credential) = self.get(credential_key(hash)).await? else {
            return Ok(None);
        };
        let id = InvitationId::parse(text(&credential, "invitation")?)
            .ok_or_else(|| corrupt("invitation id"))?;
        let Some(stored) = self.get(invitation_key(&id)).await? else {
            return Ok(None);
        };
        Ok(Some(Invitation {
            round: RoundId::parse(text(&stored, "round")?).ok_or_else(|| corrupt("round id"))?,
            municipality: slug(&stored, "municipality")?,
            questionnaire: QuestionnaireRef {
                id: slug(&stored, "questionnaire_id")?,
                version: number(&stored, "questionnaire_version")?,
            },
            status: match text(&stored, "status")? {
                OPEN => InvitationStatus::Open,
                ANSWERED => InvitationStatus::Answered,
                _ => return Err(corrupt("status")),
            },
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
        let Some(stored) = self.get(draft_key(invitation)).await? else {
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
        let expires_at = draft.expires_at.unix_timestamp();
        let draft_item = item(
            draft_key(invitation),
            [
                ("answers", s(to_json(&draft.answers)?)),
                ("expires_at", n(expires_at)),
                (TTL_ATTRIBUTE, n(expires_at)),
            ],
        );
        // The condition check keeps drafts to open invitations: none is written beside a
        // sent response, nor for an invitation that does not exist.
        let actions = vec![
            condition_check(&self.table, invitation_key(invitation), OPEN_INVITATION)?,
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(draft_item))
                        .build()
                        .map_err(StoreError::unavailable)?,
                )
                .build(),
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
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
    ) -> StoreResult<SubmitOutcome> {
        let mark_answered = Update::builder()
            .table_name(&self.table)
            .set_key(Some(invitation_key(invitation)))
            .update_expression("SET #status = :answered")
            .condition_expression("#status = :open")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":answered", s(ANSWERED))
            .expression_attribute_values(":open", s(OPEN))
            .build()
            .map_err(StoreError::unavailable)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(round_key(&response.round)))
            .update_expression("ADD response_count :one")
            .condition_expression(EXISTING_ITEM)
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(StoreError::unavailable)?;
        let delete_draft = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(draft_key(invitation)))
            .build()
            .map_err(StoreError::unavailable)?;
        let response_item = item(
            response_key(&response.round, &response.id.to_string()),
            [("body", s(to_json(response)?))],
        );
        let actions = vec![
            TransactWriteItem::builder().update(mark_answered).build(),
            put(&self.table, response_item, NEW_ITEM)?,
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

    async fn count_responses(&self, round: &RoundId) -> StoreResult<u64> {
        match self.get(round_key(round)).await? {
            Some(stored) => number(&stored, "response_count"),
            None => Ok(0),
        }
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
        let mut start = after.map(|cursor| response_key(round, &cursor.0));
        let mut items: Vec<Item> = Vec::new();
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(format!("R#{round}")))
                .expression_attribute_values(":prefix", s(RESPONSE_PREFIX))
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
            Some(last) if more => {
                let sk = text(last, "sk")?;
                let id = sk
                    .strip_prefix(RESPONSE_PREFIX)
                    .ok_or_else(|| corrupt("response key"))?;
                Some(PageCursor(id.to_owned()))
            }
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
            .table_name(&self.table)
            .set_item(Some(item(
                municipality_key(&municipality.id),
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

    async fn create_round(&self, round: &Round) -> StoreResult<()> {
        let round_item = item(
            round_key(&round.id),
            [
                ("municipality", s(round.municipality.as_str())),
                ("name", s(&round.name)),
                ("questionnaire_id", s(round.questionnaire.id.as_str())),
                ("questionnaire_version", n(round.questionnaire.version)),
                ("response_count", n(0)),
            ],
        );
        // The condition check keeps rounds to existing municipalities, as the embedded
        // store's foreign key does.
        let actions = vec![
            condition_check(
                &self.table,
                municipality_key(&round.municipality),
                EXISTING_ITEM,
            )?,
            put(&self.table, round_item, NEW_ITEM)?,
        ];
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
        self.get(municipality_key(id))
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
        self.get(round_key(id))
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
        let delete_after = n(invitation
            .expires_at
            .unix_timestamp()
            .saturating_add(INVITATION_KEPT_AFTER_EXPIRY_SECONDS));
        let invitation_item = item(
            invitation_key(&invitation.id),
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
                credential_key(hash),
                [
                    ("invitation", s(invitation.id.to_string())),
                    (TTL_ATTRIBUTE, delete_after.clone()),
                ],
            )
        };
        let actions = vec![
            put(&self.table, invitation_item, NEW_ITEM)?,
            put(&self.table, credential(&new.link_hash), NEW_ITEM)?,
            put(&self.table, credential(&new.code_hash), NEW_ITEM)?,
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
            .table_name(&self.table)
            .set_key(Some(guess_key(client, minute_bucket(now))))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .expression_attribute_names("#count", "count")
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
        let bounds = (guess_key(client, from), guess_key(client, to));
        let output = self
            .client
            .query()
            .table_name(&self.table)
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
            total = total.saturating_add(number(bucket, "count")?);
        }
        Ok(total)
    }
}
