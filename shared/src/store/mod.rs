//! Storage, behind small traits shaped by the service's use cases.
//!
//! Two implementations pass one contract test suite (`tests/contract`):
//! `embedded::EmbeddedStore` (SQLite on disk, the local default; the `embedded` feature) and
//! [`dynamo::DynamoStore`] (two DynamoDB tables, see `docs/dynamodb.md`).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::questionnaire::{Questionnaire, QuestionnaireId};
use crate::domain::*;

pub mod dynamo;
#[cfg(feature = "embedded")]
pub mod embedded;
mod export;
mod network;
pub mod response_body;
mod workspace;

pub use export::*;
pub use network::*;
pub use workspace::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or refused the operation.
    #[error("storage is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Stored data could not be read back; a bug or a manual edit.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// A published questionnaire version may never change.
    #[error(
        "questionnaire '{id}' version {version} is already published with other content; give the changed questionnaire a new version number"
    )]
    PublishedVersionChanged { id: QuestionnaireId, version: u32 },
    /// A credential hash that is already in use (a collision, or the same invitation twice).
    #[error("an invitation with this credential already exists")]
    DuplicateCredential,
    /// The round an invitation or response names does not exist.
    #[error("no such round")]
    UnknownRound,
}

impl StoreError {
    pub fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Unavailable(Box::new(error))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Published questionnaire versions.
#[async_trait]
pub trait QuestionnaireStore: Send + Sync {
    /// Stores a version. Publishing the identical version again is a no-op; publishing
    /// other content under a published version is [`StoreError::PublishedVersionChanged`].
    async fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> StoreResult<()>;
    async fn questionnaire(
        &self,
        id: &QuestionnaireId,
        version: u32,
    ) -> StoreResult<Option<Questionnaire>>;
}

/// Opening a link or a short code.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    async fn invitation_by_credential(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<Invitation>>;
}

/// Half-answered questionnaires, so a respondent can come back to the same link.
#[async_trait]
pub trait DraftStore: Send + Sync {
    /// The draft, unless it has expired by `now`.
    async fn draft(
        &self,
        invitation: &InvitationId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Draft>>;
    /// Saves the draft only while the invitation is open: once a response is sent, no
    /// answer may be written beside it again (Back racing Send).
    async fn save_draft(
        &self,
        invitation: &InvitationId,
        draft: &Draft,
    ) -> StoreResult<SaveDraftOutcome>;
}

/// What happened to a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveDraftOutcome {
    Saved,
    /// The invitation is answered (or gone); nothing was written.
    NotOpen,
}

/// Failed look-ups of links and codes, per client, so that guessing can be limited.
/// Counts are kept in whole-minute buckets that expire by themselves.
#[async_trait]
pub trait GuessStore: Send + Sync {
    /// Counts one failed look-up by `client` at `now`, kept for at least `window`.
    async fn record_failed_lookup(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<()>;
    /// The failed look-ups by `client` in the `window` up to `now` (to the minute).
    async fn failed_lookups(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<u32>;
}

/// The minute bucket a time falls in, as unix minutes: what [`GuessStore`] counts by.
pub fn minute_bucket(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(60)
}

/// What happened to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    Stored,
    /// The invitation had already been used; nothing was stored.
    AlreadyAnswered,
}

/// An opaque position in a round's responses, for reading them page by page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor(pub String);

#[derive(Debug, Clone, PartialEq)]
pub struct ResponsePage {
    pub responses: Vec<Response>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}

/// A page of responses as stored: each body is one [`Response`] in the stored form both
/// stores keep ([`response_body`]). For the export, which decodes only the answers it writes,
/// borrowing from the text, where [`ResponseStore::responses_page`] builds every
/// `Response` (some 60 allocations and slug checks each; most of an export's time before).
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseBodyPage {
    pub bodies: Vec<String>,
    /// Where the next page starts; `None` on the last page. The same cursors as
    /// [`ResponsePage::next`].
    pub next: Option<PageCursor>,
}

/// A response's row as an export writes it, made when the response is sent
/// (`export::RowEncoder`) and stored beside it, so an export can copy it instead of
/// reading the answers' JSON again. Derived, never the record: the JSON stays the
/// response, and an export reads it whenever a row is missing or of another format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// The layout the row follows (`export::ROW_FORMAT` when it was made).
    pub format: u32,
    /// Whether Excel's row is this one with `;` for each `,`.
    pub excel_same: bool,
    /// The cells, encoded as `responses.csv` has them.
    pub cells: String,
}

