//! The downloads of a batch just made: its CSV and its printable letters (one A4 page
//! each), both only with the batch's secret from the page right after it was made.
//!
//! Links start with the address the request came to (`Host`): the address the person
//! making the batch uses is the one patients reach. It is checked to be a plain host name
//! ([`PublicUrl::from_host`]); on plain HTTP only for the local server.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use svar_shared::domain::swedish_time::day_in_sweden;
use svar_shared::service::workspace::WorkspaceError;
use svar_shared::service::workspace::invitations::{PublicUrl, csv, thousands};
use svar_shared::service::workspace::letters::{Letters, qr_svg};

use super::invitations::{batch_id, made_page, round_id};
use crate::AdminState;
use crate::auth::Posted;
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/admin/omgangar/{id}/inbjudningar/{batch}/csv"),
    ("POST", "/admin/omgangar/{id}/inbjudningar/{batch}/brev"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route(
            "/admin/omgangar/{id}/inbjudningar/{batch}/csv",
            post(download_csv),
        )
        .route(
            "/admin/omgangar/{id}/inbjudningar/{batch}/brev",
            post(download_letters),
        )
}

#[derive(Deserialize)]
struct DownloadForm {
    #[serde(default)]
    nyckel: String,
    #[serde(default)]
    del: String,
    #[serde(default)]
    text: String,
}

fn public_url(state: &AdminState, headers: &HeaderMap) -> Result<PublicUrl, AdminError> {
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| PublicUrl::from_host(host, state.secure_cookies))
        .ok_or_else(|| AdminError::BadForm("no usable Host header".into()))
}

async fn download_csv(
    State(state): State<AdminState>,
    Path((id, batch)): Path<(String, String)>,
    headers: HeaderMap,
    posted: Posted<DownloadForm>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    let base = public_url(&state, &headers)?;
    let (made, rows) = state
        .workspace
        .download(
            &signed_in.caller,
            &round_id(&id)?,
            &batch_id(&batch)?,
            &form.nyckel,
            &base,
            None,
        )
        .await?;
    let filename = format!(
        "attachment; filename=\"inbjudningar-{}-{}.csv\"",
        made.batch.kind.as_str(),
        day_in_sweden(made.batch.created_at)
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, header_value(filename)),
        ],
        csv(&rows),
    )
        .into_response())
}

fn header_value(text: String) -> HeaderValue {
    // Built from a batch kind and a date only: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("attachment"))
}

async fn download_letters(
    State(state): State<AdminState>,
    Path((id, batch)): Path<(String, String)>,
    headers: HeaderMap,
    posted: Posted<DownloadForm>,
) -> Result<Response, AdminError> {
    let Posted { signed_in, form } = posted;
    let (round, batch) = (round_id(&id)?, batch_id(&batch)?);
    let base = public_url(&state, &headers)?;
    let letters = state
        .workspace
        .letters(
            &signed_in.caller,
            &round,
            &batch,
            &form.nyckel,
            &base,
            &form.del,
            &form.text,
        )
        .await;
    match letters {
        Ok(letters) => {
            let filename = format!(
                "inline; filename=\"brev-{}-del-{}.html\"",
                letters.made.batch.kind.as_str(),
                letters.part
            );
            Ok((
                [
                    (header::CONTENT_SECURITY_POLICY, letters_policy()),
                    (header::CONTENT_DISPOSITION, header_value(filename)),
                ],
                letters_document(&letters, &signed_in.caller.organisation.name),
            )
                .into_response())
        }
        Err(WorkspaceError::Invalid { message, .. }) => {
            // The page of the batch again, with the text as typed and why.
            let made = state
                .workspace
                .made_batch(&signed_in.caller, &round, &batch, &form.nyckel)
                .await?;
            let page = made_page(&signed_in, &made, Some((&form.text, &message)));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// The letters' own print stylesheet, inline so a saved file prints the same. Allowed by
/// its hash in the letters' content security policy (no other inline style runs).
const LETTER_STYLE: &str = "\
@page{size:A4;margin:20mm}\
*{box-sizing:border-box}\
body{margin:0;font:12pt/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#000;background:#fff}\
.screen-only{max-width:40rem;margin:1rem auto;padding:1rem;border:2px solid #000}\
.letter{width:170mm;min-height:257mm;margin:0 auto;padding:10mm 0;page-break-after:always;break-after:page}\
.letter:last-child{page-break-after:auto;break-after:auto}\
.head{display:flex;justify-content:space-between;align-items:baseline;gap:1em}\
.sender{font-weight:bold;font-size:13pt;margin:0}\
.number{text-align:right;font-size:10pt}\
.access{display:flex;gap:8mm;align-items:center;margin-top:10mm;padding:6mm;border:1px solid #000}\
.access svg{width:40mm;height:40mm;flex:none}\
.link,.code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13pt;word-break:break-all}\
.code{font-size:18pt;letter-spacing:.08em}\
@media screen{.letter{border-bottom:1px dashed #666;margin-bottom:2rem}}\
@media print{.screen-only{display:none}}";

fn letters_policy() -> HeaderValue {
    let hash = data_encoding::BASE64.encode(&Sha256::digest(LETTER_STYLE.as_bytes()));
    header_value(format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ))
}

/// Where a short code is typed: `/kod` beside the link's `/s/...`.
fn code_page(link: &str) -> String {
    link.rsplit_once("/s/")
        .map_or_else(String::new, |(base, _)| format!("{base}/kod"))
}

/// One part of a batch's letters: one A4 page per invitation with the letter text, the
/// link written out, the short code and the link's QR code.
/// The letters of one part. `sender` (the organisation's name) heads every letter, so a
/// patient sees at once who is asking.
pub fn letters_document(letters: &Letters, sender: &str) -> Markup {
    let paragraphs = letters.text.paragraphs();
    let title = tf(
        "letters.document_title",
        &[("part", &letters.part), ("parts", &letters.parts)],
    );
    html! {
        (DOCTYPE)
        html lang="sv" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                // A constant: no user text can reach it.
                style { (PreEscaped(LETTER_STYLE)) }
            }
            body {
                main {
                    div.screen-only {
                        h1 { (title) }
                        p { (tf("letters.print_hint", &[("count", &thousands(letters.rows.len() as u64))])) }
                    }
                    @for row in &letters.rows {
                        article.letter aria-label=(tf("letters.letter_label", &[("number", &row.number)])) {
                            div.head {
                                p.sender { (sender) }
                                p.number { (tf("letters.number", &[("number", &row.number)])) }
                            }
                            @for paragraph in &paragraphs {
                                p {
                                    @for (i, line) in paragraph.iter().enumerate() {
                                        @if i > 0 { br; }
                                        (line)
                                    }
                                }
                            }
                            div.access {
                                @if let Some(qr) = qr_svg(&row.link) {
                                    @let id = format!("qr-{}", row.number);
                                    svg role="img" aria-labelledby=(id) xmlns="http://www.w3.org/2000/svg"
                                        viewBox={ "0 0 " (qr.size) " " (qr.size) } shape-rendering="crispEdges" {
                                        title #(id) { (t("letters.qr_alt")) }
                                        rect width=(qr.size) height=(qr.size) fill="#fff" {}
                                        path d=(qr.path) fill="none" stroke="#000" stroke-width="1" {}
                                    }
                                }
                                div {
                                    p { (t("letters.link_intro")) br; span.link { (row.link) } }
                                    p {
                                        (tf("letters.code_intro", &[("address", &code_page(&row.link))]))
                                        br; span.code { (row.code) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
