//! Rounds: a municipality creates its patient rounds, opens and closes them, and lists
//! its rounds with live counts.
//!
//! Status transitions (the one rule, [`transition_allowed`]):
//! - planned → open: the round starts; its links work.
//! - open → closed: the round ends; its links show "the survey has ended".
//! - closed → open: reopened, e.g. a period extended after a slow start.
//! - planned → closed: a round that will never run is put away without being opened.
//!
//! A round sent by the network (mapping, report) is changed only by the network, never by
//! the municipality it was sent to.

use std::sync::OnceLock;

use time::Date;
use time::macros::format_description;

use super::{Caller, QuestionnaireChoice, Workspace, WorkspaceError, WorkspaceResult};
use crate::domain::questionnaire;
use crate::domain::*;

pub const ROUND_NAME_MAX: usize = 200;
pub const ROUND_UNIT_MAX: usize = 200;

/// Built-in questionnaires the network sends (mapping, report): not offered for a
/// municipality's patient rounds.
const NETWORK_QUESTIONNAIRES: [&str; 2] = ["civilsamhalle", "nyckeltal"];

/// A round with its counts, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundOverview {
    pub round: Round,
    pub counts: RoundCounts,
}

impl RoundOverview {
    /// Answered per issued, in whole percent (rounded down); `None` before any invitation.
    pub fn rate_percent(&self) -> Option<u64> {
        (self.counts.issued > 0).then(|| self.counts.answered * 100 / self.counts.issued)
    }
}

/// A new patient round as typed: every field a string, checked by
/// [`Workspace::create_patient_round`] (the page and the JSON API both send these).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NewRound {
    /// A choice from [`Workspace::patient_questionnaires`]: `<id>:<version>` as the form
    /// sends it ([`QuestionnaireChoice::value`]), or a bare id for its latest version.
    #[serde(default)]
    pub questionnaire: String,
    #[serde(default)]
    pub name: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub start: String,
    /// `YYYY-MM-DD`, not before `start`.
    #[serde(default)]
    pub end: String,
    /// Unit or form of care; may be empty.
    #[serde(default)]
    pub unit: String,
}

/// Whether a round may go from `from` to `to` (see the module's doc).
pub fn transition_allowed(from: RoundStatus, to: RoundStatus) -> bool {
    use RoundStatus::*;
    matches!(
        (from, to),
        (Planned, Open) | (Open, Closed) | (Closed, Open) | (Planned, Closed)
    )
}

impl Workspace {
    /// The questionnaires the caller's patient rounds may use: the built-in ones except
    /// those the network sends, then those the caller's network uploaded.
    pub async fn patient_questionnaires(
        &self,
        caller: &Caller,
    ) -> WorkspaceResult<Vec<QuestionnaireChoice>> {
        let mut choices = self.questionnaire_choices(caller).await?;
        choices.retain(|choice| {
            choice.uploaded || !NETWORK_QUESTIONNAIRES.contains(&choice.questionnaire.id.as_str())
        });
        Ok(choices)
    }

    /// The Swedish title of a questionnaire version, for showing a round: a built-in one,
    /// else the published (uploaded) version from the store.
    pub async fn questionnaire_title(
        &self,
        questionnaire: &QuestionnaireRef,
    ) -> WorkspaceResult<Option<String>> {
        Ok(self
            .questionnaire(questionnaire)
            .await?
            .map(|q| q.title.sv().to_owned()))
    }

    /// A questionnaire version's definition, for naming its questions and codes: a
    /// built-in one, else the published (uploaded) version from the store.
    pub async fn questionnaire(
        &self,
        questionnaire: &QuestionnaireRef,
    ) -> WorkspaceResult<Option<questionnaire::Questionnaire>> {
        let built_in = builtin()?
            .iter()
            .find(|q| q.id == questionnaire.id && q.version == questionnaire.version)
            .cloned();
        if built_in.is_some() {
            return Ok(built_in);
        }
        Ok(self
            .store
            .questionnaire(&questionnaire.id, questionnaire.version)
            .await?)
    }

