//! Render tests for the pages, with exact fragments of the HTML they must contain.

use std::sync::Arc;

use crate::domain::Municipality;
use crate::domain::answers::{FieldError, Problem};
use crate::domain::questionnaire::{Questionnaire, Slug, parse_definition};
use crate::domain::text::{Lang, Localized};
use crate::service::respondent::PageState;

use super::*;

const QUESTIONNAIRE: &str = r#"
id = "prov"
version = 1
title = { sv = "Provenkät", en = "Test survey" }

[[sections]]
id = "forsta"
title = { sv = "Om dig", en = "About you" }

[[sections.questions]]
id = "vad"
kind = "multiple_choice"
text = { sv = "Vad var bra?", en = "What was good?" }
max_choices = 2
options = [
  { code = "a", label = { sv = "Bemötandet", en = "The manner" } },
  { code = "b", label = { sv = "Tiden" } },
  { code = "c", label = { sv = "Platsen", en = "The place" } },
]

[[sections.questions]]
id = "ovrigt"
kind = "text"
multiline = false
text = { sv = "Något mer?", en = "Anything else?" }

[[sections.questions]]
id = "mer"
kind = "text"
text = { sv = "Berätta gärna mer", en = "Tell us more" }
"#;

fn questionnaire() -> Arc<Questionnaire> {
    Arc::new(parse_definition("prov.toml", QUESTIONNAIRE).unwrap_or_else(|e| panic!("{e}")))
}

fn municipality() -> Arc<Municipality> {
    Arc::new(Municipality {
        id: Slug::parse("provkommun").unwrap(),
        name: "Provkommunen & Co".into(),
        contact: Localized::swedish("Kontaktcenter, 0300-00 00 00")
            .with("en", "Contact centre, +46 300 00 00 00"),
        privacy_notice: Localized::swedish("Svaren är anonyma."),
    })
}

fn state(errors: Vec<FieldError>) -> PageState {
    PageState {
        questionnaire: questionnaire(),
        municipality: municipality(),
        section: 0,
        position: 1,
        total: 2,
        total_is_final: true,
        answers: Default::default(),
        errors,
        form_problems: Vec::new(),
        not_saved: None,
    }
}

fn english() -> Lang {
    Lang::find("en").unwrap()
}

fn assert_has(html: &str, fragment: &str) {
    assert!(html.contains(fragment), "missing {fragment}\nin {html}");
}

fn assert_has_not(html: &str, fragment: &str) {
    assert!(!html.contains(fragment), "unexpected {fragment}\nin {html}");
}

fn position(html: &str, fragment: &str) -> usize {
    html.find(fragment)
        .unwrap_or_else(|| panic!("missing {fragment}\nin {html}"))
}

