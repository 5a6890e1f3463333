//! Table administration for tests and local use: a client for DynamoDB Local and the two
//! tables. The production tables are made by the deployment (`template.yaml`) with the
//! same keys and time to live, plus point-in-time recovery on the responses table, which
//! DynamoDB Local does not have.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

use super::Tables;
use super::items::TTL_ATTRIBUTE;
use crate::store::{StoreError, StoreResult};

/// A client for DynamoDB Local at `endpoint`, e.g. `http://127.0.0.1:8000`. Local accepts
/// any credentials; fixed dummy ones keep a developer's real AWS credentials out of tests.
pub fn local_client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-north-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "svar-dynamodb-local",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// Creates both tables (on-demand billing, `pk`/`sk` string keys) and enables time to
/// live on [`TTL_ATTRIBUTE`] in the invitations table. For tests and local use; fails if
/// a table already exists.
pub async fn create_tables(client: &Client, tables: &Tables) -> StoreResult<()> {
    create_table(client, &tables.responses).await?;
    create_table(client, &tables.invitations).await?;
    client
        .update_time_to_live()
        .table_name(&tables.invitations)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(StoreError::unavailable)?,
        )
        .send()
        .await
        .map_err(StoreError::unavailable)?;
    Ok(())
}

async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest);
    for (name, key_type) in [("pk", KeyType::Hash), ("sk", KeyType::Range)] {
        request = request
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(StoreError::unavailable)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(key_type)
                    .build()
                    .map_err(StoreError::unavailable)?,
            );
    }
    request.send().await.map_err(StoreError::unavailable)?;
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(Duration::from_secs(300))
        .await
        .map_err(StoreError::unavailable)?;
    Ok(())
}

/// Writes `responses` of `round` straight into the responses table (BatchWriteItem, 25 a
/// request) and adds their number to the round's counter: the items `submit_response`
/// stores, without invitations and per-day counts, which an export never reads. For the
/// export benchmark (infra/bench-export): 100,000 submits one by one on DynamoDB Local
/// would take longer than the export measured. The round must exist.
pub async fn load_responses(
    client: &Client,
    tables: &Tables,
    round: &crate::domain::RoundId,
    responses: &[crate::domain::Response],
) -> StoreResult<()> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    for chunk in responses.chunks(25) {
        let mut requests = Vec::with_capacity(chunk.len());
        for response in chunk {
            let body = crate::store::response_body::encode(response)?;
            let item = super::items::item(
                super::keys::response(round, &response.id.to_string()),
                [("body", super::items::s(body))],
            );
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(StoreError::unavailable)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        // DynamoDB may leave some unwritten when busy: send those again.
        while !requests.is_empty() {
            let output = client
                .batch_write_item()
                .request_items(&tables.responses, requests)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            requests = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&tables.responses))
                .unwrap_or_default();
        }
    }
    client
        .update_item()
        .table_name(&tables.responses)
        .set_key(Some(super::keys::counter_shard(round, 0)))
        .update_expression("ADD #count :added")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":added", super::items::n(responses.len()))
        .send()
        .await
        .map_err(StoreError::unavailable)?;
    Ok(())
}
