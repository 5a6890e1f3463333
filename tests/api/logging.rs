//! Logs carry the route template, never the link token, code or answers.

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
