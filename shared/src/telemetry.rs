//! Logging with `tracing`: JSON lines in Lambda (CloudWatch), readable text locally.
//! Logs carry routes, statuses and timings; never tokens, codes, answers or client data.
//!
//! In Lambda each line is one JSON object with `level`, `fields` and, inside an
//! invocation, `span.requestId` (the span `lambda_runtime` opens for every invocation),
//! so CloudWatch Logs Insights can filter by request. The level comes from `RUST_LOG`,
//! else from `AWS_LAMBDA_LOG_LEVEL` (set by the function's `LoggingConfig`), else `info`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // `try_init`: a second call (tests) must not panic.
    let _ = if crate::config::in_lambda() {
        // No time stamp (CloudWatch adds one) and no ANSI colours; the current span only,
        // not the list of all spans, keeps each line short.
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .without_time()
            .with_ansi(false)
            .try_init()
    } else {
        builder.try_init()
    };
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
