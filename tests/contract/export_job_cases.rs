//! The storage contract of export jobs ([`svar_shared::store::ExportJobStore`]): the
//! dedupe of active jobs, claims, progress, finishing, listing and expiry, and that no
//! organisation sees or changes another's jobs.

use std::collections::BTreeSet;
use std::sync::Arc;

use svar_shared::domain::*;
use svar_shared::store::{CreatedExport, Store};
use svar_tests::*;
use time::{Duration, OffsetDateTime};

const ORGANISATION: &str = "kungalv";
const OTHER: &str = "stenungsund";

/// A queued job of `organisation` exporting `scope` with `k`, made at `at`.
fn job(organisation: &str, scope: ExportScope, k: u32, at: OffsetDateTime) -> ExportJob {
    ExportJob {
        id: ExportJobId::random(),
        organisation: slug(organisation),
        rounds: match &scope {
            ExportScope::Round { round } => vec![round.clone()],
            ExportScope::Questionnaire { .. } => vec![RoundId::random(), RoundId::random()],
        },
        // Kept through every store (a period's round with too few responses).
        rounds_left_out: match &scope {
            ExportScope::Round { .. } => Vec::new(),
            ExportScope::Questionnaire { .. } => vec![RoundLeftOut {
                round: RoundId::random(),
                name: "Hösten, Äldreboende".to_owned(),
                responses: 3,
            }],
        },
        scope,
        settings: ExportSettings {
            k,
            free_text: false,
        },
        seed: u64::MAX - 7,
        requested_by: "Anna, enhetschef".to_owned(),
        state: ExportState::Queued,
        created_at: at,
        updated_at: at,
        expires_at: at + Duration::days(30),
    }
}

fn round_scope() -> ExportScope {
    ExportScope::Round {
        round: RoundId::random(),
    }
}

/// A job of [`ORGANISATION`] exporting a new round with k = 5, made now.
fn new_job() -> ExportJob {
    job(ORGANISATION, round_scope(), 5, now())
}

/// When a job made now would count as stalled: two minutes ago.
fn stalled_before() -> OffsetDateTime {
    now() - Duration::minutes(2)
}

async fn create(store: &dyn Store, job: &ExportJob) -> CreatedExport {
    store
        .create_export_job(job, stalled_before())
        .await
        .expect("create export job")
}

async fn read(store: &dyn Store, job: &ExportJob) -> Option<ExportJob> {
    store
        .export_job(&job.organisation, &job.id)
        .await
        .expect("read export job")
}

async fn claim(store: &dyn Store, job: &ExportJob, at: OffsetDateTime) -> bool {
    store
        .claim_export_job(&job.organisation, &job.id, at, at - Duration::minutes(2))
        .await
        .expect("claim export job")
}

fn ready() -> ExportState {
    ExportState::Ready {
        rows: 42,
        files: vec![ExportFileInfo {
            name: "svar.csv".to_owned(),
            bytes: 1234,
        }],
        // Every count different, so a store that drops or swaps one shows.
        protection: Some(Protection {
            background_cells_emptied: 5,
            rows_changed: 3,
            dependent_cells_emptied: 2,
            text_cells_scrubbed: 7,
            formula_cells_neutralised: 1,
        }),
    }
}

async fn finish(store: &dyn Store, job: &ExportJob, state: &ExportState) -> bool {
    store
        .finish_export_job(&job.organisation, &job.id, state, now())
        .await
        .expect("finish export job")
}

fn ids(jobs: &[ExportJob]) -> Vec<ExportJobId> {
    jobs.iter().map(|job| job.id.clone()).collect()
}

pub async fn a_created_export_job_reads_back_equal(store: Arc<dyn Store>) {
    let from = time::Date::from_calendar_date(2026, time::Month::January, 1).expect("a date");
    let to = time::Date::from_calendar_date(2026, time::Month::June, 30).expect("a date");
    let scope = ExportScope::Questionnaire {
        questionnaire: slug("vardnad"),
        from,
        to,
    };
    let mut made = job(ORGANISATION, scope, 10, now());
    made.settings.free_text = true;
    assert_eq!(create(&*store, &made).await, CreatedExport::Created);
    assert_eq!(read(&*store, &made).await, Some(made.clone()));
    assert_eq!(
        store.export_jobs(&made.organisation).await.expect("list"),
        vec![made]
    );
}

