//! Exports of a municipality's responses (`/api/exporter`) and the network's comparison
//! (`/api/jamforelse`). Jobs are serialised as [`ExportJobBody`], not as the stored job:
//! the organisation, the rounds' list and the shuffle seed stay inside.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use svar_shared::domain::{ExportFailure, ExportJob, ExportScope, ExportState};
use svar_shared::export::{AggregateTable, NetworkAggregates};
use svar_shared::service::exports::NewExport;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::bodies::date_time;
use super::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::AdminState;
use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::pages::export_job::job_id;
use crate::pages::exports::failure_text;

/// A request for an export: a round, or a questionnaire and a period.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"round": "0b5e2d8e-8a0c-4f55-9d8e-6f0f7c3c2a11", "k": 7, "free_text": false}))]
pub struct NewExportBody {
    /// A round's id: export that round. Leave out to export by questionnaire and period.
    #[serde(default)]
    pub round: String,
    /// A questionnaire's id: every round of it whose period overlaps `from`..`to`.
    #[serde(default)]
    pub questionnaire: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, not before `from`.
    #[serde(default)]
    pub to: String,
    /// The smallest group of background values published (default 7).
    #[serde(default)]
    #[schema(minimum = 3, maximum = 100)]
    pub k: Option<u32>,
    /// Include free-text answers, scrubbed of personal identity numbers, phone numbers,
    /// e-mail and street addresses.
    #[serde(default)]
    pub free_text: bool,
}

impl From<NewExportBody> for NewExport {
    fn from(body: NewExportBody) -> Self {
        NewExport {
            round: body.round,
            questionnaire: body.questionnaire,
            from: body.from,
            to: body.to,
            k: body.k.map(|k| k.to_string()).unwrap_or_default(),
            free_text: body.free_text,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportFileBody {
    pub name: String,
    pub bytes: u64,
}

/// What disclosure control changed in a ready export (the manifest's rules, counted).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProtectionBody {
    /// Background values emptied by k-anonymity.
    pub background_cells_emptied: u64,
    /// Rows with a background value emptied.
    pub rows_changed: u64,
    /// Answers emptied with them: to questions asked only for some of their values.
    pub dependent_cells_emptied: u64,
    /// Free-text cells that had something removed.
    pub text_cells_scrubbed: u64,
    /// Text cells given a leading `'` against formulas.
    pub formula_cells_neutralised: u64,
}

/// A round of the period not exported: it had fewer than k responses when the export was
/// asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoundLeftOutBody {
    #[schema(format = Uuid)]
    pub round: String,
    pub name: String,
    pub responses: u64,
}

/// Why an export failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportFailureBody {
    /// `too_few_responses`, `changed_during_export`, `interrupted` or `internal`.
    #[schema(schema_with = failure_codes)]
    pub code: String,
    /// In plain Swedish, with what to do.
    pub message: String,
}

fn failure_codes() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([
            "too_few_responses",
            "changed_during_export",
            "interrupted",
            "internal",
        ]))
        .into()
}

fn state_names() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["queued", "running", "ready", "failed"]))
        .description(Some(
            "queued -> running (rows_done) -> ready (rows, files) or failed (failure).",
        ))
        .into()
}

/// An export job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportJobBody {
    #[schema(format = Uuid)]
    pub id: String,
    /// The round exported, for an export of one round.
    pub round: Option<String>,
    /// The questionnaire exported, for an export by questionnaire and period.
    pub questionnaire: Option<String>,
    #[schema(format = Date)]
    pub from: Option<String>,
    #[schema(format = Date)]
    pub to: Option<String>,
    /// The period's rounds not exported for having fewer than `k` responses.
    pub rounds_left_out: Vec<RoundLeftOutBody>,
    pub k: u32,
    pub free_text: bool,
    /// The label of the key that asked.
    pub requested_by: String,
    #[schema(schema_with = state_names)]
    pub state: String,
    /// Rows written so far, while running.
    pub rows_done: Option<u64>,
    /// Rows exported, when ready.
    pub rows: Option<u64>,
    /// The files, when ready.
    pub files: Vec<ExportFileBody>,
    /// What disclosure control changed, when ready (not for exports made before
    /// 2026-12-05: their manifest has it).
    pub protection: Option<ProtectionBody>,
    pub failure: Option<ExportFailureBody>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When the files are deleted.
    #[schema(format = DateTime)]
    pub expires_at: String,
}

