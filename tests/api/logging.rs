//! Logs carry the route template, never the link token, code or answers; and the
//! libraries that print request bodies at `debug` and `trace` are held at `info`.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use tracing_subscriber::fmt::MakeWriter;

use crate::helpers::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn request_logs_name_the_route_but_never_the_token_code_or_answers() {
    // A process-wide subscriber: a thread-local one can miss events whose callsites other
    // tests' threads have already cached as uninteresting. Other tests log into it too,
    // which only makes the check below stricter.
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    let captured = CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(captured.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    });

    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let issued = app.invite(&round).await;
    let path = link_path(&issued);
    assert_eq!(app.get(&path).await.status, StatusCode::OK);
    let reply = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("vem_svarar", "patient"),
                ("alder", "85_94"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    app.post_form("/kod", &[("kod", &issued.code.reveal())])
        .await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/s/{token}"),
        "the route template is logged: {logs}"
    );
    assert!(logs.contains("/kod"));
    for secret in [
        issued.link.path_segment(),
        issued.code.path_segment(),
        "85_94",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} must not be logged: {logs}"
        );
    }
}

/// Logs one event per level and library into a subscriber filtered as `telemetry::init`
/// filters (`log_filter`) with `directives` as `RUST_LOG`, and returns what was written.
fn log_through_filter(directives: &str) -> String {
    use tracing_subscriber::layer::{Layer, SubscriberExt};

    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_filter(svar_shared::telemetry::log_filter(Some(directives))),
    );
    tracing::subscriber::with_default(subscriber, || {
        // Each library's own kind of target, at the levels that print bodies.
        tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "hidden-smithy-trace");
        tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "hidden-smithy-debug");
        tracing::trace!(target: "aws_sdk_dynamodb::operation::get_item", "hidden-sdk-trace");
        tracing::debug!(target: "aws_config::imds", "hidden-config-debug");
        tracing::trace!(target: "aws_sigv4::http_request", "hidden-sigv4-trace");
        tracing::trace!(target: "hyper_util::client::legacy", "hidden-hyper-trace");
        tracing::trace!(target: "hyper::proto::h1", "hidden-hyper1-trace");
        tracing::trace!(target: "h2::codec::framed_read", "hidden-h2-trace");
        tracing::debug!(target: "rustls::client::hs", "hidden-rustls-debug");
        tracing::trace!(target: "lambda_runtime::layers::api_client", "hidden-runtime-trace");
        tracing::debug!(target: "lambda_runtime_api_client", "hidden-runtime-client-debug");
        tracing::trace!(target: "lambda_http::request", "hidden-lambda-http-trace");
        // Still logged: their info and above, and our own code at any level.
        tracing::info!(target: "aws_smithy_runtime::client::orchestrator", "shown-smithy-info");
        tracing::warn!(target: "lambda_runtime", "shown-runtime-warn");
        tracing::trace!(target: "svar_shared::store", "shown-own-trace");
    });
    String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
}

fn assert_libraries_held_at_info(directives: &str) {
    let logs = log_through_filter(directives);
    assert!(
        !logs.contains("hidden-"),
        "with RUST_LOG={directives} a library logged above info: {logs}"
    );
    for shown in ["shown-smithy-info", "shown-runtime-warn", "shown-own-trace"] {
        assert!(
            logs.contains(shown),
            "with RUST_LOG={directives}, {shown} is missing: {logs}"
        );
    }
}

#[test]
fn rust_log_trace_never_lets_the_sdk_http_tls_or_lambda_runtime_log_above_info() {
    assert_libraries_held_at_info("trace");
}

#[test]
fn a_directive_naming_a_library_cannot_loosen_its_cap() {
    assert_libraries_held_at_info(
        "trace,aws_smithy_runtime=trace,aws_smithy_runtime::client::orchestrator=trace,\
         aws_sdk_dynamodb=trace,hyper=trace,h2=trace,rustls=trace,lambda_runtime=trace,\
         lambda_http=trace",
    );
}

#[test]
fn the_level_asked_for_still_holds_for_our_own_code() {
    let logs = log_through_filter("warn");
    assert!(!logs.contains("shown-own-trace"), "{logs}");
    assert!(!logs.contains("shown-smithy-info"), "{logs}");
    assert!(logs.contains("shown-runtime-warn"), "{logs}");
}
