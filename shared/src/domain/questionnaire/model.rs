//! The validated questionnaire model. Values of these types are only built by
//! [`super::file::parse_definition`], which checks every rule, so the rest of the
//! service can rely on them (ids unique, conditions pointing backwards, scales labelled).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::text::Localized;

/// A short machine name: lowercase ASCII letters, digits and `_`, 1 to 40 characters,
/// starting with a letter or digit (scale codes are `1` to `5`). Used for questionnaire, section and question ids and option codes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str) -> Result<Self, String> {
        let valid_chars = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let starts_ok = value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if value.is_empty() || value.len() > 40 || !valid_chars || !starts_ok {
            return Err(format!(
                "'{value}' is not a valid id: use 1 to 40 of a-z, 0-9 and _, starting with a letter or digit"
            ));
        }
        Ok(Slug(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Slug::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type QuestionnaireId = Slug;
pub type QuestionId = Slug;
pub type SectionId = Slug;
pub type OptionCode = Slug;

/// One published version of a questionnaire. A published version never changes;
/// a changed text or question gets a new version number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub id: QuestionnaireId,
    pub version: u32,
    pub title: Localized,
    pub intro: Option<Localized>,
    pub sections: Vec<Section>,
    pub checks: Vec<ConsistencyCheck>,
}

/// A page of the questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub id: SectionId,
    pub title: Localized,
    pub intro: Option<Localized>,
    pub show_if: Option<Condition>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: QuestionId,
    pub text: Localized,
    pub help: Option<Localized>,
    pub required: bool,
    /// Offers a "Vet ej" (don't know) answer, coded apart from the scale.
    pub dont_know: bool,
    /// Offers an "Ej aktuellt" (not applicable) answer, coded apart from the scale.
    pub not_applicable: bool,
    pub show_if: Option<Condition>,
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice {
        options: Vec<ChoiceOption>,
    },
    MultipleChoice {
        options: Vec<ChoiceOption>,
        max_choices: Option<u32>,
    },
    Text {
        max_length: u32,
        multiline: bool,
    },
    Number {
        /// 0 for whole numbers.
        decimals: u32,
        min: Option<f64>,
        max: Option<f64>,
        unit: Option<Localized>,
    },
    YesNo,
    /// A calendar month, `YYYY-MM`.
    Month,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub code: OptionCode,
    pub label: Localized,
}

/// Show a question or section only if an earlier answer is one of the given codes.
/// Evaluated on the server from the answers stored so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub question: QuestionId,
    pub any_of: Vec<OptionCode>,
}

/// A rule across several answers, checked when the whole questionnaire is submitted
/// and on the page that holds its questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsistencyCheck {
    /// Each part, and the sum of the parts, must not exceed the whole.
    PartsWithinWhole {
        whole: QuestionId,
        parts: Vec<QuestionId>,
    },
}

/// Answer codes for yes/no questions.
pub const YES: &str = "ja";
pub const NO: &str = "nej";

impl Questionnaire {
    pub fn questions(&self) -> impl Iterator<Item = (usize, &Question)> {
        self.sections
            .iter()
            .enumerate()
            .flat_map(|(index, section)| section.questions.iter().map(move |q| (index, q)))
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions()
            .map(|(_, q)| q)
            .find(|q| q.id.as_str() == id)
    }
}

impl Question {
    /// The codes a choice or yes/no question accepts, in display order.
    pub fn choice_codes(&self) -> Vec<&str> {
        match &self.kind {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => {
                options.iter().map(|o| o.code.as_str()).collect()
            }
            QuestionKind::YesNo => vec![YES, NO],
            _ => Vec::new(),
        }
    }
}
