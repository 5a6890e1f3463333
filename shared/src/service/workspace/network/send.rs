//! Sending a questionnaire to municipalities, the sends, their status, reminders.

use time::Date;
use time::macros::format_description;

use super::network_only;
use crate::domain::questionnaire::Slug;
use crate::domain::*;
use crate::service::workspace::{Caller, Workspace, WorkspaceError, WorkspaceResult};
use crate::store::{NetworkSend, ReportStatus};

/// The answers a mapping link takes unless the network says otherwise.
pub const DEFAULT_ANSWER_LIMIT: u32 = 50;
/// The most a link may take: a municipality's staff, not the public.
pub const MAX_ANSWER_LIMIT: u32 = 5_000;
const MAX_NAME_LENGTH: usize = 200;

/// A send as typed in the form (or the JSON API): parsed by [`Workspace::send_questionnaire`].
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SendForm {
    /// `mapping` or `report`.
    pub kind: String,
    /// `<questionnaire id>:<version>`, as [`super::QuestionnaireChoice::value`] gives it.
    pub questionnaire: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub start: String,
    pub end: String,
    /// Organisation ids of the chosen municipalities.
    pub municipalities: Vec<String>,
    /// Empty for the default.
    pub answer_limit: String,
}

/// What the send form offers: the network's municipalities and the questionnaires.
#[derive(Debug, Clone, PartialEq)]
pub struct SendChoices {
    pub municipalities: Vec<Organisation>,
    pub questionnaires: Vec<super::QuestionnaireChoice>,
}

/// Where a municipality is with a round sent to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Mapping: no link made yet (and no answers). Report: nothing saved.
    NotStarted,
    /// Mapping: the link is made, no answers yet. Report: saved (or reopened), not sent.
    InProgress,
    /// Mapping: at least one answer. Report: sent.
    Sent,
}

impl Progress {
    pub fn as_str(self) -> &'static str {
        match self {
            Progress::NotStarted => "not_started",
            Progress::InProgress => "in_progress",
            Progress::Sent => "sent",
        }
    }
}

/// One municipality's line of a send's overview.
#[derive(Debug, Clone, PartialEq)]
pub struct MunicipalityProgress {
    pub municipality: Organisation,
    pub round: Round,
    pub progress: Progress,
    /// Mapping: answers so far. Report: 1 once sent.
    pub answers: u64,
    pub reminded_at: Option<time::OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendOverview {
    pub send: NetworkSend,
    pub municipalities: Vec<MunicipalityProgress>,
}

/// A round sent to a municipality, as its workspace lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRound {
    pub round: Round,
    pub progress: Progress,
    pub answers: u64,
    /// Set when the network reminded the municipality: the workspace shows a notice.
    pub reminded_at: Option<time::OffsetDateTime>,
}

fn parse_date(field: &'static str, typed: &str) -> WorkspaceResult<Date> {
    Date::parse(typed.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
        WorkspaceError::invalid(
            field,
            "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-01.",
        )
    })
}

/// `<id>:<version>` as the questionnaire choice gives it.
pub(super) fn parse_questionnaire_ref(typed: &str) -> Option<QuestionnaireRef> {
    let (id, version) = typed.trim().split_once(':')?;
    Some(QuestionnaireRef {
        id: Slug::parse(id).ok()?,
        version: version.parse().ok()?,
    })
}

