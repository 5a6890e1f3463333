//! The storage contract: what every store must do, written once against `dyn Store`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use svar_shared::domain::questionnaire;
use svar_shared::domain::*;
use svar_shared::store::{
    ExportRow, PageCursor, SaveDraftOutcome, Store, StoreError, SubmitOutcome, response_body,
};
use svar_tests::*;
use time::Duration;

const QUESTIONNAIRE: &str = "kontrakt";

/// The test municipality and a new round of it.
async fn new_round(store: &dyn Store) -> Round {
    store
        .put_municipality(&municipality())
        .await
        .expect("put municipality");
    let round = round(QUESTIONNAIRE);
    store.create_round(&round).await.expect("create round");
    round
}

/// A new open invitation to `round`, stored.
async fn new_invitation(store: &dyn Store, round: &Round) -> (NewInvitation, Credential) {
    let (new, link, _code) = invitation(round);
    store
        .create_invitation(&new)
        .await
        .expect("create invitation");
    (new, link)
}

/// A new response to `round` through a new invitation, stored.
async fn submitted_response(store: &dyn Store, round: &Round) -> Response {
    let (new, _) = new_invitation(store, round).await;
    let response = response(round);
    let outcome = store
        .submit_response(&new.invitation.id, &response, None)
        .await
        .expect("submit");
    assert_eq!(outcome, SubmitOutcome::Stored);
    response
}

async fn status(store: &dyn Store, link: &Credential) -> InvitationStatus {
    store
        .invitation_by_credential(&link.hash(&hash_key()))
        .await
        .expect("look up invitation")
        .expect("the invitation exists")
        .status
}

/// All responses of `round`, read `limit` at a time, and the size of each page.
async fn all_pages(store: &dyn Store, round: &RoundId, limit: u32) -> (Vec<Response>, Vec<usize>) {
    let mut responses = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<PageCursor> = None;
    loop {
        let page = store
            .responses_page(round, cursor.as_ref(), limit)
            .await
            .expect("read a page");
        sizes.push(page.responses.len());
        responses.extend(page.responses);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return (responses, sizes),
        }
        assert!(sizes.len() < 100, "paging does not end");
    }
}

