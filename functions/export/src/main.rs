//! The `export` Lambda function's entry: one runner per container, one job per event.
//!
//! Outside Lambda (no `AWS_LAMBDA_RUNTIME_API`) it runs the one event read from standard
//! input and prints the outcome, e.g. to run a job again by hand:
//! `echo '{"organisation":"kommun","job":"..."}' | export`.

use std::io::Read;
use std::time::Instant;

use lambda_runtime::{LambdaEvent, service_fn};
use svar_export::{handle, open_runner};
use svar_shared::config::{Config, in_lambda};
use svar_shared::telemetry;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    telemetry::init();
    let config = Config::from_env()?;
    let runner = open_runner(&config).await?;
    if in_lambda() {
        tracing::info!(
            init_ms = started.elapsed().as_millis() as u64,
            "export ready"
        );
        let runner = &runner;
        lambda_runtime::run(service_fn(
            move |event: LambdaEvent<serde_json::Value>| async move {
                let outcome = handle(runner, event.payload).await.inspect_err(|error| {
                    // Lambda records only the top message; the causes go to the log.
                    tracing::error!(error = %telemetry::error_chain(error), "export event failed");
                })?;
                tracing::info!(job = %outcome.job, outcome = ?outcome.outcome, rows = outcome.rows, "export event handled");
                Ok::<_, lambda_runtime::Error>(outcome)
            },
        ))
        .await
    } else {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let event: serde_json::Value = serde_json::from_str(&text)?;
        match handle(&runner, event).await {
            Ok(outcome) => {
                println!("{}", serde_json::to_string(&outcome)?);
                Ok(())
            }
            Err(error) => {
                eprintln!("export: {}", telemetry::error_chain(&error));
                std::process::exit(1);
            }
        }
    }
}
