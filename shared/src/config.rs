//! Configuration, read once at start from environment variables into typed values.
//! Acting on it (opening the store, fetching the hash key) is [`crate::startup`]'s job.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SVAR_STORE` | `embedded` (SQLite in a folder) or `dynamodb` | `embedded`, or `dynamodb` under Lambda |
//! | `SVAR_DATA_DIR` | folder of the embedded store | `data` |
//! | `SVAR_RESPONSES_TABLE` | DynamoDB table of questionnaires, rounds, responses (point-in-time recovery on) | required for `dynamodb` |
//! | `SVAR_INVITATIONS_TABLE` | DynamoDB table of invitations, credentials, drafts (no backups); must differ from the responses table | required for `dynamodb` |
//! | `SVAR_DYNAMODB_ENDPOINT` | DynamoDB endpoint override (DynamoDB Local) | AWS default |
//! | `SVAR_HASH_KEY` | hex key that credentials are hashed with (32+ bytes) | embedded: made once and kept in the data folder; for `dynamodb` this or `SVAR_HASH_KEY_PARAMETER` |
//! | `SVAR_HASH_KEY_PARAMETER` | name of an SSM Parameter Store `SecureString` holding that hex key, read (decrypted) once at start; `dynamodb` only, and not together with `SVAR_HASH_KEY` | unset |
//! | `SVAR_SESSION_SECRET` | hex secret the workspace's session cookies are signed with (64+ bytes); the admin function only | embedded: made once and kept in the data folder as `session.key`; for `dynamodb` this or `SVAR_SESSION_SECRET_PARAMETER` |
//! | `SVAR_SESSION_SECRET_PARAMETER` | name of an SSM `SecureString` holding that hex secret, read once at start; `dynamodb` only, not together with `SVAR_SESSION_SECRET` | unset |
//! | `SVAR_ADDR` | address of the local server | `127.0.0.1:3000` |
//! | `SVAR_EXPORT_BUCKET` | S3 bucket of the export files (`exports/<organisation>/<job>/...`) | unset: the folder `exports` in `SVAR_DATA_DIR` (not in Lambda) |
//! | `SVAR_S3_ENDPOINT` | S3 endpoint override, path-style addressing (tests: an S3-compatible server on 127.0.0.1) | AWS default |
//! | `SVAR_EXPORT_RETENTION_DAYS` | days an export's files are kept (the S3 lifecycle rule must say the same) | `30` |
//! | `SVAR_EXPORT_FUNCTION` | name of the export Lambda function that the admin function invokes asynchronously | unset: the local server runs jobs as background tasks; the admin binary refuses to start (it never runs exports itself) |
//! | `SVAR_UI_DIR` | folder of extra UI-strings files (`<code>.toml`, one per added language; `shared/ui/README.md`) | unset: Swedish and English only |

use std::env;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::domain::HashKey;
use crate::store::dynamo::Tables;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("{0} must be set")]
    Missing(&'static str),
}

#[derive(Debug, Clone)]
pub enum StoreConfig {
    Embedded {
        data_dir: PathBuf,
    },
    DynamoDb {
        tables: Tables,
        endpoint: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreConfig,
    /// `None` for the embedded store: then the key kept in the data folder is used.
    pub hash_key: Option<HashKey>,
    /// The SSM parameter that holds the hash key (in Lambda: never the key itself in an
    /// environment variable). Read once, by [`crate::startup::open_store`].
    pub hash_key_parameter: Option<String>,
    /// The workspace's session secret, when given directly. `None` for the embedded store
    /// means the one kept in the data folder; the respondent function never reads it.
    pub session_secret: Option<SessionSecret>,
    /// The SSM parameter that holds the session secret (`dynamodb` only).
    pub session_secret_parameter: Option<String>,
    pub listen: SocketAddr,
    /// Extra languages' UI-strings files, installed at start by `web::strings::install`.
    pub ui_dir: Option<PathBuf>,
    pub export: ExportConfig,
}

/// Where export files go and how export jobs are started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportConfig {
    pub files: ExportFilesConfig,
    /// Days an export's files are kept.
    pub retention_days: u32,
    /// The export function the admin function invokes; `None`: run jobs in this process.
    pub function: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportFilesConfig {
    /// A local folder, under which the files are kept as `exports/<organisation>/<job>/`;
    /// downloads are signed URLs served by the local server.
    Folder(PathBuf),
    /// An S3 bucket; downloads are presigned URLs.
    S3 {
        bucket: String,
        /// An S3-compatible server instead of AWS, addressed path-style.
        endpoint: Option<String>,
    },
}

/// The default of `SVAR_EXPORT_RETENTION_DAYS`.
pub const DEFAULT_EXPORT_RETENTION_DAYS: u32 = 30;

impl ExportConfig {
    fn from_env(
        var: impl Fn(&str) -> Option<String>,
        data_dir: Option<&std::path::Path>,
    ) -> Result<Self, ConfigError> {
        let files = match var("SVAR_EXPORT_BUCKET") {
            Some(bucket) => ExportFilesConfig::S3 {
                bucket,
                endpoint: var("SVAR_S3_ENDPOINT"),
            },
            None => ExportFilesConfig::Folder(
                data_dir
                    .map(|d| d.to_path_buf())
                    .unwrap_or_else(|| PathBuf::from("data")),
            ),
        };
        let retention_days = match var("SVAR_EXPORT_RETENTION_DAYS") {
            None => DEFAULT_EXPORT_RETENTION_DAYS,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(days) if (1..=3650).contains(&days) => days,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "SVAR_EXPORT_RETENTION_DAYS",
                        problem: "must be a whole number of days from 1 to 3650".into(),
                    });
                }
            },
        };
        Ok(Self {
            files,
            retention_days,
            function: var("SVAR_EXPORT_FUNCTION"),
        })
    }
}