    /// The caller's rounds, newest first, each with its counts: a municipality's own
    /// and those sent to it, or the rounds a network sent.
    pub async fn rounds(&self, caller: &Caller) -> WorkspaceResult<Vec<RoundOverview>> {
        let organisation = &caller.organisation;
        let rounds = match organisation.kind {
            OrganisationKind::Municipality => {
                self.store.rounds_of_municipality(&organisation.id).await?
            }
            OrganisationKind::Network => self.store.rounds_sent_by(&organisation.id).await?,
        };
        let mut all = Vec::with_capacity(rounds.len());
        for round in rounds {
            let counts = self.store.round_counts(&round.id).await?;
            all.push(RoundOverview { round, counts });
        }
        Ok(all)
    }

    /// One round the caller may see, with its counts. An id that is not a round id, not
    /// a round, or another organisation's round: `NotFound`.
    pub async fn round(&self, caller: &Caller, id: &str) -> WorkspaceResult<RoundOverview> {
        let id = RoundId::parse(id.trim()).ok_or(WorkspaceError::NotFound)?;
        let round = self.visible_round(caller, &id).await?;
        let counts = self.store.round_counts(&round.id).await?;
        Ok(RoundOverview { round, counts })
    }

    /// Creates a planned patient round for the caller's municipality. A network may not
    /// (it sends mapping and report rounds instead).
    pub async fn create_patient_round(
        &self,
        caller: &Caller,
        new: &NewRound,
    ) -> WorkspaceResult<Round> {
        if caller.organisation.kind != OrganisationKind::Municipality {
            return Err(WorkspaceError::NotAllowed(
                "Bara en kommun kan skapa en patientenkät.".into(),
            ));
        }
        let questionnaire = self
            .checked_questionnaire(caller, &new.questionnaire)
            .await?;
        let name = new.name.trim();
        let name_length = name.chars().count();
        if name_length == 0 || name_length > ROUND_NAME_MAX {
            return Err(WorkspaceError::invalid(
                "name",
                format!("Skriv ett namn på omgången, 1–{ROUND_NAME_MAX} tecken."),
            ));
        }
        let start = parse_date(&new.start).ok_or_else(|| {
            WorkspaceError::invalid(
                "start",
                "Skriv startdatumet som år-månad-dag, till exempel 2026-03-01.",
            )
        })?;
        let end = parse_date(&new.end).ok_or_else(|| {
            WorkspaceError::invalid(
                "end",
                "Skriv slutdatumet som år-månad-dag, till exempel 2026-03-31.",
            )
        })?;
        let period = Period::new(start, end).ok_or_else(|| {
            WorkspaceError::invalid("end", "Slutdatumet kan inte vara före startdatumet.")
        })?;
        let unit = new.unit.trim();
        if unit.chars().count() > ROUND_UNIT_MAX {
            return Err(WorkspaceError::invalid(
                "unit",
                format!("Enhet eller vårdform får vara högst {ROUND_UNIT_MAX} tecken."),
            ));
        }
        let round = Round {
            id: RoundId::random(),
            municipality: caller.organisation.id.clone(),
            name: name.to_owned(),
            questionnaire,
            kind: RoundKind::Patient,
            status: RoundStatus::Planned,
            period,
            unit: unit.to_owned(),
            sent_by: None,
            created_at: Self::now(),
        };
        self.store.create_round(&round).await?;
        self.record(
            caller,
            AuditAction::RoundCreated,
            round_object(&round),
            AuditResult::Done,
        )
        .await?;
        Ok(round)
    }

    /// Opens a planned or closed round: its links work.
    pub async fn open_round(&self, caller: &Caller, id: &str) -> WorkspaceResult<Round> {
        self.change_status(caller, id, RoundStatus::Open).await
    }

    /// Closes a planned or open round: its links say the survey has ended.
    pub async fn close_round(&self, caller: &Caller, id: &str) -> WorkspaceResult<Round> {
        self.change_status(caller, id, RoundStatus::Closed).await
    }