impl Workspace {
    /// Sends a questionnaire to chosen municipalities of the caller's network: one open
    /// round each and the send that groups them. Audit: `mapping_sent` for a mapping,
    /// `round_created` for a report (the municipality's `report_sent` is its own sending).
    pub async fn send_questionnaire(
        &self,
        caller: &Caller,
        form: &SendForm,
    ) -> WorkspaceResult<NetworkSend> {
        if let Err(refused) = network_only(caller) {
            self.record(
                caller,
                AuditAction::MappingSent,
                "utskick",
                AuditResult::Refused("inte ett nätverk".to_owned()),
            )
            .await?;
            return Err(refused);
        }
        let kind = match form.kind.trim() {
            "mapping" => RoundKind::Mapping,
            "report" => RoundKind::Report,
            _ => {
                return Err(WorkspaceError::invalid(
                    "kind",
                    "Välj om det är en kartläggning eller en rapport.",
                ));
            }
        };
        let choices = self.questionnaire_choices(caller).await?;
        let questionnaire = parse_questionnaire_ref(&form.questionnaire)
            .filter(|chosen| choices.iter().any(|c| &c.questionnaire == chosen))
            .ok_or_else(|| WorkspaceError::invalid("questionnaire", "Välj en enkät i listan."))?;
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_LENGTH {
            return Err(WorkspaceError::invalid(
                "name",
                format!("Skriv ett namn på högst {MAX_NAME_LENGTH} tecken."),
            ));
        }
        let start = parse_date("start", &form.start)?;
        let end = parse_date("end", &form.end)?;
        let period = Period::new(start, end).ok_or_else(|| {
            WorkspaceError::invalid("end", "Slutdatumet kan inte vara före startdatumet.")
        })?;
        let answer_limit = match (kind, form.answer_limit.trim()) {
            (RoundKind::Mapping, "") => DEFAULT_ANSWER_LIMIT,
            (RoundKind::Mapping, typed) => typed
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_ANSWER_LIMIT).contains(n))
                .ok_or_else(|| {
                    WorkspaceError::invalid(
                        "answer_limit",
                        format!("Skriv ett antal svar mellan 1 och {MAX_ANSWER_LIMIT}."),
                    )
                })?,
            _ => 0,
        };
        let members = self.members(caller).await?;
        let mut chosen: Vec<&Organisation> = Vec::new();
        for typed in &form.municipalities {
            let member = members
                .iter()
                .find(|m| m.id.as_str() == typed.trim())
                .ok_or_else(|| {
                    WorkspaceError::invalid("municipalities", "Välj kommuner i listan.")
                })?;
            if !chosen.contains(&member) {
                chosen.push(member);
            }
        }
        if chosen.is_empty() {
            return Err(WorkspaceError::invalid(
                "municipalities",
                "Välj minst en kommun.",
            ));
        }

        let now = Self::now();
        let mut rounds = Vec::with_capacity(chosen.len());
        for municipality in chosen {
            let round = Round {
                id: RoundId::random(),
                municipality: municipality.id.clone(),
                name: name.to_owned(),
                questionnaire: questionnaire.clone(),
                kind,
                status: RoundStatus::Open,
                period,
                unit: String::new(),
                sent_by: Some(caller.organisation.id.clone()),
                created_at: now,
            };
            self.store.create_round(&round).await?;
            rounds.push((round.municipality, round.id));
        }
        let send = NetworkSend {
            id: RoundId::random(),
            network: caller.organisation.id.clone(),
            kind,
            name: name.to_owned(),
            questionnaire,
            period,
            answer_limit,
            rounds,
            created_at: now,
        };
        self.store.put_send(&send).await?;
        let action = match kind {
            RoundKind::Mapping => AuditAction::MappingSent,
            _ => AuditAction::RoundCreated,
        };
        let object = format!("utskick {} till {} kommuner", send.id, send.rounds.len());
        self.record(caller, action, object, AuditResult::Done)
            .await?;
        Ok(send)
    }

    /// What the send form lists.
    pub async fn send_choices(&self, caller: &Caller) -> WorkspaceResult<SendChoices> {
        Ok(SendChoices {
            municipalities: self.members(caller).await?,
            questionnaires: self.questionnaire_choices(caller).await?,
        })
    }

    /// The municipalities of the caller's network, by name.
    pub async fn members(&self, caller: &Caller) -> WorkspaceResult<Vec<Organisation>> {
        network_only(caller)?;
        let mut members: Vec<Organisation> = self
            .store
            .organisations()
            .await?
            .into_iter()
            .filter(|o| {
                o.kind == OrganisationKind::Municipality
                    && o.network.as_ref() == Some(&caller.organisation.id)
            })
            .collect();
        members.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(members)
    }

    /// The caller's sends, newest first.
    pub async fn sends(&self, caller: &Caller) -> WorkspaceResult<Vec<NetworkSend>> {
        network_only(caller)?;
        Ok(self.store.sends(&caller.organisation.id).await?)
    }

    /// Every send of the caller's, newest first, each with its municipalities' progress:
    /// the API's list, in one call (the pages show one send at a time).
    pub async fn send_overviews(&self, caller: &Caller) -> WorkspaceResult<Vec<SendOverview>> {
        let sends = self.sends(caller).await?;
        let mut overviews = Vec::with_capacity(sends.len());
        for send in &sends {
            overviews.push(self.send_overview(caller, &send.id).await?);
        }
        Ok(overviews)
    }

    /// A send of the caller's with each municipality's progress.
    pub async fn send_overview(
        &self,
        caller: &Caller,
        send: &RoundId,
    ) -> WorkspaceResult<SendOverview> {
        // A municipality has no sends: not found, like another network's.
        let send = self
            .store
            .send(&caller.organisation.id, send)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        let mut municipalities = Vec::with_capacity(send.rounds.len());
        for (municipality, round) in &send.rounds {
            let round = self.visible_round(caller, round).await?;
            let organisation = self
                .store
                .organisation(municipality)
                .await?
                .unwrap_or_else(|| Organisation {
                    id: municipality.clone(),
                    name: municipality.to_string(),
                    kind: OrganisationKind::Municipality,
                    network: None,
                });
            let sent = self.sent_round(round).await?;
            municipalities.push(MunicipalityProgress {
                municipality: organisation,
                round: sent.round,
                progress: sent.progress,
                answers: sent.answers,
                reminded_at: sent.reminded_at,
            });
        }
        Ok(SendOverview {
            send,
            municipalities,
        })
    }

    async fn sent_round(&self, round: Round) -> WorkspaceResult<SentRound> {
        let (progress, answers) = match round.kind {
            RoundKind::Report => match self.store.report(&round.id).await? {
                None => (Progress::NotStarted, 0),
                Some(report) if report.status == ReportStatus::Sent => (Progress::Sent, 1),
                Some(_) => (Progress::InProgress, 0),
            },
            _ => {
                let answers = self.store.count_responses(&round.id).await?;
                let linked = self.store.mapping_link_of_round(&round.id).await?.is_some();
                let progress = match (answers, linked) {
                    (0, false) => Progress::NotStarted,
                    (0, true) => Progress::InProgress,
                    _ => Progress::Sent,
                };
                (progress, answers)
            }
        };
        let reminded_at = self.store.reminded_at(&round.id).await?;
        Ok(SentRound {
            round,
            progress,
            answers,
            reminded_at,
        })
    }

    /// The rounds networks sent to the calling municipality, newest first.
    pub async fn sent_rounds(&self, caller: &Caller) -> WorkspaceResult<Vec<SentRound>> {
        super::municipality_only(caller)?;
        let rounds = self
            .store
            .rounds_of_municipality(&caller.organisation.id)
            .await?;
        let mut sent = Vec::new();
        for round in rounds.into_iter().filter(|r| r.sent_by.is_some()) {
            sent.push(self.sent_round(round).await?);
        }
        Ok(sent)
    }

    /// A round sent to the calling municipality, with its progress.
    pub async fn sent_round_of(
        &self,
        caller: &Caller,
        round: &RoundId,
    ) -> WorkspaceResult<SentRound> {
        let round = self.visible_round(caller, round).await?;
        if round.sent_by.is_none() {
            return Err(WorkspaceError::NotFound);
        }
        super::municipality_only(caller)?;
        self.sent_round(round).await
    }

    /// Reminds a municipality of a round the caller sent: its workspace shows a notice.
    pub async fn remind_municipality(
        &self,
        caller: &Caller,
        round: &RoundId,
    ) -> WorkspaceResult<()> {
        let round = self.visible_round(caller, round).await?;
        network_only(caller)?;
        self.store.set_reminded(&round.id, Self::now()).await?;
        let object = format!(
            "påminnelse till {}, omgång {}",
            round.municipality, round.id
        );
        self.record(
            caller,
            AuditAction::RemindersMade,
            object,
            AuditResult::Done,
        )
        .await
    }
}