impl From<&ExportJob> for ExportJobBody {
    fn from(job: &ExportJob) -> Self {
        let (round, questionnaire, from, to) = match &job.scope {
            ExportScope::Round { round } => (Some(round.to_string()), None, None, None),
            ExportScope::Questionnaire {
                questionnaire,
                from,
                to,
            } => (
                None,
                Some(questionnaire.as_str().to_owned()),
                Some(from.to_string()),
                Some(to.to_string()),
            ),
        };
        let (state, rows_done, rows, files, failure) = match &job.state {
            ExportState::Queued => ("queued", None, None, Vec::new(), None),
            ExportState::Running { rows_done } => {
                ("running", Some(*rows_done), None, Vec::new(), None)
            }
            ExportState::Ready { rows, files, .. } => (
                "ready",
                None,
                Some(*rows),
                files
                    .iter()
                    .map(|f| ExportFileBody {
                        name: f.name.clone(),
                        bytes: f.bytes,
                    })
                    .collect(),
                None,
            ),
            ExportState::Failed { failure } => (
                "failed",
                None,
                None,
                Vec::new(),
                Some(ExportFailureBody {
                    code: failure_code(failure).to_owned(),
                    message: failure_text(failure),
                }),
            ),
        };
        let protection = match &job.state {
            ExportState::Ready {
                protection: Some(protection),
                ..
            } => Some(ProtectionBody {
                background_cells_emptied: protection.background_cells_emptied,
                rows_changed: protection.rows_changed,
                dependent_cells_emptied: protection.dependent_cells_emptied,
                text_cells_scrubbed: protection.text_cells_scrubbed,
                formula_cells_neutralised: protection.formula_cells_neutralised,
            }),
            _ => None,
        };
        ExportJobBody {
            id: job.id.to_string(),
            round,
            questionnaire,
            from,
            to,
            rounds_left_out: job
                .rounds_left_out
                .iter()
                .map(|r| RoundLeftOutBody {
                    round: r.round.to_string(),
                    name: r.name.clone(),
                    responses: r.responses,
                })
                .collect(),
            k: job.settings.k,
            free_text: job.settings.free_text,
            requested_by: job.requested_by.clone(),
            state: state.to_owned(),
            rows_done,
            rows,
            files,
            protection,
            failure,
            created_at: date_time(job.created_at),
            updated_at: date_time(job.updated_at),
            expires_at: date_time(job.expires_at),
        }
    }
}

fn failure_code(failure: &ExportFailure) -> &'static str {
    match failure {
        ExportFailure::TooFewResponses { .. } => "too_few_responses",
        ExportFailure::ChangedDuringExport => "changed_during_export",
        ExportFailure::Interrupted => "interrupted",
        ExportFailure::Internal => "internal",
    }
}

/// Asks for an export. A municipality only; every round needs at least k responses.
/// The same export already queued or running is answered as it is, with 200.
#[utoipa::path(
    post,
    path = "/api/exporter",
    operation_id = "request_export",
    tag = "exports",
    request_body = NewExportBody,
    responses(
        (status = 202, description = "The export was queued; follow it with `get_export`.", body = ExportJobBody),
        (status = 200, description = "The same export is already queued or running: that job.", body = ExportJobBody),
        (status = 400, description = "The body is not JSON (`bad_request`).", body = ApiError),
        (status = 403, description = "A network never gets rows (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such round of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "A round has fewer than k responses (`conflict`).", body = ApiError),
        (status = 413, description = "The body is too large (`payload_too_large`).", body = ApiError),
        (status = 422, description = "A value is wrong (`invalid`, with `field`).", body = ApiError),
    ),
)]
pub async fn request(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewExportBody>,
) -> ApiResult<(StatusCode, Json<ExportJobBody>)> {
    let requested = state.exports.request(&caller, &body.into()).await?;
    let status = if requested.created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ExportJobBody::from(&requested.job))))
}

/// The organisation's exports, newest first.
#[utoipa::path(
    get,
    path = "/api/exporter",
    operation_id = "list_exports",
    tag = "exports",
    responses(
        (status = 200, description = "The exports.", body = [ExportJobBody]),
        (status = 403, description = "A network has no exports (`not_allowed`).", body = ApiError),
    ),
)]
pub async fn list(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
) -> ApiResult<Json<Vec<ExportJobBody>>> {
    let jobs = state.exports.jobs(&caller).await?;
    Ok(Json(jobs.iter().map(ExportJobBody::from).collect()))
}

