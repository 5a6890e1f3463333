//! An export across questionnaire versions. A municipality exports every round of a
//! questionnaire over a period, and a later year's rounds may use a newer version: a
//! question added or dropped, an option added or dropped. Every version's answers are
//! kept: the export is written by the newest version, with what only older versions
//! asked added (a question after the newest's questions of its section, an option after
//! the newest's options), and the codebook says which versions asked each variable and
//! offered each code. A cell of a variable that the row's version did not ask is empty,
//! never a 0 ("not chosen" would be wrong where the option was not there to choose).
//!
//! A question whose kind differs between versions (a single choice made multiple, a
//! number made text) cannot share a column: such an export is refused, the question and
//! versions named, so the rounds can be exported version by version.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::questionnaire::{ChoiceOption, Question, QuestionKind, Questionnaire};

/// Versions of a questionnaire, as bits by their place in [`Versions::numbers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VersionSet(u64);

impl VersionSet {
    fn with(self, slot: usize) -> Self {
        VersionSet(self.0 | 1 << slot)
    }

    /// Whether the version in `slot` is in the set.
    pub fn contains(self, slot: usize) -> bool {
        slot < MAX_VERSIONS && self.0 & (1 << slot) != 0
    }

    fn and(self, other: VersionSet) -> Self {
        VersionSet(self.0 & other.0)
    }
}

/// The most versions one export can span (a bit each in [`VersionSet`]).
pub const MAX_VERSIONS: usize = 64;

/// What each version asked, by question id.
#[derive(Debug, Clone, Default)]
struct Asked {
    question: VersionSet,
    options: BTreeMap<String, VersionSet>,
    dont_know: VersionSet,
    not_applicable: VersionSet,
    /// The questions whose answers decide, in some version, whether this one is asked:
    /// its own condition's and its page's.
    shown_by: BTreeSet<String>,
}

/// The questionnaire an export is written by, and which of its versions asked what.
#[derive(Debug, Clone)]
pub struct Versions {
    /// The newest version, with what only older versions asked added.
    pub questionnaire: Questionnaire,
    /// The version numbers, oldest first; a version's slot is its place here.
    pub numbers: Vec<u32>,
    asked: BTreeMap<String, Asked>,
}

/// Two versions ask one question as different kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "question '{question}' is of another kind in version {older} than in version {newer}; export the rounds of each version on their own"
)]
pub struct KindChanged {
    pub question: String,
    /// The question's Swedish text in the newer version, to name it to people.
    pub text: String,
    pub older: u32,
    pub newer: u32,
}

/// Why versions cannot be exported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionsError {
    #[error(transparent)]
    KindChanged(#[from] KindChanged),
    #[error("no questionnaire version to export")]
    None,
    #[error("more than {MAX_VERSIONS} versions of a questionnaire in one export")]
    TooMany,
}

impl Versions {
    /// The versions of one questionnaire (any order; each once) merged into the newest.
    pub fn merge(mut versions: Vec<Questionnaire>) -> Result<Self, VersionsError> {
        if versions.len() > MAX_VERSIONS {
            return Err(VersionsError::TooMany);
        }
        versions.sort_by_key(|q| q.version);
        let numbers: Vec<u32> = versions.iter().map(|q| q.version).collect();
        let mut asked: BTreeMap<String, Asked> = BTreeMap::new();
        for (slot, version) in versions.iter().enumerate() {
            for (section, question) in version.questions() {
                let entry = asked.entry(question.id.to_string()).or_default();
                entry.question = entry.question.with(slot);
                let conditions = [&version.sections[section].show_if, &question.show_if];
                for condition in conditions.into_iter().flatten() {
                    entry.shown_by.insert(condition.question.to_string());
                }
                if question.dont_know {
                    entry.dont_know = entry.dont_know.with(slot);
                }
                if question.not_applicable {
                    entry.not_applicable = entry.not_applicable.with(slot);
                }
                if let QuestionKind::SingleChoice { options }
                | QuestionKind::MultipleChoice { options, .. } = &question.kind
                {
                    for option in options {
                        let set = entry.options.entry(option.code.to_string()).or_default();
                        *set = set.with(slot);
                    }
                }
            }
        }
        let mut newer_first = versions.into_iter().rev();
        let mut merged = newer_first.next().ok_or(VersionsError::None)?;
        for older in newer_first {
            add_older(&mut merged, older)?;
        }
        Ok(Self {
            questionnaire: merged,
            numbers,
            asked,
        })
    }