/// The secret the workspace's session cookies are signed with: 64 bytes or more, from
/// configuration (never from code). Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionSecret(Vec<u8>);

impl SessionSecret {
    pub const MIN_BYTES: usize = 64;

    /// `None` when shorter than [`Self::MIN_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= Self::MIN_BYTES).then_some(Self(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = vec![0u8; Self::MIN_BYTES];
        rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(..)")
    }
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
                tables: dynamodb_tables(var)?,
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
        let session_secret = var("SVAR_SESSION_SECRET")
            .map(|hex| parse_session_secret(&hex))
            .transpose()?;
        let session_secret_parameter = var("SVAR_SESSION_SECRET_PARAMETER");
        check_session_secret(&store, &session_secret, &session_secret_parameter)?;
        let listen = var("SVAR_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                name: "SVAR_ADDR",
                problem: e.to_string(),
            })?;
        let data_dir = match &store {
            StoreConfig::Embedded { data_dir } => Some(data_dir.clone()),
            StoreConfig::DynamoDb { .. } => var("SVAR_DATA_DIR").map(PathBuf::from),
        };
        let export = ExportConfig::from_env(var, data_dir.as_deref())?;
        Ok(Self {
            store,
            hash_key,
            hash_key_parameter,
            session_secret,
            session_secret_parameter,
            listen,
            ui_dir: var("SVAR_UI_DIR").map(PathBuf::from),
            export,
        })
    }
}

/// The two tables' names. They must differ: the split keeps invitations and drafts out of
/// the backups of the responses (`docs/dynamodb.md`, "Two tables, and why"). The single
/// `SVAR_TABLE` of earlier versions is refused with a pointer to its replacements, so an
/// old deployment fails at start rather than writing to the wrong place.
fn dynamodb_tables(var: impl Fn(&str) -> Option<String>) -> Result<Tables, ConfigError> {
    if var("SVAR_TABLE").is_some() {
        return Err(ConfigError::Invalid {
            name: "SVAR_TABLE",
            problem: "is replaced by SVAR_RESPONSES_TABLE and SVAR_INVITATIONS_TABLE".into(),
        });
    }
    let tables = Tables {
        responses: var("SVAR_RESPONSES_TABLE")
            .ok_or(ConfigError::Missing("SVAR_RESPONSES_TABLE"))?,
        invitations: var("SVAR_INVITATIONS_TABLE")
            .ok_or(ConfigError::Missing("SVAR_INVITATIONS_TABLE"))?,
    };
    if tables.responses == tables.invitations {
        return Err(ConfigError::Invalid {
            name: "SVAR_INVITATIONS_TABLE",
            problem: "must name another table than SVAR_RESPONSES_TABLE".into(),
        });
    }
    Ok(tables)
}

