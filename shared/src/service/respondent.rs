//! The respondent path as domain functions: open an invitation, show a page, take a
//! posted page (Back, Next or Send). Handlers call one of these and render the outcome.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use time::{Duration, OffsetDateTime};

use crate::domain::answers::{
    FieldError, resume_section, validate_all, validate_section, visible_sections,
};
use crate::domain::questionnaire::{MAX_TEXT_LENGTH, Questionnaire};
use crate::domain::*;
use crate::store::{SaveDraftOutcome, Store, StoreError, SubmitOutcome};

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
}

/// One page of a questionnaire as it should be shown.
#[derive(Debug, Clone)]
pub struct PageState {
    pub questionnaire: Arc<Questionnaire>,
    /// Who is asking: named, with a contact and a privacy notice, on every page.
    pub municipality: Arc<Municipality>,
    /// Index into `questionnaire.sections`.
    pub section: usize,
    /// 1-based place among the pages shown to this respondent ("Del 2 av 4").
    pub position: usize,
    pub total: usize,
    /// Answers as typed, for filling in the fields.
    pub answers: RawAnswers,
    pub errors: Vec<FieldError>,
    pub form_problems: Vec<FormProblem>,
}

impl PageState {
    pub fn is_first(&self) -> bool {
        self.position == 1
    }

    pub fn is_last(&self) -> bool {
        self.position == self.total
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || !self.form_problems.is_empty()
    }
}

/// What the respondent should see next.
#[derive(Debug)]
pub enum Outcome {
    /// Show a page (with errors: status 422).
    Page(Box<PageState>),
    /// The page was saved: go to page `position` (1-based) with a fresh GET.
    Redirect {
        position: usize,
    },
    Thanks {
        questionnaire: Arc<Questionnaire>,
        municipality: Arc<Municipality>,
    },
    AlreadyAnswered,
    NotFound,
}

/// An invitation that can be answered, with its questionnaire and saved answers.
struct Open {
    credential_hash: CredentialHash,
    invitation: Invitation,
    questionnaire: Arc<Questionnaire>,
    municipality: Arc<Municipality>,
    answers: RawAnswers,
}

enum Opened {
    Ready(Open),
    Done(Outcome),
}

/// The button the respondent pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAction {
    Back,
    Next,
    Send,
}

/// Something in the body that is wrong as such, before any question is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormProblem {
    /// Bytes that are not UTF-8; they were replaced so the rest can be shown again.
    InvalidUtf8,
    /// More fields than any page has.
    TooManyFields,
    /// A field name that is not a question on this page.
    UnknownField(String),
    /// The page number is missing or not a number.
    BadSection,
    /// No known button was pressed.
    BadAction,
}

/// A posted page, as the service takes it: the controls and the answers as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct PagePost {
    /// Section index as sent; checked against the questionnaire by the caller.
    pub section: Option<usize>,
    pub action: Option<PageAction>,
    pub answers: RawAnswers,
    pub problems: Vec<FormProblem>,
}

pub struct SurveyService {
    store: Arc<dyn Store>,
    hash_key: HashKey,
    /// Published versions never change, so they are cached for the container's life.
    questionnaires: RwLock<HashMap<QuestionnaireRef, Arc<Questionnaire>>>,
    /// A municipality's texts may be edited, so they are kept for [`MUNICIPALITY_CACHE_TIME`].
    municipalities: RwLock<HashMap<MunicipalityId, (Instant, Arc<Municipality>)>>,
}

/// How long a municipality's name, contact and privacy notice are reused before they are
/// read again: an edit shows within this time, and a busy round costs no extra read per page.
const MUNICIPALITY_CACHE_TIME: std::time::Duration = std::time::Duration::from_secs(60);

