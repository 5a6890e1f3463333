//! The `respond` Lambda function. Without `AWS_LAMBDA_RUNTIME_API` it serves the same
//! router on `SVAR_ADDR`, which is handy for trying one function alone.

use std::sync::Arc;

use svar_shared::config::{Config, in_lambda};
use svar_shared::survey::SurveyService;
use svar_shared::telemetry;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let (store, hash_key) = config.open_store().await?;
    let app = svar_respond::router(Arc::new(SurveyService::new(store, hash_key)));
    if in_lambda() {
        lambda_http::run(app).await
    } else {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        tracing::info!(address = %config.listen, "respond listening");
        axum::serve(listener, app).await?;
        Ok(())
    }
}
