//! The anonymisation rules, each on real exported files.

use std::collections::BTreeMap;

use svar_shared::domain::*;
use svar_shared::export::{ExportError, Rule};
use svar_tests::slug;

use crate::*;

#[tokio::test]
async fn no_ids_tokens_or_days_reach_the_files() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    let mut responses = Vec::new();
    for _ in 0..8 {
        responses.push(
            setup
                .answer(&round, answers(["ung", "man", "hemma", "sjalv"]))
                .await,
        );
    }
    setup
        .export(std::slice::from_ref(&round), &options(1), "out")
        .await
        .unwrap();
    for file in [
        "responses.csv",
        "responses_excel.csv",
        "codebook.csv",
        "codebook_excel.csv",
        "codebook.json",
        "manifest.json",
    ] {
        let text = setup.read("out", file);
        assert!(
            !text.contains(&round.id.to_string()),
            "{file} names the round id"
        );
        for response in &responses {
            assert!(
                !text.contains(&response.id.to_string()),
                "{file} names a response id"
            );
        }
        assert!(!text.contains("2026-03-17"), "{file} has a day");
    }
}

#[tokio::test]
async fn rows_are_numbered_1_to_n_once_each_in_a_shuffled_order() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    for _ in 0..30 {
        setup
            .answer(&round, answers(["ung", "man", "hemma", "sjalv"]))
            .await;
    }
    setup.export(&[round], &options(11), "out").await.unwrap();
    let numbers: Vec<u32> = parse(&setup.read("out", "responses.csv"), b',')
        .iter()
        .map(|r| r["rad"].parse().unwrap())
        .collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=30).collect::<Vec<_>>());
    assert_ne!(
        numbers, sorted,
        "numbers are not handed out in reading order"
    );
}

#[tokio::test]
async fn free_text_is_left_out_unless_asked_for_and_then_scrubbed_and_neutralised() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    let texts = [
        "Ring mig på 070-123 45 67, jag bor på Storgatan 12.",
        "=HYPERLINK(\"http://x\")",
        "Mitt personnummer är 19121212-1212 och mejl anna@example.se",
        "-3 grader inne",
        "Besöket 2026-03-01 kostade 1 500 kr",
    ];
    for index in 0..8 {
        let mut a = answers(["ung", "man", "hemma", "sjalv"]);
        a.insert(
            slug("ovrigt"),
            Answer::Text(texts[index % texts.len()].into()),
        );
        setup.answer(&round, a).await;
    }
    let manifest = setup
        .export(std::slice::from_ref(&round), &options(1), "default")
        .await
        .unwrap();
    assert!(!setup.read("default", "responses.csv").contains("ovrigt"));
    assert!(!setup.read("default", "responses.csv").contains("070"));
    assert!(manifest.rules.contains(&Rule::FreeText {
        included: false,
        removed: None,
        replacement: None,
        cells_scrubbed: 0
    }));

    let mut with_text = options(1);
    with_text.free_text = true;
    let manifest = setup
        .export(std::slice::from_ref(&round), &with_text, "text")
        .await
        .unwrap();
    let cells: Vec<String> = parse(&setup.read("text", "responses.csv"), b',')
        .iter()
        .map(|r| r["ovrigt"].clone())
        .collect();
    assert!(
        cells.contains(&"Ring mig på [borttaget], jag bor på [borttaget].".to_owned()),
        "{cells:?}"
    );
    assert!(
        cells.contains(&"'=HYPERLINK(\"http://x\")".to_owned()),
        "{cells:?}"
    );
    assert!(
        cells.contains(&"Mitt personnummer är [borttaget] och mejl [borttaget]".to_owned()),
        "{cells:?}"
    );
    assert!(
        cells.contains(&"'-3 grader inne".to_owned()),
        "a text cell starting with - is neutralised: {cells:?}"
    );
    assert!(
        cells.contains(&"Besöket 2026-03-01 kostade 1 500 kr".to_owned()),
        "{cells:?}"
    );
    // The numeric column's negative number is untouched in the same file.
    assert!(
        parse(&setup.read("text", "responses.csv"), b',')
            .iter()
            .all(|r| r["temperatur"] == "-3.5")
    );
    let free_text = manifest
        .rules
        .iter()
        .find(|r| matches!(r, Rule::FreeText { .. }))
        .unwrap();
    let Rule::FreeText {
        included,
        cells_scrubbed,
        ..
    } = free_text
    else {
        unreachable!()
    };
    assert!(*included);
    assert_eq!(*cells_scrubbed, 4, "two of each of the two scrubbed texts");
    let neutralised = manifest.rules.iter().find_map(|r| match r {
        Rule::FormulaNeutralisation { cells_changed, .. } => Some(*cells_changed),
        _ => None,
    });
    assert_eq!(neutralised, Some(3));
}

#[tokio::test]
async fn k_below_3_is_refused_and_a_round_under_k_cannot_be_exported() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Liten").await;
    for _ in 0..6 {
        setup
            .answer(&round, answers(["ung", "man", "hemma", "sjalv"]))
            .await;
    }
    let mut low = options(1);
    low.k = 2;
    assert!(matches!(
        setup.export(std::slice::from_ref(&round), &low, "a").await,
        Err(ExportError::KTooSmall(2))
    ));
    let error = setup
        .export(std::slice::from_ref(&round), &options(1), "b")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExportError::TooFewResponses { count: 6, k: 7, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("Liten"));
    assert!(!file_exists(&setup.folder("b")));
    // With k = 3 (allowed) the same round goes out.
    let mut three = options(1);
    three.k = 3;
    assert_eq!(
        setup
            .export(std::slice::from_ref(&round), &three, "c")
            .await
            .unwrap()
            .rows,
        6
    );
}

