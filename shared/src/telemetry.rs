//! Logging with `tracing`: JSON lines in Lambda (CloudWatch), readable text locally.
//! Logs carry routes, statuses and timings; never tokens, codes, answers or client data.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    // `try_init`: a second call (tests) must not panic.
    let _ = if crate::config::in_lambda() {
        builder.json().with_current_span(true).without_time().try_init()
    } else {
        builder.try_init()
    };
}
