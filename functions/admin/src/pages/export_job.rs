//! One export (`/admin/exporter/{id}`): its settings, state and files, each file a
//! download button. A download is a form post (with the CSRF token) so that following
//! it is a deliberate act that is checked again and audited; the answer is a 303 to a
//! short-lived URL of the file.
//!
//! Progress is not refreshed by itself: a page that reloads or changes under the reader
//! breaks WCAG 2.2.1 unless it can be turned off, and the export is usually done within
//! seconds. The page says so and offers an "Uppdatera" link instead.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use svar_shared::domain::swedish_time::day_in_sweden;
use svar_shared::domain::{ExportFileInfo, ExportJob, ExportJobId, ExportState};
use svar_shared::service::workspace::WorkspaceError;

use super::exports::{requested_text, scope_text, size_text, state_text};
use super::layout::{csrf_field, date, page, scroll_table};
use crate::AdminState;
use crate::auth::{Posted, SignedIn};
use crate::error::AdminError;
use crate::texts::{t, tf};

/// A path's job id: anything that is not a UUID is simply not found.
pub fn job_id(text: &str) -> Result<ExportJobId, AdminError> {
    ExportJobId::parse(text.trim()).ok_or(AdminError::Workspace(WorkspaceError::NotFound))
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    /// Set after a request that found the same export already running.
    #[serde(default)]
    pagar: Option<String>,
}

pub async fn detail(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Result<Markup, AdminError> {
    let job = state.exports.job(&signed_in.caller, &job_id(&id)?).await?;
    let rounds = state.workspace.rounds(&signed_in.caller).await?;
    let already_running = query.is_ok_and(|Query(q)| q.pagar.is_some()) && job.state.is_active();
    let scope = scope_text(&job.scope, &rounds);
    let expired = job.is_expired(time::OffsetDateTime::now_utc());
    Ok(job_page(&signed_in, &job, &scope, already_running, expired))
}

fn job_page(
    signed_in: &SignedIn,
    job: &ExportJob,
    scope: &str,
    already_running: bool,
    expired: bool,
) -> Markup {
    let title = format!("{}: {scope}", t("exports.job_title"));
    page(
        &title,
        Some(signed_in),
        html! {
            h1 { (title) }
            p { a href="/admin/exporter" { (t("exports.back_to_list")) } }
            @if already_running {
                p role="status" { strong { (t("exports.already_running")) } }
            }
            @if !job.rounds_left_out.is_empty() {
                div.notice {
                    p { (tf("exports.rounds_left_out", &[("k", &job.settings.k)])) }
                    ul {
                        @for round in &job.rounds_left_out {
                            li { (tf("exports.round_left_out", &[("name", &round.name), ("responses", &round.responses)])) }
                        }
                    }
                }
            }
            dl {
                dt { (t("exports.col_requested")) } dd { (requested_text(job)) }
                dt { (t("exports.col_state")) } dd #state { (state_text(&job.state)) }
                dt { (t("exports.settings_k")) } dd { (job.settings.k) }
                dt { (t("exports.settings_free_text")) }
                dd { @if job.settings.free_text { (t("exports.yes")) } @else { (t("exports.no")) } }
            }
            @if job.state.is_active() {
                p { a href={ "/admin/exporter/" (job.id) } { (t("exports.refresh_link")) } }
                p.note { (t("exports.refresh_note")) }
            }
            @if let ExportState::Ready { protection: Some(protection), .. } = &job.state {
                h2 { (t("exports.protection_title")) }
                ul {
                    li { (tf("exports.protection_background", &[("k", &job.settings.k), ("cells", &protection.background_cells_emptied), ("rows", &protection.rows_changed)])) }
                    @if protection.dependent_cells_emptied > 0 {
                        li { (tf("exports.protection_dependent", &[("cells", &protection.dependent_cells_emptied)])) }
                    }
                    @if job.settings.free_text {
                        li { (tf("exports.protection_text", &[("cells", &protection.text_cells_scrubbed)])) }
                    }
                    @if protection.formula_cells_neutralised > 0 {
                        li { (tf("exports.protection_formulas", &[("cells", &protection.formula_cells_neutralised)])) }
                    }
                }
            }
            @if let ExportState::Ready { files, .. } = &job.state {
                h2 { (t("exports.files_title")) }
                @if expired {
                    p { (t("exports.expired_note")) }
                } @else {
                    p { (tf("exports.expires_at", &[("date", &date(day_in_sweden(job.expires_at)))])) }
                    p.note { (t("exports.download_note")) }
                    (files_table(signed_in, job, files))
                }
            }
        },
    )
}

fn files_table(signed_in: &SignedIn, job: &ExportJob, files: &[ExportFileInfo]) -> Markup {
    scroll_table(
        t("exports.files_caption"),
        html! { table {
            caption { (t("exports.files_caption")) }
            thead { tr {
                th scope="col" { (t("exports.col_file")) }
                th scope="col" { (t("exports.col_size")) }
                th scope="col" { (t("exports.col_download")) }
            } }
            tbody {
                @for file in files {
                    tr {
                        th scope="row" { (file.name) br; span.hint-inline { (file_text(&file.name)) } }
                        td { (size_text(file.bytes)) }
                        td {
                            form method="post" action={ "/admin/exporter/" (job.id) "/filer/" (file.name) } {
                                (csrf_field(signed_in))
                                button.secondary type="submit" {
                                    (tf("exports.download_button", &[("file", &file.name)]))
                                }
                            }
                        }
                    }
                }
            }
        } },
    )
}

/// What a file of an export is for, in words.
fn file_text(name: &str) -> &'static str {
    match name {
        "responses.csv" => t("exports.file_responses"),
        "responses_excel.csv" => t("exports.file_responses_excel"),
        "codebook.csv" => t("exports.file_codebook"),
        "codebook_excel.csv" => t("exports.file_codebook_excel"),
        "codebook.json" => t("exports.file_codebook_json"),
        "manifest.json" => t("exports.file_manifest"),
        "responses.parquet" => t("exports.file_parquet"),
        _ => t("exports.file_other"),
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

/// A file of a ready export: checked again, audited, then a 303 to its short-lived URL.
pub async fn download(
    State(state): State<AdminState>,
    Path((id, file)): Path<(String, String)>,
    posted: Posted<Nothing>,
) -> Result<Response, AdminError> {
    let url = state
        .exports
        .download(&posted.signed_in.caller, &job_id(&id)?, &file)
        .await?;
    Ok(Redirect::to(&url).into_response())
}
