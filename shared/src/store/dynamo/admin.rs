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