fn ids(responses: &[Response]) -> Vec<ResponseId> {
    let mut ids: Vec<ResponseId> = responses.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

// --- Questionnaires ---

pub async fn publishing_the_same_version_twice_is_a_no_op(store: Arc<dyn Store>) {
    let q = questionnaire(QUESTIONNAIRE, 1, "Kontrakt");
    store
        .publish_questionnaire(&q)
        .await
        .expect("first publish");
    store
        .publish_questionnaire(&q)
        .await
        .expect("second publish");
    let stored = store.questionnaire(&q.id, 1).await.expect("read");
    assert_eq!(stored, Some(q));
}

pub async fn publishing_changed_content_under_a_published_version_is_refused(
    store: Arc<dyn Store>,
) {
    let original = questionnaire(QUESTIONNAIRE, 1, "Kontrakt");
    store
        .publish_questionnaire(&original)
        .await
        .expect("publish");
    let changed = questionnaire(QUESTIONNAIRE, 1, "Ändrad titel");
    let result = store.publish_questionnaire(&changed).await;
    assert!(
        matches!(
            &result,
            Err(StoreError::PublishedVersionChanged { id, version: 1 }) if id == &original.id
        ),
        "got {result:?}"
    );
    let stored = store.questionnaire(&original.id, 1).await.expect("read");
    assert_eq!(stored, Some(original));
    // A new version number is the way to publish the change.
    let new_version = questionnaire(QUESTIONNAIRE, 2, "Ändrad titel");
    store
        .publish_questionnaire(&new_version)
        .await
        .expect("publish version 2");
}

pub async fn every_built_in_questionnaire_reads_back_equal(store: Arc<dyn Store>) {
    let all = questionnaire::builtin().expect("the built-in questionnaires are valid");
    assert!(!all.is_empty());
    for q in &all {
        store.publish_questionnaire(q).await.expect("publish");
    }
    for q in &all {
        let stored = store.questionnaire(&q.id, q.version).await.expect("read");
        assert_eq!(stored.as_ref(), Some(q));
    }
}

pub async fn an_unknown_questionnaire_or_version_is_none(store: Arc<dyn Store>) {
    let q = questionnaire(QUESTIONNAIRE, 1, "Kontrakt");
    store.publish_questionnaire(&q).await.expect("publish");
    assert_eq!(store.questionnaire(&q.id, 2).await.expect("read"), None);
    assert_eq!(
        store.questionnaire(&slug("okand"), 1).await.expect("read"),
        None
    );
}

// --- Municipalities and rounds ---

pub async fn a_created_round_reads_back_equal(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    assert_eq!(store.round(&round.id).await.expect("read"), Some(round));
}

pub async fn creating_the_same_round_again_is_a_no_op(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let renamed = Round {
        name: "Hösten".to_owned(),
        ..round.clone()
    };
    store.create_round(&renamed).await.expect("create again");
    assert_eq!(store.round(&round.id).await.expect("read"), Some(round));
}

pub async fn an_unknown_round_is_none(store: Arc<dyn Store>) {
    new_round(&*store).await;
    assert_eq!(store.round(&RoundId::random()).await.expect("read"), None);
}

pub async fn a_round_of_an_unknown_municipality_is_refused(store: Arc<dyn Store>) {
    let round = Round {
        municipality: slug("okand_kommun"),
        ..round(QUESTIONNAIRE)
    };
    assert!(store.create_round(&round).await.is_err());
    assert_eq!(store.round(&round.id).await.expect("read"), None);
}

pub async fn putting_a_municipality_again_renames_it(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    assert_eq!(
        store.municipality(&municipality().id).await.expect("read"),
        Some(municipality())
    );
    let renamed = Municipality {
        name: "Nya Testkommun".to_owned(),
        contact: svar_shared::domain::text::Localized::swedish("Ny kontakt, åäö"),
        ..municipality()
    };
    store.put_municipality(&renamed).await.expect("rename");
    assert_eq!(store.round(&round.id).await.expect("read"), Some(round));
    assert_eq!(
        store.municipality(&renamed.id).await.expect("read"),
        Some(renamed)
    );
    assert_eq!(
        store
            .municipality(&slug("okand_kommun"))
            .await
            .expect("read"),
        None
    );
}

// --- Invitations ---

pub async fn an_invitation_opens_by_link_and_by_code_with_the_rounds_data(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (mut new, link, code) = invitation(&round);
    // The round's municipality and questionnaire count, not what the caller copied.
    new.invitation.municipality = slug("annan");
    new.invitation.questionnaire.version = 7;
    store.create_invitation(&new).await.expect("create");

    let by_link = store
        .invitation_by_credential(&link.hash(&hash_key()))
        .await
        .expect("by link");
    let by_code = store
        .invitation_by_credential(&code.hash(&hash_key()))
        .await
        .expect("by code");
    let expected = Invitation {
        municipality: round.municipality.clone(),
        questionnaire: round.questionnaire.clone(),
        ..new.invitation.clone()
    };
    assert_eq!(by_link, Some(expected));
    assert_eq!(by_link, by_code);
}

pub async fn an_unknown_credential_hash_opens_nothing(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    new_invitation(&*store, &round).await;
    let unknown = Credential::new_link().hash(&hash_key());
    assert_eq!(
        store
            .invitation_by_credential(&unknown)
            .await
            .expect("look up"),
        None
    );
}

pub async fn a_credential_hash_already_in_use_is_a_duplicate(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (first, _) = new_invitation(&*store, &round).await;

    let (mut reused_link, _, fresh_code) = invitation(&round);
    reused_link.link_hash = first.link_hash.clone();
    let result = store.create_invitation(&reused_link).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );
    // Nothing of the refused invitation was stored.
    assert_eq!(
        store
            .invitation_by_credential(&fresh_code.hash(&hash_key()))
            .await
            .expect("look up"),
        None
    );

    let (mut reused_code, _, _) = invitation(&round);
    reused_code.code_hash = first.code_hash.clone();
    let result = store.create_invitation(&reused_code).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );

    let (mut same_twice, _, _) = invitation(&round);
    same_twice.code_hash = same_twice.link_hash.clone();
    let result = store.create_invitation(&same_twice).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );
    assert_eq!(
        store
            .invitation_by_credential(&same_twice.link_hash)
            .await
            .expect("look up"),
        None
    );

    // The first invitation is untouched.
    let stored = store
        .invitation_by_credential(&first.link_hash)
        .await
        .expect("look up");
    assert_eq!(stored.map(|i| i.id), Some(first.invitation.id));
}

