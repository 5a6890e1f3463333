//! `cargo run`: every Svar function on one local port, with the embedded store.
//!
//! At start it checks and publishes the built-in questionnaires and any in
//! `SVAR_QUESTIONNAIRES_DIR` (a broken definition stops it, naming file and question), makes sure the demo municipality and its rounds exist, issues fresh demo
//! invitations and prints their links and codes. Data lives in `SVAR_DATA_DIR`
//! (default `data/`) and survives restarts; only hashes of links and codes are stored,
//! so earlier links cannot be printed again and each start issues new ones.
//!
//! The workspace (`/admin`) is served on the same port. At start the 13 municipalities
//! of the Gothenburg region and their network are seeded, the demo keys of the previous
//! start (label [`DEMO_KEY_LABEL`]) are revoked, and one fresh key per organisation is
//! printed. `cargo run -- keys ...` manages keys without starting the server ([`keys`]).

mod export_files;
mod keys;

use std::error::Error;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use svar_admin::{AdminState, SessionKey};
use svar_shared::config::{Config, ExportFilesConfig, SessionSecret, StoreConfig};
use svar_shared::domain::questionnaire::{self, Questionnaire};
use svar_shared::domain::{Municipality, QuestionnaireRef, Round, RoundId};
use svar_shared::export::{DownloadLinks, ExportFiles, LocalExportFiles};
use svar_shared::service::exports::{ExportPolicy, ExportRunner, Exports};
use svar_shared::service::respondent::SurveyService;
use svar_shared::service::setup::issue_invitation;
use svar_shared::service::workspace::{Workspace, seed};
use svar_shared::startup::{open_download_links, open_export_files};
use svar_shared::store::Store;
use svar_shared::telemetry::error_chain;
use svar_shared::{telemetry, web};
use time::{Duration, OffsetDateTime};

/// Demo rounds: fixed ids so a restart finds the same rounds, and how many links each gets.
const DEMO_ROUNDS: [(&str, &str, &str, usize); 3] = [
    (
        "00000000-0000-4000-8000-000000000001",
        "patientupplevelse",
        "Patientenkät (demo)",
        3,
    ),
    (
        "00000000-0000-4000-8000-000000000002",
        "civilsamhalle",
        "Kartläggning civilsamhälle (demo)",
        1,
    ),
    (
        "00000000-0000-4000-8000-000000000003",
        "nyckeltal",
        "Nyckeltal (demo)",
        1,
    ),
];

/// The demo municipality, texts and all (`demo/municipality.toml`).
const DEMO_MUNICIPALITY: &str = include_str!("../demo/municipality.toml");

const DEMO_INVITATION_LIFETIME: Duration = Duration::days(90);

/// The label of the keys `cargo run` prints: those of the previous start are revoked.
pub const DEMO_KEY_LABEL: &str = "Demo (cargo run)";

/// jemalloc rather than the system's allocator: with its background thread it hands
/// memory freed after a burst of clients back to the system within seconds
/// (`dirty_decay_ms` in `.cargo/config.toml`), where glibc's keeps it (BENCHMARKS.md, "Load").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A cap on Tokio's blocking threads. Nothing on the request path uses them now (the
/// store's reads run inline, its writes on its own thread), but Tokio's default of 512
/// would let any blocking call in a burst of a thousand clients start hundreds of threads,
/// whose memory stays with the process after the burst (BENCHMARKS.md, "Load").
const BLOCKING_THREADS: usize = 8;

fn main() -> ExitCode {
    telemetry::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("svar: could not start:\n{}", error_chain(&error));
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let work = async {
        match args.split_first() {
            Some((first, rest)) if first == "keys" => run_keys(rest).await,
            Some((first, _)) if matches!(first.as_str(), "--help" | "-h" | "help") => {
                println!(
                    "cargo run                 startar Svar lokalt\n{}",
                    keys::USAGE
                );
                Ok(())
            }
            Some((other, _)) => Err(format!("okänt argument '{other}'\n{}", keys::USAGE).into()),
            None => run().await,
        }
    };
    let what = if args.is_empty() {
        "could not start"
    } else {
        "failed"
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("svar: {what}:\n{}", error_chain(&*error));
            ExitCode::FAILURE
        }
    }
}

