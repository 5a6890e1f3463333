//! A job through the runner to S3, twice; presigned URLs fetched with a plain HTTP client.

use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use sha2::{Digest, Sha256};
use svar_shared::domain::*;
use svar_shared::export::{DownloadLinks, ExportFiles};
use svar_shared::service::exports::{ExportJobRef, ExportPolicy, ExportRunner, RunOutcome};
use svar_shared::store::Store;
use svar_shared::store::embedded::EmbeddedStore;

use super::{Bucket, folder, secret_key};
use crate::{Setup, answers};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A queued job exporting `round`, made at `at` with `seed`.
fn job(round: &Round, seed: u64, at: time::OffsetDateTime) -> ExportJob {
    ExportJob {
        id: ExportJobId::random(),
        organisation: round.municipality.clone(),
        scope: ExportScope::Round {
            round: round.id.clone(),
        },
        rounds: vec![round.id.clone()],
        rounds_left_out: Vec::new(),
        settings: ExportSettings {
            k: 3,
            free_text: false,
        },
        seed,
        requested_by: "test".to_owned(),
        state: ExportState::Queued,
        created_at: at,
        updated_at: at,
        expires_at: at + time::Duration::days(30),
    }
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn a_job_runs_to_ready_in_s3_and_running_it_again_gives_the_same_bytes() {
    let bucket = Bucket::new().await;
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren 2026").await;
    for i in 0..12 {
        let age = if i % 3 == 0 { "ung" } else { "gammal" };
        setup
            .answer(&round, answers([age, "kvinna", "hemma", "sjalv"]))
            .await;
    }
    let store: Arc<dyn Store> =
        Arc::new(EmbeddedStore::open(&setup.dir.path().join("svar.db")).expect("opens"));
    let runner = ExportRunner::new(
        store.clone(),
        Arc::new(bucket.files()),
        ExportPolicy::default(),
    );
    let at = svar_tests::now();
    let mut hashes = Vec::new();
    for _attempt in 0..2 {
        let job = job(&round, 42, at);
        store
            .create_export_job(&job, at - time::Duration::minutes(2))
            .await
            .unwrap();
        let outcome = runner.run(&ExportJobRef::from(&job)).await.unwrap();
        assert_eq!(outcome, RunOutcome::Ready { rows: 12 });
        let stored = store
            .export_job(&job.organisation, &job.id)
            .await
            .unwrap()
            .unwrap();
        let ExportState::Ready { files, .. } = stored.state else {
            panic!("{:?}", stored.state)
        };
        let prefix = job.folder().prefix();
        let keys = bucket.keys(&prefix).await;
        assert_eq!(keys.len(), files.len(), "{keys:?}");
        let mut of_job = Vec::new();
        for file in &files {
            let bytes = bucket.get(&format!("{prefix}{}", file.name)).await;
            assert_eq!(bytes.len() as u64, file.bytes, "{}", file.name);
            of_job.push((file.name.clone(), sha256(&bytes)));
        }
        hashes.push(of_job);
    }
    assert_eq!(
        hashes[0], hashes[1],
        "the same data and seed give the same bytes"
    );
}

/// A GET of `url` with a plain HTTP client: status, Content-Disposition and body.
async fn fetch(url: &str) -> (u16, Option<String>, Vec<u8>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<axum::body::Bytes>>();
    let response = client
        .get(url.parse().expect("a URL"))
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let disposition = response
        .headers()
        .get(http::header::CONTENT_DISPOSITION)
        .map(|v| v.to_str().expect("text").to_owned());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes()
        .to_vec();
    (status, disposition, body)
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn a_presigned_url_downloads_its_file_until_it_expires_and_not_when_changed() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    sink.write("responses.csv", "löpnummer;ålder\n1;ung\n".as_bytes())
        .await
        .unwrap();
    sink.finish("responses.csv").await.unwrap();
    let links = bucket.links(&secret_key());

    let saved_as = "ale-export-2026-12-05-1447-responses.csv";
    let url = links
        .download_url(
            &folder,
            "responses.csv",
            saved_as,
            time::Duration::minutes(15),
        )
        .await
        .unwrap();
    let (status, disposition, body) = fetch(&url).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, "löpnummer;ålder\n1;ung\n".as_bytes());
    // The server answers with the Content-Disposition the URL asks for: the download's
    // name, not the object's own (`responses.csv`, set at upload).
    assert_eq!(
        disposition.as_deref(),
        Some(format!("attachment; filename=\"{saved_as}\"").as_str())
    );
    // The name is signed: changed, the URL is refused.
    let renamed = url.replace(saved_as, "ale-export-other-responses.csv");
    assert_ne!(renamed, url);
    assert_eq!(fetch(&renamed).await.0, 403);

    // A changed signature, another file under the same signature, another secret.
    let (head, signature) = url.split_once("X-Amz-Signature=").unwrap();
    let mut forged = signature.to_owned().into_bytes();
    forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
    let forged = format!(
        "{head}X-Amz-Signature={}",
        String::from_utf8(forged).unwrap()
    );
    assert_eq!(fetch(&forged).await.0, 403);
    let other_file = url.replace("/responses.csv?", "/codebook.csv?");
    assert_eq!(fetch(&other_file).await.0, 403);
    let wrong_secret = bucket
        .links("not-the-secret")
        .download_url(
            &folder,
            "responses.csv",
            saved_as,
            time::Duration::minutes(15),
        )
        .await
        .unwrap();
    assert_eq!(fetch(&wrong_secret).await.0, 403);

    // Expired: valid for one second, fetched after two.
    let short = links
        .download_url(
            &folder,
            "responses.csv",
            saved_as,
            time::Duration::seconds(1),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(fetch(&short).await.0, 403);
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn a_url_signed_with_temporary_credentials_carries_its_token_under_the_signature() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    sink.write("codebook.json", b"{}").await.unwrap();
    sink.finish("codebook.json").await.unwrap();

    // A token with the characters a role's tokens have (`/`, `+`, `=`), which must be
    // percent-encoded once in the URL and in what is signed.
    let token = "IQoJb3JpZ2luX2VjEJr//////////wEaCmV1LW5vcnRoLTEi+RzA=";
    let url = bucket
        .temporary_links(token)
        .download_url(
            &folder,
            "codebook.json",
            "codebook.json",
            time::Duration::minutes(15),
        )
        .await
        .unwrap();
    assert!(url.contains("X-Amz-Security-Token="), "{url}");
    let (status, _, body) = fetch(&url).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, b"{}");

    // The token is signed: another token, or none, and the URL is refused.
    let (head, rest) = url.split_once("X-Amz-Security-Token=").unwrap();
    let (signed_token, tail) = rest.split_once('&').unwrap_or((rest, ""));
    let swapped = format!("{head}X-Amz-Security-Token={}A&{tail}", signed_token);
    assert_eq!(fetch(swapped.trim_end_matches('&')).await.0, 403);
    let without = format!("{head}{tail}");
    assert_eq!(fetch(without.trim_end_matches(['&', '?'])).await.0, 403);
}
