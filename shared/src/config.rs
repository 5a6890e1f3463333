//! Configuration, read once at start from environment variables into typed values.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SVAR_STORE` | `embedded` (SQLite in a folder) or `dynamodb` | `embedded`, or `dynamodb` under Lambda |
//! | `SVAR_DATA_DIR` | folder of the embedded store | `data` |
//! | `SVAR_TABLE` | DynamoDB table name | required for `dynamodb` |
//! | `SVAR_DYNAMODB_ENDPOINT` | DynamoDB endpoint override (DynamoDB Local) | AWS default |
//! | `SVAR_HASH_KEY` | hex key that credentials are hashed with (32+ bytes) | embedded: made once and kept in the data folder; for `dynamodb` this or `SVAR_HASH_KEY_PARAMETER` |
//! | `SVAR_HASH_KEY_PARAMETER` | name of an SSM Parameter Store `SecureString` holding that hex key, read (decrypted) once at start; `dynamodb` only, and not together with `SVAR_HASH_KEY` | unset |
//! | `SVAR_ADDR` | address of the local server | `127.0.0.1:3000` |

use std::env;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};

use crate::domain::HashKey;
use crate::store::dynamo::DynamoStore;
use crate::store::embedded::EmbeddedStore;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("{0} must be set")]
    Missing(&'static str),
    #[error("could not use the data folder {path}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub enum StoreConfig {
    Embedded {
        data_dir: PathBuf,
    },
    DynamoDb {
        table: String,
        endpoint: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreConfig,
    /// `None` for the embedded store: then the key kept in the data folder is used.
    pub hash_key: Option<HashKey>,
    /// The SSM parameter that holds the hash key (in Lambda: never the key itself in an
    /// environment variable). Read once, in [`Config::open_store`].
    pub hash_key_parameter: Option<String>,
    pub listen: SocketAddr,
}

/// True when running inside AWS Lambda (the runtime sets this).
pub fn in_lambda() -> bool {
    env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let kind = var("SVAR_STORE").unwrap_or_else(|| {
            if in_lambda() {
                "dynamodb".into()
            } else {
                "embedded".into()
            }
        });
        let store = match kind.as_str() {
            "embedded" => StoreConfig::Embedded {
                data_dir: var("SVAR_DATA_DIR").unwrap_or_else(|| "data".into()).into(),
            },
            "dynamodb" => StoreConfig::DynamoDb {
                table: var("SVAR_TABLE").ok_or(ConfigError::Missing("SVAR_TABLE"))?,
                endpoint: var("SVAR_DYNAMODB_ENDPOINT"),
            },
            other => {
                return Err(ConfigError::Invalid {
                    name: "SVAR_STORE",
                    problem: format!("'{other}' is neither 'embedded' nor 'dynamodb'"),
                });
            }
        };
        let hash_key = var("SVAR_HASH_KEY")
            .map(|hex| parse_hash_key(&hex))
            .transpose()?;
        let hash_key_parameter = var("SVAR_HASH_KEY_PARAMETER");
        match (&store, &hash_key, &hash_key_parameter) {
            (_, Some(_), Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "SVAR_HASH_KEY_PARAMETER",
                    problem: "set either SVAR_HASH_KEY or SVAR_HASH_KEY_PARAMETER, not both".into(),
                });
            }
            (StoreConfig::Embedded { .. }, None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "SVAR_HASH_KEY_PARAMETER",
                    problem: "is read only with SVAR_STORE=dynamodb".into(),
                });
            }
            (StoreConfig::DynamoDb { .. }, None, None) => {
                return Err(ConfigError::Missing("SVAR_HASH_KEY"));
            }
            _ => {}
        }
        let listen = var("SVAR_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                name: "SVAR_ADDR",
                problem: e.to_string(),
            })?;
        Ok(Self {
            store,
            hash_key,
            hash_key_parameter,
            listen,
        })
    }

    /// Opens the configured store and returns it with the credential hash key.
    pub async fn open_store(&self) -> Result<(Arc<dyn Store>, HashKey), ConfigError> {
        match &self.store {
            StoreConfig::Embedded { data_dir } => {
                let io = |source| ConfigError::DataDir {
                    path: data_dir.clone(),
                    source,
                };
                std::fs::create_dir_all(data_dir).map_err(io)?;
                let key = match &self.hash_key {
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
                    sdk = sdk.http_client(sdk_http_client());
                }
                let sdk = sdk.load().await;
                let key = match (&self.hash_key, &self.hash_key_parameter) {
                    (Some(key), _) => key.clone(),
                    (None, Some(name)) => hash_key_from_parameter(&sdk, name).await?,
                    (None, None) => return Err(ConfigError::Missing("SVAR_HASH_KEY")),
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
}

/// The roots of Amazon Trust Services, which issues the certificates of every AWS
/// service endpoint (DynamoDB, SSM), as their common names.
const AWS_ENDPOINT_ROOTS: [&str; 5] = [
    "Amazon Root CA 1",
    "Amazon Root CA 2",
    "Amazon Root CA 3",
    "Amazon Root CA 4",
    "Starfield Services Root Certificate Authority - G2",
];

/// The HTTPS client of every AWS SDK client in Lambda: the SDK's own (rustls with aws-lc), trusting
/// only the roots of [`AWS_ENDPOINT_ROOTS`], taken from the Mozilla set compiled into
/// the binary (`webpki-root-certs`), instead of every root the system has.
///
/// Why: the SDK's default loads the system's roots when a client is built, at start,
/// reading the CA bundle *and every file* of the certificate folder (292 files on
/// Debian), and parses them all again for each client: most of the cold-start gap to a
/// hello-world function (BENCHMARKS.md). Five compiled-in roots cost no file reads and
/// almost no parsing, are the same on every machine (so the local benchmark measures
/// what Lambda runs), and no other certificate authority can stand in for DynamoDB or
/// SSM. The roots are updated with the crate (`cargo update -p webpki-root-certs`).
fn sdk_http_client() -> SharedHttpClient {
    let trust_store = aws_endpoint_roots().fold(
        TrustStore::empty().with_native_roots(false),
        |store, certificate| store.with_pem_certificate(pem_certificate(certificate)),
    );
    let tls = TlsContext::builder().with_trust_store(trust_store);
    // `build` cannot fail for a trust store alone; should a later version refuse it,
    // the SDK's default context (system roots) still gives a working client.
    let tls = tls.build().unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(tls)
        .build_https()
}

/// The compiled-in root certificates whose name is one of [`AWS_ENDPOINT_ROOTS`]. A root
/// is self-signed, so its DER holds the name (as issuer and subject) and no other's.
fn aws_endpoint_roots() -> impl Iterator<Item = &'static [u8]> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| &**der)
        .filter(|der| {
            AWS_ENDPOINT_ROOTS
                .iter()
                .any(|name| contains(der, name.as_bytes()))
        })
}

/// `memmem`, not `windows().any()`: the naive search over every root took most of
/// the 1.7 ms that building the client took at each start (BENCHMARKS.md).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// A DER certificate as PEM, the one form the SDK's trust store takes.
fn pem_certificate(der: &[u8]) -> String {
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        data_encoding::BASE64.encode(der)
    )
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

fn parse_hash_key(hex: &str) -> Result<HashKey, ConfigError> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.trim().as_bytes())
        .map_err(|e| ConfigError::Invalid {
            name: "SVAR_HASH_KEY",
            problem: e.to_string(),
        })?;
    if bytes.len() < 32 {
        return Err(ConfigError::Invalid {
            name: "SVAR_HASH_KEY",
            problem: "must be at least 32 bytes (64 hex digits)".into(),
        });
    }
    Ok(HashKey::new(bytes))
}