/// One export: its state, progress and files.
#[utoipa::path(
    get,
    path = "/api/exporter/{id}",
    operation_id = "get_export",
    tag = "exports",
    params(("id" = String, Path, description = "The export's id.")),
    responses(
        (status = 200, description = "The export.", body = ExportJobBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "A network has no exports (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such export of this organisation (`not_found`).", body = ApiError),
    ),
)]
pub async fn get(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ExportJobBody>> {
    let job = state.exports.job(&caller, &job_id(&id)?).await?;
    Ok(Json(ExportJobBody::from(&job)))
}

/// A short-lived download link.
#[derive(Debug, Serialize, ToSchema)]
pub struct DownloadLinkBody {
    /// Works without a key until `expires_at`; relative to this server for local files.
    /// The file downloads as `<organisation>-export-<YYYY-MM-DD-HHMM>-<file>` (when the
    /// export was asked for, Swedish time).
    pub url: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// A link to one file of a ready export, valid for 15 minutes. Checked again and audited
/// on every call.
#[utoipa::path(
    post,
    path = "/api/exporter/{id}/filer/{file}/lank",
    operation_id = "export_file_link",
    tag = "exports",
    params(
        ("id" = String, Path, description = "The export's id."),
        ("file" = String, Path, description = "A file name from the export's `files`, e.g. `responses.csv`."),
    ),
    responses(
        (status = 200, description = "The link.", body = DownloadLinkBody),
        (status = 400, description = "The path could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "A network has no exports (`not_allowed`).", body = ApiError),
        (status = 404, description = "No such export or file of this organisation (`not_found`).", body = ApiError),
        (status = 409, description = "The export is not ready, or has expired (`conflict`).", body = ApiError),
    ),
)]
pub async fn link(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiPath((id, file)): ApiPath<(String, String)>,
) -> ApiResult<Json<DownloadLinkBody>> {
    // Taken before the link is made: the link works at least until this time.
    let expires_at = OffsetDateTime::now_utc() + state.exports.policy().download_valid;
    let url = state
        .exports
        .download(&caller, &job_id(&id)?, &file)
        .await?;
    Ok(Json(DownloadLinkBody {
        url,
        expires_at: date_time(expires_at.replace_nanosecond(0).unwrap_or(expires_at)),
    }))
}

/// The comparison's query; every value as typed, checked by the service.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComparisonParams {
    /// A questionnaire's id, e.g. `patientupplevelse`.
    #[serde(default)]
    #[param(example = "patientupplevelse")]
    pub questionnaire: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[param(format = Date, example = "2026-01-01")]
    pub from: String,
    /// `YYYY-MM-DD`, not before `from`.
    #[serde(default)]
    #[param(format = Date, example = "2026-12-31")]
    pub to: String,
    /// The smallest published count, 3 to 100; empty for 7.
    #[serde(default)]
    #[param(example = "3")]
    pub k: String,
    /// The questionnaire version to compare; empty for the newest among the period's
    /// rounds.
    #[serde(default)]
    #[param(example = "1")]
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AggregateRowBody {
    pub municipality: String,
    /// How many answered the question.
    pub n: u64,
    /// Per code, in the order of `codes`; `null` where hidden.
    pub counts: Vec<Option<u64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AggregateTableBody {
    /// The question, or `<question>_<code>` for one option of a multiple-choice question.
    pub variable: String,
    pub question: String,
    pub codes: Vec<String>,
    pub rows: Vec<AggregateRowBody>,
    /// The network's count per code; `null` when the table is hidden whole.
    pub totals: Vec<Option<u64>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonBody {
    pub questionnaire: String,
    pub version: u32,
    pub k: u32,
    pub municipalities: Vec<String>,
    pub tables: Vec<AggregateTableBody>,
    /// Rounds in the period that used another version of the questionnaire: not
    /// compared, since a table compares answers to the same question. Ask with `version`
    /// to compare them.
    pub rounds_left_out: u64,
    /// Those rounds' versions, oldest first.
    pub versions_left_out: Vec<u32>,
}

impl From<NetworkAggregates> for ComparisonBody {
    fn from(aggregates: NetworkAggregates) -> Self {
        ComparisonBody {
            questionnaire: aggregates.questionnaire,
            version: aggregates.version,
            k: aggregates.k,
            municipalities: aggregates.municipalities,
            rounds_left_out: aggregates.rounds_left_out,
            versions_left_out: aggregates.versions_left_out,
            tables: aggregates
                .tables
                .into_iter()
                .map(|table: AggregateTable| AggregateTableBody {
                    variable: table.variable,
                    question: table.question,
                    codes: table.codes,
                    rows: table
                        .rows
                        .into_iter()
                        .map(|row| AggregateRowBody {
                            municipality: row.municipality,
                            n: row.n,
                            counts: row.counts,
                        })
                        .collect(),
                    totals: table.totals,
                })
                .collect(),
        }
    }
}

/// The network's comparison of its municipalities: per municipality and question, n and
/// the distribution over codes, counts under k hidden with their complements. A network
/// only; audited.
#[utoipa::path(
    get,
    path = "/api/jamforelse",
    operation_id = "network_comparison",
    tag = "exports",
    params(ComparisonParams),
    responses(
        (status = 200, description = "The tables.", body = ComparisonBody),
        (status = 400, description = "The query could not be decoded (`bad_request`).", body = ApiError),
        (status = 403, description = "A municipality has no comparison (`not_allowed`).", body = ApiError),
        (status = 422, description = "A value is wrong (`invalid`, with `field`).", body = ApiError),
    ),
)]
pub async fn comparison(
    State(state): State<AdminState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(params): ApiQuery<ComparisonParams>,
) -> ApiResult<Json<ComparisonBody>> {
    let aggregates = state
        .exports
        .network_aggregates(
            &caller,
            &params.questionnaire,
            &params.from,
            &params.to,
            &params.k,
            &params.version,
        )
        .await?;
    Ok(Json(ComparisonBody::from(aggregates)))
}
