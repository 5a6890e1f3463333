//! The embedded store's files at rest: what a copy of the data folder would give away.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use svar_shared::domain::*;
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::*;
use svar_tests::*;

/// The file's bytes; a log file that does not exist holds nothing.
fn bytes_of(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes
        .windows(text.len())
        .any(|window| window == text.as_bytes())
}

/// Waits until `check` holds, for at most 5 seconds: the writer checkpoints within a
/// second of a submission, not before answering it.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn draft(text: &str) -> Draft {
    Draft {
        answers: [("fritext".to_owned(), vec![text.to_owned()])].into(),
        expires_at: now() + time::Duration::days(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_send_the_drafts_text_is_gone_from_the_database_file_and_its_log() {
    const FIRST: &str = "HEMLIGT-UTKAST-4711";
    const SECOND: &str = "HEMLIGT-UTKAST-4712";
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("svar.db");
    let log = dir.path().join("svar.db-wal");
    let store = EmbeddedStore::open(&database).unwrap();
    store.put_municipality(&municipality()).await.unwrap();
    let round = round("kontrakt");
    store.create_round(&round).await.unwrap();
    let (drafting, _, _) = invitation(&round);
    let (other, _, _) = invitation(&round);
    store.create_invitation(&drafting).await.unwrap();
    store.create_invitation(&other).await.unwrap();
    let drafting = &drafting.invitation.id;

    store.save_draft(drafting, &draft(FIRST)).await.unwrap();
    // Another respondent's Send moves the pages, the draft's with them, into the main file.
    let outcome = store
        .submit_response(&other.invitation.id, &response(&round), None)
        .await
        .unwrap();
    assert_eq!(outcome, SubmitOutcome::Stored);
    eventually(
        "the search finds a draft in the main file while it exists",
        || holds(&bytes_of(&database), FIRST),
    )
    .await;
    store.save_draft(drafting, &draft(SECOND)).await.unwrap();
    assert!(
        holds(&bytes_of(&log), SECOND),
        "the search finds a draft in the log while it exists"
    );

    let outcome = store
        .submit_response(drafting, &response(&round), None)
        .await
        .unwrap();
    assert_eq!(outcome, SubmitOutcome::Stored);
    for file in [&database, &log] {
        for text in [FIRST, SECOND] {
            let what = format!("{} still holds {text}", file.display());
            eventually(&what, || !holds(&bytes_of(file), text)).await;
        }
    }
}
