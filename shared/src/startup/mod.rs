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
use crate::config::{
    Config, ConfigError, ExportFilesConfig, SessionSecret, StoreConfig, in_lambda, parse_hash_key,
    parse_session_secret,
};
use crate::domain::HashKey;
use crate::export::{DownloadLinks, ExportFiles, LocalExportFiles, S3DownloadLinks};
use crate::store::dynamo::DynamoStore;
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
    let (store, key, _sdk) = open(config).await?;
    Ok((store, key))
}

/// What the workspace (the admin function, the local server) starts from: the store, the
/// credential hash key and the session secret.
pub struct OpenedWorkspace {
    pub store: Arc<dyn Store>,
    pub hash_key: HashKey,
    pub session_secret: SessionSecret,
}

/// Opens the store as [`open_store`] does and reads the session secret: given directly, or
/// from SSM (with the same retries as the hash key), or for the embedded store from
/// `session.key` in the data folder, made once. Never printed or logged.
pub async fn open_workspace(config: &Config) -> Result<OpenedWorkspace, StartupError> {
    let (store, hash_key, sdk) = open(config).await?;
    let session_secret = match (&config.session_secret, &config.session_secret_parameter) {
        (Some(secret), _) => secret.clone(),
        (None, Some(name)) => match &sdk {
            Some(sdk) => session_secret_from_parameter(sdk, name).await?,
            None => {
                return Err(ConfigError::Invalid {
                    name: "SVAR_SESSION_SECRET_PARAMETER",
                    problem: "is read only with SVAR_STORE=dynamodb".into(),
                }
                .into());
            }
        },
        (None, None) => match &config.store {
            StoreConfig::Embedded { data_dir } => {
                let path = data_dir.join("session.key");
                let bytes =
                    load_or_create_secret(&path, SessionSecret::MIN_BYTES).map_err(|source| {
                        StartupError::DataDir {
                            path: data_dir.clone(),
                            source,
                        }
                    })?;
                SessionSecret::new(bytes).ok_or_else(|| StartupError::DataDir {
                    path: data_dir.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "session.key is shorter than 64 bytes",
                    ),
                })?
            }
            StoreConfig::DynamoDb { .. } => {
                return Err(ConfigError::Missing("SVAR_SESSION_SECRET").into());
            }
        },
    };
    Ok(OpenedWorkspace {
        store,
        hash_key,
        session_secret,
    })
}

/// Where the export runner writes files, as the configuration names it: a local folder,
/// or an S3 bucket. In Lambda only S3: a function's disk is not kept.
pub async fn open_export_files(
    config: &Config,
    secret: &SessionSecret,
) -> Result<Arc<dyn ExportFiles>, StartupError> {
    match &config.export.files {
        ExportFilesConfig::Folder(_) if in_lambda() => {
            Err(ConfigError::Missing("SVAR_EXPORT_BUCKET").into())
        }
        ExportFilesConfig::Folder(root) => {
            Ok(Arc::new(LocalExportFiles::new(root, secret.as_bytes())))
        }
        ExportFilesConfig::S3 { bucket, endpoint } => {
            s3_export_files(bucket, endpoint.as_deref()).await
        }
    }
}

/// S3 export files on the shared SDK configuration (see [`s3_client`]).
#[cfg(feature = "s3")]
async fn s3_export_files(
    bucket: &str,
    endpoint: Option<&str>,
) -> Result<Arc<dyn ExportFiles>, StartupError> {
    let client = s3_client(&aws_sdk_config().await, endpoint);
    Ok(Arc::new(crate::export::S3ExportFiles::new(client, bucket)))
}

/// The export files' S3 client: the SDK configuration's region, credentials and HTTPS
/// client, with time-outs of its own (see [`S3_ATTEMPT_TIMEOUT`]); path-style addressing
/// on an S3-compatible server named by `SVAR_S3_ENDPOINT`. Public for the tests and the
/// benchmark, which build it the same way.
#[cfg(feature = "s3")]
pub fn s3_client(sdk: &SdkConfig, endpoint: Option<&str>) -> aws_sdk_s3::Client {
    let mut s3 = aws_sdk_s3::config::Builder::from(sdk).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(SDK_ATTEMPT_TIMEOUT)
            .operation_attempt_timeout(S3_ATTEMPT_TIMEOUT)
            .operation_timeout(S3_OPERATION_TIMEOUT)
            .build(),
    );
    if let Some(endpoint) = endpoint {
        s3 = s3.endpoint_url(endpoint).force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(s3.build())
}

/// Without the `s3` feature (the admin function, which only signs download links) this
/// program cannot write to S3: the export function does.
#[cfg(not(feature = "s3"))]
async fn s3_export_files(
    _bucket: &str,
    _endpoint: Option<&str>,
) -> Result<Arc<dyn ExportFiles>, StartupError> {
    Err(ConfigError::Invalid {
        name: "SVAR_EXPORT_BUCKET",
        problem: "this program is built without the `s3` feature and does not write \
                  export files to S3; the export function does"
            .into(),
    }
    .into())
}

