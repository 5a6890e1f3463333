//! The network's storage: its sends of mapping and report rounds, each mapping round's
//! multi-use link, each report round's report, reminders, and the questionnaires a
//! network uploaded.
//!
//! The rounds themselves are ordinary [`crate::domain::Round`]s (made with
//! [`super::SetupStore::create_round`]); what is here only groups and accompanies them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::StoreResult;
use crate::domain::*;

/// One send by a network: a questionnaire sent to chosen municipalities, one round each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSend {
    /// The send's own id (a random UUID, like a round's).
    pub id: RoundId,
    pub network: OrganisationId,
    /// [`RoundKind::Mapping`] or [`RoundKind::Report`].
    pub kind: RoundKind,
    pub name: String,
    pub questionnaire: QuestionnaireRef,
    pub period: Period,
    /// The answers each municipality's multi-use link takes (mapping only, else 0).
    pub answer_limit: u32,
    /// The rounds made, one per municipality, in the order chosen.
    pub rounds: Vec<(MunicipalityId, RoundId)>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A mapping round's multi-use link, as stored: only the token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingLink {
    pub round: RoundId,
    pub hash: CredentialHash,
    /// How many answers the round takes through the link (copied from the send).
    pub answer_limit: u32,
    pub created_at: OffsetDateTime,
}

/// Where a municipality's report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Saved as a draft (or reopened by the network), not sent.
    InProgress,
    Sent,
}

/// A report round's report: one per round, so a re-sent report replaces the one sent
/// before (the network reopened it because it was wrong).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReport {
    pub round: RoundId,
    pub status: ReportStatus,
    /// The answers as typed, question id to values.
    pub answers: RawAnswers,
    #[serde(with = "time::serde::rfc3339")]
    pub saved_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

/// A questionnaire a network uploaded (and published), listed for sending and for
/// municipalities' patient rounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedQuestionnaire {
    pub network: OrganisationId,
    pub questionnaire: QuestionnaireRef,
    /// The Swedish title, as listed.
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
}

/// The network's sends, mapping links, reports, reminders and uploads.
#[async_trait]
pub trait NetworkStore: Send + Sync {
    /// Stores the record of a send (its rounds are created beforehand).
    async fn put_send(&self, send: &NetworkSend) -> StoreResult<()>;
    /// A network's send; `None` for another network's or an unknown one.
    async fn send(
        &self,
        network: &OrganisationId,
        id: &RoundId,
    ) -> StoreResult<Option<NetworkSend>>;
    /// A network's sends, newest first.
    async fn sends(&self, network: &OrganisationId) -> StoreResult<Vec<NetworkSend>>;

    /// Makes `link` the round's only link: a link made before stops working.
    async fn replace_mapping_link(&self, link: &MappingLink) -> StoreResult<()>;
    /// The round's current link, if one was made.
    async fn mapping_link_of_round(&self, round: &RoundId) -> StoreResult<Option<MappingLink>>;

    /// Saves the report's answers while it is not sent: `false` (and nothing written) once
    /// it is sent.
    async fn save_report_draft(
        &self,
        round: &RoundId,
        answers: &RawAnswers,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Sends the report with these answers: `false` (nothing written) when already sent.
    async fn send_report(
        &self,
        round: &RoundId,
        answers: &RawAnswers,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Makes a sent report in progress again, its answers kept: `false` when it is not sent.
    async fn reopen_report(&self, round: &RoundId, at: OffsetDateTime) -> StoreResult<bool>;
    async fn report(&self, round: &RoundId) -> StoreResult<Option<StoredReport>>;

    /// Records that the network reminded the municipality of a round at `at`.
    async fn set_reminded(&self, round: &RoundId, at: OffsetDateTime) -> StoreResult<()>;
    /// When the network last reminded the municipality of a round.
    async fn reminded_at(&self, round: &RoundId) -> StoreResult<Option<OffsetDateTime>>;

    /// Lists an uploaded questionnaire (uploading the same version again replaces the entry).
    async fn add_uploaded_questionnaire(&self, upload: &UploadedQuestionnaire) -> StoreResult<()>;
    /// A network's uploads, newest first.
    async fn uploaded_questionnaires(
        &self,
        network: &OrganisationId,
    ) -> StoreResult<Vec<UploadedQuestionnaire>>;
}

/// What the respondent path needs of a mapping link: opening it, and a running number for
/// each visitor's own invitation.
#[async_trait]
pub trait MappingLinkStore: Send + Sync {
    /// The current link with this hash; `None` for an unknown or replaced one.
    async fn mapping_link_by_hash(&self, hash: &CredentialHash)
    -> StoreResult<Option<MappingLink>>;
    /// Counts one more visitor of the round's link and returns their running number
    /// (1, 2, ...): numbers are never given out twice, even to concurrent visitors.
    async fn next_mapping_visitor(&self, round: &RoundId) -> StoreResult<u32>;
}
