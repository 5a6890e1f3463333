//! Transaction conflicts and throttling: DynamoDB cancels a transaction whose items
//! another transaction holds (`TransactionConflict`), or that came when a table or
//! partition was over its throughput (`ThrottlingError`, `ProvisionedThroughputExceeded`).
//! DynamoDB Local runs transactions one at a time and never does either, so these tests
//! give the DynamoDB store scripted answers instead of a database.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use svar_shared::domain::InvitationId;
use svar_shared::store::dynamo::DynamoStore;
use svar_shared::store::{ResponseStore, StoreError, SubmitOutcome};
use svar_tests::*;

/// What DynamoDB says to the n-th request (from 0): an HTTP status and a JSON body.
type Script = dyn Fn(usize) -> (u16, String) + Send + Sync;

/// An HTTP client that answers from a script and records the operations asked for.
#[derive(Clone)]
struct Scripted {
    script: Arc<Script>,
    calls: Arc<AtomicUsize>,
    operations: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

impl HttpConnector for Scripted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .unwrap_or_default()
            .to_owned();
        self.operations
            .lock()
            .expect("the lock is not poisoned")
            .push(operation);
        let (status, body) = (self.script)(self.calls.fetch_add(1, Ordering::SeqCst));
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).expect("a valid status"),
            SdkBody::from(body),
        );
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Scripted {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

fn scripted_store(
    script: impl Fn(usize) -> (u16, String) + Send + Sync + 'static,
) -> (DynamoStore, Scripted) {
    let http = Scripted {
        script: Arc::new(script),
        calls: Arc::new(AtomicUsize::new(0)),
        operations: Arc::new(Mutex::new(Vec::new())),
    };
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-north-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url("http://127.0.0.1:9")
        .http_client(http.clone())
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    (
        DynamoStore::new(
            client,
            svar_shared::store::dynamo::Tables::with_prefix("svar"),
        ),
        http,
    )
}

/// A cancelled submission: the reason code for the invitation's action, the others none.
fn cancelled(invitation: &str) -> (u16, String) {
    cancelled_with([invitation, "None", "None", "None"])
}

/// A cancelled submission: reason codes for the invitation, response, counter shard and
/// draft, in that order.
fn cancelled_with(reasons: [&str; 4]) -> (u16, String) {
    let reasons: Vec<String> = reasons
        .iter()
        .map(|code| format!(r#"{{"Code":"{code}"}}"#))
        .collect();
    let body = format!(
        r#"{{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled","CancellationReasons":[{}]}}"#,
        reasons.join(",")
    );
    (400, body)
}

fn succeeded() -> (u16, String) {
    (200, "{}".to_owned())
}

#[tokio::test]
async fn a_submission_that_conflicts_is_retried_until_it_is_stored() {
    let (store, http) = scripted_store(|n| {
        if n < 2 {
            cancelled("TransactionConflict")
        } else {
            succeeded()
        }
    });
    let round = round("kontrakt");
    let outcome = store
        .submit_response(&InvitationId::random(), &response(&round), None)
        .await
        .expect("submit");
    assert_eq!(outcome, SubmitOutcome::Stored);
    let operations = http.operations.lock().expect("the lock").clone();
    assert_eq!(operations, vec!["DynamoDB_20120810.TransactWriteItems"; 3]);
}

#[tokio::test]
async fn a_submission_that_conflicts_with_the_one_that_answered_is_already_answered() {
    let (store, http) = scripted_store(|n| {
        if n < 3 {
            cancelled("TransactionConflict")
        } else {
            cancelled("ConditionalCheckFailed")
        }
    });
    let round = round("kontrakt");
    let outcome = store
        .submit_response(&InvitationId::random(), &response(&round), None)
        .await
        .expect("submit");
    assert_eq!(outcome, SubmitOutcome::AlreadyAnswered);
    assert_eq!(http.calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_submission_that_keeps_conflicting_gives_up_as_unavailable() {
    let (store, http) = scripted_store(|_| cancelled("TransactionConflict"));
    let round = round("kontrakt");
    let result = store
        .submit_response(&InvitationId::random(), &response(&round), None)
        .await;
    let Err(StoreError::Unavailable(error)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    // The SDK's error is kept as the cause, not flattened into a message.
    assert!(
        format!("{error:?}").contains("TransactionCanceledException"),
        "{error:?}"
    );
    let calls = http.calls.load(Ordering::SeqCst);
    assert!((2..=20).contains(&calls), "tried {calls} times");
}

#[tokio::test]
async fn a_throttled_submission_is_retried_until_it_is_stored() {
    let (store, http) = scripted_store(|n| match n {
        0 => cancelled_with(["None", "None", "ThrottlingError", "None"]),
        1 => cancelled_with(["None", "ProvisionedThroughputExceeded", "None", "None"]),
        _ => succeeded(),
    });
    let round = round("kontrakt");
    let outcome = store
        .submit_response(&InvitationId::random(), &response(&round), None)
        .await
        .expect("submit");
    assert_eq!(outcome, SubmitOutcome::Stored);
    assert_eq!(http.calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_submission_that_stays_throttled_gives_up_as_unavailable_after_the_bounded_attempts() {
    let (store, http) =
        scripted_store(|_| cancelled_with(["None", "None", "ThrottlingError", "None"]));
    let round = round("kontrakt");
    let started = std::time::Instant::now();
    let result = store
        .submit_response(&InvitationId::random(), &response(&round), None)
        .await;
    let Err(StoreError::Unavailable(error)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(
        format!("{error:?}").contains("ThrottlingError"),
        "{error:?}"
    );
    assert_eq!(
        http.calls.load(Ordering::SeqCst),
        svar_shared::store::dynamo::TRANSACTION_ATTEMPTS as usize
    );
    assert!(started.elapsed() < svar_shared::store::dynamo::TRANSACTION_RETRY_BUDGET);
}

#[tokio::test]
async fn a_cancellation_for_a_failed_condition_is_not_retried() {
    let (store, http) =
        scripted_store(|_| cancelled_with(["None", "None", "ConditionalCheckFailed", "None"]));
    let round = round("kontrakt");
    let result = store
        .submit_response(&InvitationId::random(), &response(&round), None)
        .await;
    assert!(
        matches!(result, Err(StoreError::UnknownRound)),
        "{result:?}"
    );
    assert_eq!(http.calls.load(Ordering::SeqCst), 1);
}