/// Background combinations of the published rows, with their counts.
fn published_groups(text: &str) -> BTreeMap<Vec<String>, usize> {
    let mut groups = BTreeMap::new();
    for row in parse(text, b',') {
        let key: Vec<String> = ["omgang", "alder", "kon", "vardform", "vem"]
            .iter()
            .map(|c| row[*c].clone())
            .collect();
        *groups.entry(key).or_default() += 1;
    }
    groups
}

#[tokio::test]
async fn background_combinations_under_k_lose_their_rarest_values_and_the_manifest_counts_them() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    for _ in 0..12 {
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", "sjalv"]))
            .await;
    }
    for _ in 0..8 {
        setup
            .answer(&round, answers(["gammal", "man", "hemma", "sjalv"]))
            .await;
    }
    // One person whose proxy answered: a unique combination.
    setup
        .answer(&round, answers(["ung", "kvinna", "boende", "ombud"]))
        .await;
    let manifest = setup
        .export(std::slice::from_ref(&round), &options(1), "out")
        .await
        .unwrap();
    let groups = published_groups(&setup.read("out", "responses.csv"));
    for (group, size) in &groups {
        assert!(
            *size >= 7 || group[1..].iter().all(String::is_empty),
            "{group:?} has {size} rows"
        );
    }
    assert_eq!(
        groups[&vec![
            "1".to_owned(),
            "gammal".into(),
            "kvinna".into(),
            "hemma".into(),
            "sjalv".into()
        ]],
        12
    );
    let (cells, rows) = manifest
        .rules
        .iter()
        .find_map(|r| match r {
            Rule::KAnonymity {
                cells_suppressed,
                rows_changed,
                k: 7,
                ..
            } => Some((*cells_suppressed, *rows_changed)),
            _ => None,
        })
        .unwrap();
    assert_eq!(rows, 1);
    assert_eq!(
        cells, 4,
        "the lone row's four background values are emptied"
    );
    // Its answers are kept.
    let rows = parse(&setup.read("out", "responses.csv"), b',');
    assert_eq!(rows.iter().filter(|r| r["alder"].is_empty()).count(), 1);
    assert!(rows.iter().all(|r| r["betyg"] == "2"));
}

#[tokio::test]
async fn the_rarest_value_goes_first_so_a_common_value_can_stay() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    // 10 old women at home answering themselves, 5 who left `vem` blank and 3 whose proxy
    // answered. The smallest group (the 3) loses its rarest value, "ombud", and so joins
    // the 5: together 8, enough, and no one else loses anything.
    for _ in 0..10 {
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", "sjalv"]))
            .await;
    }
    for _ in 0..5 {
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", ""]))
            .await;
    }
    for _ in 0..3 {
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", "ombud"]))
            .await;
    }
    let manifest = setup
        .export(std::slice::from_ref(&round), &options(1), "out")
        .await
        .unwrap();
    let groups = published_groups(&setup.read("out", "responses.csv"));
    assert_eq!(
        groups[&vec![
            "1".to_owned(),
            "gammal".into(),
            "kvinna".into(),
            "hemma".into(),
            String::new()
        ]],
        8
    );
    let cells = manifest.rules.iter().find_map(|r| match r {
        Rule::KAnonymity {
            cells_suppressed, ..
        } => Some(*cells_suppressed),
        _ => None,
    });
    assert_eq!(cells, Some(3));
}

#[tokio::test]
async fn several_rounds_are_numbered_and_each_must_reach_k() {
    let setup = Setup::new().await;
    let spring = setup.round("testkommun", "Våren").await;
    let autumn = setup.round("testkommun", "Hösten").await;
    for _ in 0..7 {
        setup
            .answer(&spring, answers(["ung", "man", "hemma", "sjalv"]))
            .await;
        setup
            .answer(&autumn, answers(["ung", "man", "hemma", "sjalv"]))
            .await;
    }
    let manifest = setup
        .export(&[spring.clone(), autumn.clone()], &options(1), "out")
        .await
        .unwrap();
    assert_eq!(manifest.rows, 14);
    assert_eq!(
        manifest
            .rounds
            .iter()
            .map(|r| (r.number, r.name.as_str(), r.rows))
            .collect::<Vec<_>>(),
        [(1, "Våren", 7), (2, "Hösten", 7)]
    );
    assert_eq!(
        manifest.rounds[0].period_start.len(),
        7,
        "periods as months"
    );
    let rows = parse(&setup.read("out", "responses.csv"), b',');
    assert_eq!(rows.iter().filter(|r| r["omgang"] == "2").count(), 7);
    let mut numbers: Vec<u32> = rows.iter().map(|r| r["rad"].parse().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=14).collect::<Vec<_>>());

    let small = setup.round("testkommun", "Liten").await;
    setup
        .answer(&small, answers(["ung", "man", "hemma", "sjalv"]))
        .await;
    let error = setup
        .export(&[spring, small], &options(1), "bad")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ExportError::TooFewResponses { count: 1, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_patient_survey_has_its_background_questions_built_in() {
    let survey = svar_shared::domain::questionnaire::builtin()
        .unwrap()
        .into_iter()
        .find(|q| q.id.as_str() == "patientupplevelse")
        .unwrap();
    for id in svar_shared::export::background_questions("patientupplevelse") {
        assert!(survey.question(id).is_some(), "{id}");
    }
    assert_eq!(
        svar_shared::export::background_questions("patientupplevelse").len(),
        4
    );
    assert!(svar_shared::export::background_questions("nyckeltal").is_empty());
}
