//! The respondent path as domain functions: open an invitation, show a page, take a
//! posted page (Back, Next or Send). Handlers call one of these and render the outcome.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use time::{Duration, OffsetDateTime};

use crate::domain::answers::{
    resume_section, section_saved, validate_all, validate_section, visible_sections,
};
use crate::domain::questionnaire::{MAX_TEXT_LENGTH, Question, QuestionKind, Questionnaire};
use crate::domain::swedish_time::day_in_sweden;
use crate::domain::*;
use crate::service::export_rows::ExportRows;
use crate::service::guessing;
pub use crate::service::page::{CodeLookup, FormProblem, Outcome, PageAction, PagePost, PageState};
use crate::service::page::{PageParts, not_saved, page};
use crate::store::{RespondentStore, SaveDraftOutcome, StoreError, SubmitOutcome};

#[path = "mapping_link.rs"]
mod mapping_link;
pub use mapping_link::MappingVisit;

/// How long a half-answered questionnaire is kept after the last page was saved.
pub const DRAFT_LIFETIME: Duration = Duration::days(30);

/// Longest field name echoed back in an "unknown field" message.
const MAX_ECHOED_NAME: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An invitation names a questionnaire version that is not in the store.
    #[error("questionnaire {0} version {1} is missing")]
    QuestionnaireMissing(String, u32),
    /// An invitation names a municipality that is not in the store.
    #[error("municipality {0} is missing")]
    MunicipalityMissing(String),
    /// An invitation names a round that is not in the store.
    #[error("round {0} is missing")]
    RoundMissing(String),
}

/// An invitation that can be answered, with its questionnaire and saved answers.
struct Open {
    invitation: Invitation,
    questionnaire: Arc<Questionnaire>,
    municipality: Arc<Municipality>,
    answers: RawAnswers,
}

enum Opened {
    Ready(Open),
    Done(Outcome),
}

pub struct SurveyService {
    store: Arc<dyn RespondentStore>,
    hash_key: HashKey,
    /// Published versions never change, so they are cached for the container's life.
    questionnaires: RwLock<HashMap<QuestionnaireRef, Arc<Questionnaire>>>,
    /// A municipality's texts may be edited, so they are kept for [`MUNICIPALITY_CACHE_TIME`].
    municipalities: RwLock<HashMap<MunicipalityId, (Instant, Arc<Municipality>)>>,
    export_rows: ExportRows,
}

/// How long a municipality's name, contact and privacy notice are reused before they are
/// read again: an edit shows within this time, and a busy round costs no extra read per page.
const MUNICIPALITY_CACHE_TIME: std::time::Duration = std::time::Duration::from_secs(60);

impl SurveyService {
    pub fn new(store: Arc<dyn RespondentStore>, hash_key: HashKey) -> Self {
        Self {
            store,
            hash_key,
            questionnaires: RwLock::new(HashMap::new()),
            municipalities: RwLock::new(HashMap::new()),
            export_rows: ExportRows::default(),
        }
    }

    async fn questionnaire(
        &self,
        reference: &QuestionnaireRef,
    ) -> Result<Arc<Questionnaire>, SurveyError> {
        if let Some(found) = self
            .questionnaires
            .read()
            .ok()
            .and_then(|cache| cache.get(reference).cloned())
        {
            return Ok(found);
        }
        let loaded = self
            .store
            .questionnaire(&reference.id, reference.version)
            .await?
            .ok_or_else(|| {
                SurveyError::QuestionnaireMissing(reference.id.to_string(), reference.version)
            })?;
        let loaded = Arc::new(loaded);
        if let Ok(mut cache) = self.questionnaires.write() {
            cache.insert(reference.clone(), Arc::clone(&loaded));
        }
        Ok(loaded)
    }

