//! An export over rounds of two versions of a questionnaire: every version's answers are
//! kept, a cell the row's version did not ask is empty (never a 0), the codebook and the
//! manifest say which versions asked what; a question that changed kind refuses the
//! export with the question named.

use svar_shared::domain::questionnaire::{Questionnaire, parse_definition};
use svar_shared::domain::*;
use svar_shared::export::{ExportError, KindChanged, VersionsError};
use svar_tests::slug;

use crate::*;

/// Version 2 of the test questionnaire: "sedan" dropped, option "tid" of "forbattra"
/// replaced by "personal", a new yes/no question "trygg".
fn second_version() -> Questionnaire {
    let source = DEFINITION
        .replace("version = 1", "version = 2")
        .replace(
            r#"{ code = "tid", label = { sv = "Tid", en = "Time" } },"#,
            r#"{ code = "personal", label = { sv = "Personal", en = "Staff" } },"#,
        )
        .replace(
            r#"[[sections.questions]]
id = "sedan"
kind = "month"
text = { sv = "Sedan när?", en = "Since when?" }"#,
            r#"[[sections.questions]]
id = "trygg"
kind = "yes_no"
text = { sv = "Trygg?", en = "Safe?" }"#,
        );
    assert_ne!(source, DEFINITION);
    parse_definition("exporttest.toml", &source).expect("version 2 is valid")
}

/// A round of `version` with seven answers of the same background.
async fn round_of(setup: &Setup, version: u32, name: &str, answers: Answers) -> Round {
    let round = setup.round_of_version("testkommun", name, version).await;
    for _ in 0..7 {
        setup.answer(&round, answers.clone()).await;
    }
    round
}

fn background() -> Answers {
    answers(["gammal", "kvinna", "hemma", "sjalv"])
}

#[tokio::test]
async fn rounds_of_two_versions_keep_every_answer_and_leave_what_was_not_asked_empty() {
    let setup = Setup::new().await;
    setup.publish(&second_version()).await;
    let mut first_answers = background();
    first_answers.insert(slug("forbattra"), Answer::Choices(vec![slug("tid")]));
    let first = round_of(&setup, 1, "2025", first_answers).await;
    let mut second_answers = background();
    second_answers.remove(&slug("sedan"));
    second_answers.insert(slug("forbattra"), Answer::Choices(vec![slug("personal")]));
    second_answers.insert(slug("trygg"), Answer::YesNo(true));
    let second = round_of(&setup, 2, "2026", second_answers).await;

    let manifest = setup
        .export(&[first, second], &options(3), "out")
        .await
        .expect("exported");
    assert_eq!(manifest.questionnaire.version, 2);
    assert_eq!(manifest.questionnaire.versions, [1, 2]);
    let versions: Vec<u32> = manifest
        .rounds
        .iter()
        .map(|r| r.questionnaire_version)
        .collect();
    assert_eq!(versions, [1, 2]);

    let plain = setup.read("out", "responses.csv");
    let header = plain.lines().next().unwrap();
    assert!(
        header.contains("forbattra_personal,forbattra_info,forbattra_tid,forbattra_vet_ej"),
        "the newest version's options, then the older one's: {header}"
    );
    assert!(
        header.ends_with("trygg,sedan"),
        "the question only version 1 asked comes after version 2's: {header}"
    );
    let rows = parse(&plain, b',');
    assert_eq!(rows.len(), 14);
    for row in &rows {
        let expected: [(&str, &str); 5] = if row["omgang"] == "1" {
            [
                ("forbattra_tid", "1"),
                ("forbattra_info", "0"),
                ("forbattra_personal", ""),
                ("sedan", "2025-11"),
                ("trygg", ""),
            ]
        } else {
            [
                ("forbattra_tid", ""),
                ("forbattra_info", "0"),
                ("forbattra_personal", "1"),
                ("sedan", ""),
                ("trygg", "1"),
            ]
        };
        for (column, cell) in expected {
            assert_eq!(row[column], cell, "{column} in round {}", row["omgang"]);
        }
        assert_eq!(row["betyg"], "2", "asked by both");
    }
    // Excel's file: the same cells.
    let excel = setup.read("out", "responses_excel.csv");
    let excel_rows = parse(excel.trim_start_matches('\u{feff}'), b';');
    let plain_without_decimals: Vec<_> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.insert("temperatur".into(), r["temperatur"].replace('.', ","));
            r
        })
        .collect();
    assert_eq!(excel_rows, plain_without_decimals);

    let codebook: serde_json::Value =
        serde_json::from_str(&setup.read("out", "codebook.json")).unwrap();
    assert_eq!(codebook["version"], 2);
    assert_eq!(codebook["versions"], serde_json::json!([1, 2]));
    let variable = |name: &str| codebook_variable(&codebook, name).clone();
    for (name, asked) in [
        ("rad", serde_json::json!([1, 2])),
        ("betyg", serde_json::json!([1, 2])),
        ("sedan", serde_json::json!([1])),
        ("trygg", serde_json::json!([2])),
        ("forbattra_tid", serde_json::json!([1])),
        ("forbattra_personal", serde_json::json!([2])),
        ("forbattra_info", serde_json::json!([1, 2])),
    ] {
        assert_eq!(variable(name)["versions"], asked, "{name}");
    }
    assert_eq!(
        variable("forbattra_tid")["text"]["sv"],
        "Vad kan bli bättre?: Tid"
    );
    let codebook_rows = parse(&setup.read("out", "codebook.csv"), b',');
    let versions_of = |variable: &str, code: &str| {
        codebook_rows
            .iter()
            .find(|r| r["variable"] == variable && r["code"] == code)
            .unwrap_or_else(|| panic!("no record {variable} {code}"))["versions"]
            .clone()
    };
    assert_eq!(versions_of("betyg", "2"), "1 2");
    assert_eq!(versions_of("sedan", ""), "1");
    assert_eq!(versions_of("trygg", "1"), "2");
    assert_eq!(versions_of("forbattra_tid", "1"), "1");
}

#[tokio::test]
async fn a_question_that_changed_kind_refuses_the_export_by_name() {
    let setup = Setup::new().await;
    let third = DEFINITION.replace("version = 1", "version = 3").replace(
        r#"id = "betyg"
kind = "single_choice""#,
        r#"id = "betyg"
kind = "multiple_choice""#,
    );
    let third = parse_definition("exporttest.toml", &third).expect("version 3 is valid");
    setup.publish(&third).await;
    let first = round_of(&setup, 1, "2025", background()).await;
    let mut changed = background();
    changed.insert(slug("betyg"), Answer::Choices(vec![slug("2")]));
    let later = round_of(&setup, 3, "2027", changed).await;

    let error = setup
        .export(&[first.clone(), later], &options(3), "out")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            ExportError::Versions(VersionsError::KindChanged(KindChanged { question, text, older: 1, newer: 3 }))
                if question == "betyg" && text == "Betyg?"
        ),
        "{error:?}"
    );
    assert!(
        !file_exists(&setup.folder("out")),
        "nothing is left of a refused export"
    );
    // Each version on its own still exports.
    setup
        .export(&[first], &options(3), "first")
        .await
        .expect("version 1 alone");
}