    async fn change_status(
        &self,
        caller: &Caller,
        id: &str,
        to: RoundStatus,
    ) -> WorkspaceResult<Round> {
        let action = match to {
            RoundStatus::Closed => AuditAction::RoundClosed,
            _ => AuditAction::RoundOpened,
        };
        let round = self.round(caller, id).await?.round;
        let refusal =
            if round.sent_by.is_some() && round.sent_by.as_ref() != Some(&caller.organisation.id) {
                Some(WorkspaceError::NotAllowed(
                    "Omgången skickades av nätverket; bara nätverket kan öppna eller stänga den."
                        .into(),
                ))
            } else if !transition_allowed(round.status, to) {
                Some(WorkspaceError::Conflict(match round.status {
                    RoundStatus::Open => "Omgången är redan öppen.".into(),
                    RoundStatus::Closed => "Omgången är redan stängd.".into(),
                    RoundStatus::Planned => "Omgången har inte öppnats än.".into(),
                }))
            } else {
                None
            };
        if let Some(refusal) = refusal {
            self.record(
                caller,
                action,
                round_object(&round),
                AuditResult::Refused(refusal.to_string()),
            )
            .await?;
            return Err(refusal);
        }
        if !self.store.set_round_status(&round.id, to).await? {
            return Err(WorkspaceError::NotFound);
        }
        self.record(caller, action, round_object(&round), AuditResult::Done)
            .await?;
        Ok(Round {
            status: to,
            ..round
        })
    }

    /// The version a typed choice names, if the caller may use it; a built-in one is
    /// published first (idempotent) so the round's links find the version they name.
    /// Another network's upload is refused like any unknown id: not in the caller's list.
    async fn checked_questionnaire(
        &self,
        caller: &Caller,
        typed: &str,
    ) -> WorkspaceResult<QuestionnaireRef> {
        let unknown = || WorkspaceError::invalid("questionnaire", "Välj en av enkäterna i listan.");
        let typed = typed.trim();
        let allowed = self.patient_questionnaires(caller).await?;
        let choice = allowed
            .iter()
            .find(|choice| choice.value() == typed)
            .or_else(|| {
                allowed
                    .iter()
                    .filter(|choice| choice.questionnaire.id.as_str() == typed)
                    .max_by_key(|choice| choice.questionnaire.version)
            })
            .ok_or_else(unknown)?;
        if !choice.uploaded {
            let built_in = builtin()?
                .iter()
                .find(|q| {
                    q.id == choice.questionnaire.id && q.version == choice.questionnaire.version
                })
                .ok_or_else(unknown)?;
            self.store.publish_questionnaire(built_in).await?;
        }
        Ok(choice.questionnaire.clone())
    }
}

/// The built-in questionnaires, parsed once per process (they are compiled in).
fn builtin() -> WorkspaceResult<&'static [questionnaire::Questionnaire]> {
    static BUILTIN: OnceLock<Result<Vec<questionnaire::Questionnaire>, String>> = OnceLock::new();
    BUILTIN
        .get_or_init(|| questionnaire::builtin().map_err(|error| error.to_string()))
        .as_deref()
        .map_err(|error| WorkspaceError::Store(crate::store::StoreError::Corrupt(error.clone())))
}

/// A round as named in the audit trail: its name and id.
pub(crate) fn round_object(round: &Round) -> String {
    format!("{} ({})", round.name, round.id)
}

/// `YYYY-MM-DD`, as a date field sends it.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::Slug;

    #[test]
    fn the_transitions_are_the_documented_ones() {
        use RoundStatus::*;
        let allowed: Vec<_> = [Planned, Open, Closed]
            .iter()
            .flat_map(|from| [Planned, Open, Closed].map(|to| (*from, to)))
            .filter(|(from, to)| transition_allowed(*from, *to))
            .collect();
        assert_eq!(
            allowed,
            [
                (Planned, Open),
                (Planned, Closed),
                (Open, Closed),
                (Closed, Open)
            ]
        );
    }

    #[test]
    fn dates_are_year_month_day() {
        assert!(parse_date(" 2026-03-01 ").is_some());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("1/3/2026").is_none());
        assert!(parse_date("").is_none());
    }

    #[test]
    fn the_rate_is_whole_percent_and_absent_without_invitations() {
        let mut overview = RoundOverview {
            round: Round::open_patient_round(
                Slug::parse("ale").expect("valid"),
                "x",
                QuestionnaireRef {
                    id: Slug::parse("patientupplevelse").expect("valid"),
                    version: 1,
                },
                time::OffsetDateTime::now_utc(),
            ),
            counts: RoundCounts::default(),
        };
        assert_eq!(overview.rate_percent(), None);
        overview.counts = RoundCounts {
            issued: 100,
            answered: 2,
        };
        assert_eq!(overview.rate_percent(), Some(2));
    }
}