#[test]
fn every_page_has_its_language_direction_and_an_empty_icon() {
    let html = home_page(english()).into_string();
    assert!(
        html.starts_with(r#"<!DOCTYPE html><html lang="en" dir="ltr"><head>"#),
        "{html}"
    );
    assert_has(&html, r#"<link rel="icon" href="data:,">"#);
}

#[test]
fn the_skip_link_is_inside_the_banner_landmark_and_comes_first() {
    let html = home_page(Lang::default()).into_string();
    assert_has(
        &html,
        r##"<body><header><a class="skip" href="#main">Hoppa till innehållet</a>"##,
    );
}

#[test]
fn the_language_switch_lists_every_language_in_its_own_name() {
    let html = survey_page(&state(Vec::new()), Lang::default()).into_string();
    assert_has(
        &html,
        r#"<nav class="languages" aria-label="Språk"><ul><li><span aria-current="true">Svenska</span></li><li><a href="?del=1&amp;lang=en" hreflang="en" lang="en" dir="ltr">English</a></li></ul></nav>"#,
    );
    let code = code_page(english(), "", None).into_string();
    assert_has(
        &code,
        r#"<a href="/kod?lang=sv" hreflang="sv" lang="sv" dir="ltr">Svenska</a>"#,
    );
    assert_has(&code, r#"<span aria-current="true">English</span>"#);
    let message = message_page(english(), "T", "B").into_string();
    assert_has(&message, r#"<a href="?lang=sv" hreflang="sv""#);
}

#[test]
fn a_survey_page_says_who_is_asking_in_a_footer_in_the_pages_language() {
    let sv = survey_page(&state(Vec::new()), Lang::default()).into_string();
    assert_has(
        &sv,
        "<footer><div class=\"wrap\"><p>Enkäten kommer från Provkommunen &amp; Co.</p>\
         <h2>Frågor om enkäten</h2><p>Kontaktcenter, 0300-00 00 00</p>\
         <h2>Så hanteras dina svar</h2><p>Svaren är anonyma.</p></div></footer>",
    );
    let en = survey_page(&state(Vec::new()), english()).into_string();
    assert_has(&en, "<p>This survey is from Provkommunen &amp; Co.</p>");
    assert_has(&en, "<p>Contact centre, +46 300 00 00 00</p>");
    // No English privacy notice: the Swedish one, marked as Swedish.
    assert_has(&en, r#"<p><span lang="sv">Svaren är anonyma.</span></p>"#);
}

#[test]
fn the_thanks_page_says_who_asked_and_a_message_page_does_not() {
    let thanks = thanks_page(Lang::default(), &questionnaire(), &municipality()).into_string();
    assert_has(&thanks, "<h1>Tack för dina svar</h1>");
    assert_has(
        &thanks,
        "<footer><div class=\"wrap\"><p>Enkäten kommer från Provkommunen &amp; Co.</p>",
    );
    let message = message_page(Lang::default(), "Sidan finns inte", "Text").into_string();
    assert_has_not(&message, "<footer>");
}

#[test]
fn a_blank_contact_is_left_out_of_the_footer() {
    let mut page = state(Vec::new());
    page.municipality = Arc::new(Municipality {
        contact: Localized::swedish(""),
        ..(*municipality()).clone()
    });
    let html = survey_page(&page, Lang::default()).into_string();
    assert_has_not(&html, "Frågor om enkäten");
    assert_has(&html, "<h2>Så hanteras dina svar</h2>");
}

#[test]
fn the_error_summary_comes_after_the_pages_heading() {
    let errors = vec![FieldError {
        question: Slug::parse("vad").unwrap(),
        problem: Problem::Required,
    }];
    let html = survey_page(&state(errors), Lang::default()).into_string();
    assert_has(
        &html,
        r#"<h1>Om dig</h1><div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1"><h2 id="error-summary-title">Det finns ett fel att rätta</h2>"#,
    );
    assert!(position(&html, "<h1>") < position(&html, "<h2"));
    let code = code_page(Lang::default(), "x", Some("Fel kod.")).into_string();
    assert!(
        position(&code, "<h1>Svara med kod</h1>")
            < position(&code, "<h2 id=\"error-summary-title\">")
    );
}

#[test]
fn the_most_choices_are_said_once_when_too_many_are_chosen() {
    let hint = r#"<p class="hint" id="q-vad-hint">Välj högst 2.</p>"#;
    let calm = survey_page(&state(Vec::new()), Lang::default()).into_string();
    assert_has(&calm, hint);
    assert_has(&calm, r#"aria-describedby="q-vad-hint""#);
    let errors = vec![FieldError {
        question: Slug::parse("vad").unwrap(),
        problem: Problem::TooManyChoices { max: 2 },
    }];
    let html = survey_page(&state(errors), Lang::default()).into_string();
    assert_has_not(&html, hint);
    assert_has(
        &html,
        r#"<fieldset class="question has-error" aria-describedby="q-vad-error">"#,
    );
    assert_eq!(
        html.matches("Välj högst 2").count(),
        2,
        "the summary and the message: {html}"
    );
    // A required answer missing says nothing about the limit: the hint stays.
    let required = vec![FieldError {
        question: Slug::parse("vad").unwrap(),
        problem: Problem::Required,
    }];
    let html = survey_page(&state(required), Lang::default()).into_string();
    assert_has(&html, hint);
}

#[test]
fn free_text_answers_are_not_autocompleted() {
    let html = survey_page(&state(Vec::new()), Lang::default()).into_string();
    assert_has(
        &html,
        r#"<input id="q-ovrigt" type="text" autocomplete="off" name="ovrigt" value="""#,
    );
    assert_has(
        &html,
        r#"<textarea id="q-mer" name="mer" rows="5" autocomplete="off""#,
    );
}

#[test]
fn the_example_code_in_the_hint_stays_on_one_line() {
    let html = code_page(Lang::default(), "", None).into_string();
    assert_has(
        &html,
        r#"<p class="hint" id="kod-hint">Koden står i brevet och har tio tecken, till exempel <span class="nowrap">ABCDE-12345</span>.</p>"#,
    );
    assert_has(STYLESHEET, ".nowrap{white-space:nowrap}");
}

#[test]
fn an_option_without_translation_is_marked_swedish_in_an_english_page() {
    let html = survey_page(&state(Vec::new()), english()).into_string();
    assert_has(
        &html,
        r#"<label for="q-vad-1"><span lang="sv">Tiden</span></label>"#,
    );
    assert_has(&html, r#"<label for="q-vad-0">The manner</label>"#);
}

#[test]
fn the_pages_of_a_round_not_open_say_who_asked_and_when_it_starts() {
    let day = time::macros::date!(2027 - 03 - 01);
    let planned = not_started_page(
        Lang::default(),
        &questionnaire(),
        &municipality(),
        Some(day),
    )
    .into_string();
    assert_has(&planned, "<h1>Enkäten har inte börjat än</h1>");
    assert!(
        position(&planned, "<h1>") < position(&planned, "Enkäten börjar 2027-03-01."),
        "{planned}"
    );
    assert_has(&planned, "Enkäten kommer från Provkommunen &amp; Co.");
    let undated =
        not_started_page(Lang::default(), &questionnaire(), &municipality(), None).into_string();
    assert_has_not(&undated, "Enkäten börjar");

    let ended = ended_page(english(), &questionnaire(), &municipality()).into_string();
    assert_has(&ended, "<h1>The survey has ended</h1>");
    assert_has(&ended, "Thank you for wanting to answer.");
    assert_has(&ended, "<footer>");
}
