//! A store that fails chosen operations, and what a patient sees when storage fails:
//! the same page again with what they typed, never a lost page.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::StatusCode;
use svar_shared::domain::questionnaire::{Questionnaire, QuestionnaireId};
use svar_shared::domain::*;
use svar_shared::store::*;
use time::OffsetDateTime;

use crate::helpers::*;

/// The operations [`FailingStore`] can be told to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    InvitationByCredential,
    SaveDraft,
    SubmitResponse,
    Questionnaire,
}

/// Delegates to a real store, but answers the chosen operations with
/// [`StoreError::Unavailable`] (or [`StoreError::Corrupt`] when `corrupt` is set).
pub struct FailingStore {
    inner: Arc<dyn Store>,
    failing: Mutex<HashSet<Op>>,
    corrupt: bool,
}

impl FailingStore {
    pub fn new(inner: Arc<dyn Store>, corrupt: bool) -> Self {
        Self {
            inner,
            failing: Mutex::new(HashSet::new()),
            corrupt,
        }
    }

    pub fn fail(&self, op: Op) {
        self.failing.lock().unwrap().insert(op);
    }

    pub fn heal(&self) {
        self.failing.lock().unwrap().clear();
    }

    fn check(&self, op: Op) -> StoreResult<()> {
        if !self.failing.lock().unwrap().contains(&op) {
            return Ok(());
        }
        Err(if self.corrupt {
            StoreError::Corrupt(format!("{op:?} (test)"))
        } else {
            StoreError::unavailable(std::io::Error::other(format!("{op:?} failed (test)")))
        })
    }
}

#[async_trait]
impl QuestionnaireStore for FailingStore {
    async fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> StoreResult<()> {
        self.inner.publish_questionnaire(questionnaire).await
    }
    async fn questionnaire(
        &self,
        id: &QuestionnaireId,
        version: u32,
    ) -> StoreResult<Option<Questionnaire>> {
        self.check(Op::Questionnaire)?;
        self.inner.questionnaire(id, version).await
    }
}

#[async_trait]
impl InvitationStore for FailingStore {
    async fn invitation_by_credential(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<Invitation>> {
        self.check(Op::InvitationByCredential)?;
        self.inner.invitation_by_credential(hash).await
    }
}

#[async_trait]
impl DraftStore for FailingStore {
    async fn draft(
        &self,
        invitation: &InvitationId,
        now: OffsetDateTime,
    ) -> StoreResult<Option<Draft>> {
        self.inner.draft(invitation, now).await
    }
    async fn save_draft(
        &self,
        invitation: &InvitationId,
        draft: &Draft,
    ) -> StoreResult<SaveDraftOutcome> {
        self.check(Op::SaveDraft)?;
        self.inner.save_draft(invitation, draft).await
    }
}

#[async_trait]
impl ResponseStore for FailingStore {
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
        export_row: Option<&svar_shared::store::ExportRow>,
    ) -> StoreResult<SubmitOutcome> {
        self.check(Op::SubmitResponse)?;
        self.inner
            .submit_response(invitation, response, export_row)
            .await
    }
    async fn count_responses(&self, round: &RoundId) -> StoreResult<u64> {
        self.inner.count_responses(round).await
    }
    fn keeps_export_rows(&self) -> bool {
        self.inner.keeps_export_rows()
    }
    async fn responses_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponsePage> {
        self.inner.responses_page(round, after, limit).await
    }
}

#[async_trait]
impl SetupStore for FailingStore {
    async fn put_municipality(&self, municipality: &Municipality) -> StoreResult<()> {
        self.inner.put_municipality(municipality).await
    }
    async fn municipality(&self, id: &MunicipalityId) -> StoreResult<Option<Municipality>> {
        self.inner.municipality(id).await
    }
    async fn create_round(&self, round: &Round) -> StoreResult<()> {
        self.inner.create_round(round).await
    }
    async fn round(&self, id: &RoundId) -> StoreResult<Option<Round>> {
        self.inner.round(id).await
    }
    async fn create_invitation(&self, invitation: &NewInvitation) -> StoreResult<()> {
        self.inner.create_invitation(invitation).await
    }
}