pub async fn a_second_request_while_one_is_active_returns_it_and_stores_nothing(
    store: Arc<dyn Store>,
) {
    let first = new_job();
    assert_eq!(create(&*store, &first).await, CreatedExport::Created);
    let second = ExportJob {
        id: ExportJobId::random(),
        ..first.clone()
    };
    assert_eq!(
        create(&*store, &second).await,
        CreatedExport::AlreadyActive(first.clone())
    );
    assert_eq!(read(&*store, &second).await, None);
    // Running counts as active too.
    assert!(claim(&*store, &first, now()).await);
    let running = read(&*store, &first).await.expect("the first job");
    assert_eq!(
        create(&*store, &second).await,
        CreatedExport::AlreadyActive(running)
    );
    assert_eq!(
        ids(&store.export_jobs(&first.organisation).await.expect("list")),
        vec![first.id]
    );
}

pub async fn another_k_or_scope_or_free_text_setting_makes_a_new_job(store: Arc<dyn Store>) {
    let first = new_job();
    assert_eq!(create(&*store, &first).await, CreatedExport::Created);
    let other_k = ExportJob {
        id: ExportJobId::random(),
        settings: ExportSettings {
            k: 10,
            ..first.settings
        },
        ..first.clone()
    };
    let other_text = ExportJob {
        id: ExportJobId::random(),
        settings: ExportSettings {
            free_text: true,
            ..first.settings
        },
        ..first.clone()
    };
    let other_scope = job(ORGANISATION, round_scope(), 5, now());
    for other in [&other_k, &other_text, &other_scope] {
        assert_eq!(create(&*store, other).await, CreatedExport::Created);
        assert_eq!(read(&*store, other).await.as_ref(), Some(other));
    }
    assert_eq!(
        store
            .export_jobs(&first.organisation)
            .await
            .expect("list")
            .len(),
        4
    );
}

pub async fn a_stalled_active_job_is_marked_interrupted_and_the_new_one_stored(
    store: Arc<dyn Store>,
) {
    let scope = round_scope();
    let stalled = job(
        ORGANISATION,
        scope.clone(),
        5,
        now() - Duration::minutes(10),
    );
    assert_eq!(create(&*store, &stalled).await, CreatedExport::Created);
    let fresh = job(ORGANISATION, scope.clone(), 5, now());
    assert_eq!(create(&*store, &fresh).await, CreatedExport::Created);
    let failed = read(&*store, &stalled).await.expect("the stalled job");
    assert_eq!(
        failed.state,
        ExportState::Failed {
            failure: ExportFailure::Interrupted
        }
    );
    assert_eq!(read(&*store, &fresh).await, Some(fresh.clone()));

    // A running job whose runner stopped is stalled too.
    let running = job(OTHER, scope.clone(), 5, now() - Duration::minutes(10));
    assert_eq!(create(&*store, &running).await, CreatedExport::Created);
    assert!(claim(&*store, &running, now() - Duration::minutes(9)).await);
    let replacement = job(OTHER, scope, 5, now());
    assert_eq!(create(&*store, &replacement).await, CreatedExport::Created);
    assert_eq!(
        read(&*store, &running)
            .await
            .expect("the running job")
            .state,
        ExportState::Failed {
            failure: ExportFailure::Interrupted
        }
    );
    // The interrupted runner can neither report progress nor finish.
    assert!(
        !store
            .record_export_progress(&running.organisation, &running.id, 10, now())
            .await
            .expect("progress")
    );
    assert!(!finish(&*store, &running, &ready()).await);
}