/// `cargo run -- keys ...`: on the configured store, without starting the server.
async fn run_keys(args: &[String]) -> Result<(), Box<dyn Error>> {
    let command = keys::KeysCommand::parse(args)?;
    let config = Config::from_env()?;
    let (store, hash_key) = svar_shared::startup::open_store(&config).await?;
    keys::run(&Workspace::new(store, hash_key), command).await
}

async fn run() -> Result<(), Box<dyn Error>> {
    let mut config = Config::from_env()?;
    // On DynamoDB without a configured session secret (trying the tables locally), one
    // made for this process: sessions then end when the server stops.
    if matches!(config.store, StoreConfig::DynamoDb { .. })
        && config.session_secret.is_none()
        && config.session_secret_parameter.is_none()
    {
        config.session_secret = Some(svar_shared::config::SessionSecret::generate());
    }
    svar_shared::web::strings::install(config.ui_dir.as_deref())?;
    let mut questionnaires = questionnaire::builtin()?;
    if let Some(dir) = std::env::var_os("SVAR_QUESTIONNAIRES_DIR") {
        questionnaires.extend(questionnaire::load_dir(std::path::Path::new(&dir))?);
    }
    let opened = svar_shared::startup::open_workspace(&config).await?;
    let (store, hash_key, session_secret) = (opened.store, opened.hash_key, opened.session_secret);
    let sessions = SessionKey::from_bytes(session_secret.as_bytes())
        .ok_or("the session secret is shorter than 64 bytes")?;
    for questionnaire in &questionnaires {
        store.publish_questionnaire(questionnaire).await?;
    }
    let listener = bind(config.listen).await?;
    let base = format!("http://{}", listener.local_addr()?);

    println!("Svar körs på {base}  (Ctrl+C avslutar)");
    match &config.store {
        StoreConfig::Embedded { data_dir } => {
            println!("Data sparas i mappen {}", data_dir.display())
        }
        StoreConfig::DynamoDb { tables, .. } => println!(
            "Data sparas i DynamoDB-tabellerna {} och {}",
            tables.responses, tables.invitations
        ),
    }
    for (id, questionnaire_id, name, links) in DEMO_ROUNDS {
        let round = demo_round(&*store, &questionnaires, id, questionnaire_id, name).await?;
        println!("\n{name}:");
        for _ in 0..links {
            let expires_at = OffsetDateTime::now_utc() + DEMO_INVITATION_LIFETIME;
            let issued = issue_invitation(&*store, &hash_key, &round, 0, expires_at).await?;
            println!(
                "  Länk: {base}/s/{}   Kod: {}",
                issued.link.path_segment(),
                issued.code.reveal()
            );
        }
    }
    let workspace = Arc::new(Workspace::new(store.clone(), hash_key.clone()));
    seed::seed(&*store).await?;
    println!("\nArbetsytan: {base}/admin/logga-in  Nycklar ({DEMO_KEY_LABEL}):");
    for (organisation, secret) in demo_keys(&workspace).await? {
        println!("  {organisation:<12} {secret}");
    }
    println!("\nSvara med kod: {base}/kod\n");

    let (exports, local_files) = exports(&config, &workspace, &session_secret).await?;
    let survey = Arc::new(SurveyService::new(store, hash_key));
    let admin = AdminState {
        exports,
        workspace,
        sessions: Arc::new(sessions),
        // The local server speaks plain HTTP: a `Secure` cookie would never come back.
        secure_cookies: false,
    };
    let mut routes = svar_respond::routes(survey).merge(svar_admin::routes(admin));
    if let Some(files) = local_files {
        routes = routes.merge(export_files::routes(files));
    }
    let app = web::with_common_layers(routes.fallback(svar_respond::not_found));
    // Connect info gives handlers the peer address, for the guessing limit.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    Ok(())
}

