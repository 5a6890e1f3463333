//! Questionnaire definitions: the built-in files in `shared/questionnaires/` and the
//! checks that `shared/src/questionnaire/file.rs` makes when a file is loaded.
//!
//! The first part checks that the three built-in questionnaires load and say what they
//! should. The second part has one test per load error: each one changes a single thing
//! in a small valid definition ([`BASE`]) and asserts that the message names the file,
//! the place (question, section, scale or check) and the problem.

use svar_shared::domain::questionnaire::{
    ConsistencyCheck, NO, Question, QuestionKind, Questionnaire, RESERVED_CODES, Slug, YES,
    builtin, parse_definition,
};
use svar_shared::domain::text::Localized;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn builtin_questionnaire(id: &str) -> Questionnaire {
    let all = builtin().unwrap_or_else(|e| panic!("the built-in questionnaires do not load:\n{e}"));
    all.into_iter()
        .find(|q| q.id.as_str() == id)
        .unwrap_or_else(|| panic!("there is no built-in questionnaire '{id}'"))
}

fn question<'a>(q: &'a Questionnaire, id: &str) -> &'a Question {
    q.question(id)
        .unwrap_or_else(|| panic!("{} has no question '{id}'", q.id))
}

fn slug(value: &str) -> Slug {
    Slug::parse(value).unwrap_or_else(|e| panic!("{e}"))
}

fn codes(question: &Question) -> Vec<&str> {
    question.choice_codes()
}

fn ids(questions: &[Question]) -> Vec<&str> {
    questions.iter().map(|q| q.id.as_str()).collect()
}

/// Every text of a questionnaire with a description of where it is.
fn all_texts(q: &Questionnaire) -> Vec<(String, &Localized)> {
    let mut texts = vec![("title".to_owned(), &q.title)];
    texts.extend(q.intro.iter().map(|t| ("intro".to_owned(), t)));
    for section in &q.sections {
        let place = format!("section '{}'", section.id);
        texts.push((format!("{place} title"), &section.title));
        texts.extend(section.intro.iter().map(|t| (format!("{place} intro"), t)));
        for question in &section.questions {
            let place = format!("question '{}'", question.id);
            texts.push((format!("{place} text"), &question.text));
            texts.extend(question.help.iter().map(|t| (format!("{place} help"), t)));
            match &question.kind {
                QuestionKind::SingleChoice { options }
                | QuestionKind::MultipleChoice { options, .. } => {
                    for option in options {
                        texts.push((format!("{place} option '{}'", option.code), &option.label));
                    }
                }
                QuestionKind::Number {
                    unit: Some(unit), ..
                } => {
                    texts.push((format!("{place} unit"), unit));
                }
                _ => {}
            }
        }
    }
    texts
}

const MUNICIPALITIES: [(&str, &str); 13] = [
    ("ale", "Ale"),
    ("alingsas", "Alingsås"),
    ("goteborg", "Göteborg"),
    ("harryda", "Härryda"),
    ("kungsbacka", "Kungsbacka"),
    ("kungalv", "Kungälv"),
    ("lerum", "Lerum"),
    ("lilla_edet", "Lilla Edet"),
    ("molndal", "Mölndal"),
    ("partille", "Partille"),
    ("stenungsund", "Stenungsund"),
    ("tjorn", "Tjörn"),
    ("ockero", "Öckerö"),
];

fn assert_lists_the_municipalities(question: &Question) {
    let QuestionKind::SingleChoice { options } = &question.kind else {
        panic!("question '{}' should be a single choice", question.id);
    };
    let listed: Vec<(&str, &str)> = options
        .iter()
        .map(|o| (o.code.as_str(), o.label.sv()))
        .collect();
    assert_eq!(listed, MUNICIPALITIES);
}

// ---------------------------------------------------------------------------
// The built-in questionnaires
// ---------------------------------------------------------------------------

#[test]
fn the_three_builtin_questionnaires_load_without_problems() {
    let all = builtin().unwrap_or_else(|e| panic!("the built-in questionnaires do not load:\n{e}"));
    let loaded: Vec<(&str, u32)> = all.iter().map(|q| (q.id.as_str(), q.version)).collect();
    assert_eq!(
        loaded,
        [
            ("patientupplevelse", 1),
            ("civilsamhalle", 1),
            ("nyckeltal", 1)
        ]
    );
}

