//! Properties over generated input, where the examples elsewhere pick cases by hand: the
//! export's fast scan of a stored response reads what serde reads, in both stored forms;
//! free text of any characters comes out of both response files exactly as scrubbed and
//! neutralised; scrubbing never panics, changes nothing on a second pass, and no cell it
//! and the neutralising give starts a formula; versions of a questionnaire merge into
//! one that asks everything any of them asked, or are refused exactly when a question
//! changed kind.

use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use svar_shared::domain::questionnaire::{
    ChoiceOption, Question, QuestionKind, Questionnaire, Section, Slug,
};
use svar_shared::domain::text::Localized;
use svar_shared::domain::*;
use svar_shared::export::{Layout, StoredRow, Versions, VersionsError, neutralise, scrub};
use svar_shared::store::response_body;
use svar_tests::slug;

use crate::*;

/// Ids of the test questionnaire, and one it does not have.
const IDS: [&str; 11] = [
    "alder",
    "kon",
    "vardform",
    "vem",
    "betyg",
    "forbattra",
    "temperatur",
    "nojd",
    "sedan",
    "ovrigt",
    "okand",
];

fn code() -> impl Strategy<Value = Slug> {
    "[a-z0-9][a-z0-9_]{0,11}".prop_map(|code| Slug::parse(&code).expect("a valid code"))
}

/// Any answer a store could hold: codes, texts of any characters, finite numbers.
fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        code().prop_map(Answer::Choice),
        vec(code(), 0..4).prop_map(Answer::Choices),
        any::<String>().prop_map(Answer::Text),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(Answer::Number),
        any::<bool>().prop_map(Answer::YesNo),
        "[0-9]{4}-(0[1-9]|1[0-2])".prop_map(Answer::Month),
        Just(Answer::DontKnow),
        Just(Answer::NotApplicable),
    ]
}

