//! The export files in S3, against the S3-compatible server that tests/services.sh starts
//! (s3s-fs on 127.0.0.1, path-style, static test credentials, SigV4 signatures checked):
//! multipart uploads, a failure that leaves nothing, and removal (uploads.rs); a whole
//! job through the runner and its retry, and presigned URLs (jobs_and_links.rs). Ignored
//! unless asked for; they fail, never skip, when the server is missing. This file: a
//! fresh bucket per test and a client that records the requests it sends.

mod jobs_and_links;
mod uploads;

use std::sync::{Arc, Mutex};

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
use svar_shared::domain::*;
use svar_shared::export::{S3DownloadLinks, S3ExportFiles};
use svar_shared::startup::{s3_client, s3_download_links};
use svar_tests::slug;

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
        self.links_from(&sdk(&self.access_key, secret_key, &self.region))
    }

    /// Links signed with temporary credentials, as a Lambda role's are: the same keys
    /// with a session token, which goes into the URL and under its signature.
    fn temporary_links(&self, session_token: &str) -> S3DownloadLinks {
        self.links_from(&sdk_with_token(
            &self.access_key,
            &secret_key(),
            Some(session_token),
            &self.region,
        ))
    }

    fn links_from(&self, sdk: &SdkConfig) -> S3DownloadLinks {
        s3_download_links(sdk, &self.name, Some(&self.endpoint)).expect("credentials and region")
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
    sdk_with_token(access_key, secret_key, None, region)
}

fn sdk_with_token(
    access_key: &str,
    secret_key: &str,
    session_token: Option<&str>,
    region: &str,
) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            access_key,
            secret_key,
            session_token.map(str::to_owned),
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