#[test]
fn every_builtin_text_is_written_in_swedish_and_english() {
    for q in builtin().expect("the built-in questionnaires load") {
        for (place, text) in all_texts(&q) {
            assert!(
                !text.sv().trim().is_empty(),
                "{}: {place} has no Swedish",
                q.id
            );
            let en = text.in_code("en").unwrap_or("");
            assert!(!en.trim().is_empty(), "{}: {place} has no English", q.id);
        }
    }
}

#[test]
fn builtin_option_codes_are_short_and_never_reserved() {
    for q in builtin().expect("the built-in questionnaires load") {
        for (_, question) in q.questions() {
            for code in question.choice_codes() {
                assert!(code.len() <= 20, "{}: code '{code}' is long", question.id);
                assert!(!RESERVED_CODES.contains(&code), "{}: '{code}'", question.id);
            }
        }
    }
}

#[test]
fn the_patient_survey_asks_the_background_questions_first() {
    let q = builtin_questionnaire("patientupplevelse");
    let background = &q.sections[0];
    assert_eq!(background.id.as_str(), "bakgrund");
    assert_eq!(
        ids(&background.questions),
        ["vem_svarar", "alder", "kon", "vardform"]
    );

    let who = question(&q, "vem_svarar");
    assert!(who.required, "the pages after depend on who is answering");
    assert_eq!(codes(who), ["patient", "med_hjalp", "ombud"]);

    let gender = question(&q, "kon");
    let QuestionKind::SingleChoice { options } = &gender.kind else {
        panic!("kon should be a single choice");
    };
    assert!(
        options
            .iter()
            .any(|o| o.label.sv().contains("vill inte svara")),
        "kon needs an answer for other / prefer not to say"
    );

    assert_eq!(
        codes(question(&q, "vardform")),
        ["hemsjukvard", "sarskilt_boende", "korttid", "annat"]
    );
    assert_eq!(codes(question(&q, "alder")).len(), 5);
}

/// Experience items are counted as every question on a page that is neither the
/// background page (the first page: who answers, age, gender, form of care) nor a page
/// with a `show_if` (the page for a helper or proxy). So the overall rating, the
/// "what would make it better" question and the free text all count as items.
#[test]
fn the_patient_survey_has_15_to_25_experience_items_on_4_to_7_pages() {
    let q = builtin_questionnaire("patientupplevelse");
    assert!(
        (4..=7).contains(&q.sections.len()),
        "{} pages",
        q.sections.len()
    );
    let items: usize = q
        .sections
        .iter()
        .skip(1)
        .filter(|s| s.show_if.is_none())
        .map(|s| s.questions.len())
        .sum();
    assert!((15..=25).contains(&items), "{items} experience items");
}

#[test]
fn the_helper_page_is_shown_only_to_someone_who_helped_or_answered_for_the_patient() {
    let q = builtin_questionnaire("patientupplevelse");
    let (index, helper) = q
        .sections
        .iter()
        .enumerate()
        .find(|(_, s)| s.show_if.is_some())
        .expect("a page with a condition");
    assert_eq!(helper.id.as_str(), "hjalp");
    assert!(
        index > 0,
        "the condition must come after the background page"
    );
    let condition = helper.show_if.as_ref().expect("a condition");
    assert_eq!(condition.question.as_str(), "vem_svarar");
    let any_of: Vec<&str> = condition.any_of.iter().map(|c| c.as_str()).collect();
    assert_eq!(any_of, ["med_hjalp", "ombud"]);
    assert!((2..=3).contains(&helper.questions.len()));
    assert!(matches!(
        question(&q, "hjalp_hur").kind,
        QuestionKind::MultipleChoice { .. }
    ));
    // No other page or question of the patient survey is conditional.
    let conditional = q.sections.iter().filter(|s| s.show_if.is_some()).count()
        + q.questions().filter(|(_, q)| q.show_if.is_some()).count();
    assert_eq!(conditional, 1);
}

