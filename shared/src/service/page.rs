//! What the respondent path gives back: the posted page as the service takes it, the page
//! to show with its progress, and the outcomes a handler renders.

use std::sync::Arc;

use crate::domain::answers::{FieldError, visible_sections};
use crate::domain::questionnaire::Questionnaire;
use crate::domain::*;
use crate::store::StoreError;
use crate::telemetry::error_chain;

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
    /// The pages shown for the answers so far.
    pub total: usize,
    /// Whether `total` can no longer change: every page's condition refers to a question
    /// already answered. Until then the page shows "Del 2" alone, so the total never
    /// jumps when a conditional page appears (README, Choices).
    pub total_is_final: bool,
    /// Answers as typed, for filling in the fields.
    pub answers: RawAnswers,
    pub errors: Vec<FieldError>,
    pub form_problems: Vec<FormProblem>,
    /// The button whose post could not be stored: the page is shown again as typed and
    /// asks the respondent to press it again.
    pub not_saved: Option<PageAction>,
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
    /// Show a page (with errors: status 422; not saved: 503).
    Page(Box<PageState>),
    /// The page was saved: go to page `position` (1-based) with a fresh GET.
    Redirect {
        position: usize,
    },
    /// The response was stored just now: go to the thanks page with a fresh GET, so a
    /// reload never posts again.
    Sent,
    /// The invitation is answered: the thanks page, whether after Send, on a reload, on
    /// Back or from a second tab.
    Answered {
        questionnaire: Arc<Questionnaire>,
        municipality: Arc<Municipality>,
    },
    /// The round has not started (it is planned): nothing is shown or saved. `starts_on`
    /// is the first day of its period, if that is still to come.
    NotStarted {
        questionnaire: Arc<Questionnaire>,
        municipality: Arc<Municipality>,
        starts_on: Option<time::Date>,
    },
    /// The round is closed: nothing is shown or saved.
    Ended {
        questionnaire: Arc<Questionnaire>,
        municipality: Arc<Municipality>,
    },
    NotFound,
    /// This client has failed to open too many links or codes lately.
    TooManyAttempts,
}

/// What a short code typed at `/kod` leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeLookup {
    /// It opens an invitation (answered or not): go to it.
    Found(Credential),
    /// Not a code at all: not looked up, not counted.
    Malformed,
    /// Well formed, but no open invitation has it.
    Unknown,
    TooManyAttempts,
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

/// What a page is made of, before its place and progress are worked out.
pub(super) struct PageParts {
    pub(super) questionnaire: Arc<Questionnaire>,
    pub(super) municipality: Arc<Municipality>,
    pub(super) section: usize,
    pub(super) answers: RawAnswers,
    pub(super) errors: Vec<FieldError>,
    pub(super) form_problems: Vec<FormProblem>,
}

impl PageParts {
    pub(super) fn answered(self) -> Outcome {
        Outcome::Answered {
            questionnaire: self.questionnaire,
            municipality: self.municipality,
        }
    }
}

/// The page again, as typed, saying that pressing `action` did not go through.
pub(super) fn not_saved(parts: PageParts, action: PageAction, error: &StoreError) -> Outcome {
    tracing::error!(error = %error_chain(error), ?action, "a posted page could not be stored");
    let mut outcome = page(parts);
    if let Outcome::Page(state) = &mut outcome {
        state.not_saved = Some(action);
    }
    outcome
}

pub(super) fn page(parts: PageParts) -> Outcome {
    let PageParts {
        questionnaire,
        municipality,
        section,
        answers,
        errors,
        form_problems,
    } = parts;
    let visible = visible_sections(&questionnaire, &answers);
    let position = visible
        .iter()
        .position(|s| *s == section)
        .map_or(1, |p| p + 1);
    let total_is_final = questionnaire
        .sections
        .iter()
        .filter_map(|s| s.show_if.as_ref())
        .all(|condition| answers.contains_key(condition.question.as_str()));
    Outcome::Page(Box::new(PageState {
        total: visible.len().max(position),
        total_is_final,
        questionnaire,
        municipality,
        section,
        position,
        answers,
        errors,
        form_problems,
        not_saved: None,
    }))
}
