//! The `admin` Lambda function: the workspace's pages and JSON API. Without
//! `AWS_LAMBDA_RUNTIME_API` it serves the same router on `SVAR_ADDR`.
//!
//! Everything costly happens once per container: the configuration is read, the hash key
//! and the session secret fetched (from SSM when their `..._PARAMETER` variables name
//! them), the SDK clients built.
//!
//! Exports are run by the export function, which this one invokes asynchronously
//! ([`LambdaLauncher`]); it never runs one itself, so the export engine is not linked
//! here (with it the zip would pass 5 MB, BENCHMARKS.md). Hence `SVAR_EXPORT_FUNCTION`
//! is required, in Lambda and outside it alike: a workspace whose export button can only
//! fail is a deployment mistake, better refused at start than found by a municipality.
//! To try exports on one machine, run the local server (`cargo run`), which runs them as
//! background tasks.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use svar_admin::launcher::LambdaLauncher;
use svar_admin::{AdminState, SessionKey};
use svar_shared::config::{Config, ConfigError, StoreConfig, in_lambda};
use svar_shared::service::exports::{ExportPolicy, Exports};
use svar_shared::service::workspace::Workspace;
use svar_shared::startup::{aws_sdk_config, open_download_links, open_workspace};
use svar_shared::telemetry;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let started = Instant::now();
    telemetry::init();
    let config = Config::from_env()?;
    let export_function = config
        .export
        .function
        .clone()
        .ok_or_else(|| ConfigError::Invalid {
            name: "SVAR_EXPORT_FUNCTION",
            problem: "must name the export function the admin function invokes; \
                      to run exports on this machine instead, start the local server (cargo run)"
                .into(),
        })?;
    let opened = open_workspace(&config).await?;
    let sessions = SessionKey::from_bytes(opened.session_secret.as_bytes())
        .ok_or("the session secret is shorter than 64 bytes")?;
    let workspace = Arc::new(Workspace::new(opened.store, opened.hash_key));
    let links = open_download_links(&config, &opened.session_secret).await?;
    let sdk = aws_sdk_config().await;
    let launcher = LambdaLauncher::new(
        sdk.credentials_provider()
            .ok_or("no AWS credentials to invoke the export function")?,
        sdk.region()
            .ok_or("no AWS region (AWS_REGION) to invoke the export function in")?
            .to_string(),
        export_function,
    );
    let policy = ExportPolicy {
        retention: time::Duration::days(config.export.retention_days.into()),
        ..ExportPolicy::default()
    };
    let state = AdminState {
        exports: Arc::new(Exports::new(
            workspace.clone(),
            links,
            Arc::new(launcher),
            policy,
        )),
        workspace,
        sessions: Arc::new(sessions),
        // Plain HTTP only for the embedded store served locally.
        secure_cookies: in_lambda() || matches!(config.store, StoreConfig::DynamoDb { .. }),
    };
    let app = svar_admin::router(state);
    if in_lambda() {
        tracing::info!(
            init_ms = started.elapsed().as_millis() as u64,
            "admin ready"
        );
        lambda_http::run(app).await
    } else {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        tracing::info!(address = %config.listen, "admin listening");
        // Connect info gives handlers the peer address, for the sign-in limit.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await?;
        Ok(())
    }
}
