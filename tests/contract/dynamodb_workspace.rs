//! The DynamoDB store's own checks of the workspace: what the shared contract cannot see
//! (which table an item is in, its time to live) or does not reach (a batch failing after
//! some of its transactions were written). On DynamoDB Local, like the contract's
//! DynamoDB cases.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use svar_shared::domain::*;
use svar_shared::store::dynamo::{TTL_ATTRIBUTE, keys};
use svar_shared::store::{Store, StoreError};
use svar_tests::backend::Dynamo;
use svar_tests::*;

type Item = HashMap<String, AttributeValue>;

/// Every item of `table` whose partition key is `pk`.
async fn partition(backend: &Dynamo, table: &str, pk: String) -> Vec<Item> {
    backend
        .client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk))
        .consistent_read(true)
        .send()
        .await
        .expect("query")
        .items
        .unwrap_or_default()
}

async fn new_round(store: &dyn Store) -> Round {
    store
        .put_municipality(&municipality())
        .await
        .expect("municipality");
    let round = round("kontrakt");
    store.create_round(&round).await.expect("round");
    round
}

async fn opens(store: &dyn Store, credential: &Credential) -> bool {
    store
        .invitation_by_credential(&credential.hash(&hash_key()))
        .await
        .expect("look up")
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs DynamoDB Local: run tests/run-all"]
async fn batches_and_numbers_live_in_the_invitations_table_and_expire_with_their_invitations() {
    let backend = Dynamo::new().await;
    let (store, tables) = (&*backend.store, &backend.tables);
    let round = new_round(store).await;
    let (batch, secret) = stored_batch(&round, BatchKind::First, &[1, 2]);
    let made = batch_invitations(&round, &secret, &[1, 2]);
    store.create_batch(&batch, &made).await.expect("batch");

    let records_pk = format!("{}{}", keys::ROUND_BATCHES_PREFIX, round.id);
    let numbers_pk = format!("{}{}", keys::ROUND_INVITATIONS_PREFIX, round.id);
    for pk in [&records_pk, &numbers_pk] {
        assert!(
            partition(&backend, &tables.responses, pk.clone())
                .await
                .is_empty(),
            "{pk} is in the table with backups"
        );
    }
    let latest_expiry = made
        .iter()
        .map(|new| new.invitation.expires_at.unix_timestamp())
        .max()
        .expect("made");
    let ttl = |item: &Item| match item.get(TTL_ATTRIBUTE) {
        Some(AttributeValue::N(n)) => n.parse::<i64>().expect("a number"),
        other => panic!("{TTL_ATTRIBUTE} is {other:?}"),
    };
    let records = partition(&backend, &tables.invitations, records_pk).await;
    assert_eq!(records.len(), 1);
    assert!(ttl(&records[0]) >= latest_expiry);
    let numbers = partition(&backend, &tables.invitations, numbers_pk).await;
    assert_eq!(numbers.len(), 2);
    assert!(numbers.iter().all(|item| ttl(item) >= latest_expiry - 1));

    // The invitation remembers the batch's credentials by hash, never a token or code.
    let pk = format!("{}{}", keys::INVITATION_PREFIX, made[0].invitation.id);
    let invitation = partition(&backend, &tables.invitations, pk).await;
    let stored = format!("{invitation:?}");
    assert!(stored.contains(made[0].link_hash.as_str()));
    assert!(stored.contains(made[0].code_hash.as_str()));
    for secret_text in [
        secret.link(1).reveal(),
        secret.code(1, 0).path_segment().to_owned(),
        secret.to_text(),
    ] {
        assert!(
            !stored.contains(&secret_text),
            "an invitation holds a secret"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs DynamoDB Local: run tests/run-all"]
async fn a_batch_failing_after_some_of_its_transactions_leaves_nothing_usable() {
    let backend = Dynamo::new().await;
    let store = &*backend.store;
    let round = new_round(store).await;
    let (mut existing, _, existing_code) = invitation(&round);
    existing.number = 1000;
    store
        .create_invitation(&existing)
        .await
        .expect("invitation");
    let before = store.round_counts(&round.id).await.expect("counts");

    // 300 invitations are 12 transactions; only the last one's code is taken, so the
    // others are written before the failure is known.
    let numbers: Vec<u32> = (1..=300).collect();
    let (batch, secret) = stored_batch(&round, BatchKind::First, &numbers);
    let mut made = batch_invitations(&round, &secret, &numbers);
    made[299].code_hash = existing_code.hash(&hash_key());
    let result = store.create_batch(&batch, &made).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );

    for &number in &numbers {
        assert!(!opens(store, &secret.link(number)).await, "{number} opens");
    }
    assert!(opens(store, &existing_code).await);
    assert_eq!(store.batch(&round.id, &batch.id).await.expect("read"), None);
    assert_eq!(store.round_counts(&round.id).await.expect("counts"), before);
    let listed = store
        .invitation_summaries(&round.id, 0, 1000)
        .await
        .expect("summaries");
    let listed: Vec<u32> = listed.iter().map(|summary| summary.number).collect();
    assert_eq!(listed, [1000]);
    // And the service's own delete_batch afterwards finds nothing left to do.
    store
        .delete_batch(&round.id, &batch.id)
        .await
        .expect("delete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs DynamoDB Local: run tests/run-all"]
async fn a_reissue_that_fails_leaves_the_lost_batchs_credentials_working() {
    let backend = Dynamo::new().await;
    let store = &*backend.store;
    let round = new_round(store).await;
    let numbers: Vec<u32> = (1..=100).collect();
    let (lost, lost_secret) = stored_batch(&round, BatchKind::First, &numbers);
    let made = batch_invitations(&round, &lost_secret, &numbers);
    store.create_batch(&lost, &made).await.expect("batch");
    let (other, _, other_code) = invitation(&round);
    store.create_invitation(&other).await.expect("invitation");

    let (reissue, secret) = stored_batch(&round, BatchKind::Reissue, &numbers);
    let mut credentials = batch_credentials(&secret, &made);
    credentials[99].2 = other_code.hash(&hash_key());
    let result = store
        .add_credentials(&reissue, Some(&lost.id), &credentials)
        .await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );

    for &number in &numbers {
        assert!(
            opens(store, &lost_secret.link(number)).await,
            "{number} was revoked"
        );
        assert!(
            !opens(store, &secret.link(number)).await,
            "{number}'s reissue opens"
        );
    }
    assert_eq!(
        store.batch(&round.id, &reissue.id).await.expect("read"),
        None
    );
    assert!(opens(store, &other_code).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs DynamoDB Local: run tests/run-all"]
async fn an_export_job_and_its_lock_expire_with_it_and_the_lock_goes_when_it_finishes() {
    let backend = Dynamo::new().await;
    let store = &*backend.store;
    let at = now();
    let job = ExportJob {
        id: ExportJobId::random(),
        organisation: slug("kungalv"),
        scope: ExportScope::Round {
            round: RoundId::random(),
        },
        rounds: Vec::new(),
        rounds_left_out: Vec::new(),
        settings: ExportSettings {
            k: 5,
            free_text: false,
        },
        seed: 7,
        requested_by: "Anna".to_owned(),
        state: ExportState::Queued,
        created_at: at,
        updated_at: at,
        expires_at: at + time::Duration::days(30),
    };
    store
        .create_export_job(&job, at - time::Duration::minutes(2))
        .await
        .expect("create");
    let pk = format!("{}{}", keys::EXPORT_JOBS_PREFIX, job.organisation);
    let ttl = |item: &Item| match item.get(TTL_ATTRIBUTE) {
        Some(AttributeValue::N(n)) => n.parse::<i64>().expect("a number"),
        other => panic!("{TTL_ATTRIBUTE} is {other:?}"),
    };
    let sort_key = |item: &Item| match item.get("sk") {
        Some(AttributeValue::S(sk)) => sk.clone(),
        other => panic!("sk is {other:?}"),
    };
    let items = partition(&backend, &backend.tables.invitations, pk.clone()).await;
    let mut found: Vec<String> = items.iter().map(sort_key).collect();
    found.sort();
    assert_eq!(
        found,
        vec![format!("A#{}", job.dedupe_key()), format!("J#{}", job.id)]
    );
    for item in &items {
        assert_eq!(ttl(item), job.expires_at.unix_timestamp());
    }
    assert!(
        partition(&backend, &backend.tables.responses, pk.clone())
            .await
            .is_empty(),
        "export jobs live in the invitations table only"
    );

    assert!(
        store
            .claim_export_job(&job.organisation, &job.id, at, at)
            .await
            .expect("claim")
    );
    let failed = ExportState::Failed {
        failure: ExportFailure::Internal,
    };
    assert!(
        store
            .finish_export_job(&job.organisation, &job.id, &failed, at)
            .await
            .expect("finish")
    );
    let left: Vec<String> = partition(&backend, &backend.tables.invitations, pk)
        .await
        .iter()
        .map(sort_key)
        .collect();
    assert_eq!(left, vec![format!("J#{}", job.id)], "the lock is gone");
}