/// The embedded store's key lives beside its database, made once, so codes keep working
/// across restarts.
fn load_or_create_key(path: &std::path::Path) -> std::io::Result<HashKey> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() >= 32 => Ok(HashKey::new(bytes)),
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "hash.key is shorter than 32 bytes",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = HashKey::generate();
            std::fs::write(path, key.as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    use super::{AWS_ENDPOINT_ROOTS, aws_endpoint_roots, contains, pem_certificate};

    #[test]
    fn each_aws_endpoint_root_is_compiled_in_exactly_once() {
        let roots: Vec<_> = aws_endpoint_roots().collect();
        assert_eq!(roots.len(), AWS_ENDPOINT_ROOTS.len());
        for name in AWS_ENDPOINT_ROOTS {
            let found = roots.iter().filter(|der| contains(der, name.as_bytes()));
            assert_eq!(found.count(), 1, "{name}");
        }
    }

    #[test]
    fn the_roots_survive_the_pem_round_trip_into_the_trust_store() {
        for der in aws_endpoint_roots() {
            let parsed: Vec<_> = CertificateDer::pem_slice_iter(pem_certificate(der).as_bytes())
                .collect::<Result<_, _>>()
                .expect("our PEM parses");
            assert_eq!(parsed, vec![CertificateDer::from(der)]);
        }
    }
}