#[test]
fn the_patient_survey_uses_a_shared_scale_and_every_kind_it_needs() {
    let q = builtin_questionnaire("patientupplevelse");
    let questions: Vec<&Question> = q.questions().map(|(_, q)| q).collect();

    let agreement = question(&q, "bemotande_respekt");
    let scale = codes(agreement);
    assert_eq!(scale, ["1", "2", "3", "4", "5"]);
    let on_scale = questions
        .iter()
        .filter(|other| other.kind == agreement.kind)
        .count();
    assert!(
        on_scale >= 12,
        "{on_scale} questions use the agreement scale"
    );
    assert!(questions.iter().any(|q| q.dont_know));
    assert!(questions.iter().any(|q| q.not_applicable));

    assert!(questions.iter().any(|q| matches!(
        q.kind,
        QuestionKind::MultipleChoice {
            max_choices: Some(_),
            ..
        }
    )));
    assert!(questions.iter().any(|q| q.kind == QuestionKind::YesNo));
    assert_eq!(codes(question(&q, "info_synpunkter")), [YES, NO]);
    assert!(questions.iter().filter(|q| q.help.is_some()).count() >= 3);

    assert_eq!(codes(question(&q, "helhet_betyg")).len(), 5);
    assert!(matches!(
        question(&q, "helhet_ovrigt").kind,
        QuestionKind::Text {
            max_length: 2000,
            ..
        }
    ));

    // Required only where it really matters.
    let required: Vec<&str> = questions
        .iter()
        .filter(|q| q.required)
        .map(|q| q.id.as_str())
        .collect();
    assert_eq!(required, ["vem_svarar"]);
}

#[test]
fn the_civil_society_mapping_asks_the_networks_three_questions_word_for_word() {
    let q = builtin_questionnaire("civilsamhalle");
    assert_eq!(q.sections.len(), 2);

    let first = &q.sections[0];
    assert_eq!(ids(&first.questions), ["kommun", "verksamhet"]);
    assert_lists_the_municipalities(&first.questions[0]);
    let areas = codes(&first.questions[1]);
    for area in [
        "hemsjukvard",
        "sarskilt_boende",
        "hof",
        "funktionshinder",
        "annat",
    ] {
        assert!(areas.contains(&area), "service area '{area}' is missing");
    }

    let second = &q.sections[1];
    let asked: Vec<(&str, bool)> = second
        .questions
        .iter()
        .map(|q| (q.text.sv(), q.required))
        .collect();
    assert_eq!(
        asked,
        [
            (
                "Vilka aktörer i civilsamhället kan skapa mervärde för kommunerna?",
                true
            ),
            (
                "Vilka av kommunens verksamheter kan vinna på ökad samverkan med civilsamhället?",
                true
            ),
            (
                "Övriga tankar/idéer kring samverkan med civilsamhället?",
                false
            ),
        ]
    );
    for question in &second.questions {
        assert!(
            matches!(
                question.kind,
                QuestionKind::Text {
                    multiline: true,
                    max_length: 1..=4000
                }
            ),
            "'{}' should be multiline free text",
            question.id
        );
    }
}

#[test]
fn the_indicator_report_checks_that_the_parts_are_within_the_total() {
    let q = builtin_questionnaire("nyckeltal");

    let period = question(&q, "period");
    assert_eq!(period.kind, QuestionKind::Month);
    assert!(period.required);
    assert_lists_the_municipalities(question(&q, "kommun"));

    let parts = [
        "inskrivna_ordinart",
        "inskrivna_sarskilt",
        "inskrivna_korttid",
        "inskrivna_ovrigt",
    ];
    assert_eq!(
        q.checks,
        [ConsistencyCheck::PartsWithinWhole {
            whole: slug("inskrivna_totalt"),
            parts: parts.iter().map(|p| slug(p)).collect(),
        }]
    );

    let total = question(&q, "inskrivna_totalt");
    assert!(total.required);
    let QuestionKind::Number {
        decimals: 0,
        min: Some(0.0),
        max: Some(max),
        unit: Some(unit),
    } = &total.kind
    else {
        panic!("the total should be a whole number from 0 with a unit");
    };
    assert!(*max >= 10_000.0);
    assert_eq!(unit.sv(), "patienter");
    assert_eq!(unit.in_code("en"), Some("patients"));

    // The total and its parts are on one page, so the check can run there.
    let page = q
        .sections
        .iter()
        .find(|s| {
            s.questions
                .iter()
                .any(|q| q.id.as_str() == "inskrivna_totalt")
        })
        .expect("the total's page");
    for part in parts {
        assert!(
            page.questions.iter().any(|q| q.id.as_str() == part),
            "'{part}' is not on the total's page"
        );
        assert!(
            matches!(
                question(&q, part).kind,
                QuestionKind::Number {
                    decimals: 0,
                    min: Some(0.0),
                    max: Some(_),
                    ..
                }
            ),
            "'{part}' should be a whole number from 0 with a maximum"
        );
    }

    assert!(matches!(
        question(&q, "ssk_timmar_per_patient").kind,
        QuestionKind::Number { decimals: 1, .. }
    ));
    assert_eq!(question(&q, "registeruttag").kind, QuestionKind::YesNo);
}