pub async fn creating_the_same_invitation_twice_is_a_duplicate(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (first, link) = new_invitation(&*store, &round).await;
    let result = store.create_invitation(&first).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );
    assert_eq!(status(&*store, &link).await, InvitationStatus::Open);
}

pub async fn an_invitation_to_an_unknown_round_is_refused(store: Arc<dyn Store>) {
    new_round(&*store).await;
    let (new, link, _) = invitation(&round(QUESTIONNAIRE));
    let result = store.create_invitation(&new).await;
    assert!(
        matches!(result, Err(StoreError::UnknownRound)),
        "got {result:?}"
    );
    assert_eq!(
        store
            .invitation_by_credential(&link.hash(&hash_key()))
            .await
            .expect("look up"),
        None
    );
}

// --- Drafts ---

fn draft(answer: &str, expires_at: time::OffsetDateTime) -> Draft {
    Draft {
        answers: BTreeMap::from([
            ("nojd".to_owned(), vec!["ja".to_owned()]),
            ("fritext".to_owned(), vec![answer.to_owned()]),
        ]),
        expires_at,
    }
}

pub async fn a_saved_draft_reads_back_and_saving_again_replaces_it(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (new, _) = new_invitation(&*store, &round).await;
    let id = &new.invitation.id;
    let first = draft("Första, åäö", now() + Duration::days(7));
    store.save_draft(id, &first).await.expect("save");
    assert_eq!(
        store.draft(id, now()).await.expect("read"),
        Some(first.clone())
    );

    let second = draft("Andra", now() + Duration::days(8));
    store.save_draft(id, &second).await.expect("save again");
    assert_eq!(store.draft(id, now()).await.expect("read"), Some(second));
}

pub async fn an_expired_draft_is_not_returned(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (new, _) = new_invitation(&*store, &round).await;
    let id = &new.invitation.id;
    let expires_at = now() + Duration::hours(1);
    let saved = draft("Snart för sent", expires_at);
    store.save_draft(id, &saved).await.expect("save");

    let just_before = expires_at - Duration::seconds(1);
    assert_eq!(
        store.draft(id, just_before).await.expect("read"),
        Some(saved)
    );
    assert_eq!(store.draft(id, expires_at).await.expect("read"), None);
    assert_eq!(
        store
            .draft(id, expires_at + Duration::days(1))
            .await
            .expect("read"),
        None
    );
}

pub async fn an_invitation_without_a_draft_has_none(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (new, _) = new_invitation(&*store, &round).await;
    assert_eq!(
        store.draft(&new.invitation.id, now()).await.expect("read"),
        None
    );
}

pub async fn a_draft_for_an_unknown_invitation_is_refused(store: Arc<dyn Store>) {
    new_round(&*store).await;
    let unknown = InvitationId::random();
    let outcome = store
        .save_draft(&unknown, &draft("Ingen", now() + Duration::days(1)))
        .await
        .expect("save");
    assert_eq!(outcome, SaveDraftOutcome::NotOpen);
    assert_eq!(store.draft(&unknown, now()).await.expect("read"), None);
}

/// Back racing Send: once the response is stored, no draft is written beside it.
pub async fn a_draft_after_the_response_was_sent_is_refused(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (new, _) = new_invitation(&*store, &round).await;
    let id = &new.invitation.id;
    store
        .submit_response(id, &response(&round), None)
        .await
        .expect("submit");
    let outcome = store
        .save_draft(id, &draft("För sent", now() + Duration::days(1)))
        .await
        .expect("save");
    assert_eq!(outcome, SaveDraftOutcome::NotOpen);
    assert_eq!(store.draft(id, now()).await.expect("read"), None);
}

// --- Guessing limits ---

fn client(address: &str) -> ClientKey {
    ClientKey::from_address(&hash_key(), address.parse().expect("an address"))
}

const WINDOW: Duration = Duration::minutes(5);

