//! The export files in S3, against the S3-compatible server that tests/services.sh starts
//! (s3s-fs on 127.0.0.1, path-style, static test credentials, SigV4 signatures checked):
//! multipart uploads, a failure that leaves nothing, a whole job through the runner and
//! its retry, presigned URLs and removal. Ignored unless asked for; they fail, never skip,
//! when the server is missing.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use http_body_util::{BodyExt, Empty};
use sha2::{Digest, Sha256};
use svar_shared::domain::*;
use svar_shared::export::{
    self, DownloadLinks, ExportError, ExportFiles, ExportSink, MIN_PART_BYTES, S3DownloadLinks,
    S3ExportFiles,
};
use svar_shared::service::exports::{ExportJobRef, ExportPolicy, ExportRunner, RunOutcome};
use svar_shared::startup::{s3_client, s3_download_links};
use svar_shared::store::Store;
use svar_shared::store::embedded::EmbeddedStore;
use svar_tests::slug;

use crate::*;

/// What one UploadPart request sent: its upload and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SentPart {
    upload: String,
    bytes: u64,
}

/// Records every UploadPart and PutObject request the client sends.
#[derive(Debug, Clone, Default)]
struct Requests {
    parts: Arc<Mutex<Vec<SentPart>>>,
    puts: Arc<Mutex<Vec<String>>>,
}

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "Requests"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        if request.method() != "PUT" {
            return Ok(());
        }
        let uri = request.uri().to_owned();
        let query = uri.split_once('?').map(|(_, q)| q).unwrap_or("");
        let upload = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("uploadId="));
        match upload {
            Some(upload) if query.contains("partNumber=") => {
                let bytes = request
                    .headers()
                    .get("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                self.parts.lock().expect("not poisoned").push(SentPart {
                    upload: upload.to_owned(),
                    bytes,
                });
            }
            None if !query.contains("x-id=CopyObject") => {
                self.puts.lock().expect("not poisoned").push(uri);
            }
            _ => {}
        }
        Ok(())
    }
}

/// A fresh bucket in the test server, and a client that records its requests.
struct Bucket {
    client: Client,
    name: String,
    endpoint: String,
    access_key: String,
    region: String,
    requests: Requests,
}

fn variable(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set, so the S3 export tests cannot run. Run tests/run-all, or \
             start the server first: `source tests/services.sh; start_s3_server`"
        )
    })
}

impl Bucket {
    async fn new() -> Self {
        let endpoint = variable("SVAR_TEST_S3_ENDPOINT");
        let access_key = variable("SVAR_TEST_S3_ACCESS_KEY");
        let region = variable("SVAR_TEST_S3_REGION");
        let requests = Requests::default();
        // The client startup builds for SVAR_S3_ENDPOINT, recording its requests.
        let built = s3_client(&sdk(&access_key, &secret_key(), &region), Some(&endpoint));
        let client = Client::from_conf(
            built
                .config()
                .to_builder()
                .interceptor(requests.clone())
                .build(),
        );
        let name = format!("svar-test-{}", uuid::Uuid::new_v4().simple());
        let created = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            client.create_bucket().bucket(&name).send(),
        )
        .await;
        match created {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => panic!(
                "could not create bucket {name} in the S3 test server at {endpoint}: {}",
                aws_sdk_s3::error::DisplayErrorContext(error)
            ),
            Err(_) => panic!("the S3 test server at {endpoint} did not answer within 30 s"),
        }
        Self {
            client,
            name,
            endpoint,
            access_key,
            region,
            requests,
        }
    }

    fn files(&self) -> S3ExportFiles {
        S3ExportFiles::new(self.client.clone(), &self.name)
    }

    /// Links as startup makes them, signed with `secret_key`.
    fn links(&self, secret_key: &str) -> S3DownloadLinks {
        let sdk = sdk(&self.access_key, secret_key, &self.region);
        s3_download_links(&sdk, &self.name, Some(&self.endpoint)).expect("credentials and region")
    }

    async fn keys(&self, prefix: &str) -> Vec<String> {
        let listed = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .send()
            .await
            .expect("listed");
        let mut keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        keys.sort();
        keys
    }

    async fn get(&self, key: &str) -> Vec<u8> {
        let object = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
        object
            .body
            .collect()
            .await
            .expect("read")
            .into_bytes()
            .to_vec()
    }

    /// The parts an upload still holds (ListParts): none once it is aborted or completed.
    async fn parts_held(&self, key: &str, upload: &str) -> usize {
        match self
            .client
            .list_parts()
            .bucket(&self.name)
            .key(key)
            .upload_id(upload)
            .send()
            .await
        {
            Ok(listed) => listed.parts().len(),
            // AWS answers NoSuchUpload for an upload that is gone.
            Err(error) => {
                let text = aws_sdk_s3::error::DisplayErrorContext(&error).to_string();
                assert!(text.contains("NoSuchUpload"), "{text}");
                0
            }
        }
    }

    fn sent_parts(&self) -> Vec<SentPart> {
        self.requests.parts.lock().expect("not poisoned").clone()
    }
}