/// Any text, or text made of what personal details are made of (digits, separators,
/// street endings, `@`, formula starts), where the patterns have something to find.
fn personal_looking_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        vec(
            prop_oneof![
                "[0-9]{1,12}",
                "[ +\\-–/.()]{1,2}",
                "(19|20)?[0-9]{6}[-+– ]?[0-9]{4}",
                "0[0-9]{1,3}[ -]?[0-9]{5,8}",
                "[A-Za-zåäö]{1,8}(gatan|vägen|g\\.|v\\.)? [0-9]{1,4}",
                "[a-z.]{1,6}@[a-z]{1,6}\\.se",
                "[=+@ \t\r＝－]",
                "[A-ZÅÄÖ][a-zåäö]{2,8}",
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn response(answers: Answers) -> Response {
    Response {
        id: ResponseId::random(),
        round: RoundId::random(),
        municipality: slug("testkommun"),
        questionnaire: QuestionnaireRef {
            id: slug("exporttest"),
            version: 1,
        },
        submitted_on: time::macros::date!(2026 - 03 - 17),
        answers,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_scan_reads_what_serde_reads_in_both_stored_forms(
        answers in vec((0..IDS.len(), answer()), 0..12),
    ) {
        let answers: Answers = answers.into_iter().map(|(id, a)| (slug(IDS[id]), a)).collect();
        let response = response(answers);
        let layout = Layout::new(&questionnaire(), true).expect("a layout");
        let reader = layout.reader(|_| true);
        let bodies = [
            response_body::encode(&response).expect("encodable"),
            serde_json::to_string(&response).expect("encodable"),
        ];
        for body in &bodies {
            let (mut scanned, mut read) = (StoredRow::default(), StoredRow::default());
            reader.scan(body, &mut scanned).expect("the scan reads it");
            reader.read(body, &mut read).expect("serde reads it");
            prop_assert_eq!(&scanned.answers, &read.answers, "{}", body);
            prop_assert_eq!(&scanned.month, &read.month);
        }
    }

    #[test]
    fn scrubbing_is_stable_and_no_cell_starts_a_formula(text in personal_looking_text()) {
        let once = scrub(&text).into_owned();
        prop_assert_eq!(scrub(&once).into_owned(), once.clone());
        let cell = neutralise(&once);
        let first = cell.chars().find(|c| !matches!(c, ' ' | '\u{a0}' | '\u{3000}'));
        prop_assert!(
            !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')),
            "{:?}", cell
        );
    }
}

proptest! {
    // Each case makes a store and an export: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Also in a row whose background values k-anonymity empties (the eighth, alone
    /// in its group), which the writing takes apart and encodes again.
    #[test]
    fn free_text_of_any_characters_comes_out_of_both_files_as_scrubbed(
        texts in vec(prop_oneof![any::<String>(), "[,;\"\r\n =a-zåäö]{0,24}"], 8),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (plain, excel) = runtime.block_on(async {
            let setup = Setup::new().await;
            let round = setup.round("testkommun", "Våren").await;
            for (index, text) in texts.iter().enumerate() {
                let background = if index < 7 {
                    ["gammal", "kvinna", "hemma", "sjalv"]
                } else {
                    ["ung", "man", "hemma", "ombud"]
                };
                let mut answers = answers(background);
                answers.insert(slug("ovrigt"), Answer::Text(text.clone()));
                setup.answer(&round, answers).await;
            }
            let mut options = options(1);
            options.free_text = true;
            setup.export(&[round], &options, "out").await.expect("exported");
            (setup.read("out", "responses.csv"), setup.read("out", "responses_excel.csv"))
        });
        let mut expected: Vec<String> = texts
            .iter()
            .map(|t| neutralise(&scrub(t)).into_owned())
            .collect();
        expected.sort();
        let excel = excel.strip_prefix('\u{feff}').expect("a byte-order mark");
        for (file, delimiter) in [(plain.as_str(), b','), (excel, b';')] {
            let rows = parse(file, delimiter);
            // The lone row lost its background values, and kept its text.
            prop_assert_eq!(rows.iter().filter(|row| row["alder"].is_empty()).count(), 1);
            let mut cells: Vec<String> = rows
                .into_iter()
                .map(|row| row["ovrigt"].clone())
                .collect();
            cells.sort();
            prop_assert_eq!(&cells, &expected);
        }
    }
}

/// One version's question `id`: its kind (0 to 2: single choice, multiple choice,
/// number) and options (bits of `o0`..`o4`).
fn question(id: usize, kind: u8, options: u8) -> Question {
    let options: Vec<ChoiceOption> = (0..5)
        .filter(|o| options & (1 << o) != 0)
        .map(|o| ChoiceOption {
            code: slug(&format!("o{o}")),
            label: Localized::swedish(format!("Alternativ {o}")),
        })
        .collect();
    Question {
        id: slug(&format!("q{id}")),
        text: Localized::swedish(format!("Fråga {id}")),
        help: None,
        required: false,
        dont_know: options.len().is_multiple_of(2),
        not_applicable: false,
        show_if: None,
        kind: match kind {
            0 => QuestionKind::SingleChoice { options },
            1 => QuestionKind::MultipleChoice {
                options,
                max_choices: None,
            },
            _ => QuestionKind::Number {
                decimals: 0,
                min: None,
                max: None,
                unit: None,
            },
        },
    }
}

/// Versions 1.. of one questionnaire: each asks some of `q0`..`q5` (with a kind and
/// options each), on two pages.
fn versions() -> impl Strategy<Value = Vec<Questionnaire>> {
    vec(vec(proptest::option::of((0u8..3, 1u8..32)), 6), 1..5).prop_map(|versions| {
        versions
            .into_iter()
            .enumerate()
            .map(|(index, asked)| {
                let questions: Vec<Question> = asked
                    .into_iter()
                    .enumerate()
                    .filter_map(|(id, q)| q.map(|(kind, options)| question(id, kind, options)))
                    .collect();
                let (first, second) = questions.split_at(questions.len() / 2);
                Questionnaire {
                    id: slug("arlig"),
                    version: index as u32 + 1,
                    title: Localized::swedish("Årlig"),
                    intro: None,
                    sections: [("forsta", first), ("andra", second)]
                        .into_iter()
                        .map(|(id, questions)| Section {
                            id: slug(id),
                            title: Localized::swedish(id),
                            intro: None,
                            show_if: None,
                            questions: questions.to_vec(),
                        })
                        .collect(),
                    checks: Vec::new(),
                }
            })
            .collect()
    })
}

fn kind_of(question: &Question) -> u8 {
    match question.kind {
        QuestionKind::SingleChoice { .. } => 0,
        QuestionKind::MultipleChoice { .. } => 1,
        _ => 2,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn merged_versions_ask_everything_any_version_asked(versions in versions()) {
        // What each version asked: kinds and options by question id.
        let mut kinds: BTreeMap<String, BTreeSet<u8>> = BTreeMap::new();
        for version in &versions {
            for (_, q) in version.questions() {
                kinds.entry(q.id.to_string()).or_default().insert(kind_of(q));
            }
        }
        let changed = kinds.values().any(|k| k.len() > 1);
        let newest = versions.last().expect("one version at least").clone();
        match Versions::merge(versions.clone()) {
            Err(VersionsError::KindChanged(error)) => {
                prop_assert!(changed, "refused without a change of kind: {error}");
                prop_assert!(kinds[&error.question].len() > 1);
            }
            Err(other) => prop_assert!(false, "{other}"),
            Ok(merged) => {
                prop_assert!(!changed, "a change of kind was let through");
                let ids: Vec<String> = merged.questionnaire.questions().map(|(_, q)| q.id.to_string()).collect();
                let unique: BTreeSet<&String> = ids.iter().collect();
                prop_assert_eq!(unique.len(), ids.len(), "each question once: {:?}", ids);
                prop_assert_eq!(unique.len(), kinds.len(), "every question of every version");
                // The newest's questions come first in each of its pages, in its order.
                for (section, merged_section) in newest.sections.iter().zip(&merged.questionnaire.sections) {
                    let own: Vec<_> = section.questions.iter().map(|q| &q.id).collect();
                    let first: Vec<_> = merged_section.questions.iter().take(own.len()).map(|q| &q.id).collect();
                    prop_assert_eq!(own, first);
                }
                for (slot, version) in versions.iter().enumerate() {
                    for (_, q) in version.questions() {
                        let id = q.id.as_str();
                        prop_assert!(merged.asking(id).contains(slot));
                        let offered = merged.questionnaire.question(id).expect("merged").choice_codes();
                        for code in q.choice_codes() {
                            prop_assert!(offered.contains(&code), "{} lost {}", id, code);
                            prop_assert!(merged.offering(id, code).contains(slot));
                        }
                        prop_assert_eq!(merged.offering_special(id, true).contains(slot), q.dont_know);
                    }
                    for id in kinds.keys() {
                        if version.question(id).is_none() {
                            prop_assert!(!merged.asking(id).contains(slot));
                        }
                    }
                }
            }
        }
    }
}