#[test]
fn the_example_in_the_readme_loads() {
    let readme = include_str!("../questionnaires/README.md");
    let start = readme.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let length = readme[start..].find("```").expect("the end of the example");
    let q = parse_definition("README.md", &readme[start..start + length])
        .unwrap_or_else(|e| panic!("the README example does not load:\n{e}"));
    assert_eq!(q.id.as_str(), "exempel");
    assert_eq!(q.checks.len(), 1);
    assert!(q.sections[2].show_if.is_some());
}

// ---------------------------------------------------------------------------
// Load errors
// ---------------------------------------------------------------------------

const FILE: &str = "questionnaires/prov.toml";

/// A small valid definition with two pages, a scale, a condition and a check.
/// Each test below changes one thing in it.
const BASE: &str = r#"
id = "prov"
version = 1
title = { sv = "Prov", en = "Test" }

[scales.nojd]
options = [
  { code = "1", label = { sv = "Missnöjd", en = "Dissatisfied" } },
  { code = "2", label = { sv = "Nöjd", en = "Satisfied" } },
]

[[sections]]
id = "forsta"
title = { sv = "Första sidan", en = "First page" }

[[sections.questions]]
id = "vem"
kind = "single_choice"
text = { sv = "Vem svarar?", en = "Who answers?" }
options = [
  { code = "patient", label = { sv = "Patienten", en = "The patient" } },
  { code = "ombud", label = { sv = "Någon annan", en = "Someone else" } },
]

[[sections.questions]]
id = "totalt"
kind = "number"
min = 0
max = 100
text = { sv = "Hur många besök?", en = "How many visits?" }

[[sections.questions]]
id = "varav"
kind = "number"
min = 0
max = 50
text = { sv = "Varav hemma", en = "Of which at home" }

[[sections]]
id = "andra"
title = { sv = "Andra sidan", en = "Second page" }

[[sections.questions]]
id = "nojd"
kind = "single_choice"
scale = "nojd"
show_if = { question = "vem", any_of = ["patient"] }
text = { sv = "Är du nöjd?", en = "Are you satisfied?" }

[[sections.questions]]
id = "ovrigt"
kind = "text"
max_length = 500
text = { sv = "Något mer?", en = "Anything else?" }

[[sections.questions]]
id = "igen"
kind = "yes_no"
text = { sv = "Vill du svara igen?", en = "Will you answer again?" }

[[checks]]
kind = "parts_within_whole"
whole = "totalt"
parts = ["varav"]
"#;

/// [`BASE`] with the one occurrence of `from` replaced by `to`.
#[track_caller]
fn base_with(from: &str, to: &str) -> String {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "'{from}' is not unique in BASE"
    );
    BASE.replacen(from, to, 1)
}

/// The problem lines for a definition that must be refused.
#[track_caller]
fn problems(source: &str) -> Vec<String> {
    match parse_definition(FILE, source) {
        Ok(_) => panic!("the definition should be refused:\n{source}"),
        Err(error) => {
            let lines: Vec<String> = error.to_string().lines().map(str::to_owned).collect();
            assert_eq!(lines.len(), error.problems.len());
            lines
        }
    }
}

/// Asserts that some problem line names the file, the place and the problem.
#[track_caller]
fn assert_reported(source: &str, place: &str, problem: &str) {
    let lines = problems(source);
    let expected = format!("{FILE}: {place}: ");
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with(&expected) && line.contains(problem)),
        "expected a line starting '{expected}' and containing '{problem}', got:\n{}",
        lines.join("\n")
    );
}

/// Like [`assert_reported`], and that it is the only problem.
#[track_caller]
fn assert_only_problem(source: &str, place: &str, problem: &str) {
    let lines = problems(source);
    assert_eq!(
        lines.len(),
        1,
        "expected one problem, got:\n{}",
        lines.join("\n")
    );
    assert_reported(source, place, problem);
}