    async fn municipality(&self, id: &MunicipalityId) -> Result<Arc<Municipality>, SurveyError> {
        let cached = self
            .municipalities
            .read()
            .ok()
            .and_then(|cache| cache.get(id).cloned());
        if let Some((read_at, found)) = cached
            && read_at.elapsed() < MUNICIPALITY_CACHE_TIME
        {
            return Ok(found);
        }
        let loaded = Arc::new(
            self.store
                .municipality(id)
                .await?
                .ok_or_else(|| SurveyError::MunicipalityMissing(id.to_string()))?,
        );
        if let Ok(mut cache) = self.municipalities.write() {
            cache.insert(id.clone(), (Instant::now(), Arc::clone(&loaded)));
        }
        Ok(loaded)
    }

    /// The client a request comes from, for the guessing limit. Without a source address
    /// (only a request that did not come through a connection or API Gateway, as in router
    /// tests) every such request counts as one client, so the limit still holds.
    pub fn client(&self, address: Option<IpAddr>) -> ClientKey {
        ClientKey::from_address(
            &self.hash_key,
            address.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        )
    }

    /// Whether `client` may try links and codes now (`GET /kod`).
    pub async fn may_try_credentials(
        &self,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> Result<bool, SurveyError> {
        Ok(!guessing::is_blocked(&*self.store, client, now).await?)
    }

    /// `POST /kod`: whether a typed short code opens an invitation (answered or not).
    /// Failed look-ups count towards the client's guessing limit.
    pub async fn look_up_code(
        &self,
        typed: Option<&str>,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> Result<CodeLookup, SurveyError> {
        if guessing::is_blocked(&*self.store, client, now).await? {
            return Ok(CodeLookup::TooManyAttempts);
        }
        let Some(code) = typed.and_then(Credential::from_typed_code) else {
            return Ok(CodeLookup::Malformed);
        };
        let found = self
            .store
            .invitation_by_credential(&code.hash(&self.hash_key))
            .await?;
        if found.is_some_and(|invitation| invitation.expires_at > now) {
            return Ok(CodeLookup::Found(code));
        }
        guessing::record_failure(&*self.store, client, now).await?;
        Ok(CodeLookup::Unknown)
    }

    async fn open(
        &self,
        path_segment: &str,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> Result<Opened, SurveyError> {
        if guessing::is_blocked(&*self.store, client, now).await? {
            return Ok(Opened::Done(Outcome::TooManyAttempts));
        }
        let Some(credential) = Credential::from_path(path_segment) else {
            return Ok(Opened::Done(Outcome::NotFound));
        };
        let found = self
            .store
            .invitation_by_credential(&credential.hash(&self.hash_key))
            .await?;
        let Some(invitation) = found.filter(|i| i.expires_at > now) else {
            guessing::record_failure(&*self.store, client, now).await?;
            return Ok(Opened::Done(Outcome::NotFound));
        };
        // The round's status is read on every open (not cached): closing a round stops
        // answers at once. The read runs beside the (mostly cached) others.
        let (round, questionnaire, municipality) = tokio::join!(
            self.store.round(&invitation.round),
            self.questionnaire(&invitation.questionnaire),
            self.municipality(&invitation.municipality),
        );
        let (questionnaire, municipality) = (questionnaire?, municipality?);
        if invitation.status == InvitationStatus::Answered {
            // Whoever answered is thanked, whatever became of the round since.
            return Ok(Opened::Done(Outcome::Answered {
                questionnaire,
                municipality,
            }));
        }
        let round =
            round?.ok_or_else(|| SurveyError::RoundMissing(invitation.round.to_string()))?;
        match round.status {
            RoundStatus::Open => {}
            RoundStatus::Planned => {
                let starts = round.period.start();
                return Ok(Opened::Done(Outcome::NotStarted {
                    questionnaire,
                    municipality,
                    starts_on: (starts > day_in_sweden(now)).then_some(starts),
                }));
            }
            RoundStatus::Closed => {
                return Ok(Opened::Done(Outcome::Ended {
                    questionnaire,
                    municipality,
                }));
            }
        }
        let answers = self
            .store
            .draft(&invitation.id, now)
            .await?
            .map(|d| d.answers)
            .unwrap_or_default();
        Ok(Opened::Ready(Open {
            invitation,
            questionnaire,
            municipality,
            answers,
        }))
    }

    /// `GET /s/{token}?del=N`: page N (1-based among the shown pages), or where the
    /// respondent left off; the thanks page once the invitation is answered.
    pub async fn show_page(
        &self,
        path_segment: &str,
        position: Option<usize>,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> Result<Outcome, SurveyError> {
        let open = match self.open(path_segment, client, now).await? {
            Opened::Ready(open) => open,
            Opened::Done(outcome) => return Ok(outcome),
        };
        let visible = visible_sections(&open.questionnaire, &open.answers);
        let asked_for = position
            .and_then(|p| p.checked_sub(1))
            .and_then(|i| visible.get(i).copied());
        let (section, errors) = match asked_for {
            Some(section) => (section, Vec::new()),
            None => {
                // Resumed at a page saved with a problem: its problems are shown, so the
                // patient sees what to mend without pressing Next first.
                let section = resume_section(&open.questionnaire, &open.answers);
                let saved_page = &open.questionnaire.sections[section];
                let errors = if section_saved(saved_page, &open.answers) {
                    validate_section(&open.questionnaire, saved_page, &open.answers)
                        .err()
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                (section, errors)
            }
        };
        Ok(page(PageParts {
            questionnaire: open.questionnaire,
            municipality: open.municipality,
            section,
            answers: open.answers,
            errors,
            form_problems: Vec::new(),
        }))
    }

    /// `POST /s/{token}`: saves the page and moves Back or Next, or saves it and sends the
    /// response. A page that cannot be stored is shown again as typed (`not_saved`), so
    /// nothing typed is lost to a storage fault.
    pub async fn post_page(
        &self,
        path_segment: &str,
        form: PagePost,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> Result<Outcome, SurveyError> {
        let Open {
            invitation,
            questionnaire,
            municipality,
            mut answers,
        } = match self.open(path_segment, client, now).await? {
            Opened::Ready(open) => open,
            Opened::Done(outcome) => return Ok(outcome),
        };
        let visible = visible_sections(&questionnaire, &answers);
        let Some(index) = form.section.filter(|s| visible.contains(s)) else {
            // A page number that is not one of this respondent's pages: show where they are.
            let resume = resume_section(&questionnaire, &answers);
            let mut problems = form.problems;
            if !problems.contains(&FormProblem::BadSection) {
                problems.push(FormProblem::BadSection);
            }
            return Ok(page(PageParts {
                questionnaire,
                municipality,
                section: resume,
                answers,
                errors: Vec::new(),
                form_problems: problems,
            }));
        };

        let section = &questionnaire.sections[index];
        let mut problems = form.problems;
        for name in form.answers.keys() {
            if !section.questions.iter().any(|q| q.id.as_str() == name) {
                problems.push(FormProblem::UnknownField(
                    name.chars().take(MAX_ECHOED_NAME).collect(),
                ));
            }
        }
        let mut over_long = false;
        for question in &section.questions {
            let mut values = form
                .answers
                .get(question.id.as_str())
                .cloned()
                .unwrap_or_default();
            // More values than a question has options is never a real answer; the count
            // is bounded so a draft stays small (validation still reports the excess).
            values.truncate(question.choice_codes().len() + 2);
            over_long |= values.iter().any(|v| is_over_long(question, v));
            answers.insert(question.id.to_string(), values);
        }

        let Some(action) = form.action.filter(|_| problems.is_empty() && !over_long) else {
            // The form itself is suspect, or text is longer than allowed: show it again as
            // typed with its real length in the message, and store nothing (a draft holds
            // only what fits).
            if form.action.is_none() && !problems.contains(&FormProblem::BadAction) {
                problems.push(FormProblem::BadAction);
            }
            let errors = validate_section(&questionnaire, section, &answers)
                .err()
                .unwrap_or_default();
            return Ok(page(PageParts {
                questionnaire,
                municipality,
                section: index,
                answers,
                errors,
                form_problems: problems,
            }));
        };

        // Back saves as typed; Next and Send validate the page and save it either way, so
        // the last page is in the draft before a response is sent.
        let section_errors = match action {
            PageAction::Back => Vec::new(),
            PageAction::Next | PageAction::Send => {
                validate_section(&questionnaire, section, &answers)
                    .err()
                    .unwrap_or_default()
            }
        };
        let mut parts = PageParts {
            questionnaire,
            municipality,
            section: index,
            answers,
            errors: section_errors,
            form_problems: Vec::new(),
        };
        match self.save_draft(&invitation, &parts.answers, now).await {
            Ok(SaveDraftOutcome::Saved) => {}
            Ok(SaveDraftOutcome::NotOpen) => return Ok(parts.answered()),
            Err(error) => return Ok(not_saved(parts, action, &error)),
        }

        let visible = visible_sections(&parts.questionnaire, &parts.answers);
        let place = visible.iter().position(|s| *s == index).unwrap_or(0);
        match action {
            PageAction::Back => Ok(Outcome::Redirect {
                position: place.max(1),
            }),
            PageAction::Next if parts.errors.is_empty() => Ok(Outcome::Redirect {
                position: (place + 2).min(visible.len()),
            }),
            PageAction::Next => Ok(page(parts)),
            PageAction::Send if !parts.errors.is_empty() => Ok(page(parts)),
            PageAction::Send => match validate_all(&parts.questionnaire, &parts.answers) {
                Err((first, errors)) => {
                    parts.section = first;
                    parts.errors = errors;
                    Ok(page(parts))
                }
                Ok(valid) => {
                    let response = Response {
                        id: ResponseId::random(),
                        round: invitation.round.clone(),
                        municipality: invitation.municipality.clone(),
                        questionnaire: invitation.questionnaire.clone(),
                        submitted_on: day_in_sweden(now),
                        answers: valid,
                    };
                    let export_row = if self.store.keeps_export_rows() {
                        self.export_rows.make(&parts.questionnaire, &response)
                    } else {
                        None
                    };
                    let stored = self
                        .store
                        .submit_response(&invitation.id, &response, export_row.as_ref())
                        .await;
                    match stored {
                        Ok(SubmitOutcome::Stored) => Ok(Outcome::Sent),
                        Ok(SubmitOutcome::AlreadyAnswered) => Ok(parts.answered()),
                        Err(error) => Ok(not_saved(parts, action, &error)),
                    }
                }
            },
        }
    }

    /// Saves the answers so far; `NotOpen` when the invitation is no longer open (a
    /// response was sent meanwhile, e.g. from another tab), and nothing was saved.
    async fn save_draft(
        &self,
        invitation: &Invitation,
        answers: &RawAnswers,
        now: OffsetDateTime,
    ) -> Result<SaveDraftOutcome, StoreError> {
        let draft = Draft {
            answers: answers.clone(),
            expires_at: (now + DRAFT_LIFETIME).min(invitation.expires_at),
        };
        self.store.save_draft(&invitation.id, &draft).await
    }
}

/// Whether a value is longer than its question can ever accept: a text over its maximum
/// length, anything else over the longest text any question may allow. Such a page is
/// refused whole rather than cut, so the message can give the real length.
fn is_over_long(question: &Question, value: &str) -> bool {
    let limit = match question.kind {
        QuestionKind::Text { max_length, .. } => max_length,
        _ => MAX_TEXT_LENGTH,
    };
    // Bytes first: a value within the limit in bytes is within it in characters.
    value.len() > limit as usize && value.chars().count() > limit as usize
}