pub async fn failed_look_ups_are_counted_per_client_within_the_window(store: Arc<dyn Store>) {
    let (guesser, other) = (client("192.0.2.1"), client("192.0.2.2"));
    let now = now();
    assert_eq!(
        store
            .failed_lookups(&guesser, now, WINDOW)
            .await
            .expect("count"),
        0
    );
    store
        .record_failed_lookup(&guesser, now - Duration::minutes(10), WINDOW)
        .await
        .expect("record");
    for at in [
        now - Duration::minutes(2),
        now - Duration::minutes(1),
        now,
        now,
    ] {
        store
            .record_failed_lookup(&guesser, at, WINDOW)
            .await
            .expect("record");
    }
    assert_eq!(
        store
            .failed_lookups(&guesser, now, WINDOW)
            .await
            .expect("count"),
        4
    );
    assert_eq!(
        store
            .failed_lookups(&other, now, WINDOW)
            .await
            .expect("count"),
        0
    );
    // Later, the old failures have left the window.
    let later = now + Duration::minutes(6);
    assert_eq!(
        store
            .failed_lookups(&guesser, later, WINDOW)
            .await
            .expect("count"),
        0
    );
}

pub async fn concurrent_failed_look_ups_are_all_counted(store: Arc<dyn Store>) {
    let guesser = client("2001:db8::1");
    let now = now();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, guesser) = (Arc::clone(&store), guesser.clone());
            tokio::spawn(async move { store.record_failed_lookup(&guesser, now, WINDOW).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("record");
    }
    assert_eq!(
        store
            .failed_lookups(&guesser, now, WINDOW)
            .await
            .expect("count"),
        20
    );
}

// --- Responses ---

pub async fn a_response_is_stored_once_and_a_second_submission_is_already_answered(
    store: Arc<dyn Store>,
) {
    let round = new_round(&*store).await;
    let (new, _) = new_invitation(&*store, &round).await;
    let first = response(&round);
    let outcome = store
        .submit_response(&new.invitation.id, &first, None)
        .await
        .expect("submit");
    assert_eq!(outcome, SubmitOutcome::Stored);

    let second = response(&round);
    let outcome = store
        .submit_response(&new.invitation.id, &second, None)
        .await
        .expect("submit again");
    assert_eq!(outcome, SubmitOutcome::AlreadyAnswered);

    assert_eq!(store.count_responses(&round.id).await.expect("count"), 1);
    let page = store
        .responses_page(&round.id, None, 10)
        .await
        .expect("page");
    assert_eq!(page.responses, vec![first]);
    assert_eq!(page.next, None);
}

pub async fn submitting_deletes_the_draft(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (new, _) = new_invitation(&*store, &round).await;
    let id = &new.invitation.id;
    store
        .save_draft(id, &draft("Utkast", now() + Duration::days(1)))
        .await
        .expect("save");
    store
        .submit_response(id, &response(&round), None)
        .await
        .expect("submit");
    assert_eq!(store.draft(id, now()).await.expect("read"), None);
}

pub async fn submitting_marks_the_invitation_answered(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (new, link) = new_invitation(&*store, &round).await;
    assert_eq!(status(&*store, &link).await, InvitationStatus::Open);
    store
        .submit_response(&new.invitation.id, &response(&round), None)
        .await
        .expect("submit");
    assert_eq!(status(&*store, &link).await, InvitationStatus::Answered);
}

pub async fn submitting_for_an_unknown_invitation_stores_nothing(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let outcome = store
        .submit_response(&InvitationId::random(), &response(&round), None)
        .await
        .expect("submit");
    assert_eq!(outcome, SubmitOutcome::AlreadyAnswered);
    assert_eq!(store.count_responses(&round.id).await.expect("count"), 0);
    let (stored, _) = all_pages(&*store, &round.id, 10).await;
    assert!(stored.is_empty());
}

pub async fn a_response_to_an_unknown_round_is_refused_and_the_invitation_stays_open(
    store: Arc<dyn Store>,
) {
    let round = new_round(&*store).await;
    let (new, link) = new_invitation(&*store, &round).await;
    let stray = response(&svar_tests::round(QUESTIONNAIRE));
    let result = store
        .submit_response(&new.invitation.id, &stray, None)
        .await;
    assert!(
        matches!(result, Err(StoreError::UnknownRound)),
        "got {result:?}"
    );
    assert_eq!(status(&*store, &link).await, InvitationStatus::Open);
    let outcome = store
        .submit_response(&new.invitation.id, &response(&round), None)
        .await
        .expect("submit to the right round");
    assert_eq!(outcome, SubmitOutcome::Stored);
}

