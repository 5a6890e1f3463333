//! Invitations benchmark (BENCHMARKS.md, "Invitations"), through the workspace's router
//! in this process, as the admin function runs it (no network in between):
//!
//! 1. 20,000 invitations generated in one batch (one POST),
//! 2. their CSV downloaded, and their letters rendered in 20 parts of 1,000,
//! 3. answers stored for a tenth of them, spread over 30 days,
//! 4. the round's rate page requested 200 times, one after the other: p50, p90, max.
//!
//! `bench-invitations embedded|dynamodb [count] [rate-requests]`; DynamoDB needs
//! `SVAR_TEST_DYNAMODB_ENDPOINT` (tests/services.sh). Peak memory is measured around
//! the whole process by the script (`/usr/bin/time -v`).

// A benchmark: a failed step is a failed run.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};
use svar_shared::export::LocalExportFiles;
use svar_shared::service::exports::{ExportPolicy, Exports};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use svar_admin::{AdminState, SessionKey};
use svar_shared::domain::questionnaire::{self, Slug};
use svar_shared::domain::*;
use svar_shared::service::workspace::Workspace;
use svar_shared::store::Store;
use tower::ServiceExt;

const HOST: &str = "svar.example.se";

struct Reply {
    status: StatusCode,
    body: String,
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn field_value(page: &str, name: &str) -> String {
    let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap();
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let v: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let backend = args.get(1).map(String::as_str).unwrap_or("embedded");
    let count: u32 = args.get(2).map_or(20_000, |n| n.parse().unwrap());
    let rate_requests: usize = args.get(3).map_or(200, |n| n.parse().unwrap());

    let (store, _keep): (Arc<dyn Store>, Box<dyn std::any::Any>) = match backend {
        "embedded" => {
            let embedded = svar_tests::backend::Embedded::new();
            (embedded.store.clone(), Box::new(embedded))
        }
        "dynamodb" => {
            let dynamo = svar_tests::backend::Dynamo::new().await;
            (dynamo.store.clone(), Box::new(dynamo.tables))
        }
        other => panic!("unknown store {other}: embedded or dynamodb"),
    };

    // Set-up: questionnaires, a municipality with a key, an open patient round.
    for q in questionnaire::builtin().unwrap() {
        store.publish_questionnaire(&q).await.unwrap();
    }
    store
        .put_municipality(&svar_tests::municipality())
        .await
        .unwrap();
    let hash_key = HashKey::generate();
    store
        .put_organisation(&Organisation {
            id: Slug::parse("testkommun").unwrap(),
            name: "Testkommun".into(),
            kind: OrganisationKind::Municipality,
            network: None,
        })
        .await
        .unwrap();
    let secret = AccessSecret::generate();
    let key = AccessKey {
        id: AccessKeyId::random(),
        organisation: Slug::parse("testkommun").unwrap(),
        label: "Benchmark".into(),
        created_at: svar_tests::now(),
        revoked_at: None,
    };
    store
        .create_access_key(&key, &secret.hash(&hash_key))
        .await
        .unwrap();
    let round = Round::open_patient_round(
        Slug::parse("testkommun").unwrap(),
        "Benchmark",
        QuestionnaireRef {
            id: Slug::parse("patientupplevelse").unwrap(),
            version: 1,
        },
        time::OffsetDateTime::now_utc(),
    );
    store.create_round(&round).await.unwrap();
    let workspace = Arc::new(Workspace::new(store.clone(), hash_key));
    let exports_dir = std::env::temp_dir().join("svar-bench-invitations-exports");
    let files = Arc::new(LocalExportFiles::new(&exports_dir, &[3; 64]));
    let exports = Arc::new(Exports::in_process(
        workspace.clone(),
        files.clone(),
        files,
        ExportPolicy::default(),
    ));
    let caller = workspace
        .caller_by_secret(secret.reveal())
        .await
        .unwrap()
        .unwrap();
    let state = AdminState {
        exports,
        workspace,
        sessions: Arc::new(SessionKey::from_bytes(&[3; 64]).unwrap()),
        secure_cookies: true,
    };
    let set_cookie = svar_admin::auth::session_cookie(&state, &caller).into_response();
    let cookie = set_cookie.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let router = svar_admin::router(state);
    let get = |uri: String| {
        Request::get(uri)
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let post = |uri: String, body: String| {
        Request::post(uri)
            .header(header::HOST, HOST)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let base = format!("/admin/omgangar/{}", round.id);
    let page = send(&router, get(format!("{base}/inbjudningar"))).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = field_value(&page.body, "csrf");

    // 1. Generate.
    let started = Instant::now();
    let count_text = count.to_string();
    let made = send(
        &router,
        post(
            format!("{base}/inbjudningar"),
            form(&[("csrf", &csrf), ("antal", &count_text)]),
        ),
    )
    .await;
    let generate = started.elapsed();
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let nyckel = field_value(&made.body, "nyckel");
    let at = made.body.find("/csv\"").unwrap();
    let action = made.body[made.body[..at].rfind("action=\"").unwrap() + 8..at].to_owned();

    // 2. CSV and letters.
    let started = Instant::now();
    let csv = send(
        &router,
        post(
            format!("{action}/csv"),
            form(&[("csrf", &csrf), ("nyckel", &nyckel)]),
        ),
    )
    .await;
    let csv_time = started.elapsed();
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.lines().count(), count as usize + 1);
    let text = "Hej!\n\nVi vill gärna veta vad du tycker om vården du får.\n\nTack!";
    let parts = (count as usize).div_ceil(1000);
    let (mut letters_bytes, mut largest, mut letters) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    for part in 1..=parts {
        let part_text = part.to_string();
        let reply = send(
            &router,
            post(
                format!("{action}/brev"),
                form(&[
                    ("csrf", &csrf),
                    ("nyckel", &nyckel),
                    ("del", &part_text),
                    ("text", text),
                ]),
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        letters += reply.body.matches("<article class=\"letter\"").count();
        letters_bytes += reply.body.len();
        largest = largest.max(reply.body.len());
    }
    let letters_time = started.elapsed();
    assert_eq!(letters, count as usize);

    // 3. Answers for a tenth, over 30 days (straight into the store: not measured).
    let mut after = 0;
    let mut answered = 0u32;
    let today = time::OffsetDateTime::now_utc().date();
    while answered < count / 10 {
        let page = store
            .invitation_summaries(&round.id, after, 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.number;
        for summary in page.iter().step_by(10) {
            let mut response = svar_tests::response(&round);
            response.submitted_on = today - time::Duration::days(i64::from(answered % 30));
            store
                .submit_response(&summary.id, &response, None)
                .await
                .unwrap();
            answered += 1;
        }
    }

    // 4. The rate page.
    let mut times = Vec::with_capacity(rate_requests);
    let mut rate_bytes = 0;
    for _ in 0..rate_requests {
        let started = Instant::now();
        let reply = send(&router, get(format!("{base}/svarsfrekvens"))).await;
        times.push(started.elapsed());
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.contains("10,0"), "the rate of a tenth");
        rate_bytes = reply.body.len();
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];

    println!("| step ({backend}, {count} invitations) | result |");
    println!("|---|---|");
    println!("| generate (one POST) | {} |", millis(generate));
    println!(
        "| CSV download | {} ({} KB) |",
        millis(csv_time),
        csv.body.len() / 1024
    );
    println!(
        "| letters, {parts} parts of ≤ 1,000 | {} in all; {:.1} MB in all, largest part {:.2} MB, {:.1} KB a letter |",
        millis(letters_time),
        letters_bytes as f64 / 1e6,
        largest as f64 / 1e6,
        letters_bytes as f64 / letters as f64 / 1e3
    );
    println!(
        "| generate + CSV + letters | {} |",
        millis(generate + csv_time + letters_time)
    );
    println!(
        "| rate page, {answered} answers over 30 days, {rate_requests} requests | p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms ({} KB) |",
        at(0.5).as_secs_f64() * 1000.0,
        at(0.9).as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        rate_bytes / 1024
    );
}