pub async fn a_job_is_claimed_once_and_a_stalled_running_job_again(store: Arc<dyn Store>) {
    let queued = new_job();
    create(&*store, &queued).await;
    let at = now();
    assert!(claim(&*store, &queued, at).await);
    assert!(!claim(&*store, &queued, at).await, "the second claim");
    let claimed = read(&*store, &queued).await.expect("the job");
    assert_eq!(claimed.state, ExportState::Running { rows_done: 0 });
    assert_eq!(claimed.updated_at, at);

    // A runner that stopped ten minutes ago: the next one starts the job again, clean.
    let stalled = new_job();
    create(&*store, &stalled).await;
    let long_ago = now() - Duration::minutes(10);
    assert!(claim(&*store, &stalled, long_ago).await);
    assert!(
        store
            .record_export_progress(&stalled.organisation, &stalled.id, 300, long_ago)
            .await
            .expect("progress")
    );
    assert!(
        claim(&*store, &stalled, at).await,
        "a stalled job is claimed again"
    );
    let restarted = read(&*store, &stalled).await.expect("the job");
    assert_eq!(restarted.state, ExportState::Running { rows_done: 0 });
    assert_eq!(restarted.updated_at, at);

    // Finished or unknown jobs are never claimed.
    assert!(finish(&*store, &queued, &ready()).await);
    assert!(!claim(&*store, &queued, now() + Duration::hours(1)).await);
    assert!(!claim(&*store, &new_job(), now()).await, "an unknown job");
}

pub async fn progress_is_recorded_while_running_and_refused_once_finished(store: Arc<dyn Store>) {
    let made = new_job();
    create(&*store, &made).await;
    let progress = |rows, at| {
        let store = Arc::clone(&store);
        let made = made.clone();
        async move {
            store
                .record_export_progress(&made.organisation, &made.id, rows, at)
                .await
                .expect("progress")
        }
    };
    assert!(!progress(1, now()).await, "a queued job has no progress");
    assert!(claim(&*store, &made, now()).await);
    let later = now() + Duration::seconds(5);
    assert!(progress(500, later).await);
    let running = read(&*store, &made).await.expect("the job");
    assert_eq!(running.state, ExportState::Running { rows_done: 500 });
    assert_eq!(running.updated_at, later);

    let failed = ExportState::Failed {
        failure: ExportFailure::ChangedDuringExport,
    };
    assert!(finish(&*store, &made, &failed).await);
    assert!(!progress(600, later).await);
    assert!(!finish(&*store, &made, &ready()).await, "finished twice");
    assert_eq!(read(&*store, &made).await.expect("the job").state, failed);
}

pub async fn a_finished_job_frees_its_dedupe_key(store: Arc<dyn Store>) {
    let first = new_job();
    create(&*store, &first).await;
    assert!(claim(&*store, &first, now()).await);
    assert!(finish(&*store, &first, &ready()).await);
    let finished = read(&*store, &first).await.expect("the job");
    assert_eq!(finished.state, ready());

    let again = ExportJob {
        id: ExportJobId::random(),
        ..first.clone()
    };
    assert_eq!(create(&*store, &again).await, CreatedExport::Created);
    assert_eq!(read(&*store, &first).await, Some(finished));
    // The new job holds the key now.
    let third = ExportJob {
        id: ExportJobId::random(),
        ..first.clone()
    };
    assert_eq!(
        create(&*store, &third).await,
        CreatedExport::AlreadyActive(again)
    );
}

pub async fn another_organisation_neither_sees_nor_changes_a_job(store: Arc<dyn Store>) {
    let made = new_job();
    create(&*store, &made).await;
    let other = slug(OTHER);
    let (id, at) = (&made.id, now());
    assert_eq!(store.export_job(&other, id).await.expect("read"), None);
    assert!(store.export_jobs(&other).await.expect("list").is_empty());
    let stalled = at - Duration::minutes(2);
    assert!(
        !store
            .claim_export_job(&other, id, at, stalled)
            .await
            .expect("claim")
    );
    assert!(claim(&*store, &made, at).await);
    assert!(
        !store
            .record_export_progress(&other, id, 9, at)
            .await
            .expect("progress")
    );
    assert!(
        !store
            .finish_export_job(&other, id, &ready(), at)
            .await
            .expect("finish")
    );
    let unchanged = read(&*store, &made).await.expect("the job");
    assert_eq!(unchanged.state, ExportState::Running { rows_done: 0 });

    // The same export asked by another organisation is its own job.
    let theirs = ExportJob {
        id: ExportJobId::random(),
        organisation: other.clone(),
        ..made.clone()
    };
    assert_eq!(create(&*store, &theirs).await, CreatedExport::Created);
    assert_eq!(
        ids(&store.export_jobs(&other).await.expect("list")),
        vec![theirs.id]
    );
}

