//! The audit trail: a page at a time, newest first, and the whole trail as CSV
//! (RFC 4180, UTF-8, CRLF; every text cell protected against formula injection).

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use svar_shared::domain::{AuditAction, AuditEntry, AuditResult};

use super::layout::{date_time, page, scroll_table};
use crate::AdminState;
use crate::auth::SignedIn;
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[("GET", "/admin/logg"), ("GET", "/admin/logg.csv")];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/logg", get(trail))
        .route("/admin/logg.csv", get(csv))
}

#[derive(serde::Deserialize, Default)]
struct TrailQuery {
    /// The cursor of the page to show (the previous page's `next`).
    #[serde(default)]
    efter: Option<String>,
}

/// The Swedish name of an action, on the page (the CSV has the stable name).
pub fn action_text(action: AuditAction) -> &'static str {
    match action {
        AuditAction::SignIn => t("audit.action_sign_in"),
        AuditAction::SignOut => t("audit.action_sign_out"),
        AuditAction::KeyCreated => t("audit.action_key_created"),
        AuditAction::KeyRevoked => t("audit.action_key_revoked"),
        AuditAction::RoundCreated => t("audit.action_round_created"),
        AuditAction::RoundOpened => t("audit.action_round_opened"),
        AuditAction::RoundClosed => t("audit.action_round_closed"),
        AuditAction::InvitationsGenerated => t("audit.action_invitations_generated"),
        AuditAction::InvitationsDownloaded => t("audit.action_invitations_downloaded"),
        AuditAction::InvitationsReissued => t("audit.action_invitations_reissued"),
        AuditAction::RemindersMade => t("audit.action_reminders_made"),
        AuditAction::QuestionnaireUploaded => t("audit.action_questionnaire_uploaded"),
        AuditAction::MappingSent => t("audit.action_mapping_sent"),
        AuditAction::ReportSent => t("audit.action_report_sent"),
        AuditAction::ReportReopened => t("audit.action_report_reopened"),
        AuditAction::ExportRequested => t("audit.action_export_requested"),
        AuditAction::ExportDownloaded => t("audit.action_export_downloaded"),
        AuditAction::AggregatesViewed => t("audit.action_aggregates_viewed"),
    }
}

async fn trail(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Result<Markup, AdminError> {
    // A query that does not decode is read as none: the newest page.
    let after = query
        .and_then(|query| serde_html_form::from_str::<TrailQuery>(&query).ok())
        .and_then(|query| query.efter);
    let trail = state
        .workspace
        .audit_page(&signed_in.caller, after.as_deref())
        .await?;
    let next = trail
        .next
        .as_ref()
        .and_then(|next| serde_html_form::to_string([("efter", next.0.as_str())]).ok());
    Ok(page(
        t("audit.title"),
        Some(&signed_in),
        html! {
            h1 { (t("audit.title")) }
            p { (tf("audit.intro", &[("organisation", &signed_in.caller.organisation.name)])) }
            p { a href="/admin/logg.csv" download { (t("audit.csv_link")) } }
            @if trail.entries.is_empty() {
                p { (t("audit.none")) }
            } @else {
                (scroll_table(t("audit.title"), html! {
                    table {
                        thead { tr {
                            th scope="col" { (t("audit.col_at")) }
                            th scope="col" { (t("audit.col_key")) }
                            th scope="col" { (t("audit.col_action")) }
                            th scope="col" { (t("audit.col_object")) }
                            th scope="col" { (t("audit.col_result")) }
                        } }
                        tbody {
                            @for entry in &trail.entries {
                                tr {
                                    td { (date_time(entry.at)) }
                                    td { (entry.key_label) }
                                    td { (action_text(entry.action)) }
                                    td { (entry.object) }
                                    td {
                                        @match &entry.result {
                                            AuditResult::Done => (t("audit.done")),
                                            AuditResult::Refused(reason) => (tf("audit.refused", &[("reason", reason)])),
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
            ul {
                @if let Some(next) = next {
                    li { a href={ "/admin/logg?" (next) } { (t("audit.older")) } }
                }
                @if after.is_some() {
                    li { a href="/admin/logg" { (t("audit.newest")) } }
                }
            }
        },
    ))
}

async fn csv(State(state): State<AdminState>, signed_in: SignedIn) -> Result<Response, AdminError> {
    let entries = state.workspace.audit_all(&signed_in.caller).await?;
    let file = format!(
        "attachment; filename=\"logg-{}.csv\"",
        signed_in.caller.organisation.id.as_str()
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, file),
        ],
        audit_csv(&entries),
    )
        .into_response())
}

/// The CSV of a trail: a header row, then one row per entry, CRLF line ends.
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    let header = [
        "time",
        "organisation",
        "key_label",
        "action",
        "object",
        "result",
        "reason",
    ];
    push_row(&mut out, &header);
    for entry in entries {
        let at = entry
            .at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let (result, reason) = match &entry.result {
            AuditResult::Done => ("done", ""),
            AuditResult::Refused(reason) => ("refused", reason.as_str()),
        };
        push_row(
            &mut out,
            &[
                &at,
                entry.organisation.as_str(),
                &entry.key_label,
                entry.action.as_str(),
                &entry.object,
                result,
                reason,
            ],
        );
    }
    out
}

fn push_row(out: &mut String, cells: &[&str]) {
    for (at, cell) in cells.iter().enumerate() {
        if at > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(cell));
    }
    out.push_str("\r\n");
}

/// One cell: a text that a spreadsheet would run as a formula (starting with `=`, `+`,
/// `-`, `@`, tab or CR) gets a leading `'`; a cell with a comma, quote or line break is
/// quoted, its quotes doubled (RFC 4180).
pub fn csv_cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_special_characters_quoted() {
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@x"), "'@x");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=a,\"b\""), "\"'=a,\"\"b\"\"\"");
        assert_eq!(csv_cell("Åsa"), "Åsa");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn a_trail_is_a_header_and_a_row_per_entry_with_crlf() {
        let entry = AuditEntry {
            organisation: svar_shared::domain::questionnaire::Slug::parse("ale").expect("valid"),
            key_label: "=Anna".into(),
            action: AuditAction::KeyCreated,
            object: "Bo, chef".into(),
            at: time::OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("valid"),
            result: AuditResult::Refused("nej".into()),
        };
        let csv = audit_csv(&[entry]);
        assert_eq!(
            csv,
            "time,organisation,key_label,action,object,result,reason\r\n\
             2023-11-14T22:13:20Z,ale,'=Anna,key_created,\"Bo, chef\",refused,nej\r\n"
        );
    }
}
