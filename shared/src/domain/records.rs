//! Domain records: municipalities, rounds, invitations, drafts and responses.
//!
//! Anonymity by design: a response holds no token, invitation id, IP address or user
//! agent, and its time only to the day. Credentials are stored only as keyed hashes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::credential::CredentialHash;
use super::ids::*;
use super::questionnaire::{OptionCode, QuestionId, QuestionnaireId, Slug};
use super::text::Localized;
use super::workspace::{OrganisationId, Period, RoundKind, RoundStatus};

/// A municipality's short id, e.g. `kungalv`.
pub type MunicipalityId = Slug;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Municipality {
    pub id: MunicipalityId,
    pub name: String,
    /// Whom a respondent can ask about the survey (a unit, a phone number, an e-mail
    /// address), shown on every respondent page.
    pub contact: Localized,
    /// The short privacy notice on every respondent page: who is responsible, what is
    /// stored, that answers are anonymous, how long anything is kept.
    pub privacy_notice: Localized,
}

/// Which questionnaire version a round uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuestionnaireRef {
    pub id: QuestionnaireId,
    pub version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub id: RoundId,
    /// The municipality that runs the round and owns its answers (for a mapping or report
    /// round: the municipality it was sent to).
    pub municipality: MunicipalityId,
    pub name: String,
    pub questionnaire: QuestionnaireRef,
    pub kind: RoundKind,
    pub status: RoundStatus,
    pub period: Period,
    /// The unit or form of care the round covers, e.g. "Hemsjukvård"; may be empty.
    pub unit: String,
    /// The network that sent a mapping or report round; `None` for a municipality's own.
    pub sent_by: Option<OrganisationId>,
    /// To the second.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Round {
    /// A new open patient round over the calendar year of `now`: what the demo and tests
    /// start from (the workspace sets every field itself).
    pub fn open_patient_round(
        municipality: MunicipalityId,
        name: impl Into<String>,
        questionnaire: QuestionnaireRef,
        now: OffsetDateTime,
    ) -> Self {
        let year = now.year();
        let day = |month, day| Date::from_calendar_date(year, month, day).expect("a valid day");
        Self {
            id: RoundId::random(),
            municipality,
            name: name.into(),
            questionnaire,
            kind: RoundKind::Patient,
            status: RoundStatus::Open,
            period: Period::new(day(time::Month::January, 1), day(time::Month::December, 31))
                .expect("January comes before December"),
            unit: String::new(),
            sent_by: None,
            created_at: now.replace_nanosecond(0).expect("0 is a valid nanosecond"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Open,
    Answered,
}

/// An invitation as the respondent path sees it. Round data is copied in at creation
/// so opening a link is one lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub round: RoundId,
    pub municipality: MunicipalityId,
    pub questionnaire: QuestionnaireRef,
    pub status: InvitationStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// What the store keeps to create an invitation: the invitation and the hashes of
/// its two credentials (never the credentials themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub invitation: Invitation,
    /// The invitation's running number in its round, from 1: what CSV rows and letters
    /// are numbered by, and what reminders are made by. Never stored with a response.
    pub number: u32,
    pub link_hash: CredentialHash,
    pub code_hash: CredentialHash,
}

/// Answers as typed, question id to the submitted values, kept between pages
/// and across visits until the response is sent.
pub type RawAnswers = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub answers: RawAnswers,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// One validated answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Choice(OptionCode),
    Choices(Vec<OptionCode>),
    Text(String),
    Number(f64),
    YesNo(bool),
    /// `YYYY-MM`.
    Month(String),
    /// "Vet ej", coded apart from any scale value.
    DontKnow,
    /// "Ej aktuellt", coded apart from any scale value.
    NotApplicable,
}

pub type Answers = BTreeMap<QuestionId, Answer>;

/// A response to store. Deliberately without invitation, token, time of day or client data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: ResponseId,
    pub round: RoundId,
    pub municipality: MunicipalityId,
    pub questionnaire: QuestionnaireRef,
    pub submitted_on: Date,
    pub answers: Answers,
}
