//! Logging with `tracing`: JSON lines in Lambda (CloudWatch), readable text locally.
//! Logs carry routes, statuses and timings; never tokens, codes, answers or client data.
//!
//! In Lambda each line is one JSON object with `level`, `fields` and, inside an
//! invocation, `span.requestId` (the span `lambda_runtime` opens for every invocation),
//! so CloudWatch Logs Insights can filter by request. The level comes from `RUST_LOG`,
//! else from `AWS_LAMBDA_LOG_LEVEL` (set by the function's `LoggingConfig`), else `info`.
//!
//! Whatever level is asked for, the libraries in [`QUIET_LIBRARIES`] never log above
//! `info`: at `debug` and `trace` the AWS SDK, the HTTP and TLS stacks and the Lambda
//! runtime print request and response bodies (DynamoDB items with answers, credential
//! hashes, the SSM parameter's value) and the events Lambda hands over (paths with link
//! tokens). `RUST_LOG=trace` is then safe to set when debugging our own code.

use tracing::Subscriber;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, Targets};
use tracing_subscriber::layer::{Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Target prefixes (crate names; a prefix also covers e.g. `aws_sdk_dynamodb`,
/// `hyper_util`, `lambda_runtime_api_client`) that may log at `info` at most.
pub const QUIET_LIBRARIES: [&str; 12] = [
    "aws_sdk",
    "aws_smithy",
    "aws_config",
    "aws_runtime",
    "aws_sigv4",
    "aws_credential_types",
    "aws_types",
    "hyper",
    "h2",
    "rustls",
    "lambda_runtime",
    "lambda_http",
];

pub fn init() {
    let directives = std::env::var(EnvFilter::DEFAULT_ENV).ok();
    let filter = log_filter(directives.as_deref());
    // `try_init`: a second call (tests) must not panic.
    let _ = if crate::config::in_lambda() {
        // No time stamp (CloudWatch adds one) and no ANSI colours; the current span only,
        // not the list of all spans, keeps each line short.
        let layer = tracing_subscriber::fmt::layer()
            .with_target(false)
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .without_time()
            .with_ansi(false);
        tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .try_init()
    } else {
        let layer = tracing_subscriber::fmt::layer().with_target(false);
        tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .try_init()
    };
}

/// What is logged: the `RUST_LOG`-style `directives` (or, when they are missing or
/// invalid, the level Lambda asks for), and in any case nothing above `info` from
/// [`QUIET_LIBRARIES`]. The cap is a second filter that must also agree, not a directive
/// added to the first, so no directive in `directives` (however specific, e.g.
/// `aws_smithy_runtime::client=trace`) can loosen it.
pub fn log_filter<S>(directives: Option<&str>) -> impl Filter<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let chosen = directives
        .filter(|d| !d.trim().is_empty())
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new(default_level()));
    let cap = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(QUIET_LIBRARIES.map(|library| (library, LevelFilter::INFO)));
    chosen.and(cap)
}

/// The level Lambda's advanced logging controls ask for, in `tracing`'s words.
fn default_level() -> &'static str {
    level_from_lambda(std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref())
}

fn level_from_lambda(level: Option<&str>) -> &'static str {
    match level.map(|l| l.trim().to_ascii_uppercase()).as_deref() {
        Some("TRACE") => "trace",
        Some("DEBUG") => "debug",
        Some("WARN") => "warn",
        Some("ERROR" | "FATAL") => "error",
        _ => "info",
    }
}

/// An error and all its causes on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::level_from_lambda;

    #[test]
    fn lambda_log_levels_map_to_tracing_levels() {
        assert_eq!(level_from_lambda(None), "info");
        assert_eq!(level_from_lambda(Some("DEBUG")), "debug");
        assert_eq!(level_from_lambda(Some("warn")), "warn");
        assert_eq!(level_from_lambda(Some("FATAL")), "error");
        assert_eq!(level_from_lambda(Some("nonsense")), "info");
    }
}
