//! The export function's handler (functions/export) without Lambda: the event as Lambda
//! hands it over (raw JSON), the runner on the embedded store and local export files.

use std::sync::Arc;

use svar_export::{HandlerError, OutcomeKind, handle};
use svar_shared::domain::*;
use svar_shared::export::{LocalExportFiles, MANIFEST_FILE};
use svar_shared::service::exports::{ExportJobRef, ExportPolicy, ExportRunner};
use svar_shared::store::{CreatedExport, ExportJobStore, Store};
use svar_tests::slug;

use super::{Setup, answers};

/// A round of 8 answered responses (k = 7), one with a phone number in a text that
/// starts like a formula, and a queued job exporting it with free text.
async fn queued_job(setup: &Setup) -> ExportJob {
    let round = setup.round("testkommun", "Hösten").await;
    for _ in 0..7 {
        setup
            .answer(&round, answers(["ung", "kvinna", "hemma", "sjalv"]))
            .await;
    }
    let mut with_number = answers(["ung", "kvinna", "hemma", "sjalv"]);
    with_number.insert(
        slug("ovrigt"),
        Answer::Text("=Ring mig på 070-123 45 67".into()),
    );
    setup.answer(&round, with_number).await;
    let now = svar_tests::now();
    let job = ExportJob {
        id: ExportJobId::random(),
        organisation: slug("testkommun"),
        scope: ExportScope::Round {
            round: round.id.clone(),
        },
        rounds: vec![round.id.clone()],
        rounds_left_out: Vec::new(),
        settings: ExportSettings {
            k: 7,
            free_text: true,
        },
        seed: 42,
        requested_by: "test".into(),
        state: ExportState::Queued,
        created_at: now,
        updated_at: now,
        expires_at: now + time::Duration::days(30),
    };
    let created = setup
        .store
        .create_export_job(&job, now - time::Duration::minutes(2))
        .await
        .expect("stored");
    assert_eq!(created, CreatedExport::Created);
    job
}

/// A runner as one container of the function has it: its own export files object on
/// the shared folder.
fn runner(setup: &Setup) -> ExportRunner {
    let store: Arc<dyn Store> = Arc::new(setup.store.clone());
    let files = Arc::new(LocalExportFiles::new(
        setup.dir.path().join("files"),
        &[7u8; 64],
    ));
    ExportRunner::new(store, files, ExportPolicy::default())
}

fn event(job: &ExportJob) -> serde_json::Value {
    serde_json::to_value(ExportJobRef::from(job)).expect("serialisable")
}

async fn stored(setup: &Setup, job: &ExportJob) -> ExportJob {
    setup
        .store
        .export_job(&job.organisation, &job.id)
        .await
        .expect("readable")
        .expect("the job is there")
}

#[tokio::test]
async fn an_event_runs_its_job_to_ready_and_answers_with_a_small_outcome() {
    let setup = Setup::new().await;
    let job = queued_job(&setup).await;
    let outcome = handle(&runner(&setup), event(&job)).await.expect("handled");
    assert_eq!(outcome.outcome, OutcomeKind::Ready);
    assert_eq!(outcome.rows, Some(8));
    assert_eq!(
        serde_json::to_value(&outcome).expect("serialisable"),
        serde_json::json!({"job": job.id.to_string(), "outcome": "ready", "rows": 8})
    );
    let ExportState::Ready {
        rows,
        files,
        protection,
    } = stored(&setup, &job).await.state
    else {
        panic!("the job is ready");
    };
    assert_eq!(rows, 8);
    let folder = setup.dir.path().join("files").join(job.folder().prefix());
    // The job keeps what the manifest's rules changed, for its page.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(folder.join(MANIFEST_FILE)).expect("the manifest is written"),
    )
    .expect("json");
    let rule = |name: &str| {
        manifest["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == name)
            .unwrap_or_else(|| panic!("no rule {name}"))
            .clone()
    };
    let protection = protection.expect("a job made now keeps what was changed");
    let kanon = rule("k_anonymity");
    assert_eq!(protection.text_cells_scrubbed, 1, "the phone number");
    assert_eq!(protection.formula_cells_neutralised, 1, "the leading =");
    assert_eq!(
        (
            protection.background_cells_emptied,
            protection.rows_changed,
            protection.dependent_cells_emptied,
        ),
        (
            kanon["cells_suppressed"].as_u64().unwrap(),
            kanon["rows_changed"].as_u64().unwrap(),
            kanon["dependent_cells_emptied"].as_u64().unwrap(),
        )
    );
    assert_eq!(
        protection.text_cells_scrubbed,
        rule("free_text")["cells_scrubbed"].as_u64().unwrap()
    );
    assert_eq!(
        protection.formula_cells_neutralised,
        rule("formula_neutralisation")["cells_changed"]
            .as_u64()
            .unwrap()
    );
    for file in &files {
        assert!(
            folder.join(&file.name).is_file(),
            "{} is written",
            file.name
        );
    }
    assert!(files.iter().any(|f| f.name == MANIFEST_FILE));
}

#[tokio::test]
async fn the_same_event_twice_writes_one_result_and_the_second_does_nothing() {
    let setup = Setup::new().await;
    let job = queued_job(&setup).await;
    let runner = runner(&setup);
    let first = handle(&runner, event(&job)).await.expect("handled");
    assert_eq!(first.outcome, OutcomeKind::Ready);
    let after_first = stored(&setup, &job).await;
    let second = handle(&runner, event(&job)).await.expect("handled");
    assert_eq!(second.outcome, OutcomeKind::NotClaimed);
    assert_eq!(second.rows, None);
    assert_eq!(
        stored(&setup, &job).await,
        after_first,
        "the second delivery changed nothing"
    );
}

#[tokio::test]
async fn the_same_event_delivered_to_two_containers_at_once_is_run_once() {
    let setup = Setup::new().await;
    let job = queued_job(&setup).await;
    let (a, b) = (runner(&setup), runner(&setup));
    let (first, second) = tokio::join!(handle(&a, event(&job)), handle(&b, event(&job)));
    let mut outcomes = vec![
        first.expect("handled").outcome,
        second.expect("handled").outcome,
    ];
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, vec![OutcomeKind::NotClaimed, OutcomeKind::Ready]);
    assert!(matches!(
        stored(&setup, &job).await.state,
        ExportState::Ready { rows: 8, .. }
    ));
}

#[tokio::test]
async fn an_event_naming_no_job_does_nothing() {
    let setup = Setup::new().await;
    let unknown = serde_json::json!({
        "organisation": "testkommun",
        "job": ExportJobId::random().to_string(),
    });
    let outcome = handle(&runner(&setup), unknown).await.expect("handled");
    assert_eq!(outcome.outcome, OutcomeKind::NotClaimed);
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_error() {
    let setup = Setup::new().await;
    let runner = runner(&setup);
    for bad in [
        serde_json::json!({"organisation": "testkommun"}),
        serde_json::json!("exporttest"),
        serde_json::json!({"organisation": "testkommun", "job": 12}),
        serde_json::json!({}),
    ] {
        let error = handle(&runner, bad.clone()).await.unwrap_err();
        assert!(matches!(error, HandlerError::BadEvent(_)), "{bad}: {error}");
        let text = svar_shared::telemetry::error_chain(&error);
        assert!(
            text.contains("not an export job reference") && text.contains("\"job\""),
            "{bad}: {text}"
        );
    }
}