pub(crate) fn parse_hash_key(hex: &str) -> Result<HashKey, ConfigError> {
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

/// Where the session secret may come from. A missing one for `dynamodb` is not an error
/// here: only the admin function needs it (`startup::open_workspace` says so).
fn check_session_secret(
    store: &StoreConfig,
    secret: &Option<SessionSecret>,
    parameter: &Option<String>,
) -> Result<(), ConfigError> {
    match (store, secret, parameter) {
        (_, Some(_), Some(_)) => Err(ConfigError::Invalid {
            name: "SVAR_SESSION_SECRET_PARAMETER",
            problem: "set either SVAR_SESSION_SECRET or SVAR_SESSION_SECRET_PARAMETER, not both"
                .into(),
        }),
        (StoreConfig::Embedded { .. }, None, Some(_)) => Err(ConfigError::Invalid {
            name: "SVAR_SESSION_SECRET_PARAMETER",
            problem: "is read only with SVAR_STORE=dynamodb".into(),
        }),
        _ => Ok(()),
    }
}

/// The session secret from hex: at least [`SessionSecret::MIN_BYTES`] bytes. The error
/// never repeats the value.
pub(crate) fn parse_session_secret(hex: &str) -> Result<SessionSecret, ConfigError> {
    let invalid = |problem: &str| ConfigError::Invalid {
        name: "SVAR_SESSION_SECRET",
        problem: problem.into(),
    };
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.trim().as_bytes())
        .map_err(|_| invalid("is not hex"))?;
    SessionSecret::new(bytes).ok_or_else(|| invalid("must be at least 64 bytes (128 hex digits)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables_from(pairs: &[(&str, &str)]) -> Result<Tables, ConfigError> {
        dynamodb_tables(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn a_session_secret_is_hex_of_64_bytes_or_more() {
        assert!(parse_session_secret(&"ab".repeat(64)).is_ok());
        let short = parse_session_secret(&"ab".repeat(63)).unwrap_err();
        assert!(short.to_string().contains("64 bytes"), "{short}");
        let not_hex = parse_session_secret(&"zz".repeat(64)).unwrap_err();
        assert!(!not_hex.to_string().contains("zz"), "{not_hex}");
    }

    #[test]
    fn a_session_secret_comes_from_one_place() {
        let embedded = StoreConfig::Embedded {
            data_dir: "data".into(),
        };
        let secret = parse_session_secret(&"ab".repeat(64)).ok();
        let parameter = Some("/svar/session".to_owned());
        assert!(check_session_secret(&embedded, &secret, &parameter).is_err());
        assert!(check_session_secret(&embedded, &None, &parameter).is_err());
        assert!(check_session_secret(&embedded, &secret, &None).is_ok());
        let dynamo = StoreConfig::DynamoDb {
            tables: Tables::with_prefix("svar"),
            endpoint: None,
        };
        assert!(check_session_secret(&dynamo, &None, &parameter).is_ok());
        assert!(check_session_secret(&dynamo, &None, &None).is_ok());
    }

    fn export_from(pairs: &[(&str, &str)]) -> Result<ExportConfig, ConfigError> {
        let var = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        ExportConfig::from_env(var, Some(std::path::Path::new("d")))
    }

    #[test]
    fn exports_go_to_the_data_folder_unless_a_bucket_is_named() {
        let local = export_from(&[]).expect("valid");
        assert_eq!(local.files, ExportFilesConfig::Folder("d".into()));
        assert_eq!(local.retention_days, DEFAULT_EXPORT_RETENTION_DAYS);
        assert_eq!(local.function, None);
        let s3 = export_from(&[
            ("SVAR_EXPORT_BUCKET", "b"),
            ("SVAR_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("SVAR_EXPORT_RETENTION_DAYS", "7"),
            ("SVAR_EXPORT_FUNCTION", "svar-export"),
        ])
        .expect("valid");
        assert_eq!(
            s3.files,
            ExportFilesConfig::S3 {
                bucket: "b".into(),
                endpoint: Some("http://127.0.0.1:9000".into())
            }
        );
        assert_eq!(s3.retention_days, 7);
        assert_eq!(s3.function.as_deref(), Some("svar-export"));
    }

    #[test]
    fn a_retention_must_be_whole_days() {
        for bad in ["0", "-1", "1.5", "x", "4000"] {
            let error = export_from(&[("SVAR_EXPORT_RETENTION_DAYS", bad)]).unwrap_err();
            assert!(
                error.to_string().contains("SVAR_EXPORT_RETENTION_DAYS"),
                "{bad}"
            );
        }
    }

    #[test]
    fn both_tables_are_read_from_their_own_variables() {
        let tables = tables_from(&[
            ("SVAR_RESPONSES_TABLE", "svar-responses"),
            ("SVAR_INVITATIONS_TABLE", "svar-invitations"),
        ])
        .expect("valid");
        assert_eq!(tables, Tables::with_prefix("svar"));
    }

    #[test]
    fn a_missing_table_is_named() {
        let error = tables_from(&[("SVAR_RESPONSES_TABLE", "svar-responses")]).unwrap_err();
        assert!(
            matches!(error, ConfigError::Missing("SVAR_INVITATIONS_TABLE")),
            "{error}"
        );
    }

    #[test]
    fn one_table_for_both_is_refused() {
        let error = tables_from(&[
            ("SVAR_RESPONSES_TABLE", "svar"),
            ("SVAR_INVITATIONS_TABLE", "svar"),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("another table"), "{error}");
    }

    #[test]
    fn the_old_single_table_variable_points_to_its_replacements() {
        let error = tables_from(&[
            ("SVAR_TABLE", "svar"),
            ("SVAR_RESPONSES_TABLE", "svar-responses"),
            ("SVAR_INVITATIONS_TABLE", "svar-invitations"),
        ])
        .unwrap_err();
        assert!(
            error.to_string().contains("SVAR_RESPONSES_TABLE"),
            "{error}"
        );
    }
}