/// One page of [`ResponseStore::export_rows_page`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportRowPage {
    pub rows: Vec<ExportRow>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<PageCursor>,
}

/// Responses: stored exactly once, counted and read back for export.
#[async_trait]
pub trait ResponseStore: Send + Sync {
    /// In one atomic step: marks the invitation answered (only if it was open), stores the
    /// response (with its export row, where the store keeps them), counts it for its
    /// round and deletes the invitation's draft.
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
        export_row: Option<&ExportRow>,
    ) -> StoreResult<SubmitOutcome>;
    async fn count_responses(&self, round: &RoundId) -> StoreResult<u64>;
    /// Up to `limit` responses of a round after `after`, in a stable order.
    async fn responses_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponsePage>;
    /// The same page as [`ResponseStore::responses_page`], undecoded. Both stores hand
    /// over their stored text; this default encodes a decoded page again (for test
    /// doubles that wrap a store, so they need not forward it).
    async fn response_bodies_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponseBodyPage> {
        let page = self.responses_page(round, after, limit).await?;
        let bodies = page
            .responses
            .iter()
            .map(response_body::encode)
            .collect::<StoreResult<_>>()?;
        Ok(ResponseBodyPage {
            bodies,
            next: page.next,
        })
    }

    /// Whether [`ResponseStore::submit_response`] keeps the export row it is given: the
    /// service makes none for a store that would drop it. This default keeps none.
    fn keeps_export_rows(&self) -> bool {
        false
    }

    /// Up to `limit` export rows of a round after `after`, in the order of
    /// [`ResponseStore::response_bodies_page`]; a response stored without one is left out,
    /// so a caller compares the rows read with [`ResponseStore::count_responses`]. This
    /// default has none: a store that does not keep export rows (DynamoDB: see its
    /// `submit_response`), or a test double, is exported from the JSON.
    async fn export_rows_page(
        &self,
        _round: &RoundId,
        _after: Option<&PageCursor>,
        _limit: u32,
    ) -> StoreResult<ExportRowPage> {
        Ok(ExportRowPage::default())
    }
}

/// Setting up municipalities, rounds and invitations (grown by the municipality workspace).
#[async_trait]
pub trait SetupStore: Send + Sync {
    /// Creates the municipality or replaces its name, contact and privacy notice.
    async fn put_municipality(&self, municipality: &Municipality) -> StoreResult<()>;
    async fn municipality(&self, id: &MunicipalityId) -> StoreResult<Option<Municipality>>;
    /// Creates the round; creating the same id again is a no-op.
    async fn create_round(&self, round: &Round) -> StoreResult<()>;
    async fn round(&self, id: &RoundId) -> StoreResult<Option<Round>>;
    /// Stores the invitation under both credential hashes.
    async fn create_invitation(&self, invitation: &NewInvitation) -> StoreResult<()>;
}

/// What the respondent path needs: opening links and codes, drafts, responses, the
/// guessing limit, the round and municipality behind an invitation, and a mapping
/// round's multi-use link (each visitor gets an invitation of their own).
pub trait RespondentStore:
    QuestionnaireStore
    + InvitationStore
    + DraftStore
    + ResponseStore
    + SetupStore
    + GuessStore
    + MappingLinkStore
{
}

impl<T> RespondentStore for T where
    T: QuestionnaireStore
        + InvitationStore
        + DraftStore
        + ResponseStore
        + SetupStore
        + GuessStore
        + MappingLinkStore
{
}

/// Everything a deployment's storage offers: the respondent path and the workspace.
pub trait Store:
    RespondentStore
    + OrganisationStore
    + AccessKeyStore
    + RoundAdminStore
    + InvitationAdminStore
    + AuditStore
    + NetworkStore
    + ExportJobStore
{
}

impl<T> Store for T where
    T: RespondentStore
        + OrganisationStore
        + AccessKeyStore
        + RoundAdminStore
        + InvitationAdminStore
        + AuditStore
        + NetworkStore
        + ExportJobStore
{
}