#[test]
fn the_base_definition_of_these_tests_loads() {
    let q = parse_definition(FILE, BASE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(q.sections.len(), 2);
    assert_eq!(q.checks.len(), 1);
}

#[test]
fn an_unknown_key_is_refused_with_its_line() {
    let source = base_with("kind = \"yes_no\"\n", "kind = \"yes_no\"\nrequird = true\n");
    let line = source
        .lines()
        .position(|l| l == "requird = true")
        .expect("the changed line")
        + 1;
    let lines = problems(&source);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(&format!("{FILE}: ")), "{}", lines[0]);
    assert!(lines[0].contains("unknown field `requird`"), "{}", lines[0]);
    assert!(lines[0].contains(&format!("line {line}")), "{}", lines[0]);
}

/// Errors found while reading the TOML (unknown keys, missing keys, wrong types) name
/// the question too, not only the line.
#[test]
fn an_unknown_key_is_reported_with_its_question_id() {
    let source = base_with("kind = \"yes_no\"\n", "kind = \"yes_no\"\nrequird = true\n");
    assert_reported(&source, "question 'igen'", "unknown field `requird`");
}

#[test]
fn a_question_id_used_twice_is_refused_even_on_another_page() {
    let source = base_with("id = \"igen\"", "id = \"totalt\"");
    assert_only_problem(&source, "question 'totalt'", "duplicate question id");
}

#[test]
fn a_section_id_used_twice_is_refused() {
    let source = base_with("id = \"andra\"", "id = \"forsta\"");
    assert_only_problem(&source, "section 'forsta'", "duplicate section id");
}

#[test]
fn an_id_with_capital_letters_is_refused() {
    let source = base_with("id = \"igen\"", "id = \"Igen\"");
    assert_only_problem(&source, "question 'Igen'", "'Igen' is not a valid id");
}

#[test]
fn a_condition_on_a_later_question_is_refused() {
    let source = base_with(
        "id = \"totalt\"\n",
        "id = \"totalt\"\nshow_if = { question = \"igen\", any_of = [\"ja\"] }\n",
    );
    assert_only_problem(
        &source,
        "question 'totalt'",
        "show_if refers to question 'igen', which is missing or comes later",
    );
}

#[test]
fn a_condition_on_a_missing_question_is_refused() {
    let source = base_with("question = \"vem\"", "question = \"finns_inte\"");
    assert_only_problem(
        &source,
        "question 'nojd'",
        "show_if refers to question 'finns_inte', which is missing",
    );
}

#[test]
fn a_condition_on_a_question_on_the_same_page_is_refused() {
    let source = base_with(
        "id = \"igen\"\n",
        "id = \"igen\"\nshow_if = { question = \"nojd\", any_of = [\"2\"] }\n",
    );
    assert_only_problem(
        &source,
        "question 'igen'",
        "show_if refers to question 'nojd' on the same page",
    );
}

#[test]
fn a_condition_on_a_value_that_is_not_an_option_is_refused() {
    let source = base_with("any_of = [\"patient\"]", "any_of = [\"anhorig\"]");
    assert_only_problem(
        &source,
        "question 'nojd'",
        "show_if value 'anhorig' is not an option of question 'vem'",
    );
}

#[test]
fn a_condition_on_dont_know_is_refused_because_it_is_not_an_option() {
    let source = base_with(
        "id = \"vem\"\nkind = \"single_choice\"\n",
        "id = \"vem\"\nkind = \"single_choice\"\ndont_know = true\n",
    );
    let source = source.replacen("any_of = [\"patient\"]", "any_of = [\"vet_ej\"]", 1);
    assert_only_problem(
        &source,
        "question 'nojd'",
        "show_if value 'vet_ej' is not an option of question 'vem'",
    );
}

#[test]
fn a_condition_on_a_number_question_is_refused() {
    let source = base_with("question = \"vem\"", "question = \"totalt\"");
    let source = source.replacen("any_of = [\"patient\"]", "any_of = [\"ja\"]", 1);
    assert_only_problem(
        &source,
        "question 'nojd'",
        "show_if refers to question 'totalt', which is not a choice or yes/no question",
    );
}

#[test]
fn a_page_condition_is_checked_and_names_the_section() {
    let source = base_with(
        "title = { sv = \"Andra sidan\", en = \"Second page\" }\n",
        "title = { sv = \"Andra sidan\", en = \"Second page\" }\n\
         show_if = { question = \"vem\", any_of = [\"kanske\"] }\n",
    );
    assert_only_problem(
        &source,
        "section 'andra'",
        "show_if value 'kanske' is not an option of question 'vem'",
    );
}

