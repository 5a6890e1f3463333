//! Questionnaires, municipalities, rounds (with their counter shards) and invitations.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::{BATCHES, COUNT, INVITATION_KEPT_AFTER_EXPIRY_SECONDS, ISSUED};
use crate::domain::questionnaire::{Questionnaire, QuestionnaireId};
use crate::domain::*;
use crate::store::dynamo::DynamoStore;
use crate::store::dynamo::items::{
    Item, TTL_ATTRIBUTE, corrupt, date, from_json, invitation_status, item, n, named, number,
    optional_slug, s, slug, text, time_at, to_json,
};
use crate::store::dynamo::keys::{self, COUNTER_SHARDS};
use crate::store::dynamo::transact::{EXISTING_ITEM, NEW_ITEM, condition_check, put, update};
use crate::store::*;

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

    /// The round, its [`COUNTER_SHARDS`] counter shards (each at 0) and its entries in the
    /// lists of its municipality's rounds and (if a network sent it) the network's, in one
    /// transaction, so a round never exists without its counter or unlisted.
    async fn create_round(&self, round: &Round) -> StoreResult<()> {
        let table = &self.tables.responses;
        let round_item = item(
            keys::round(&round.id),
            [
                ("municipality", s(round.municipality.as_str())),
                ("name", s(&round.name)),
                ("questionnaire_id", s(round.questionnaire.id.as_str())),
                ("questionnaire_version", n(round.questionnaire.version)),
                ("kind", s(round.kind.as_str())),
                ("status", s(round.status.as_str())),
                ("period_start", s(round.period.start().to_string())),
                ("period_end", s(round.period.end().to_string())),
                ("unit", s(&round.unit)),
                ("created_at", n(round.created_at.unix_timestamp())),
            ]
            .into_iter()
            .chain(
                round
                    .sent_by
                    .as_ref()
                    .map(|network| ("sent_by", s(network.as_str()))),
            ),
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
        // The lists the workspace reads a municipality's and a network's rounds from.
        let created_at = round.created_at.unix_timestamp();
        let lists = std::iter::once(keys::municipality_rounds_partition(&round.municipality))
            .chain(round.sent_by.as_ref().map(keys::network_rounds_partition));
        for list in lists {
            let listed = item(
                keys::listed_round(list, created_at, &round.id),
                [("round", s(round.id.to_string()))],
            );
            actions.push(put(table, listed, None)?);
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
            .map(|stored| read_round(&stored))
            .transpose()
    }

    async fn create_invitation(&self, new: &NewInvitation) -> StoreResult<()> {
        // The round's data is copied into the invitation so that opening a link is two
        // key lookups. A round's municipality and questionnaire never change and rounds
        // are never deleted, so the copy cannot go stale and the round need not be
        // checked again in the transaction.
        let Some(round) = self.round(&new.invitation.round).await? else {
            return Err(StoreError::UnknownRound);
        };
        let new = &with_round_data(new, &round);
        let invitation = &new.invitation;
        if new.link_hash == new.code_hash {
            // One transaction may not write an item twice; this is a duplicate anyway.
            return Err(StoreError::DuplicateCredential);
        }
        let table = &self.tables.invitations;
        let invitation_item = invitation_item(new, AttributeValue::M(Default::default()));
        let delete_after = n(delete_after(invitation.expires_at));
        let credential = |hash| credential_item(hash, &invitation.id, &delete_after);
        let listed = item(
            keys::round_invitation(&invitation.round, new.number, &invitation.id),
            [
                ("invitation", s(invitation.id.to_string())),
                (TTL_ATTRIBUTE, delete_after.clone()),
            ],
        );
        let count_issued = Update::builder()
            .table_name(&self.tables.responses)
            .set_key(Some(keys::round(&invitation.round)))
            .update_expression("ADD #issued :one")
            .condition_expression(EXISTING_ITEM)
            .expression_attribute_names("#issued", ISSUED)
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(StoreError::unavailable)?;
        let actions = vec![
            put(table, invitation_item, Some(NEW_ITEM))?,
            put(table, credential(&new.link_hash), Some(NEW_ITEM))?,
            put(table, credential(&new.code_hash), Some(NEW_ITEM))?,
            put(table, listed, None)?,
            update(count_issued),
        ];
        match self.transact(actions).await? {
            Ok(()) => {}
            // The same invitation twice: its credentials are taken by itself.
            Err(cancelled) if (0..3).any(|index| cancelled.condition_failed(index)) => {
                return Err(StoreError::DuplicateCredential);
            }
            Err(cancelled) if cancelled.condition_failed(4) => {
                return Err(StoreError::UnknownRound);
            }
            Err(cancelled) => return Err(cancelled.into_error()),
        }
        // A number given here is never reserved again.
        self.reserved_at_least(&invitation.round, new.number).await
    }
}

/// A round item as a [`Round`] (its id from its key).
pub(super) fn read_round(stored: &Item) -> StoreResult<Round> {
    let id = text(stored, "pk")?
        .strip_prefix(keys::ROUND_PREFIX)
        .and_then(RoundId::parse)
        .ok_or_else(|| corrupt("round id"))?;
    Ok(Round {
        id,
        municipality: slug(stored, "municipality")?,
        name: text(stored, "name")?.to_owned(),
        questionnaire: QuestionnaireRef {
            id: slug(stored, "questionnaire_id")?,
            version: number(stored, "questionnaire_version")?,
        },
        kind: named(stored, "kind", RoundKind::parse)?,
        status: named(stored, "status", RoundStatus::parse)?,
        period: Period::new(date(stored, "period_start")?, date(stored, "period_end")?)
            .ok_or_else(|| corrupt("period"))?,
        unit: text(stored, "unit")?.to_owned(),
        sent_by: optional_slug(stored, "sent_by")?,
        created_at: time_at(stored, "created_at")?,
    })
}

/// `new` with its round's municipality and questionnaire, as stored.
pub(super) fn with_round_data(new: &NewInvitation, round: &Round) -> NewInvitation {
    let mut new = new.clone();
    new.invitation.municipality = round.municipality.clone();
    new.invitation.questionnaire = round.questionnaire.clone();
    new
}

/// An invitation's item: its round's data (copied, so opening a link is two key lookups),
/// its status, expiry and running number, and `batches`, the credentials each batch gave
/// it (see [`BATCHES`]). Kept [`INVITATION_KEPT_AFTER_EXPIRY_SECONDS`] past its expiry.
pub(super) fn invitation_item(new: &NewInvitation, batches: AttributeValue) -> Item {
    let invitation = &new.invitation;
    item(
        keys::invitation(&invitation.id),
        [
            ("round", s(invitation.round.to_string())),
            ("municipality", s(invitation.municipality.as_str())),
            ("questionnaire_id", s(invitation.questionnaire.id.as_str())),
            ("questionnaire_version", n(invitation.questionnaire.version)),
            ("status", s(invitation_status(invitation.status))),
            ("expires_at", n(invitation.expires_at.unix_timestamp())),
            (TTL_ATTRIBUTE, n(delete_after(invitation.expires_at))),
            ("number", n(new.number)),
            (BATCHES, batches),
        ],
    )
}

/// When time to live may delete an invitation (and its credentials and index item).
pub(super) fn delete_after(expires_at: time::OffsetDateTime) -> i64 {
    expires_at
        .unix_timestamp()
        .saturating_add(INVITATION_KEPT_AFTER_EXPIRY_SECONDS)
}

/// A credential's item: the invitation it opens, and its invitation's time to live.
pub(super) fn credential_item(
    hash: &CredentialHash,
    invitation: &InvitationId,
    delete_after: &AttributeValue,
) -> Item {
    item(
        keys::credential(hash),
        [
            ("invitation", s(invitation.to_string())),
            (TTL_ATTRIBUTE, delete_after.clone()),
        ],
    )
}
