//! Start-up: acting on the configuration once per process (a Lambda cold start or the
//! local server's start): opening the store, reading the hash key (from the data folder,
//! the environment or SSM) and building the AWS SDK clients.

mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use aws_config::SdkConfig;

use crate::config::{Config, ConfigError, StoreConfig, in_lambda, parse_hash_key};
use crate::domain::HashKey;
use crate::store::dynamo::DynamoStore;
use crate::store::embedded::EmbeddedStore;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("could not use the data folder {path}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens the configured store and returns it with the credential hash key.
pub async fn open_store(config: &Config) -> Result<(Arc<dyn Store>, HashKey), StartupError> {
    match &config.store {
        StoreConfig::Embedded { data_dir } => {
            let io = |source| StartupError::DataDir {
                path: data_dir.clone(),
                source,
            };
            std::fs::create_dir_all(data_dir).map_err(io)?;
            let key = match &config.hash_key {
                Some(key) => key.clone(),
                None => load_or_create_key(&data_dir.join("hash.key")).map_err(io)?,
            };
            let store = EmbeddedStore::open(&data_dir.join("svar.sqlite3"))?;
            Ok((Arc::new(store), key))
        }
        StoreConfig::DynamoDb { table, endpoint } => {
            // One SDK configuration (region, credentials) for every client; the
            // endpoint override is DynamoDB's alone.
            let mut sdk = aws_config::defaults(aws_config::BehaviorVersion::latest());
            if in_lambda() {
                // Outside Lambda the system's roots stay: an office network that
                // inspects TLS with a root of its own must keep working.
                sdk = sdk.http_client(tls::sdk_http_client());
            }
            let sdk = sdk.load().await;
            let key = match (&config.hash_key, &config.hash_key_parameter) {
                (Some(key), _) => key.clone(),
                (None, Some(name)) => hash_key_from_parameter(&sdk, name).await?,
                (None, None) => return Err(ConfigError::Missing("SVAR_HASH_KEY").into()),
            };
            let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(&sdk);
            if let Some(endpoint) = endpoint {
                dynamodb = dynamodb.endpoint_url(endpoint);
            }
            let client = aws_sdk_dynamodb::Client::from_conf(dynamodb.build());
            Ok((Arc::new(DynamoStore::new(client, table.clone())), key))
        }
    }
}

/// Reads the hash key from an SSM `SecureString` parameter, decrypted. Called once per
/// process (a Lambda cold start): one request to SSM. Errors name the parameter, never
/// its value.
async fn hash_key_from_parameter(sdk: &SdkConfig, name: &str) -> Result<HashKey, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        name: "SVAR_HASH_KEY_PARAMETER",
        problem,
    };
    let output = aws_sdk_ssm::Client::new(sdk)
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            invalid(format!(
                "could not read parameter {name}: {}",
                aws_sdk_ssm::error::DisplayErrorContext(e)
            ))
        })?;
    let value = output
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| invalid(format!("parameter {name} has no value")))?;
    parse_hash_key(&value).map_err(|_| {
        invalid(format!(
            "parameter {name} is not a hex key of at least 32 bytes"
        ))
    })
}

/// The embedded store's key lives beside its database, made once, so codes keep working
/// across restarts. Only its owner may read it (mode 0600 on Unix): with the key, every
/// short code could be tried offline against the hashes in the database. A key file
/// made by an earlier version with wider permissions is narrowed when read.
fn load_or_create_key(path: &std::path::Path) -> std::io::Result<HashKey> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() >= 32 => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let permissions = std::fs::metadata(path)?.permissions();
                if permissions.mode() & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                }
            }
            Ok(HashKey::new(bytes))
        }
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "hash.key is shorter than 32 bytes",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            let key = HashKey::generate();
            let mut options = std::fs::OpenOptions::new();
            // `create_new`: a second server starting at the same moment fails here rather
            // than overwrite the key the first one already uses.
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path)?;
            file.write_all(key.as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}