    /// The slot of version `number`, if it is one of these.
    pub fn slot(&self, number: u32) -> Option<usize> {
        self.numbers.iter().position(|n| *n == number)
    }

    /// Every version.
    pub fn all(&self) -> VersionSet {
        VersionSet((0..self.numbers.len()).fold(0, |bits, slot| bits | 1 << slot))
    }

    /// The versions that asked question `id`.
    pub fn asking(&self, id: &str) -> VersionSet {
        self.asked.get(id).map(|a| a.question).unwrap_or_default()
    }

    /// The versions that offered option `code` of question `id`.
    pub fn offering(&self, id: &str, code: &str) -> VersionSet {
        self.asked
            .get(id)
            .and_then(|a| a.options.get(code))
            .copied()
            .unwrap_or_default()
    }

    /// The versions that offered "Vet ej" (`dont_know`) or "Ej aktuellt" with question `id`.
    pub fn offering_special(&self, id: &str, dont_know: bool) -> VersionSet {
        self.asked
            .get(id)
            .map(|a| {
                let special = if dont_know {
                    a.dont_know
                } else {
                    a.not_applicable
                };
                special.and(a.question)
            })
            .unwrap_or_default()
    }

    /// The questions whose answers decide, in any version, whether question `id` is
    /// asked (its own condition and its page's).
    pub fn shown_by(&self, id: &str) -> impl Iterator<Item = &str> {
        self.asked
            .get(id)
            .into_iter()
            .flat_map(|a| a.shown_by.iter().map(String::as_str))
    }

    /// The version numbers in a set, oldest first.
    pub fn numbers_in(&self, set: VersionSet) -> Vec<u32> {
        self.numbers
            .iter()
            .enumerate()
            .filter(|(slot, _)| set.contains(*slot))
            .map(|(_, number)| *number)
            .collect()
    }
}

/// Adds to `merged` (newer) what only `older` asked; a question of another kind refuses.
fn add_older(merged: &mut Questionnaire, older: Questionnaire) -> Result<(), KindChanged> {
    for section in older.sections {
        let mut new_questions = Vec::new();
        for question in section.questions {
            match merged
                .sections
                .iter_mut()
                .flat_map(|s| s.questions.iter_mut())
                .find(|q| q.id == question.id)
            {
                Some(newer) => widen(newer, question, older.version, merged.version)?,
                None => new_questions.push(question),
            }
        }
        if new_questions.is_empty() {
            continue;
        }
        match merged.sections.iter_mut().find(|s| s.id == section.id) {
            Some(same) => same.questions.extend(new_questions),
            None => merged.sections.push(crate::domain::questionnaire::Section {
                questions: new_questions,
                ..section
            }),
        }
    }
    Ok(())
}