pub async fn jobs_are_listed_newest_first_and_only_the_organisations(store: Arc<dyn Store>) {
    let at = now();
    let oldest = job(ORGANISATION, round_scope(), 5, at - Duration::days(2));
    let newest = job(ORGANISATION, round_scope(), 5, at);
    let middle = job(ORGANISATION, round_scope(), 5, at - Duration::days(1));
    let theirs = job(OTHER, round_scope(), 5, at - Duration::hours(1));
    for made in [&oldest, &newest, &theirs, &middle] {
        assert_eq!(create(&*store, made).await, CreatedExport::Created);
    }
    let listed = store.export_jobs(&slug(ORGANISATION)).await.expect("list");
    assert_eq!(listed[1], middle);
    assert_eq!(ids(&listed), vec![newest.id, middle.id, oldest.id]);
}

pub async fn expired_jobs_of_every_organisation_are_removed_and_returned(store: Arc<dyn Store>) {
    // The DynamoDB store finds jobs through the organisations.
    for id in [ORGANISATION, OTHER] {
        let organisation = organisation(id, OrganisationKind::Municipality, None);
        store
            .put_organisation(&organisation)
            .await
            .expect("put organisation");
    }
    let at = now();
    let expired = |organisation: &str| {
        let mut made = job(organisation, round_scope(), 5, at - Duration::days(31));
        made.expires_at = at - Duration::days(1);
        made
    };
    let (ours, theirs) = (expired(ORGANISATION), expired(OTHER));
    let active_expired = expired(ORGANISATION);
    let kept = job(ORGANISATION, round_scope(), 5, at);
    for made in [&ours, &theirs, &active_expired, &kept] {
        create(&*store, made).await;
    }
    for made in [&ours, &theirs] {
        assert!(claim(&*store, made, at).await);
        assert!(finish(&*store, made, &ready()).await);
    }
    let ours = read(&*store, &ours).await.expect("ours");
    let theirs = read(&*store, &theirs).await.expect("theirs");

    let removed = store.remove_expired_export_jobs(at).await.expect("remove");
    let removed_ids: BTreeSet<ExportJobId> = ids(&removed).into_iter().collect();
    let expected: BTreeSet<ExportJobId> = [&ours.id, &theirs.id, &active_expired.id]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(removed_ids, expected);
    assert!(removed.contains(&ours) && removed.contains(&theirs));
    for gone in [&ours, &theirs, &active_expired] {
        assert_eq!(read(&*store, gone).await, None);
    }
    assert_eq!(
        ids(&store.export_jobs(&slug(ORGANISATION)).await.expect("list")),
        vec![kept.id.clone()]
    );
    assert!(
        store
            .export_jobs(&slug(OTHER))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .remove_expired_export_jobs(at)
            .await
            .expect("again")
            .is_empty()
    );
    // The removed active job's key is free again.
    let again = ExportJob {
        id: ExportJobId::random(),
        expires_at: at + Duration::days(30),
        ..active_expired
    };
    assert_eq!(create(&*store, &again).await, CreatedExport::Created);
}

pub async fn two_concurrent_requests_for_the_same_export_make_one_job(store: Arc<dyn Store>) {
    for _ in 0..5 {
        let first = new_job();
        let second = ExportJob {
            id: ExportJobId::random(),
            ..first.clone()
        };
        let (a, b) = tokio::join!(create(&*store, &first), create(&*store, &second));
        let stored = match (a, b) {
            (CreatedExport::Created, CreatedExport::AlreadyActive(existing)) => {
                assert_eq!(existing, first);
                first
            }
            (CreatedExport::AlreadyActive(existing), CreatedExport::Created) => {
                assert_eq!(existing, second);
                second
            }
            other => panic!("two requests at once made {other:?}"),
        };
        assert_eq!(read(&*store, &stored).await, Some(stored.clone()));
    }
    assert_eq!(
        store
            .export_jobs(&slug(ORGANISATION))
            .await
            .expect("list")
            .len(),
        5
    );
}
