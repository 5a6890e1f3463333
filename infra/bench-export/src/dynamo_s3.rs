//! The AWS-shaped export: responses in DynamoDB Local exported to the S3 test server
//! (tests/services.sh starts both), one step per process like the rest:
//!
//! - `dynamo-load PREFIX N`: new tables `PREFIX-...` in DynamoDB Local at
//!   `SVAR_TEST_DYNAMODB_ENDPOINT`, the patient survey's round through the store, and N
//!   synthetic responses written straight into the responses table; and the bucket PREFIX
//!   in the S3 server.
//! - `dynamo-s3-export PREFIX`: the export from those tables to S3 multipart uploads in
//!   that bucket, as the export function does it; prints rows, seconds and peak RSS.

use std::time::Instant;

use aws_config::SdkConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use svar_shared::domain::text::Localized;
use svar_shared::domain::*;
use svar_shared::export::{self, ExportFiles, ExportOptions, S3ExportFiles};
use svar_shared::startup::s3_client;
use svar_shared::store::dynamo::{self, DynamoStore, Tables};
use svar_shared::store::{QuestionnaireStore, RoundAdminStore as _, SetupStore};

use crate::synthetic::{Random, bench_round, patient_survey, slug, synthetic};
use crate::{Failure, peak_rss_kb};

fn variable(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| {
        format!("{name} is not set: start the services with tests/services.sh first").into()
    })
}

fn dynamodb_client() -> Result<aws_sdk_dynamodb::Client, Failure> {
    Ok(dynamo::local_client(&variable(
        "SVAR_TEST_DYNAMODB_ENDPOINT",
    )?))
}

/// The S3 client startup builds for `SVAR_S3_ENDPOINT`, with the test server's keys.
fn s3() -> Result<aws_sdk_s3::Client, Failure> {
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(variable("SVAR_TEST_S3_REGION")?))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            variable("SVAR_TEST_S3_ACCESS_KEY")?,
            variable("SVAR_TEST_S3_SECRET_KEY")?,
            None,
            None,
            "svar-bench",
        )))
        .build();
    Ok(s3_client(&sdk, Some(&variable("SVAR_TEST_S3_ENDPOINT")?)))
}

pub async fn load(prefix: &str, n: u64) -> Result<(), Failure> {
    let started = Instant::now();
    let client = dynamodb_client()?;
    let tables = Tables::with_prefix(prefix);
    dynamo::create_tables(&client, &tables).await?;
    let store = DynamoStore::new(client.clone(), tables.clone());
    let questionnaire = patient_survey()?;
    store.publish_questionnaire(&questionnaire).await?;
    store
        .put_municipality(&Municipality {
            id: slug("benchkommun"),
            name: "Benchkommun".into(),
            contact: Localized::swedish("-"),
            privacy_notice: Localized::swedish("-"),
        })
        .await?;
    let round = bench_round(&questionnaire);
    store.create_round(&round).await?;
    let mut random = Random(2026);
    let mut left = n;
    while left > 0 {
        let batch = left.min(10_000);
        let responses: Vec<Response> = (0..batch)
            .map(|_| synthetic(&questionnaire, &round, &mut random))
            .collect();
        dynamo::load_responses(&client, &tables, &round.id, &responses).await?;
        left -= batch;
    }
    s3()?.create_bucket().bucket(prefix).send().await?;
    println!(
        "{{\"step\":\"dynamo-load\",\"rows\":{n},\"seconds\":{:.2}}}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn run_export(prefix: &str) -> Result<(), Failure> {
    let store = DynamoStore::new(dynamodb_client()?, Tables::with_prefix(prefix));
    let round = store
        .rounds_of_municipality(&slug("benchkommun"))
        .await?
        .into_iter()
        .next()
        .ok_or("no round: run dynamo-load first")?;
    let files = S3ExportFiles::new(s3()?, prefix);
    let folder = ExportFolder {
        organisation: slug("benchkommun"),
        job: ExportJobId::random(),
    };
    let options = ExportOptions::new(42, time::macros::date!(2026 - 11 - 25));
    let started = Instant::now();
    let mut sink = files.sink(&folder).await?;
    let manifest = export::export(
        &store,
        std::slice::from_ref(&round),
        &options,
        &mut *sink,
        &mut |_| {},
    )
    .await?
    .manifest;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"dynamo-s3-export\",\"rows\":{},\"seconds\":{seconds:.3},\"rows_per_s\":{:.0},\"peak_rss_kb\":{},\"bytes\":{}}}",
        manifest.rows,
        manifest.rows as f64 / seconds,
        peak_rss_kb(),
        manifest.files[0].bytes
    );
    Ok(())
}