/// `newer` widened to hold what `older` allowed too: its options, "Vet ej" and "Ej
/// aktuellt", a number's decimals and range, a text's length.
fn widen(
    newer: &mut Question,
    older: Question,
    older_version: u32,
    newer_version: u32,
) -> Result<(), KindChanged> {
    newer.dont_know |= older.dont_know;
    newer.not_applicable |= older.not_applicable;
    match (&mut newer.kind, older.kind) {
        (
            QuestionKind::SingleChoice { options },
            QuestionKind::SingleChoice {
                options: older_options,
            },
        ) => add_options(options, older_options),
        (
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            },
            QuestionKind::MultipleChoice {
                options: older_options,
                max_choices: older_max,
            },
        ) => {
            add_options(options, older_options);
            if *max_choices != older_max {
                *max_choices = None;
            }
        }
        (
            QuestionKind::Text {
                max_length,
                multiline,
            },
            QuestionKind::Text {
                max_length: older_length,
                multiline: older_multiline,
            },
        ) => {
            *max_length = (*max_length).max(older_length);
            *multiline |= older_multiline;
        }
        (
            QuestionKind::Number {
                decimals, min, max, ..
            },
            QuestionKind::Number {
                decimals: older_decimals,
                min: older_min,
                max: older_max,
                ..
            },
        ) => {
            *decimals = (*decimals).max(older_decimals);
            *min = min.zip(older_min).map(|(a, b)| a.min(b));
            *max = max.zip(older_max).map(|(a, b)| a.max(b));
        }
        (QuestionKind::YesNo, QuestionKind::YesNo) | (QuestionKind::Month, QuestionKind::Month) => {
        }
        _ => {
            return Err(KindChanged {
                question: newer.id.to_string(),
                text: newer.text.sv().to_owned(),
                older: older_version,
                newer: newer_version,
            });
        }
    }
    Ok(())
}