/// How long one attempt of an S3 request of the export may take. A part is 5 MiB (up to
/// 2.5 GiB for files beyond 5 GiB, see `export::part_size`); from Lambda to S3 in the
/// same region 5 MiB take well under a second, so 30 s leaves room for a slow moment
/// without letting a hung connection stall the job (it is retried instead).
#[cfg(feature = "s3")]
pub const S3_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest one S3 operation may take, the SDK's retries included.
#[cfg(feature = "s3")]
pub const S3_OPERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// How the workspace signs download links to export files: URLs this process serves
/// (signed with a key derived from `secret`), or presigned S3 URLs, signed with the
/// shared SDK configuration's credentials and region.
pub async fn open_download_links(
    config: &Config,
    secret: &SessionSecret,
) -> Result<Arc<dyn DownloadLinks>, StartupError> {
    match &config.export.files {
        ExportFilesConfig::Folder(_) if in_lambda() => {
            Err(ConfigError::Missing("SVAR_EXPORT_BUCKET").into())
        }
        ExportFilesConfig::Folder(root) => {
            Ok(Arc::new(LocalExportFiles::new(root, secret.as_bytes())))
        }
        ExportFilesConfig::S3 { bucket, endpoint } => Ok(Arc::new(s3_download_links(
            &aws_sdk_config().await,
            bucket,
            endpoint.as_deref(),
        )?)),
    }
}

/// Presigned links signed with the SDK configuration's credentials (asked for at every
/// signature, so a Lambda role's are renewed) and region.
pub fn s3_download_links(
    sdk: &SdkConfig,
    bucket: &str,
    endpoint: Option<&str>,
) -> Result<S3DownloadLinks, ConfigError> {
    let credentials = sdk
        .credentials_provider()
        .ok_or(ConfigError::Missing("AWS credentials (AWS_ACCESS_KEY_ID)"))?;
    let region = sdk.region().ok_or(ConfigError::Missing("AWS_REGION"))?;
    Ok(S3DownloadLinks::new(
        credentials,
        region.as_ref(),
        bucket,
        endpoint,
    ))
}

/// The one AWS SDK configuration of this process (region, credentials, time-outs, HTTPS
/// client), loaded on first use and shared by every client: the stores', S3's and the
/// admin function's Lambda client that starts exports.
pub async fn aws_sdk_config() -> SdkConfig {
    static SDK: tokio::sync::OnceCell<SdkConfig> = tokio::sync::OnceCell::const_new();
    SDK.get_or_init(|| async {
        let mut sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(sdk_timeouts());
        if in_lambda() {
            // Outside Lambda the system's roots stay: an office network that
            // inspects TLS with a root of its own must keep working.
            sdk = sdk.http_client(tls::sdk_http_client());
        }
        sdk.load().await
    })
    .await
    .clone()
}

/// The store, the hash key, and the AWS SDK configuration when the store is DynamoDB.
async fn open(
    config: &Config,
) -> Result<(Arc<dyn Store>, HashKey, Option<SdkConfig>), StartupError> {
    match &config.store {
        StoreConfig::Embedded { data_dir } => {
            let (store, key) = open_embedded(config, data_dir)?;
            Ok((store, key, None))
        }
        StoreConfig::DynamoDb { tables, endpoint } => {
            // One SDK configuration (region, credentials, timeouts) for every client;
            // the endpoint override is DynamoDB's alone.
            let sdk = aws_sdk_config().await;
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
            let store = DynamoStore::new(client, tables.clone());
            Ok((Arc::new(store), key, Some(sdk)))
        }
    }
}

