//! The stores under test, each fresh and empty.

use std::sync::Arc;
use std::time::Duration;

use svar_shared::store::Store;
use svar_shared::store::dynamo::{self, DynamoStore, Tables};
use svar_shared::store::embedded::EmbeddedStore;
use tempfile::TempDir;

/// An embedded store on a database file in a temporary directory, removed on drop.
pub struct Embedded {
    _dir: TempDir,
    pub store: Arc<dyn Store>,
}

impl Default for Embedded {
    fn default() -> Self {
        Self::new()
    }
}

impl Embedded {
    pub fn new() -> Self {
        let dir = TempDir::new().expect("a temporary directory");
        let store = Arc::new(EmbeddedStore::open(&dir.path().join("svar.db")).expect("open"));
        Self { _dir: dir, store }
    }
}

/// A DynamoDB store on two new tables in DynamoDB Local, at the endpoint that
/// `tests/services.sh` exports.
pub struct Dynamo {
    pub client: aws_sdk_dynamodb::Client,
    pub tables: Tables,
    pub store: Arc<dyn Store>,
}

const ENDPOINT_VARIABLE: &str = "SVAR_TEST_DYNAMODB_ENDPOINT";

impl Dynamo {
    /// Fails the test, never skips it, when DynamoDB Local is not there: a skipped test
    /// would look like a passed one.
    pub async fn new() -> Self {
        let Ok(endpoint) = std::env::var(ENDPOINT_VARIABLE) else {
            panic!(
                "{ENDPOINT_VARIABLE} is not set, so the DynamoDB contract tests cannot run. \
                 Run tests/run-all, or start DynamoDB Local first: \
                 `source tests/services.sh; start_dynamodb_local`"
            );
        };
        let client = dynamo::local_client(&endpoint);
        let tables = Tables::with_prefix(&format!("svar-contract-{}", uuid::Uuid::new_v4()));
        let created = tokio::time::timeout(
            Duration::from_secs(30),
            dynamo::create_tables(&client, &tables),
        )
        .await;
        match created {
            Ok(Ok(())) => {}
            Ok(Err(error)) => panic!(
                "could not create tables {tables:?} in DynamoDB Local at {endpoint} \
                 ({ENDPOINT_VARIABLE}): {}",
                svar_shared::telemetry::error_chain(&error)
            ),
            Err(_) => panic!(
                "DynamoDB Local at {endpoint} ({ENDPOINT_VARIABLE}) did not answer within 30 s"
            ),
        }
        let store = Arc::new(DynamoStore::new(client.clone(), tables.clone()));
        Self {
            client,
            tables,
            store,
        }
    }
}