fn add_options(options: &mut Vec<ChoiceOption>, older: Vec<ChoiceOption>) {
    for option in older {
        if !options.iter().any(|o| o.code == option.code) {
            options.push(option);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::parse_definition;

    fn version(number: u32, questions: &str) -> Questionnaire {
        let source = format!(
            "id = \"arlig\"\nversion = {number}\ntitle = {{ sv = \"Årlig\" }}\n\n[[sections]]\nid = \"forsta\"\ntitle = {{ sv = \"Första\" }}\n{questions}"
        );
        parse_definition("arlig.toml", &source).expect("a valid version")
    }

    const RATING: &str = r#"
[[sections.questions]]
id = "betyg"
kind = "single_choice"
text = { sv = "Betyg?" }
options = [{ code = "1", label = { sv = "Dåligt" } }, { code = "2", label = { sv = "Bra" } }]
"#;

    fn ids(questionnaire: &Questionnaire) -> Vec<&str> {
        questionnaire
            .questions()
            .map(|(_, q)| q.id.as_str())
            .collect()
    }

    #[test]
    fn what_only_older_versions_asked_is_added_after_the_newest() {
        let first = version(
            1,
            &format!(
                "{RATING}
[[sections.questions]]
id = \"bort\"
kind = \"yes_no\"
text = {{ sv = \"Borttagen?\" }}
[[sections.questions]]
id = \"hjalp\"
kind = \"multiple_choice\"
text = {{ sv = \"Hjälp?\" }}
options = [{{ code = \"mat\", label = {{ sv = \"Mat\" }} }}, {{ code = \"tvatt\", label = {{ sv = \"Tvätt\" }} }}]
"
            ),
        );
        let second = version(
            2,
            &format!(
                "{RATING}
[[sections.questions]]
id = \"hjalp\"
kind = \"multiple_choice\"
dont_know = true
text = {{ sv = \"Vilken hjälp?\" }}
options = [{{ code = \"mat\", label = {{ sv = \"Mat\" }} }}, {{ code = \"dusch\", label = {{ sv = \"Dusch\" }} }}]
[[sections.questions]]
id = \"ny\"
kind = \"month\"
text = {{ sv = \"Ny?\" }}
"
            ),
        );
        let versions = Versions::merge(vec![second, first]).expect("mergeable");
        assert_eq!(versions.numbers, [1, 2]);
        assert_eq!(versions.questionnaire.version, 2);
        assert_eq!(
            ids(&versions.questionnaire),
            ["betyg", "hjalp", "ny", "bort"]
        );
        let hjalp = versions.questionnaire.question("hjalp").expect("hjalp");
        assert_eq!(hjalp.text.sv(), "Vilken hjälp?", "the newest text");
        assert_eq!(hjalp.choice_codes(), ["mat", "dusch", "tvatt"]);
        assert!(hjalp.dont_know);
        assert_eq!(versions.numbers_in(versions.asking("bort")), [1]);
        assert_eq!(versions.numbers_in(versions.asking("ny")), [2]);
        assert_eq!(versions.numbers_in(versions.asking("betyg")), [1, 2]);
        assert_eq!(
            versions.numbers_in(versions.offering("hjalp", "tvatt")),
            [1]
        );
        assert_eq!(
            versions.numbers_in(versions.offering("hjalp", "mat")),
            [1, 2]
        );
        assert_eq!(
            versions.numbers_in(versions.offering_special("hjalp", true)),
            [2]
        );
        assert_eq!(
            versions.numbers_in(versions.offering_special("hjalp", false)),
            Vec::<u32>::new()
        );
        assert_eq!(versions.all(), versions.asking("betyg"));
    }

    #[test]
    fn a_new_section_of_an_older_version_comes_last_and_numbers_widen() {
        let first = version(
            1,
            &format!(
                "{RATING}
[[sections.questions]]
id = \"timmar\"
kind = \"number\"
decimals = 1
min = 0
max = 24
text = {{ sv = \"Timmar?\" }}
[[sections]]
id = \"gammal\"
title = {{ sv = \"Gammal sida\" }}
[[sections.questions]]
id = \"kvar\"
kind = \"text\"
max_length = 900
text = {{ sv = \"Kvar?\" }}
"
            ),
        );
        let second = version(
            2,
            "
[[sections.questions]]
id = \"timmar\"
kind = \"number\"
min = 1
max = 12
text = { sv = \"Timmar?\" }
",
        );
        let versions = Versions::merge(vec![first, second]).expect("mergeable");
        let sections: Vec<&str> = versions
            .questionnaire
            .sections
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(sections, ["forsta", "gammal"]);
        assert_eq!(ids(&versions.questionnaire), ["timmar", "betyg", "kvar"]);
        match &versions
            .questionnaire
            .question("timmar")
            .expect("timmar")
            .kind
        {
            QuestionKind::Number {
                decimals, min, max, ..
            } => {
                assert_eq!((*decimals, *min, *max), (1, Some(0.0), Some(24.0)));
            }
            other => panic!("a number, not {other:?}"),
        }
    }

    #[test]
    fn a_question_of_another_kind_is_refused_by_name() {
        let first = version(1, RATING);
        let second = version(2, &RATING.replace("single_choice", "multiple_choice"));
        let third = version(3, &RATING.replace("single_choice", "multiple_choice"));
        assert_eq!(
            Versions::merge(vec![third, first, second]).unwrap_err(),
            VersionsError::KindChanged(KindChanged {
                question: "betyg".into(),
                text: "Betyg?".into(),
                older: 1,
                newer: 3,
            })
        );
    }

    #[test]
    fn a_condition_of_any_version_is_kept() {
        let conditional = r#"
[[sections]]
id = "andra"
title = { sv = "Andra" }

[[sections.questions]]
id = "mer"
kind = "yes_no"
show_if = { question = "betyg", any_of = ["1"] }
text = { sv = "Mer?" }
"#;
        let first = version(1, &format!("{RATING}{conditional}"));
        let second = version(
            2,
            &format!(
                "{RATING}{}",
                conditional.replace("show_if = { question = \"betyg\", any_of = [\"1\"] }\n", "")
            ),
        );
        assert!(second.question("mer").unwrap().show_if.is_none());
        let versions = Versions::merge(vec![second, first]).expect("merged");
        // Version 2 asks everyone, version 1 asked only after a poor rating: an answer
        // in a row of version 1 still tells the rating.
        assert_eq!(versions.shown_by("mer").collect::<Vec<_>>(), ["betyg"]);
        assert_eq!(versions.shown_by("betyg").count(), 0);
    }

    #[test]
    fn one_version_is_itself() {
        let only = version(4, RATING);
        let versions = Versions::merge(vec![only.clone()]).expect("one version");
        assert_eq!(versions.questionnaire, only);
        assert_eq!(versions.numbers, [4]);
        assert_eq!(versions.slot(4), Some(0));
        assert_eq!(versions.slot(3), None);
    }
}