/// How often the local server deletes exports past their retention.
const EXPORT_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Exports run as background tasks here. Files go to the data folder (downloads by a URL
/// this server signs and serves) unless `SVAR_EXPORT_BUCKET` names a bucket. Expired
/// exports are deleted now and every hour, as S3's lifecycle rule does in AWS.
async fn exports(
    config: &Config,
    workspace: &Arc<Workspace>,
    secret: &SessionSecret,
) -> Result<(Arc<Exports>, Option<Arc<LocalExportFiles>>), Box<dyn Error>> {
    let (files, links, local): (Arc<dyn ExportFiles>, Arc<dyn DownloadLinks>, _) =
        match &config.export.files {
            ExportFilesConfig::Folder(root) => {
                let local = Arc::new(LocalExportFiles::new(root, secret.as_bytes()));
                (local.clone(), local.clone(), Some(local))
            }
            ExportFilesConfig::S3 { .. } => (
                open_export_files(config, secret).await?,
                open_download_links(config, secret).await?,
                None,
            ),
        };
    let policy = ExportPolicy {
        retention: time::Duration::days(config.export.retention_days.into()),
        ..ExportPolicy::default()
    };
    let sweeper = ExportRunner::new(workspace.store_arc(), files.clone(), policy);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EXPORT_SWEEP_INTERVAL);
        loop {
            every.tick().await;
            match sweeper.remove_expired().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "expired exports deleted"),
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), "expired exports not deleted")
                }
            }
        }
    });
    let exports = Exports::in_process(workspace.clone(), files, links, policy);
    Ok((Arc::new(exports), local))
}

/// Opens the port, saying in plain words what to do when it is taken: most often another
/// `cargo run` still running.
async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener, Box<dyn Error>> {
    match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => Err(format!(
            "the address {address} is already in use, perhaps by another Svar still running. \
             Stop that one, or choose another address, e.g. SVAR_ADDR=127.0.0.1:{} cargo run",
            address.port().wrapping_add(1).max(1)
        )
        .into()),
        Err(error) => Err(format!("cannot listen on {address} (SVAR_ADDR): {error}").into()),
    }
}

/// Creates the demo municipality and a demo round if they are missing.
async fn demo_round(
    store: &dyn Store,
    questionnaires: &[Questionnaire],
    id: &str,
    questionnaire_id: &str,
    name: &str,
) -> Result<Round, Box<dyn Error>> {
    let municipality: Municipality = toml::from_str(DEMO_MUNICIPALITY)?;
    store.put_municipality(&municipality).await?;
    let questionnaire = questionnaires
        .iter()
        .find(|q| q.id.as_str() == questionnaire_id)
        .ok_or_else(|| format!("built-in questionnaire '{questionnaire_id}' is missing"))?;
    let round_id = RoundId::parse(id).ok_or("invalid demo round id")?;
    let round = match store.round(&round_id).await? {
        Some(round) => round,
        None => {
            let round = Round {
                id: round_id,
                ..Round::open_patient_round(
                    municipality.id,
                    name,
                    QuestionnaireRef {
                        id: questionnaire.id.clone(),
                        version: questionnaire.version,
                    },
                    OffsetDateTime::now_utc(),
                )
            };
            store.create_round(&round).await?;
            round
        }
    };
    Ok(round)
}

/// Revokes the demo keys of the previous start and makes one fresh key per seeded
/// organisation: `(organisation id, secret)`.
async fn demo_keys(workspace: &Workspace) -> Result<Vec<(String, String)>, Box<dyn Error>> {
    let mut printed = Vec::new();
    for organisation in seed::organisations() {
        let operator = workspace.operator(organisation.id.as_str()).await?;
        for key in workspace.keys(&operator).await? {
            if key.label == DEMO_KEY_LABEL && key.is_active() {
                workspace.revoke_key(&operator, &key.id.to_string()).await?;
            }
        }
        let created = workspace.create_key(&operator, DEMO_KEY_LABEL).await?;
        printed.push((
            organisation.id.as_str().to_owned(),
            created.secret.reveal().to_owned(),
        ));
    }
    Ok(printed)
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
