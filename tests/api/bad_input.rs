//! Bad input of every kind gets a page that says what is wrong: never a 500 or a panic,
//! and what was typed is shown again.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use svar_shared::domain::answers::validate_section;
use svar_shared::domain::questionnaire::builtin;
use svar_shared::web::form::decode_page_form;

use crate::helpers::*;

async fn nyckeltal_app() -> (TestApp, String) {
    let app = spawn_app().await;
    let round = app.round("nyckeltal").await;
    let path = link_path(&app.invite(&round).await);
    let r = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("period", "2026-03"),
                ("kommun", "ale"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    (app, path)
}

#[tokio::test]
async fn a_body_over_64_kb_gets_the_413_page() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    let big = format!(
        "_section=0&_action=next&vem_svarar={}",
        "a".repeat(70 * 1024)
    );
    let reply = app.post(&path, big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    reply.assert_contains("För mycket text");
    let reply = app
        .post("/kod", "kod=".to_owned() + &"A".repeat(70 * 1024))
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn invalid_utf8_is_reported_and_the_rest_is_kept() {
    let (app, path) = nyckeltal_app().await;
    let body: Vec<u8> =
        b"_section=1&_action=next&inskrivna_totalt=12%FF&inskrivna_ordinart=7".to_vec();
    let reply = app.post(&path, body).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("kunde inte läsas");
    reply.assert_contains(r#"value="7""#);
}

#[tokio::test]
async fn an_unknown_field_is_named_and_answers_are_kept() {
    let (app, path) = nyckeltal_app().await;
    let reply = app
        .post_form(
            &path,
            &[
                ("_section", "1"),
                ("_action", "next"),
                ("inskrivna_totalt", "120"),
                ("hacker", "1"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("(hacker)");
    reply.assert_contains(r#"value="120""#);
}

#[tokio::test]
async fn a_value_that_is_not_an_option_is_refused() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    let reply = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("vem_svarar", "robot"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("Välj ett av alternativen.");
}

#[tokio::test]
async fn numbers_out_of_range_or_malformed_get_clear_messages() {
    let (app, path) = nyckeltal_app().await;
    let cases = [
        ("-1", "Talet får inte vara mindre än 0."),
        ("100001", "Talet får inte vara större än 100000."),
        ("12,5", "Skriv ett heltal, utan decimaler."),
        ("tolv", "Skriv ett tal med siffror"),
        ("1e9", "Skriv ett tal med siffror"),
    ];
    for (typed, message) in cases {
        let reply = app
            .post_form(
                &path,
                &[
                    ("_section", "1"),
                    ("_action", "next"),
                    ("inskrivna_totalt", typed),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        reply.assert_contains(message);
        reply.assert_contains(&format!(r#"value="{typed}""#));
    }
}

#[tokio::test]
async fn a_part_larger_than_its_whole_is_refused() {
    let (app, path) = nyckeltal_app().await;
    let reply = app
        .post_form(
            &path,
            &[
                ("_section", "1"),
                ("_action", "next"),
                ("inskrivna_totalt", "100"),
                ("inskrivna_ordinart", "60"),
                ("inskrivna_sarskilt", "50"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("Delarna blir tillsammans 110, vilket är mer än totalen 100");
    let reply = app
        .post_form(
            &path,
            &[
                ("_section", "1"),
                ("_action", "next"),
                ("inskrivna_totalt", "100"),
                ("inskrivna_korttid", "101"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("Talet kan inte vara större än totalen");
    let ok = app
        .post_form(
            &path,
            &[
                ("_section", "1"),
                ("_action", "next"),
                ("inskrivna_totalt", "100"),
                ("inskrivna_ordinart", "60"),
                ("inskrivna_sarskilt", "40"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn text_over_its_max_length_is_refused_and_kept() {
    let (app, path) = nyckeltal_app().await;
    let long = "å".repeat(1001);
    let reply = app
        .post_form(
            &path,
            &[("_section", "2"), ("_action", "send"), ("kommentar", &long)],
        )
        .await;
    // Page 3 holds the comment; sending validates it first.
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("Texten får vara högst 1000 tecken. Nu är den 1001 tecken.");
    reply.assert_contains(&long);
}

#[tokio::test]
async fn a_forged_section_index_shows_the_right_page_with_a_message() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    for section in ["99", "-1", "x", "5", ""] {
        // Section 5 exists but is hidden for this respondent.
        let reply = app
            .post_form(&path, &[("_section", section), ("_action", "next")])
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{section}");
        reply.assert_contains("Sidan du skickade stämde inte med enkäten");
        reply.assert_contains(r#"<p class="progress">Del 1</p>"#);
    }
    let reply = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "explode"),
                ("vem_svarar", "patient"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains(r#"value="patient" checked"#);
}

#[tokio::test]
async fn a_missing_or_odd_content_type_is_still_decoded_safely() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    let request = Request::post(&path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"vem_svarar":"patient"}"#))
        .unwrap();
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any bytes at all: the decoder and the validator never panic.
    #[test]
    fn arbitrary_bodies_never_panic_the_decoder_or_validator(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let form = decode_page_form(&body);
        for questionnaire in builtin().unwrap() {
            for section in &questionnaire.sections {
                let _ = validate_section(&questionnaire, section, &form.post.answers);
            }
        }
    }

    /// Form-shaped bodies with real field names and odd values.
    #[test]
    fn form_like_bodies_never_panic_the_validator(
        pairs in proptest::collection::vec(
            (prop::sample::select(vec![
                "vem_svarar", "helhet_forbattra", "helhet_ovrigt", "inskrivna_totalt", "period",
                "registeruttag", "_section", "_action", "ssk_timmar_per_patient", "inskrivna_ordinart",
            ]), "[ -~åäöÅÄÖ%+&=]{0,30}"),
            0..20,
        )
    ) {
        let body = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let form = decode_page_form(body.as_bytes());
        for questionnaire in builtin().unwrap() {
            for section in &questionnaire.sections {
                let _ = validate_section(&questionnaire, section, &form.post.answers);
            }
        }
    }
}

#[tokio::test]
async fn arbitrary_bodies_through_the_router_never_give_a_server_error() {
    let (app, path) = nyckeltal_app().await;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    let strategy = proptest::collection::vec(any::<u8>(), 0..400);
    for _ in 0..64 {
        let body = strategy.new_tree(&mut runner).unwrap().current();
        for target in [path.as_str(), "/kod"] {
            let reply = app.post(target, body.clone()).await;
            assert!(
                !reply.status.is_server_error(),
                "{} for {:?}",
                reply.status,
                body
            );
        }
    }
}
