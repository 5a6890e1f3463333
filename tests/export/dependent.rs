//! k-anonymity and the questions a background variable decides: a page asked only of
//! those whose proxy answered tells, by being answered, what an emptied `vem` was; its
//! answers are emptied with `vem`, and only with `vem`.

use svar_shared::domain::questionnaire::{Questionnaire, parse_definition};
use svar_shared::domain::*;
use svar_shared::export::Rule;
use svar_tests::slug;

use crate::*;

/// Version 2 of the test questionnaire with a page asked only when `vem` is "ombud", and
/// a question on a later page asked only after one of that page's answers.
fn with_proxy_pages() -> Questionnaire {
    let source = format!(
        "{}{}",
        DEFINITION.replace("version = 1", "version = 2"),
        r#"
[[sections]]
id = "hjalp"
title = { sv = "Hjälpen" }
show_if = { question = "vem", any_of = ["ombud"] }

[[sections.questions]]
id = "hjalp_hur"
kind = "multiple_choice"
text = { sv = "Hur hjälpte du till?" }
options = [
  { code = "laste", label = { sv = "Läste upp" } },
  { code = "skrev", label = { sv = "Skrev" } },
]

[[sections]]
id = "mer"
title = { sv = "Mer" }

[[sections.questions]]
id = "hjalp_vem"
kind = "single_choice"
show_if = { question = "hjalp_hur", any_of = ["skrev"] }
text = { sv = "Vem är du?" }
options = [
  { code = "anhorig", label = { sv = "Anhörig" } },
  { code = "personal", label = { sv = "Personal" } },
]
"#
    );
    parse_definition("exporttest.toml", &source).expect("the version with proxy pages is valid")
}

fn proxy(background: [&str; 4], how: &[&str], who: Option<&str>) -> Answers {
    let mut answers = answers(background);
    answers.insert(
        slug("hjalp_hur"),
        Answer::Choices(how.iter().map(|c| slug(c)).collect()),
    );
    if let Some(who) = who {
        answers.insert(slug("hjalp_vem"), Answer::Choice(slug(who)));
    }
    answers
}

#[tokio::test]
async fn answers_asked_only_for_some_values_of_an_emptied_background_value_are_emptied_with_it() {
    let setup = Setup::new().await;
    setup.publish(&with_proxy_pages()).await;
    let round = setup.round_of_version("testkommun", "Våren", 2).await;
    for _ in 0..10 {
        let patient = answers(["gammal", "kvinna", "hemma", "sjalv"]);
        setup.answer(&round, patient).await;
    }
    for _ in 0..7 {
        let kept = proxy(
            ["gammal", "kvinna", "hemma", "ombud"],
            &["skrev"],
            Some("anhorig"),
        );
        setup.answer(&round, kept).await;
    }
    for _ in 0..6 {
        let no_age = proxy(["", "kvinna", "hemma", "ombud"], &["laste"], None);
        setup.answer(&round, no_age).await;
    }
    // Loses its age only, and so joins the six: its proxy's answers stay.
    let young = proxy(
        ["ung", "kvinna", "hemma", "ombud"],
        &["skrev"],
        Some("anhorig"),
    );
    setup.answer(&round, young).await;
    // A group of two that loses every background value, `vem` too: its proxy pages'
    // answers (three cells each) would say "ombud", so they go as well.
    for _ in 0..2 {
        let lone = proxy(
            ["ung", "man", "boende", "ombud"],
            &["laste", "skrev"],
            Some("personal"),
        );
        setup.answer(&round, lone).await;
    }

    let manifest = setup
        .export(std::slice::from_ref(&round), &options(5), "out")
        .await
        .expect("exported");
    let proxy_cells = ["hjalp_hur_laste", "hjalp_hur_skrev", "hjalp_vem"];
    for (file, delimiter) in [("responses.csv", b','), ("responses_excel.csv", b';')] {
        let text = setup.read("out", file);
        let rows = parse(text.trim_start_matches('\u{feff}'), delimiter);
        assert_eq!(rows.len(), 26, "{file}");
        let emptied: Vec<_> = rows.iter().filter(|r| r["vem"].is_empty()).collect();
        assert_eq!(emptied.len(), 2, "{file}");
        for row in &emptied {
            for cell in proxy_cells {
                assert_eq!(
                    row[cell], "",
                    "{file}: {cell} of a row whose vem was emptied"
                );
            }
            assert_eq!(row["betyg"], "2", "{file}: other answers are kept");
        }
        // Where `vem` is published, so is what it decided, also where the age went.
        let proxies: Vec<_> = rows.iter().filter(|r| r["vem"] == "ombud").collect();
        assert_eq!(proxies.len(), 14, "{file}");
        assert!(
            proxies.iter().all(|r| !r["hjalp_hur_laste"].is_empty()),
            "{file}"
        );
        let written_by_young = proxies
            .iter()
            .filter(|r| r["alder"].is_empty() && r["hjalp_hur_skrev"] == "1")
            .count();
        assert_eq!(
            written_by_young, 1,
            "{file}: the young proxy's answers stay"
        );
        assert_eq!(
            proxies
                .iter()
                .filter(|r| r["hjalp_vem"] == "anhorig")
                .count(),
            8,
            "{file}"
        );
    }
    let (dependent, emptied) = manifest
        .rules
        .iter()
        .find_map(|r| match r {
            Rule::KAnonymity {
                dependent_questions,
                dependent_cells_emptied,
                ..
            } => Some((dependent_questions.clone(), *dependent_cells_emptied)),
            _ => None,
        })
        .expect("the k-anonymity rule");
    assert_eq!(
        dependent,
        [
            ("hjalp_hur".to_owned(), vec!["vem".to_owned()]),
            ("hjalp_vem".to_owned(), vec!["vem".to_owned()]),
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(emptied, 6, "three cells in each of the two rows");

    // The codebook says when each was asked, so an empty cell can be read right.
    let codebook: serde_json::Value =
        serde_json::from_str(&setup.read("out", "codebook.json")).expect("json");
    let asked_if = |name: &str| codebook_variable(&codebook, name).get("asked_if").cloned();
    assert_eq!(
        asked_if("hjalp_hur_laste"),
        Some(serde_json::json!([{"question": "vem", "any_of": ["ombud"]}]))
    );
    assert_eq!(
        asked_if("hjalp_vem"),
        Some(serde_json::json!([{"question": "hjalp_hur", "any_of": ["skrev"]}]))
    );
    assert_eq!(asked_if("betyg"), None);
    let records = parse(&setup.read("out", "codebook.csv"), b',');
    let record = |name: &str| records.iter().find(|r| r["variable"] == name).unwrap();
    assert_eq!(record("hjalp_hur_skrev")["asked_if"], "vem = ombud");
    assert_eq!(record("hjalp_vem")["asked_if"], "hjalp_hur = skrev");
    assert_eq!(record("betyg")["asked_if"], "");
}

#[tokio::test]
async fn a_questionnaire_without_such_questions_lists_none() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    for _ in 0..7 {
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", "sjalv"]))
            .await;
    }
    let manifest = setup
        .export(std::slice::from_ref(&round), &options(1), "out")
        .await
        .expect("exported");
    let json = serde_json::to_value(&manifest).expect("json");
    let rule = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "k_anonymity")
        .unwrap();
    assert!(rule.get("dependent_questions").is_none(), "{rule}");
    assert_eq!(rule["dependent_cells_emptied"], 0);
}
