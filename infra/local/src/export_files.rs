//! The local stand-in for S3's presigned downloads: `GET /exportfiler/<organisation>/
//! <job>/<file>?name=..&expires=..&signature=..` serves an export file when the URL's
//! signature ([`LocalExportFiles::signed_file`]) holds, streamed from disk, as an
//! attachment saved as `name`.
//! Anything else answers 403 with one plain message, like S3.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use svar_shared::export::{LOCAL_DOWNLOAD_PATH, LocalExportFiles, SignedDownload};
use time::OffsetDateTime;
use tokio_util::io::ReaderStream;

#[derive(Debug, Deserialize)]
struct Signed {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires: i64,
    #[serde(default)]
    signature: String,
}

/// The download route over `files`.
pub fn routes(files: Arc<LocalExportFiles>) -> Router {
    Router::new()
        .route(
            &format!("{LOCAL_DOWNLOAD_PATH}/{{organisation}}/{{job}}/{{file}}"),
            get(download),
        )
        .with_state(files)
}

async fn download(
    State(files): State<Arc<LocalExportFiles>>,
    Path((organisation, job, file)): Path<(String, String, String)>,
    query: Result<Query<Signed>, QueryRejection>,
) -> Response {
    let Ok(Query(signed)) = query else {
        return refused();
    };
    let download = SignedDownload {
        organisation,
        job,
        file,
        name: signed.name,
        expires: signed.expires,
        signature: signed.signature,
    };
    let Ok(path) = files.signed_file(&download, OffsetDateTime::now_utc()) else {
        return refused();
    };
    let opened = match tokio::fs::File::open(&path).await {
        Ok(opened) => opened,
        Err(_) => return refused(),
    };
    let length = opened.metadata().await.map(|m| m.len()).ok();
    let mut response = Body::from_stream(ReaderStream::new(opened)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&download.file)),
    );
    // A plain file name (checked with the signature): nothing to quote.
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", download.name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Länken till filen gäller inte längre. Hämta filen igen från exportsidan.\n",
    )
        .into_response()
}
