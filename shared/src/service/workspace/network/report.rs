//! The report: a municipality fills it in inside its workspace, saved as it goes, and
//! sends it once; the network that sent it can reopen a sent report (it was wrong), and
//! the municipality then sends it again. One report per round: the re-sent report
//! replaces the one sent before (the network wants the corrected figures, not both), and
//! the audit trail keeps when each was sent and reopened.
//!
//! The report is kept apart from the anonymous responses: it is an organisation's
//! figures, not a person's answers, and it can be reopened and replaced, which a
//! response never can.

use super::{municipality_only, network_only};
use crate::domain::answers::{FieldError, validate_all};
use crate::domain::questionnaire::Questionnaire;
use crate::domain::*;
use crate::service::workspace::{Caller, Workspace, WorkspaceError, WorkspaceResult};
use crate::store::{ReportStatus, StoredReport};

/// A report round as its page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub round: Round,
    pub questionnaire: Questionnaire,
    /// `None` before anything is saved.
    pub report: Option<StoredReport>,
}

impl ReportView {
    pub fn is_sent(&self) -> bool {
        self.report
            .as_ref()
            .is_some_and(|r| r.status == ReportStatus::Sent)
    }
}

/// What sending a report did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportSending {
    Sent,
    /// Answers to correct first (the answers were saved as typed).
    Problems(Vec<FieldError>),
}

impl Workspace {
    /// The report round, for the municipality it was sent to or the network that sent it.
    pub async fn report_view(
        &self,
        caller: &Caller,
        round: &RoundId,
    ) -> WorkspaceResult<ReportView> {
        let round = self.visible_round(caller, round).await?;
        if round.kind != RoundKind::Report || round.sent_by.is_none() {
            return Err(WorkspaceError::NotFound);
        }
        let questionnaire = self
            .store
            .questionnaire(&round.questionnaire.id, round.questionnaire.version)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        let report = self.store.report(&round.id).await?;
        Ok(ReportView {
            round,
            questionnaire,
            report,
        })
    }

    /// Saves the report's answers as typed (a draft), or with `send` checks them all and
    /// sends the report. A sent report is [`WorkspaceError::Conflict`] until reopened.
    pub async fn save_report(
        &self,
        caller: &Caller,
        round: &RoundId,
        answers: RawAnswers,
        send: bool,
    ) -> WorkspaceResult<ReportSending> {
        let view = self.report_view(caller, round).await?;
        municipality_only(caller)?;
        let sent_already = || {
            WorkspaceError::Conflict(
                "Rapporten är redan skickad. Nätverket kan öppna den igen om något behöver rättas."
                    .to_owned(),
            )
        };
        if view.is_sent() {
            return Err(sent_already());
        }
        if view.round.status == RoundStatus::Closed {
            return Err(WorkspaceError::Conflict(
                "Rapportomgången är stängd.".to_owned(),
            ));
        }
        let answers: RawAnswers = answers
            .into_iter()
            .filter(|(id, _)| {
                view.questionnaire
                    .sections
                    .iter()
                    .flat_map(|s| &s.questions)
                    .any(|q| q.id.as_str() == id)
            })
            .collect();
        let now = Self::now();
        if !self
            .store
            .save_report_draft(&view.round.id, &answers, now)
            .await?
        {
            return Err(sent_already());
        }
        if !send {
            return Ok(ReportSending::Problems(Vec::new()));
        }
        if let Err((_, problems)) = validate_all(&view.questionnaire, &answers) {
            return Ok(ReportSending::Problems(problems));
        }
        if !self
            .store
            .send_report(&view.round.id, &answers, now)
            .await?
        {
            return Err(sent_already());
        }
        let object = format!("rapport, omgång {}", view.round.id);
        self.record(caller, AuditAction::ReportSent, object, AuditResult::Done)
            .await?;
        Ok(ReportSending::Sent)
    }

    /// Reopens a sent report of a round the caller (a network) sent.
    pub async fn reopen_report(&self, caller: &Caller, round: &RoundId) -> WorkspaceResult<()> {
        let view = self.report_view(caller, round).await?;
        network_only(caller)?;
        if !self
            .store
            .reopen_report(&view.round.id, Self::now())
            .await?
        {
            return Err(WorkspaceError::Conflict(
                "Rapporten är inte skickad, så den behöver inte öppnas igen.".to_owned(),
            ));
        }
        let object = format!(
            "rapport från {}, omgång {}",
            view.round.municipality, view.round.id
        );
        self.record(
            caller,
            AuditAction::ReportReopened,
            object,
            AuditResult::Done,
        )
        .await
    }
}