fn secret_key() -> String {
    variable("SVAR_TEST_S3_SECRET_KEY")
}

/// An SDK configuration as startup loads one, with the test server's static credentials.
fn sdk(access_key: &str, secret_key: &str, region: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key,
            secret_key,
            None,
            None,
            "svar-tests",
        )))
        .build()
}

fn folder(organisation: &str) -> ExportFolder {
    ExportFolder {
        organisation: slug(organisation),
        job: ExportJobId::random(),
    }
}

/// `len` bytes that differ from position to position, so a misplaced part shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + i / 7919) % 251) as u8)
        .collect()
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn a_large_file_written_in_small_interleaved_writes_arrives_whole_in_several_parts() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let big = pattern(12 * 1024 * 1024 + 12_345);
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    let mut small = Vec::new();
    for (i, chunk) in big.chunks(7919).enumerate() {
        sink.write("responses.csv", chunk).await.unwrap();
        if i % 100 == 0 {
            let line = format!("{i};\n");
            sink.write("codebook.csv", line.as_bytes()).await.unwrap();
            small.extend_from_slice(line.as_bytes());
        }
    }
    sink.finish("codebook.csv").await.unwrap();
    sink.finish("responses.csv").await.unwrap();

    let prefix = folder.prefix();
    assert_eq!(
        bucket.keys(&prefix).await,
        [
            format!("{prefix}codebook.csv"),
            format!("{prefix}responses.csv")
        ]
    );
    let arrived = bucket.get(&format!("{prefix}responses.csv")).await;
    assert_eq!(arrived.len(), big.len());
    assert!(arrived == big, "the parts arrive in order, byte for byte");
    assert_eq!(bucket.get(&format!("{prefix}codebook.csv")).await, small);
    // Three parts of one upload: 5 MiB, 5 MiB and the rest; the small file in one put.
    let parts = bucket.sent_parts();
    let sizes: Vec<u64> = parts.iter().map(|p| p.bytes).collect();
    let five = MIN_PART_BYTES;
    assert_eq!(sizes, [five, five, big.len() as u64 - 2 * five]);
    assert!(parts.iter().all(|p| p.upload == parts[0].upload));
    let puts = bucket.requests.puts.lock().unwrap().clone();
    assert_eq!(
        puts.iter().filter(|u| u.contains("codebook.csv")).count(),
        1
    );
    assert!(
        !puts.iter().any(|u| u.contains("responses.csv")),
        "{puts:?}"
    );
    // Saved as a download under its own name, with its kind.
    let head = bucket
        .client
        .head_object()
        .bucket(&bucket.name)
        .key(format!("{prefix}responses.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.content_disposition(),
        Some("attachment; filename=\"responses.csv\"")
    );
    assert_eq!(head.content_type(), Some("text/csv; charset=utf-8"));
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn small_and_empty_files_are_sent_with_one_put_each() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    sink.write("manifest.json", b"{\"rows\":").await.unwrap();
    sink.write("manifest.json", b"1}").await.unwrap();
    sink.finish("manifest.json").await.unwrap();
    sink.finish("empty.csv").await.unwrap();
    let prefix = folder.prefix();
    assert_eq!(
        bucket.get(&format!("{prefix}manifest.json")).await,
        b"{\"rows\":1}"
    );
    assert!(bucket.get(&format!("{prefix}empty.csv")).await.is_empty());
    assert!(bucket.sent_parts().is_empty());
    let puts = bucket.requests.puts.lock().unwrap().clone();
    let file_puts = puts.iter().filter(|u| u.contains(&prefix)).count();
    assert_eq!(file_puts, 2, "{puts:?}");
}

/// A sink that fails on its n-th write, like a lost connection half-way.
struct FailingSink {
    inner: Box<dyn ExportSink>,
    writes_left: u32,
    aborted: bool,
}

#[async_trait]
impl ExportSink for FailingSink {
    async fn write(&mut self, file: &str, bytes: &[u8]) -> std::io::Result<()> {
        if self.writes_left == 0 {
            return Err(std::io::Error::other("the connection was lost"));
        }
        self.writes_left -= 1;
        self.inner.write(file, bytes).await
    }
    async fn finish(&mut self, file: &str) -> std::io::Result<()> {
        self.inner.finish(file).await
    }
    async fn abort(&mut self) -> std::io::Result<()> {
        self.aborted = true;
        self.inner.abort().await
    }
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn an_abort_ends_every_open_upload_and_deletes_every_finished_file() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let prefix = folder.prefix();
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    sink.write("codebook.json", b"{}").await.unwrap();
    sink.finish("codebook.json").await.unwrap();
    // Two open uploads with a part sent each, one more file still in memory.
    sink.write("responses.csv", &pattern(6 * 1024 * 1024))
        .await
        .unwrap();
    sink.write("responses_excel.csv", &pattern(5 * 1024 * 1024 + 1))
        .await
        .unwrap();
    sink.write("codebook.csv", b"a;b\n").await.unwrap();
    let parts = bucket.sent_parts();
    assert_eq!(parts.len(), 2);
    let uploads = [
        (format!("{prefix}responses.csv"), parts[0].upload.clone()),
        (
            format!("{prefix}responses_excel.csv"),
            parts[1].upload.clone(),
        ),
    ];
    for (key, upload) in &uploads {
        assert_eq!(bucket.parts_held(key, upload).await, 1, "{key}");
    }
    assert_eq!(bucket.keys(&prefix).await.len(), 1);

