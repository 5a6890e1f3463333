//! Start-up: acting on the configuration once per process (a Lambda cold start or the
//! local server's start): opening the store, reading the hash key (from the data folder,
//! the environment or SSM) and building the AWS SDK clients.

mod retry;
mod tls;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ssm::operation::get_parameter::GetParameterError;

use self::retry::retry_with_backoff;
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
        StoreConfig::DynamoDb { tables, endpoint } => {
            // One SDK configuration (region, credentials, timeouts) for every client;
            // the endpoint override is DynamoDB's alone.
            let mut sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .timeout_config(sdk_timeouts());
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
            Ok((Arc::new(DynamoStore::new(client, tables.clone())), key))
        }
    }
}

/// The longest one attempt of an AWS request may take (connecting included). A DynamoDB
/// or SSM request normally answers in milliseconds; 1.5 s leaves room for a cold start's
/// first TLS handshake.
pub const SDK_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1500);
/// The longest one AWS operation may take, the SDK's own retries (throttling, 5xx,
/// time-outs of an attempt) included.
///
/// Why these numbers: the functions' `Timeout` in template.yaml is 10 s. A store
/// transaction starts no new attempt after `TRANSACTION_RETRY_BUDGET` (5 s), so it ends
/// within 5 + 3 = 8 s even if its last attempt hangs, and the function still answers
/// with an error page instead of being stopped by Lambda with a bare 502.
/// `tests/template` checks the `Timeout` stays above that sum.
pub const SDK_OPERATION_TIMEOUT: Duration = Duration::from_secs(3);

fn sdk_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(SDK_ATTEMPT_TIMEOUT)
        .operation_attempt_timeout(SDK_ATTEMPT_TIMEOUT)
        .operation_timeout(SDK_OPERATION_TIMEOUT)
        .build()
}

/// Attempts of reading the hash key at a cold start. Without the key the function
/// cannot serve anything, and a cold start that fails costs the visitor a 502, so a
/// passing fault (a throttled or slow SSM) is tried again after a pause.
const HASH_KEY_ATTEMPTS: u32 = 4;

/// Reads the hash key from an SSM `SecureString` parameter, decrypted. Called once per
/// process (a Lambda cold start): one request to SSM, retried (see [`HASH_KEY_ATTEMPTS`])
/// unless the parameter does not exist. Errors name the parameter, never its value.
async fn hash_key_from_parameter(sdk: &SdkConfig, name: &str) -> Result<HashKey, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        name: "SVAR_HASH_KEY_PARAMETER",
        problem,
    };
    let ssm = aws_sdk_ssm::Client::new(sdk);
    let missing = |error: &aws_sdk_ssm::error::SdkError<GetParameterError>| {
        matches!(
            error.as_service_error(),
            Some(GetParameterError::ParameterNotFound(_))
        )
    };
    let output = retry_with_backoff(
        HASH_KEY_ATTEMPTS,
        |error| !missing(error),
        || ssm.get_parameter().name(name).with_decryption(true).send(),
    )
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
