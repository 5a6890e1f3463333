//! Schemas shared by several endpoints, and the enum schemas made from the domain's own
//! lists of names (`ALL`), so a new action or status appears in the document by itself.

use svar_shared::domain::{AuditAction, BatchKind, RoundKind, RoundStatus};
use svar_shared::service::workspace::network::Progress;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema with these values only.
fn names(values: impl IntoIterator<Item = &'static str>, description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

pub fn audit_action() -> impl Into<RefOr<Schema>> {
    names(
        AuditAction::ALL.iter().map(|a| a.as_str()),
        "What was done.",
    )
}

pub fn round_kind() -> impl Into<RefOr<Schema>> {
    names(
        RoundKind::ALL.iter().map(|k| k.as_str()),
        "patient: a municipality's patient survey; mapping and report: sent by the network.",
    )
}

pub fn batch_kind() -> impl Into<RefOr<Schema>> {
    names(
        BatchKind::ALL.iter().map(|k| k.as_str()),
        "first: made new; reissue: replaces a lost batch; reminder: reminders.",
    )
}

pub fn send_kind() -> impl Into<RefOr<Schema>> {
    names(
        [RoundKind::Mapping, RoundKind::Report].map(RoundKind::as_str),
        "mapping: a mapping questionnaire; report: the indicator report.",
    )
}

pub fn progress() -> impl Into<RefOr<Schema>> {
    names(
        [Progress::NotStarted, Progress::InProgress, Progress::Sent].map(Progress::as_str),
        "Where a municipality is with a round the network sent it.",
    )
}

pub fn round_status() -> impl Into<RefOr<Schema>> {
    names(
        RoundStatus::ALL.iter().map(|s| s.as_str()),
        "planned: links say the survey has not started; open; closed: links say it has ended.",
    )
}

/// A time to the second, RFC 3339 (`2026-05-04T10:00:00Z`).
pub fn date_time(at: OffsetDateTime) -> String {
    // Only years outside 0..=9999 cannot be written so; stored times are never those.
    at.format(&Rfc3339).unwrap_or_default()
}
