//! The benchmark's simulated respondent against the real respondent router (served in
//! this process on a data folder the benchmark prepared) and against the hello binary.

use std::sync::Arc;
use std::time::Duration;

use svar_bench_load::load::{Phase, run_phase};
use svar_bench_load::respondent::{Timings, Walker, http_client};
use svar_bench_load::server::ServerProcess;
use svar_bench_load::setup::{self, DATABASE_FILE, KEY_FILE};
use svar_shared::domain::HashKey;
use svar_shared::service::respondent::SurveyService;
use svar_shared::store::embedded::EmbeddedStore;

/// Serves the respondent router on a free port, on the prepared folder, as the local
/// server would.
async fn serve_survey(dir: &std::path::Path) -> String {
    let store = EmbeddedStore::open(&dir.join(DATABASE_FILE)).expect("store opens");
    let key = HashKey::new(std::fs::read(dir.join(KEY_FILE)).expect("key file"));
    let survey = Arc::new(SurveyService::new(Arc::new(store), key));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(axum::serve(listener, svar_respond::router(survey)).into_future());
    base
}

#[tokio::test]
async fn a_simulated_respondent_answers_the_patient_survey_and_it_is_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prepared = setup::prepare(dir.path(), 3).await.expect("prepared");
    assert_eq!(prepared.links.len(), 3);
    let base = serve_survey(dir.path()).await;
    let client = http_client();
    let walker = Walker {
        client: &client,
        base: &base,
        questionnaire: &prepared.questionnaire,
    };

    let mut timings = Timings::new();
    let walk = walker
        .walk(&prepared.links[0], &mut timings)
        .await
        .expect("the respondent reaches the thank-you page");
    assert_eq!(walk.pages, 5, "the usual path: five pages");
    assert!(walk.requests >= 2 * walk.pages);
    assert_eq!(u64::from(walk.requests), timings.all().len());

    let again = walker.walk(&prepared.links[0], &mut timings).await;
    assert!(again.is_err(), "an answered link has no form to fill in");

    let phase = Phase {
        base: base.clone(),
        links: prepared.links[1..].to_vec(),
        concurrency: 2,
        time_limit: Duration::from_secs(30),
    };
    let result = run_phase(&client, &prepared.questionnaire, phase).await;
    assert_eq!((result.completed, result.error_count()), (2, 0));

    let stored = setup::stored_responses(dir.path(), &prepared.round)
        .await
        .expect("count");
    assert_eq!(stored, 3);
}

#[tokio::test]
async fn a_bad_link_is_counted_as_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prepared = setup::prepare(dir.path(), 1).await.expect("prepared");
    let base = serve_survey(dir.path()).await;
    let phase = Phase {
        base,
        links: vec!["/s/NOTATOKEN".into()],
        concurrency: 1,
        time_limit: Duration::from_secs(30),
    };
    let result = run_phase(&http_client(), &prepared.questionnaire, phase).await;
    assert_eq!(result.completed, 0);
    assert_eq!(result.errors.get("HTTP 404"), Some(&1));
}

#[tokio::test]
async fn the_hello_world_plays_the_same_pages_in_both_shapes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let questionnaire = setup::prepare(dir.path(), 0)
        .await
        .expect("prepared")
        .questionnaire;
    let client = http_client();
    let mut hello = ServerProcess::spawn(
        "hello",
        env!("CARGO_BIN_EXE_hello").as_ref(),
        &[],
        &dir.path().join("hello.log"),
    )
    .expect("hello starts");
    hello
        .wait_ready(&client, Duration::from_secs(10))
        .await
        .expect("hello answers");
    let walker = Walker {
        client: &client,
        base: &hello.base,
        questionnaire: &questionnaire,
    };
    let mut timings = Timings::new();
    let shown = walker.walk("/s/5/page", &mut timings).await.expect("walk");
    assert_eq!((shown.pages, shown.requests), (5, 10));
    assert!(!shown.send_redirected);
    let redirected = walker
        .walk("/s/5/redirect", &mut timings)
        .await
        .expect("walk");
    assert_eq!((redirected.pages, redirected.requests), (5, 11));
    assert!(redirected.send_redirected);
    assert!(hello.rss_kib().expect("rss") > 0);
}
