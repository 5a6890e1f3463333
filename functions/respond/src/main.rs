//! The `respond` Lambda function. Without `AWS_LAMBDA_RUNTIME_API` it serves the same
//! router on `SVAR_ADDR`, which is handy for trying one function alone.
//!
//! Everything costly happens once per container, before the first request: the
//! configuration is read, the hash key fetched (from SSM when `SVAR_HASH_KEY_PARAMETER`
//! names it), the AWS SDK clients built. The router and the clients inside it are then
//! reused by every invocation the container serves.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use svar_shared::config::{Config, in_lambda};
use svar_shared::service::respondent::SurveyService;
use svar_shared::telemetry;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let started = Instant::now();
    telemetry::init();
    let config = Config::from_env()?;
    svar_shared::web::strings::install(config.ui_dir.as_deref())?;
    let (store, hash_key) = svar_shared::startup::open_store(&config).await?;
    let app = svar_respond::router(Arc::new(SurveyService::new(store, hash_key)));
    if in_lambda() {
        tracing::info!(
            init_ms = started.elapsed().as_millis() as u64,
            "respond ready"
        );
        lambda_http::run(app).await
    } else {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        tracing::info!(address = %config.listen, "respond listening");
        // Connect info gives handlers the peer address, for the guessing limit.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await?;
        Ok(())
    }
}