#[test]
fn a_scale_option_without_a_label_is_refused() {
    let source = base_with(
        "{ code = \"1\", label = { sv = \"Missnöjd\", en = \"Dissatisfied\" } }",
        "{ code = \"1\" }",
    );
    assert_reported(&source, "scale 'nojd'", "option '1' has no label");
    // The question on the broken scale is reported too.
    assert_reported(
        &source,
        "question 'nojd'",
        "scale 'nojd' is not defined (or has problems of its own)",
    );
}

#[test]
fn a_question_option_without_a_label_is_refused() {
    let source = base_with(
        "{ code = \"ombud\", label = { sv = \"Någon annan\", en = \"Someone else\" } }",
        "{ code = \"ombud\" }",
    );
    assert_reported(&source, "question 'vem'", "option 'ombud' has no label");
}

#[test]
fn a_scale_with_a_single_option_is_refused() {
    let source = base_with(
        "  { code = \"2\", label = { sv = \"Nöjd\", en = \"Satisfied\" } },\n",
        "",
    );
    assert_reported(
        &source,
        "scale 'nojd'",
        "a scale needs at least two options",
    );
}

#[test]
fn an_undefined_scale_is_refused() {
    let source = base_with("scale = \"nojd\"", "scale = \"finns_inte\"");
    assert_only_problem(
        &source,
        "question 'nojd'",
        "scale 'finns_inte' is not defined",
    );
}

#[test]
fn a_reserved_code_is_refused_as_an_option_code() {
    let source = base_with("code = \"ombud\"", "code = \"vet_ej\"");
    assert_reported(
        &source,
        "question 'vem'",
        "option code 'vet_ej' is reserved: use dont_know = true or not_applicable = true",
    );
}

#[test]
fn a_reserved_code_is_refused_in_a_scale() {
    let source = base_with("code = \"2\"", "code = \"ej_aktuellt\"");
    assert_reported(
        &source,
        "scale 'nojd'",
        "option code 'ej_aktuellt' is reserved",
    );
}

#[test]
fn a_text_question_with_max_length_0_is_refused() {
    let source = base_with("max_length = 500", "max_length = 0");
    assert_only_problem(
        &source,
        "question 'ovrigt'",
        "max_length must be between 1 and 4000",
    );
}

#[test]
fn a_text_question_longer_than_4000_characters_is_refused() {
    let source = base_with("max_length = 500", "max_length = 4001");
    assert_only_problem(
        &source,
        "question 'ovrigt'",
        "max_length must be between 1 and 4000",
    );
}

#[test]
fn a_number_question_with_min_greater_than_max_is_refused() {
    let source = base_with("min = 0\nmax = 100\n", "min = 100\nmax = 0\n");
    assert_only_problem(&source, "question 'totalt'", "min is greater than max");
}

#[test]
fn a_key_that_does_not_fit_the_kind_is_refused() {
    let source = base_with(
        "min = 0\nmax = 50\n",
        "min = 0\nmax = 50\nmax_length = 10\n",
    );
    assert_only_problem(
        &source,
        "question 'varav'",
        "'max_length' does not apply to this kind of question",
    );
}

#[test]
fn max_choices_above_the_number_of_options_is_refused() {
    let source = base_with(
        "id = \"vem\"\nkind = \"single_choice\"\n",
        "id = \"vem\"\nkind = \"multiple_choice\"\nmax_choices = 3\n",
    );
    assert_only_problem(
        &source,
        "question 'vem'",
        "max_choices must be between 1 and the number of options (2)",
    );
}

#[test]
fn a_question_without_swedish_text_is_refused() {
    let source = base_with(
        "text = { sv = \"Något mer?\", en = \"Anything else?\" }",
        "text = { sv = \" \", en = \"Anything else?\" }",
    );
    assert_only_problem(
        &source,
        "question 'ovrigt'",
        "text has no Swedish text (sv)",
    );
}

#[test]
fn a_section_without_swedish_title_is_refused() {
    let source = base_with(
        "title = { sv = \"Andra sidan\", en = \"Second page\" }",
        "title = { sv = \"\", en = \"Second page\" }",
    );
    assert_only_problem(&source, "section 'andra'", "title has no Swedish text (sv)");
}

#[test]
fn a_text_with_only_english_is_refused_with_its_line() {
    let source = base_with(
        "text = { sv = \"Något mer?\", en = \"Anything else?\" }",
        "text = { en = \"Anything else?\" }",
    );
    let lines = problems(&source);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(&format!("{FILE}: ")), "{}", lines[0]);
    assert!(
        lines[0].contains("missing Swedish text (sv)"),
        "{}",
        lines[0]
    );
}