pub async fn a_response_id_already_stored_is_refused_and_the_invitation_stays_open(
    store: Arc<dyn Store>,
) {
    let round = new_round(&*store).await;
    let first = submitted_response(&*store, &round).await;
    let (new, link) = new_invitation(&*store, &round).await;
    let same_id = Response {
        answers: BTreeMap::new(),
        ..first.clone()
    };
    let result = store
        .submit_response(&new.invitation.id, &same_id, None)
        .await;
    assert!(result.is_err(), "got {result:?}");
    assert_eq!(status(&*store, &link).await, InvitationStatus::Open);
    assert_eq!(store.count_responses(&round.id).await.expect("count"), 1);
    let (stored, _) = all_pages(&*store, &round.id, 10).await;
    assert_eq!(stored, vec![first]);
}

pub async fn an_unknown_round_has_no_responses(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    submitted_response(&*store, &round).await;
    let unknown = RoundId::random();
    assert_eq!(store.count_responses(&unknown).await.expect("count"), 0);
    let page = store
        .responses_page(&unknown, None, 10)
        .await
        .expect("page");
    assert!(page.responses.is_empty());
    assert_eq!(page.next, None);
}

pub async fn responses_are_counted_and_listed_per_round(store: Arc<dyn Store>) {
    let first = new_round(&*store).await;
    let second = new_round(&*store).await;
    let a = submitted_response(&*store, &first).await;
    let b = submitted_response(&*store, &second).await;
    let c = submitted_response(&*store, &second).await;
    assert_eq!(store.count_responses(&first.id).await.expect("count"), 1);
    assert_eq!(store.count_responses(&second.id).await.expect("count"), 2);
    let (stored, _) = all_pages(&*store, &first.id, 10).await;
    assert_eq!(stored, vec![a]);
    let (stored, _) = all_pages(&*store, &second.id, 10).await;
    assert_eq!(ids(&stored), ids(&[b, c]));
}

pub async fn seven_responses_page_as_three_three_and_one(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let mut submitted = Vec::new();
    for _ in 0..7 {
        submitted.push(submitted_response(&*store, &round).await);
    }
    let (stored, sizes) = all_pages(&*store, &round.id, 3).await;
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(ids(&stored), ids(&submitted));
    let unique: HashSet<ResponseId> = stored.iter().map(|r| r.id.clone()).collect();
    assert_eq!(unique.len(), 7);
    // What is read back is what was submitted.
    for response in &submitted {
        assert!(stored.contains(response));
    }
}

