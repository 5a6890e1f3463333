//! A mapping round's multi-use link (`/m/{token}`): each visitor gets an invitation of
//! their own, up to the link's answer limit, only while the round is open.

use std::sync::Arc;

use axum::http::StatusCode;
use svar_shared::domain::*;
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::{
    DraftStore, InvitationStore, MappingLink, NetworkStore, ResponseStore, SetupStore,
};
use time::OffsetDateTime;

use crate::helpers::*;

/// An app over an embedded store with one open mapping round whose link takes `limit`
/// answers; the link's path and the store (for what a test sets up beside the router).
async fn mapping_app(limit: u32) -> (TestApp, Arc<EmbeddedStore>, Round, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("t.sqlite3")).unwrap());
    let app = spawn_app_on(store.clone(), Box::new(dir)).await;
    let mut round = app.round("civilsamhalle").await;
    // A fresh id: the helper's round is a patient round; this one is a mapping.
    round.id = RoundId::random();
    round.kind = RoundKind::Mapping;
    round.sent_by = Some(svar_tests::slug("gr"));
    store.create_round(&round).await.unwrap();
    let token = Credential::new_link();
    store
        .replace_mapping_link(&MappingLink {
            round: round.id.clone(),
            hash: token.hash(&app.hash_key),
            answer_limit: limit,
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
    let path = format!("/m/{}", token.path_segment());
    (app, store, round, path)
}

#[tokio::test]
async fn two_visitors_of_a_mapping_link_get_separate_invitations_and_drafts() {
    let (app, store, _round, path) = mapping_app(50).await;
    let first = app.get(&path).await;
    let second = app.get(&path).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    let (first, second) = (first.location.unwrap(), second.location.unwrap());
    assert!(first.starts_with("/s/") && second.starts_with("/s/"));
    assert_ne!(first, second);
    assert!(!first.contains(path.trim_start_matches("/m/")));

    // The first visitor's answer is in their own draft only.
    let saved = app
        .post_form(
            &first,
            &[
                ("_section", "0"),
                ("_lang", "sv"),
                ("_action", "back"),
                ("kommun", "tjorn"),
            ],
        )
        .await;
    // Back saves the page as typed.
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let draft_of = |location: &str| {
        let segment = location
            .trim_start_matches("/s/")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let (store, key) = (store.clone(), app.hash_key.clone());
        async move {
            let credential = Credential::from_path(&segment).unwrap();
            let invitation = store
                .invitation_by_credential(&credential.hash(&key))
                .await
                .unwrap()
                .expect("the visitor's invitation exists");
            store
                .draft(&invitation.id, OffsetDateTime::now_utc())
                .await
                .unwrap()
                .map(|draft| draft.answers)
        }
    };
    assert_eq!(
        draft_of(&first).await.unwrap().get("kommun"),
        Some(&vec!["tjorn".to_owned()])
    );
    assert_eq!(draft_of(&second).await, None);
}

#[tokio::test]
async fn a_mapping_link_at_its_answer_limit_shows_a_polite_page() {
    let (app, store, round, path) = mapping_app(1).await;
    assert_eq!(app.get(&path).await.status, StatusCode::SEE_OTHER);
    let (invitation, _, _) = svar_tests::invitation(&round);
    store.create_invitation(&invitation).await.unwrap();
    store
        .submit_response(
            &invitation.invitation.id,
            &svar_tests::response(&round),
            None,
        )
        .await
        .unwrap();
    let full = app.get(&path).await;
    assert_eq!(full.status, StatusCode::GONE);
    full.assert_contains("Kartläggningen har fått alla svar den tar emot");
}

#[tokio::test]
async fn a_closed_mapping_rounds_link_shows_a_polite_page() {
    let (app, store, mut round, _) = mapping_app(50).await;
    // A closed round of its own (the store's status change is another helper's work).
    round.id = RoundId::random();
    round.status = RoundStatus::Closed;
    store.create_round(&round).await.unwrap();
    let token = Credential::new_link();
    store
        .replace_mapping_link(&MappingLink {
            round: round.id.clone(),
            hash: token.hash(&app.hash_key),
            answer_limit: 50,
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
    let closed = app.get(&format!("/m/{}", token.path_segment())).await;
    assert_eq!(closed.status, StatusCode::GONE);
    closed.assert_contains("Kartläggningen är inte öppen");
}

#[tokio::test]
async fn an_unknown_or_replaced_mapping_link_is_not_found() {
    let (app, store, round, path) = mapping_app(50).await;
    let unknown = app
        .get(&format!("/m/{}", Credential::new_link().path_segment()))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/m/inte-en-token").await.status,
        StatusCode::NOT_FOUND
    );
    store
        .replace_mapping_link(&MappingLink {
            round: round.id.clone(),
            hash: Credential::new_link().hash(&app.hash_key),
            answer_limit: 50,
            created_at: OffsetDateTime::now_utc(),
        })
        .await
        .unwrap();
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
}