/// Any language can be added to a questionnaire by its code; the code must be well-formed
/// (it becomes a `lang` attribute), and a bad one is named with its place and line.
#[test]
fn a_text_in_a_badly_written_language_code_is_refused_with_its_place_and_line() {
    let source = base_with(
        "text = { sv = \"Något mer?\", en = \"Anything else?\" }",
        "text = { sv = \"Något mer?\", English = \"Anything else?\" }",
    );
    let line = source
        .lines()
        .position(|l| l.contains("English ="))
        .expect("the changed line")
        + 1;
    let lines = problems(&source);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("'English' is not a well-formed language code"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(&format!("line {line}")), "{}", lines[0]);
    assert_reported(
        &source,
        "question 'ovrigt'",
        "'English' is not a well-formed language code",
    );
}

#[test]
fn a_text_in_any_well_formed_language_code_is_kept() {
    let source = base_with(
        "text = { sv = \"Något mer?\", en = \"Anything else?\" }",
        "text = { sv = \"Något mer?\", en = \"Anything else?\", ar = \"هل هناك شيء آخر؟\" }",
    );
    let q = parse_definition(FILE, &source).unwrap_or_else(|e| panic!("{e}"));
    let text = &q.question("ovrigt").expect("the question").text;
    assert_eq!(text.codes().collect::<Vec<_>>(), ["ar", "en", "sv"]);
    assert_eq!(text.in_code("ar"), Some("هل هناك شيء آخر؟"));
}

/// Intros, help texts and units need Swedish text too, like titles and labels.
#[test]
fn a_help_text_without_swedish_is_refused() {
    let source = base_with(
        "text = { sv = \"Något mer?\", en = \"Anything else?\" }",
        "text = { sv = \"Något mer?\", en = \"Anything else?\" }\n\
         help = { sv = \"\", en = \"Do not write names.\" }",
    );
    assert_only_problem(
        &source,
        "question 'ovrigt'",
        "help has no Swedish text (sv)",
    );
}

#[test]
fn a_check_naming_a_question_that_is_not_a_number_is_refused() {
    let source = base_with("parts = [\"varav\"]", "parts = [\"varav\", \"ovrigt\"]");
    assert_only_problem(
        &source,
        "check on 'totalt'",
        "question 'ovrigt' is not a number question",
    );
}

#[test]
fn a_check_with_a_whole_that_is_not_a_number_is_refused() {
    let source = base_with("whole = \"totalt\"", "whole = \"igen\"");
    assert_only_problem(
        &source,
        "check on 'igen'",
        "question 'igen' is not a number question",
    );
}

#[test]
fn a_check_naming_a_missing_question_is_refused() {
    let source = base_with("parts = [\"varav\"]", "parts = [\"varav\", \"finns_inte\"]");
    assert_only_problem(
        &source,
        "check on 'totalt'",
        "question 'finns_inte' does not exist",
    );
}

#[test]
fn a_check_without_parts_is_refused() {
    let source = base_with("parts = [\"varav\"]", "parts = []");
    assert_only_problem(
        &source,
        "check on 'totalt'",
        "parts_within_whole needs at least one part",
    );
}

/// A whole listed among its own parts makes the sum of the parts exceed the whole as
/// soon as any other part is above 0, so the check could never pass with real figures.
#[test]
fn a_check_that_lists_its_whole_among_its_parts_is_refused() {
    let source = base_with("parts = [\"varav\"]", "parts = [\"varav\", \"totalt\"]");
    let lines = problems(&source);
    assert!(
        lines.iter().any(|l| l.contains("check on 'totalt'")),
        "{lines:?}"
    );
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let source = base_with("max_length = 500", "max_length = 0");
    let source = source.replacen("min = 0\nmax = 100\n", "min = 100\nmax = 0\n", 1);
    let source = source.replacen("id = \"andra\"", "id = \"forsta\"", 1);
    let lines = problems(&source);
    assert_eq!(lines.len(), 3, "{}", lines.join("\n"));
    assert_reported(&source, "question 'ovrigt'", "max_length");
    assert_reported(&source, "question 'totalt'", "min is greater than max");
    assert_reported(&source, "section 'forsta'", "duplicate section id");
}