/// The export's undecoded pages: the same responses, pages and cursors as the decoded
/// ones, each body the response's stored form, with the answers most questions get bare.
pub async fn response_bodies_page_as_the_decoded_pages_do(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let mut submitted = Vec::new();
    for _ in 0..7 {
        submitted.push(submitted_response(&*store, &round).await);
    }
    let (decoded, _) = all_pages(&*store, &round.id, 3).await;
    let mut bodies = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<PageCursor> = None;
    loop {
        let page = store
            .response_bodies_page(&round.id, cursor.as_ref(), 3)
            .await
            .expect("read a page of bodies");
        let same = store
            .responses_page(&round.id, cursor.as_ref(), 3)
            .await
            .expect("read a page");
        assert_eq!(page.next, same.next, "the same cursors");
        sizes.push(page.bodies.len());
        bodies.extend(page.bodies);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(sizes.len() < 100, "paging does not end");
    }
    assert_eq!(sizes, vec![3, 3, 1]);
    for body in &bodies {
        assert!(
            body.contains(r#""val":"b""#),
            "a choice stored bare: {body}"
        );
    }
    let read: Vec<Response> = bodies
        .iter()
        .map(|body| response_body::decode(body).expect("a response's stored form"))
        .collect();
    assert_eq!(read, decoded);
    for response in &submitted {
        assert!(read.contains(response));
    }
    let none = store
        .response_bodies_page(&round.id, None, 0)
        .await
        .expect("an empty page");
    assert!(none.bodies.is_empty() && none.next.is_none());
}

/// Export rows come back as they were stored, in the order of the bodies, paged; a
/// response stored without one is left out, and counted all the same. A store that
/// keeps none (`kept` false: DynamoDB, see its `submit_response`) returns none, and
/// stores the responses all the same. Run by each store's own test (main.rs).
pub async fn export_rows_as_stored(store: Arc<dyn Store>, kept: bool) {
    let round = new_round(&*store).await;
    let mut expected = Vec::new();
    for n in 0..5 {
        let (new, _) = new_invitation(&*store, &round).await;
        let response = response(&round);
        let row = (n != 2).then(|| ExportRow {
            format: 1,
            excel_same: n % 2 == 0,
            cells: format!("2026-03,{n},\"å,\"\"b\"\"\""),
        });
        let outcome = store
            .submit_response(&new.invitation.id, &response, row.as_ref())
            .await
            .expect("submit");
        assert_eq!(outcome, SubmitOutcome::Stored);
        if let Some(row) = row {
            expected.push((response.id.to_string(), row));
        }
    }
    assert_eq!(store.count_responses(&round.id).await.expect("count"), 5);
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut rows, mut sizes, mut cursor) = (Vec::new(), Vec::new(), None::<PageCursor>);
    loop {
        let page = store
            .export_rows_page(&round.id, cursor.as_ref(), 2)
            .await
            .expect("a page of export rows");
        sizes.push(page.rows.len());
        rows.extend(page.rows);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(sizes.len() < 100, "paging does not end");
    }
    if kept {
        let expected: Vec<ExportRow> = expected.into_iter().map(|(_, row)| row).collect();
        assert_eq!(rows, expected);
        assert_eq!(sizes, vec![2, 2]);
    } else {
        assert!(rows.is_empty(), "{rows:?}");
    }
}

pub async fn an_exactly_full_last_page_has_no_next_cursor(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let mut submitted = Vec::new();
    for _ in 0..6 {
        submitted.push(submitted_response(&*store, &round).await);
    }
    let (stored, sizes) = all_pages(&*store, &round.id, 3).await;
    assert_eq!(sizes, vec![3, 3]);
    assert_eq!(ids(&stored), ids(&submitted));

    let (stored, sizes) = all_pages(&*store, &round.id, 6).await;
    assert_eq!(sizes, vec![6]);
    assert_eq!(ids(&stored), ids(&submitted));
}

pub async fn fifty_concurrent_submissions_of_one_invitation_store_exactly_one(
    store: Arc<dyn Store>,
) {
    const SUBMISSIONS: usize = 50;
    let round = new_round(&*store).await;
    let (new, link) = new_invitation(&*store, &round).await;
    // Every task waits here, so that the submissions really are at the same time.
    let start = Arc::new(tokio::sync::Barrier::new(SUBMISSIONS));
    let tasks: Vec<_> = (0..SUBMISSIONS)
        .map(|_| {
            let store = Arc::clone(&store);
            let start = Arc::clone(&start);
            let invitation = new.invitation.id.clone();
            let response = response(&round);
            tokio::spawn(async move {
                start.wait().await;
                let outcome = store.submit_response(&invitation, &response, None).await;
                (outcome, response)
            })
        })
        .collect();
    let mut stored = Vec::new();
    let mut already_answered = 0;
    for task in tasks {
        let (outcome, response) = task.await.expect("the task ran");
        match outcome.expect("a submission fails only if it cannot be stored") {
            SubmitOutcome::Stored => stored.push(response),
            SubmitOutcome::AlreadyAnswered => already_answered += 1,
        }
    }
    assert_eq!(stored.len(), 1, "exactly one submission is stored");
    assert_eq!(already_answered, SUBMISSIONS - 1);
    assert_eq!(store.count_responses(&round.id).await.expect("count"), 1);
    let page = store
        .responses_page(&round.id, None, 100)
        .await
        .expect("page");
    assert_eq!(page.responses, stored);
    assert_eq!(page.next, None);
    assert_eq!(status(&*store, &link).await, InvitationStatus::Answered);
}