impl SurveyService {
    pub fn new(store: Arc<dyn Store>, hash_key: HashKey) -> Self {
        Self {
            store,
            hash_key,
            questionnaires: RwLock::new(HashMap::new()),
            municipalities: RwLock::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn hash_key(&self) -> &HashKey {
        &self.hash_key
    }

    /// Whether a typed short code opens an invitation (answered or not): the code page
    /// then sends the respondent on, and otherwise says the code is unknown.
    pub async fn code_exists(&self, code: &Credential) -> Result<bool, SurveyError> {
        let found = self
            .store
            .invitation_by_credential(&code.hash(&self.hash_key))
            .await?;
        Ok(found.is_some_and(|invitation| invitation.expires_at > OffsetDateTime::now_utc()))
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

    async fn open(&self, path_segment: &str, now: OffsetDateTime) -> Result<Opened, SurveyError> {
        let Some(credential) = Credential::from_path(path_segment) else {
            return Ok(Opened::Done(Outcome::NotFound));
        };
        let credential_hash = credential.hash(&self.hash_key);
        let found = self
            .store
            .invitation_by_credential(&credential_hash)
            .await?;
        let Some(invitation) = found.filter(|i| i.expires_at > now) else {
            return Ok(Opened::Done(Outcome::NotFound));
        };
        if invitation.status == InvitationStatus::Answered {
            return Ok(Opened::Done(Outcome::AlreadyAnswered));
        }
        let questionnaire = self.questionnaire(&invitation.questionnaire).await?;
        let municipality = self.municipality(&invitation.municipality).await?;
        let answers = self
            .store
            .draft(&invitation.id, now)
            .await?
            .map(|d| d.answers)
            .unwrap_or_default();
        Ok(Opened::Ready(Open {
            credential_hash,
            invitation,
            questionnaire,
            municipality,
            answers,
        }))
    }

    /// `GET /s/{token}?del=N`: page N (1-based among the shown pages), or where the
    /// respondent left off.
    pub async fn show_page(
        &self,
        path_segment: &str,
        position: Option<usize>,
        now: OffsetDateTime,
    ) -> Result<Outcome, SurveyError> {
        let open = match self.open(path_segment, now).await? {
            Opened::Ready(open) => open,
            Opened::Done(outcome) => return Ok(outcome),
        };
        let visible = visible_sections(&open.questionnaire, &open.answers);
        let section = position
            .and_then(|p| p.checked_sub(1))
            .and_then(|i| visible.get(i).copied())
            .unwrap_or_else(|| resume_section(&open.questionnaire, &open.answers));
        Ok(page(
            open.questionnaire,
            open.municipality,
            section,
            open.answers,
            Vec::new(),
            Vec::new(),
        ))
    }

    /// `POST /s/{token}`: saves the page and moves Back or Next, or sends the response.
    pub async fn post_page(
        &self,
        path_segment: &str,
        form: PagePost,
        now: OffsetDateTime,
    ) -> Result<Outcome, SurveyError> {
        let Open {
            credential_hash,
            invitation,
            questionnaire,
            municipality,
            mut answers,
        } = match self.open(path_segment, now).await? {
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
            return Ok(page(
                questionnaire,
                municipality,
                resume,
                answers,
                Vec::new(),
                problems,
            ));
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
        for question in &section.questions {
            let mut values = form
                .answers
                .get(question.id.as_str())
                .cloned()
                .unwrap_or_default();
            // Bounded so a draft stays small whatever is posted; validation reports the length.
            values.truncate(question.choice_codes().len() + 2);
            for value in &mut values {
                if value.len() > 4 * MAX_TEXT_LENGTH as usize {
                    *value = value.chars().take(MAX_TEXT_LENGTH as usize + 1).collect();
                }
            }
            answers.insert(question.id.to_string(), values);
        }

        if !problems.is_empty() {
            // The form itself is suspect: show it again as typed, save nothing.
            let errors = validate_section(&questionnaire, section, &answers)
                .err()
                .unwrap_or_default();
            return Ok(page(
                questionnaire,
                municipality,
                index,
                answers,
                errors,
                problems,
            ));
        }
        let Some(action) = form.action else {
            return Ok(page(
                questionnaire,
                municipality,
                index,
                answers,
                Vec::new(),
                vec![FormProblem::BadAction],
            ));
        };

        let visible = visible_sections(&questionnaire, &answers);
        let place = visible.iter().position(|s| *s == index).unwrap_or(0);
        match action {
            PageAction::Back => {
                if !self.save_draft(&invitation, &answers, now).await? {
                    return Ok(Outcome::AlreadyAnswered);
                }
                Ok(Outcome::Redirect {
                    position: place.max(1),
                })
            }
            PageAction::Next => {
                let result = validate_section(&questionnaire, section, &answers);
                if !self.save_draft(&invitation, &answers, now).await? {
                    return Ok(Outcome::AlreadyAnswered);
                }
                match result {
                    Err(errors) => Ok(page(
                        questionnaire,
                        municipality,
                        index,
                        answers,
                        errors,
                        Vec::new(),
                    )),
                    Ok(_) => Ok(Outcome::Redirect {
                        position: (place + 2).min(visible.len()),
                    }),
                }
            }
            PageAction::Send => {
                if let Err(errors) = validate_section(&questionnaire, section, &answers) {
                    if !self.save_draft(&invitation, &answers, now).await? {
                        return Ok(Outcome::AlreadyAnswered);
                    }
                    return Ok(page(
                        questionnaire,
                        municipality,
                        index,
                        answers,
                        errors,
                        Vec::new(),
                    ));
                }
                match validate_all(&questionnaire, &answers) {
                    Err((first, errors)) => {
                        // A concurrent send may have just stored the response and deleted the
                        // draft this request read; then the truthful answer is "already answered".
                        let current = self
                            .store
                            .invitation_by_credential(&credential_hash)
                            .await?;
                        if current.is_none_or(|i| i.status == InvitationStatus::Answered) {
                            return Ok(Outcome::AlreadyAnswered);
                        }
                        if !self.save_draft(&invitation, &answers, now).await? {
                            return Ok(Outcome::AlreadyAnswered);
                        }
                        Ok(page(
                            questionnaire,
                            municipality,
                            first,
                            answers,
                            errors,
                            Vec::new(),
                        ))
                    }
                    Ok(valid) => {
                        let response = Response {
                            id: ResponseId::random(),
                            round: invitation.round.clone(),
                            municipality: invitation.municipality.clone(),
                            questionnaire: invitation.questionnaire.clone(),
                            submitted_on: now.date(),
                            answers: valid,
                        };
                        match self
                            .store
                            .submit_response(&invitation.id, &response)
                            .await?
                        {
                            SubmitOutcome::Stored => Ok(Outcome::Thanks {
                                questionnaire,
                                municipality,
                            }),
                            SubmitOutcome::AlreadyAnswered => Ok(Outcome::AlreadyAnswered),
                        }
                    }
                }
            }
        }
    }

    /// Saves the answers so far; false when the invitation is no longer open (a response
    /// was sent meanwhile, e.g. from another tab), and nothing was saved.
    async fn save_draft(
        &self,
        invitation: &Invitation,
        answers: &RawAnswers,
        now: OffsetDateTime,
    ) -> Result<bool, SurveyError> {
        let draft = Draft {
            answers: answers.clone(),
            expires_at: (now + DRAFT_LIFETIME).min(invitation.expires_at),
        };
        let outcome = self.store.save_draft(&invitation.id, &draft).await?;
        Ok(outcome == SaveDraftOutcome::Saved)
    }
}

fn page(
    questionnaire: Arc<Questionnaire>,
    municipality: Arc<Municipality>,
    section: usize,
    answers: RawAnswers,
    errors: Vec<FieldError>,
    form_problems: Vec<FormProblem>,
) -> Outcome {
    let visible = visible_sections(&questionnaire, &answers);
    let position = visible
        .iter()
        .position(|s| *s == section)
        .map_or(1, |p| p + 1);
    Outcome::Page(Box::new(PageState {
        total: visible.len().max(position),
        questionnaire,
        municipality,
        section,
        position,
        answers,
        errors,
        form_problems,
    }))
}