#[async_trait]
impl GuessStore for FailingStore {
    async fn record_failed_lookup(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<()> {
        self.inner.record_failed_lookup(client, now, window).await
    }
    async fn failed_lookups(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
        window: time::Duration,
    ) -> StoreResult<u32> {
        self.inner.failed_lookups(client, now, window).await
    }
}

#[async_trait]
impl MappingLinkStore for FailingStore {
    async fn mapping_link_by_hash(
        &self,
        hash: &CredentialHash,
    ) -> StoreResult<Option<MappingLink>> {
        self.inner.mapping_link_by_hash(hash).await
    }
    async fn next_mapping_visitor(&self, round: &RoundId) -> StoreResult<u32> {
        self.inner.next_mapping_visitor(round).await
    }
}

async fn failing_app(corrupt: bool) -> (TestApp, Arc<FailingStore>) {
    let dir = tempfile::tempdir().unwrap();
    let embedded = Arc::new(embedded::EmbeddedStore::open(&dir.path().join("t.sqlite3")).unwrap());
    let failing = Arc::new(FailingStore::new(embedded, corrupt));
    let app = spawn_app_on(failing.clone(), Box::new(dir)).await;
    (app, failing)
}

/// The civil-society survey with page 1 answered; returns the link path and the names of
/// the required text areas on page 2 (the last page).
async fn at_the_last_page(app: &TestApp) -> (String, Round, Vec<String>) {
    let round = app.round("civilsamhalle").await;
    let path = link_path(&app.invite(&round).await);
    let r = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("kommun", "ale"),
                ("verksamhet", "hemsjukvard"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("{path}?del=2&lang=en")).await;
    (path, round, textarea_names(&page.body))
}

#[tokio::test]
async fn a_send_that_cannot_be_stored_shows_the_page_again_and_a_second_send_works() {
    let (app, store) = failing_app(false).await;
    let (path, round, names) = at_the_last_page(&app).await;
    let mut fields = vec![("_section", "1"), ("_action", "send"), ("_lang", "en")];
    for name in &names {
        fields.push((name, "Idrottsföreningar & kyrkor"));
    }

    store.fail(Op::SubmitResponse);
    let failed = app.post_form(&path, &fields).await;
    assert_eq!(
        failed.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        failed.body
    );
    assert!(failed.headers.contains_key("retry-after"));
    failed.assert_contains(r#"<html lang="en" dir="ltr">"#);
    failed.assert_contains("It did not go through");
    failed.assert_contains("Please press “Send answers” again");
    failed.assert_contains("Idrottsföreningar &amp; kyrkor");
    failed.assert_contains(r#"value="send""#);
    assert!(!failed.body.contains("already sent are saved"));
    assert_eq!(app.store.count_responses(&round.id).await.unwrap(), 0);

    // Send saved the last page first: opened again, it is still filled in.
    let reopened = app.get(&format!("{path}?del=2")).await;
    reopened.assert_contains("Idrottsföreningar &amp; kyrkor");

    store.heal();
    let sent = app.post_form(&path, &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(app.store.count_responses(&round.id).await.unwrap(), 1);
}

#[tokio::test]
async fn next_and_back_that_cannot_be_saved_keep_what_was_typed() {
    let (app, store) = failing_app(false).await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    store.fail(Op::SaveDraft);
    let next = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("vem_svarar", "ombud"),
            ],
        )
        .await;
    assert_eq!(next.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(next.headers.contains_key("retry-after"));
    next.assert_contains("Det gick inte igenom");
    next.assert_contains("Tryck på ”Nästa” igen");
    next.assert_contains(r#"value="ombud" checked"#);

    store.heal();
    answer_page_one(&app, &path).await;
    store.fail(Op::SaveDraft);
    let back = app
        .post_form(
            &path,
            &[
                ("_section", "1"),
                ("_action", "back"),
                ("bemotande_respekt", "2"),
            ],
        )
        .await;
    assert_eq!(back.status, StatusCode::SERVICE_UNAVAILABLE);
    back.assert_contains("Tryck på ”Tillbaka” igen");
    back.assert_contains(r#"name="bemotande_respekt" value="2" checked"#);
}

async fn answer_page_one(app: &TestApp, path: &str) {
    let r = app
        .post_form(
            path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("vem_svarar", "patient"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn unavailable_storage_before_the_page_is_known_is_a_503_in_the_readers_language() {
    let (app, store) = failing_app(false).await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    store.fail(Op::InvitationByCredential);
    let reply = app.get(&format!("{path}?lang=en")).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers["retry-after"], "30");
    reply.assert_contains(r#"<html lang="en" dir="ltr">"#);
    reply.assert_contains("What you typed on the last page may not have been saved");
    let posted = app
        .post_form(
            &path,
            &[("_section", "0"), ("_action", "next"), ("_lang", "en")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SERVICE_UNAVAILABLE);
    posted.assert_contains(r#"<html lang="en" dir="ltr">"#);
}

#[tokio::test]
async fn damaged_data_is_an_opaque_500() {
    let (app, store) = failing_app(true).await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    store.fail(Op::Questionnaire);
    let reply = app.get(&format!("{path}?lang=en")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    reply.assert_contains("Something went wrong on our side");
    assert!(
        !reply.body.contains("test"),
        "no internal detail: {}",
        reply.body
    );
    assert!(!reply.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_missing_questionnaire_is_an_opaque_500() {
    let app = spawn_app().await;
    let mut round = app.round("patientupplevelse").await;
    round.id = RoundId::random();
    round.questionnaire.version = 99;
    app.store.create_round(&round).await.unwrap();
    let path = link_path(&app.invite(&round).await);
    let reply = app.get(&path).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    reply.assert_contains("Något gick fel hos oss");
    assert!(!reply.body.contains("99"));
}