/// The embedded store in `data_dir`, and the hash key given or kept beside it.
#[cfg(feature = "embedded")]
fn open_embedded(
    config: &Config,
    data_dir: &std::path::Path,
) -> Result<(Arc<dyn Store>, HashKey), StartupError> {
    let io = |source| StartupError::DataDir {
        path: data_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let key = match &config.hash_key {
        Some(key) => key.clone(),
        None => load_or_create_key(&data_dir.join("hash.key")).map_err(io)?,
    };
    let store = crate::store::embedded::EmbeddedStore::open(&data_dir.join("svar.sqlite3"))?;
    Ok((Arc::new(store), key))
}

/// Built without the embedded store (the Lambda functions): say so instead of failing
/// later, and say what to do.
#[cfg(not(feature = "embedded"))]
fn open_embedded(
    _config: &Config,
    _data_dir: &std::path::Path,
) -> Result<(Arc<dyn Store>, HashKey), StartupError> {
    Err(no_embedded_store())
}

/// The refusal of a build without the embedded store; a function of its own so that the
/// usual (embedded) test build checks its words too.
#[cfg(any(test, not(feature = "embedded")))]
fn no_embedded_store() -> StartupError {
    ConfigError::Invalid {
        name: "SVAR_STORE",
        problem: "is `embedded`, but this program is built without the embedded store \
                  (SQLite): set SVAR_STORE=dynamodb, or run everything locally with `cargo run`"
            .into(),
    }
    .into()
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
/// process (a Lambda cold start). Errors name the parameter, never its value.
async fn hash_key_from_parameter(sdk: &SdkConfig, name: &str) -> Result<HashKey, ConfigError> {
    let value = read_parameter(sdk, "SVAR_HASH_KEY_PARAMETER", name).await?;
    parse_hash_key(&value).map_err(|_| ConfigError::Invalid {
        name: "SVAR_HASH_KEY_PARAMETER",
        problem: format!("parameter {name} is not a hex key of at least 32 bytes"),
    })
}

/// Reads the session secret from an SSM `SecureString` parameter, like the hash key.
async fn session_secret_from_parameter(
    sdk: &SdkConfig,
    name: &str,
) -> Result<SessionSecret, ConfigError> {
    let value = read_parameter(sdk, "SVAR_SESSION_SECRET_PARAMETER", name).await?;
    parse_session_secret(&value).map_err(|_| ConfigError::Invalid {
        name: "SVAR_SESSION_SECRET_PARAMETER",
        problem: format!("parameter {name} is not a hex secret of at least 64 bytes"),
    })
}

/// One SSM `SecureString`, decrypted: one request, retried (see [`HASH_KEY_ATTEMPTS`])
/// unless the parameter does not exist. `variable` is the setting that named it.
async fn read_parameter(
    sdk: &SdkConfig,
    variable: &'static str,
    name: &str,
) -> Result<String, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        name: variable,
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
    output
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| invalid(format!("parameter {name} has no value")))
}

/// The embedded store's key lives beside its database, made once, so codes keep working
/// across restarts. Only its owner may read it (mode 0600 on Unix): with the key, every
/// short code could be tried offline against the hashes in the database. A key file
/// made by an earlier version with wider permissions is narrowed when read.
#[cfg(feature = "embedded")]
fn load_or_create_key(path: &std::path::Path) -> std::io::Result<HashKey> {
    load_or_create_secret(path, 32).map(HashKey::new)
}

/// A secret of at least `len` random bytes kept in `path` (mode 0600), made on first use:
/// the hash key, and the session secret (with which anyone could sign a session cookie).
fn load_or_create_secret(path: &std::path::Path, len: usize) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() >= len => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let permissions = std::fs::metadata(path)?.permissions();
                if permissions.mode() & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                }
            }
            Ok(bytes)
        }
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} is shorter than {len} bytes",
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |name| name.to_string_lossy().into_owned()
                )
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            let mut bytes = vec![0u8; len];
            rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
            let mut options = std::fs::OpenOptions::new();
            // `create_new`: a second server starting at the same moment fails here rather
            // than overwrite the secret the first one already uses.
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            Ok(bytes)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_is_made_once_for_its_owner_alone() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("session.key");
        let first = load_or_create_secret(&path, 64).expect("made");
        assert_eq!(first.len(), 64);
        assert_eq!(load_or_create_secret(&path, 64).expect("read"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let short = dir.path().join("short.key");
        std::fs::write(&short, [1u8; 10]).expect("written");
        let error = load_or_create_secret(&short, 64).unwrap_err();
        assert!(error.to_string().contains("short.key"), "{error}");
    }

    #[cfg(feature = "embedded")]
    fn embedded_config(dir: &std::path::Path) -> Config {
        Config {
            store: StoreConfig::Embedded {
                data_dir: dir.to_owned(),
            },
            hash_key: None,
            hash_key_parameter: None,
            session_secret: None,
            session_secret_parameter: None,
            listen: "127.0.0.1:0".parse().expect("an address"),
            ui_dir: None,
            export: crate::config::ExportConfig {
                files: crate::config::ExportFilesConfig::Folder(dir.to_owned()),
                retention_days: 30,
                function: None,
            },
        }
    }

    #[cfg(feature = "embedded")]
    #[tokio::test]
    async fn the_embedded_workspace_keeps_its_session_secret_in_the_data_folder() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = embedded_config(dir.path());
        let first = open_workspace(&config).await.expect("opens").session_secret;
        let again = open_workspace(&config).await.expect("opens").session_secret;
        assert_eq!(first, again);
        assert!(dir.path().join("session.key").exists());
        assert!(!format!("{first:?}").contains(&format!("{:?}", &first.as_bytes()[..4])));
    }

    /// The Lambda functions' build refuses the embedded store with what to do instead
    /// (`cargo clippy -p svar-shared --no-default-features` in tests/run-all checks that
    /// the build without it compiles).
    #[test]
    fn without_the_embedded_store_asking_for_it_says_what_to_do() {
        let message = no_embedded_store().to_string();
        assert!(message.starts_with("SVAR_STORE is not valid"), "{message}");
        assert!(message.contains("set SVAR_STORE=dynamodb"), "{message}");
    }
}
