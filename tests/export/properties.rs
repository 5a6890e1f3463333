//! Properties over generated input, where the examples elsewhere pick cases by hand: the
//! export's fast scan of a stored response reads what serde reads, in both stored forms;
//! free text of any characters comes out of both response files exactly as scrubbed and
//! neutralised; scrubbing never panics, changes nothing on a second pass, and no cell it
//! and the neutralising give starts a formula.

use proptest::collection::vec;
use proptest::prelude::*;
use svar_shared::domain::questionnaire::Slug;
use svar_shared::domain::*;
use svar_shared::export::{Layout, StoredRow, neutralise, scrub};
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

    #[test]
    fn free_text_of_any_characters_comes_out_of_both_files_as_scrubbed(
        texts in vec(any::<String>(), 7),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (plain, excel) = runtime.block_on(async {
            let setup = Setup::new().await;
            let round = setup.round("testkommun", "Våren").await;
            for text in &texts {
                let mut answers = answers(["gammal", "kvinna", "hemma", "sjalv"]);
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
            let mut cells: Vec<String> = parse(file, delimiter)
                .into_iter()
                .map(|row| row["ovrigt"].clone())
                .collect();
            cells.sort();
            prop_assert_eq!(&cells, &expected);
        }
    }
}