    sink.abort().await.unwrap();
    assert!(bucket.keys(&prefix).await.is_empty());
    for (key, upload) in &uploads {
        assert_eq!(bucket.parts_held(key, upload).await, 0, "{key}");
    }
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn an_export_that_fails_half_way_leaves_nothing_and_its_retry_starts_clean() {
    let bucket = Bucket::new().await;
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Stor").await;
    for i in 0..25 {
        let who = if i % 2 == 0 { "sjalv" } else { "ombud" };
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", who]))
            .await;
    }
    let mut opts = options(3);
    opts.page_size = 4;
    let folder = folder("testkommun");
    let prefix = folder.prefix();
    let files = bucket.files();
    let mut sink = FailingSink {
        inner: files.sink(&folder).await.unwrap(),
        writes_left: 4,
        aborted: false,
    };
    let error = export::export(
        &setup.store,
        std::slice::from_ref(&round),
        &opts,
        &mut sink,
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ExportError::Write(_)), "{error:?}");
    assert!(sink.aborted);
    assert!(bucket.keys(&prefix).await.is_empty());

    // A file left by an attempt that was stopped before it could abort is replaced.
    bucket
        .client
        .put_object()
        .bucket(&bucket.name)
        .key(format!("{prefix}responses.csv"))
        .body(b"half".to_vec().into())
        .send()
        .await
        .unwrap();
    let mut sink = files.sink(&folder).await.unwrap();
    assert!(
        bucket.keys(&prefix).await.is_empty(),
        "a retry starts clean"
    );
    export::export(
        &setup.store,
        std::slice::from_ref(&round),
        &opts,
        &mut *sink,
        &mut |_| {},
    )
    .await
    .unwrap();
    setup
        .export(std::slice::from_ref(&round), &opts, "local")
        .await
        .unwrap();
    for file in ["responses.csv", "codebook.json", "manifest.json"] {
        let local = std::fs::read(setup.folder("local").join(file)).unwrap();
        assert_eq!(
            bucket.get(&format!("{prefix}{file}")).await,
            local,
            "{file}"
        );
    }
}

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

    let url = links
        .download_url(&folder, "responses.csv", time::Duration::minutes(15))
        .await
        .unwrap();
    let (status, disposition, body) = fetch(&url).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, "löpnummer;ålder\n1;ung\n".as_bytes());
    // s3s-fs answers with the object's own Content-Disposition (set at upload); AWS with
    // the one the URL asks for. Both say the same.
    assert_eq!(
        disposition.as_deref(),
        Some("attachment; filename=\"responses.csv\"")
    );

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
        .download_url(&folder, "responses.csv", time::Duration::minutes(15))
        .await
        .unwrap();
    assert_eq!(fetch(&wrong_secret).await.0, 403);

    // Expired: valid for one second, fetched after two.
    let short = links
        .download_url(&folder, "responses.csv", time::Duration::seconds(1))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(fetch(&short).await.0, 403);
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn remove_deletes_its_folder_and_nothing_else() {
    let bucket = Bucket::new().await;
    let files = bucket.files();
    let gone = folder("ale");
    let kept = folder("ale");
    for folder in [&gone, &kept] {
        let mut sink = files.sink(folder).await.unwrap();
        for name in ["responses.csv", "codebook.csv", "manifest.json"] {
            sink.write(name, b"x").await.unwrap();
            sink.finish(name).await.unwrap();
        }
    }
    // Keys that share the beginning of the removed prefix stay too.
    let near = format!("{}x/responses.csv", gone.prefix().trim_end_matches('/'));
    bucket
        .client
        .put_object()
        .bucket(&bucket.name)
        .key(&near)
        .body(b"y".to_vec().into())
        .send()
        .await
        .unwrap();
    files.remove(&gone).await.unwrap();
    assert!(bucket.keys(&gone.prefix()).await.is_empty());
    assert_eq!(bucket.keys(&kept.prefix()).await.len(), 3);
    assert_eq!(bucket.keys(&near).await, std::slice::from_ref(&near));
    // Removing again is no error.
    files.remove(&gone).await.unwrap();
}
