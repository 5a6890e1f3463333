//! The respondent path as a patient walks it.

use axum::http::StatusCode;
use svar_shared::domain::{Answer, Credential};
use svar_shared::web::pages::STYLESHEET;

use crate::helpers::*;

const PAGE_LIMIT_BYTES: usize = 30 * 1024;

/// Answers page 1 of the patient survey and returns the redirect target.
async fn answer_background(app: &TestApp, path: &str, who: &str) -> String {
    let reply = app
        .post_form(
            path,
            &[
                ("_section", "0"),
                ("_lang", "sv"),
                ("_action", "next"),
                ("vem_svarar", who),
                ("alder", "85_94"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    reply.location.unwrap()
}

#[tokio::test]
async fn a_patient_answers_with_one_mistake_and_sends() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let issued = app.invite(&round).await;
    let path = link_path(&issued);

    let first = app.get(&path).await;
    assert_eq!(first.status, StatusCode::OK);
    // Page 1 decides whether the helper page is shown: no total until it is answered.
    first.assert_contains(r#"<p class="progress">Del 1</p>"#);
    first.assert_contains(r#"<html lang="sv" dir="ltr">"#);
    first.assert_contains("<footer><div class=\"wrap\"><p>Enkäten kommer från Testkommun.</p>");

    // The deliberate mistake: the required question left out.
    let mistake = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_lang", "sv"),
                ("_action", "next"),
                ("alder", "85_94"),
            ],
        )
        .await;
    assert_eq!(mistake.status, StatusCode::UNPROCESSABLE_ENTITY);
    mistake.assert_contains("Det finns ett fel att rätta");
    mistake.assert_contains(r##"href="#q-vem_svarar-0""##);
    mistake.assert_contains("Svara på frågan.");
    mistake.assert_contains(r#"value="85_94" checked"#);

    assert_eq!(
        answer_background(&app, &path, "patient").await,
        "?del=2&lang=sv"
    );
    for (section, action) in [("1", "next"), ("2", "next"), ("3", "next")] {
        let reply = app
            .post_form(
                &path,
                &[
                    ("_section", section),
                    ("_lang", "sv"),
                    ("_action", action),
                    ("bemotande_respekt", "5"),
                ],
            )
            .await;
        // Only section 1 has bemotande_respekt; elsewhere it is an unknown field.
        if section == "1" {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        } else {
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
            reply.assert_contains("inte hör till den här sidan (bemotande_respekt)");
            let reply = app
                .post_form(
                    &path,
                    &[("_section", section), ("_lang", "sv"), ("_action", action)],
                )
                .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        }
    }
    let last = app.get(&format!("{path}?del=5")).await;
    last.assert_contains("Del 5 av 5");
    last.assert_contains(r#"value="send""#);

    let sent = app
        .post_form(
            &path,
            &[
                ("_section", "4"),
                ("_lang", "sv"),
                ("_action", "send"),
                ("helhet_betyg", "4"),
                ("helhet_ovrigt", "Bra personal.\r\nTack!"),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.location.as_deref(), Some("?lang=sv"));

    let again = app.get(&path).await;
    assert_eq!(again.status, StatusCode::OK);
    again.assert_contains("Tack för dina svar");
    again.assert_contains("<p>Testkommunens kontaktcenter, 0000-00 00 00</p>");
    assert!(
        !again.body.contains("Bra personal"),
        "the thanks page must show no answers"
    );

    let page = app.store.responses_page(&round.id, None, 10).await.unwrap();
    assert_eq!(page.responses.len(), 1);
    let response = &page.responses[0];
    assert_eq!(
        response.answers[&slug("vem_svarar")],
        Answer::Choice(slug("patient"))
    );
    assert_eq!(
        response.answers[&slug("bemotande_respekt")],
        Answer::Choice(slug("5"))
    );
    assert_eq!(
        response.answers[&slug("helhet_ovrigt")],
        Answer::Text("Bra personal.\nTack!".into())
    );
    assert_eq!(app.store.count_responses(&round.id).await.unwrap(), 1);

    // Its export row is stored with it: the row its questionnaire's encoder makes.
    let rows = app
        .store
        .export_rows_page(&round.id, None, 10)
        .await
        .unwrap();
    let questionnaire = app
        .store
        .questionnaire(&round.questionnaire.id, round.questionnaire.version)
        .await
        .unwrap()
        .unwrap();
    let expected = svar_shared::export::RowEncoder::new(&questionnaire)
        .unwrap()
        .encode(response)
        .unwrap();
    assert_eq!(rows.rows, [expected]);
    assert!(rows.next.is_none());
}

fn slug(s: &str) -> svar_shared::domain::questionnaire::Slug {
    svar_shared::domain::questionnaire::Slug::parse(s).unwrap()
}

#[tokio::test]
async fn a_stored_response_holds_no_token_invitation_or_time_of_day() {
    let app = spawn_app().await;
    let round = app.round("civilsamhalle").await;
    let issued = app.invite(&round).await;
    let path = link_path(&issued);
    walk_to_the_end_and_send(&app, &path).await;
    let response = &app
        .store
        .responses_page(&round.id, None, 10)
        .await
        .unwrap()
        .responses[0];
    let json = serde_json::to_value(response).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "answers",
            "id",
            "municipality",
            "questionnaire",
            "round",
            "submitted_on"
        ]
    );
    let day = json["submitted_on"].as_str().unwrap();
    assert!(
        day.len() == 10 && day.as_bytes()[4] == b'-',
        "only the day is stored: {day}"
    );
    let text = json.to_string();
    assert!(!text.contains(issued.link.path_segment()));
    assert!(!text.contains(issued.code.path_segment()));
}

/// Fills every shown page of a questionnaire with "send what is required" answers.
async fn walk_to_the_end_and_send(app: &TestApp, path: &str) {
    // The civil-society mapping: municipality and service area, then the three questions.
    let r = app
        .post_form(
            path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("kommun", "ale"),
                ("verksamhet", "hemsjukvard"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("{path}?del=2")).await;
    let names = textarea_names(&page.body);
    let mut fields = vec![("_section", "1"), ("_action", "send")];
    for name in &names {
        fields.push((name, "Föreningar och kyrkor."));
    }
    let r = app.post_form(path, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.get(path).await.assert_contains("Tack för dina svar");
}

#[tokio::test]
async fn back_keeps_answers_and_the_link_resumes_where_the_patient_left_off() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    answer_background(&app, &path, "ombud").await;

    // Page 2 answered but left with Back: saved without validation.
    let back = app
        .post_form(
            &path,
            &[
                ("_section", "1"),
                ("_action", "back"),
                ("bemotande_respekt", "2"),
            ],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(back.location.as_deref(), Some("?del=1&lang=sv"));
    let page1 = app.get(&format!("{path}?del=1")).await;
    page1.assert_contains(r#"value="ombud" checked"#);
    page1.assert_contains(r#"value="85_94" checked"#);

    // A new visit without a page number resumes at the first page not yet saved (3),
    // and page 2 still has its answer.
    let resumed = app.get(&path).await;
    resumed.assert_contains("Del 3 av 6");
    let page2 = app.get(&format!("{path}?del=2")).await;
    page2.assert_contains(r#"name="bemotande_respekt" value="2" checked"#);
}

#[tokio::test]
async fn the_link_resumes_at_a_page_left_with_a_problem_and_shows_it() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    answer_background(&app, &path, "ombud").await;
    for section in ["1", "2", "3"] {
        let next = app
            .post_form(&path, &[("_section", section), ("_action", "next")])
            .await;
        assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);
    }
    // Page 5 with four choices where three are allowed: kept as typed, not passed.
    let mistake = app
        .post_form(
            &path,
            &[
                ("_section", "4"),
                ("_action", "next"),
                ("helhet_forbattra", "mer_tid"),
                ("helhet_forbattra", "samma_personal"),
                ("helhet_forbattra", "information"),
                ("helhet_forbattra", "annat"),
            ],
        )
        .await;
    assert_eq!(mistake.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The patient closes the page and opens the link later: back at page 5, not past
    // it at page 6, with the problem said and the choices as they were.
    let resumed = app.get(&path).await;
    assert_eq!(resumed.status, StatusCode::OK);
    resumed.assert_contains("Del 5 av 6");
    resumed.assert_contains("Det finns ett fel att rätta");
    resumed.assert_contains("Välj högst 3 alternativ.");
    resumed.assert_contains(r#"value="annat" checked"#);

    // A page opened by its number shows no problem before the patient tries to go on.
    let asked_for = app.get(&format!("{path}?del=5")).await;
    asked_for.assert_contains("Del 5 av 6");
    assert!(!asked_for.body.contains("Det finns ett fel att rätta"));

    // Mended, the link resumes at the first page not yet saved.
    let mended = app
        .post_form(
            &path,
            &[
                ("_section", "4"),
                ("_action", "next"),
                ("helhet_forbattra", "mer_tid"),
            ],
        )
        .await;
    assert_eq!(mended.status, StatusCode::SEE_OTHER, "{}", mended.body);
    app.get(&path).await.assert_contains("Del 6 av 6");
}

#[tokio::test]
async fn the_helper_section_is_shown_only_to_helpers_and_hidden_answers_are_dropped() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);

    answer_background(&app, &path, "med_hjalp").await;
    let page = app.get(&format!("{path}?del=1")).await;
    page.assert_contains("Del 1 av 6");
    let helper_page = app.get(&format!("{path}?del=6")).await;
    helper_page.assert_contains(r#"name="hjalp_hur""#);
    let r = app
        .post_form(
            &path,
            &[
                ("_section", "5"),
                ("_action", "send"),
                ("hjalp_hur", "laste_fragorna"),
            ],
        )
        .await;
    // Whatever the option codes are, a wrong one is refused with a message.
    if r.status == StatusCode::UNPROCESSABLE_ENTITY {
        r.assert_contains("Välj ett av alternativen.");
    }

    // Now the patient answers alone: the helper page disappears and its answers are dropped.
    answer_background(&app, &path, "patient").await;
    let last = app.get(&format!("{path}?del=5")).await;
    last.assert_contains("Del 5 av 5");
    let sent = app
        .post_form(&path, &[("_section", "4"), ("_action", "send")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let response = &app
        .store
        .responses_page(&round.id, None, 10)
        .await
        .unwrap()
        .responses[0];
    assert!(
        response
            .answers
            .keys()
            .all(|k| !k.as_str().starts_with("hjalp")),
        "{:?}",
        response.answers
    );
}

#[tokio::test]
async fn a_short_code_typed_loosely_opens_the_survey() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let issued = app.invite(&round).await;
    let code = issued.code.reveal().to_lowercase().replace('-', " ");

    let reply = app
        .post_form("/kod", &[("kod", &format!("  {code} ")), ("_lang", "en")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.location.unwrap();
    assert_eq!(
        location,
        format!("/s/{}?lang=en", issued.code.path_segment())
    );
    let page = app.get(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(r#"<html lang="en" dir="ltr">"#);
    page.assert_contains(r#"<p class="progress">Part 1</p>"#);
}

#[tokio::test]
async fn a_wrong_or_malformed_code_is_explained_on_the_code_page() {
    let app = spawn_app().await;
    let unknown = app.post_form("/kod", &[("kod", "ABCDE-FGHJK")]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    unknown.assert_contains("Vi hittar ingen enkät med den koden");
    unknown.assert_contains(r#"value="ABCDE-FGHJK""#);
    let malformed = app.post_form("/kod", &[("kod", "<script>")]).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    malformed.assert_contains("Koden ska ha tio bokstäver och siffror");
    malformed.assert_contains("&lt;script&gt;");
}

#[tokio::test]
async fn unknown_and_expired_links_give_a_plain_404_page() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let expired = app
        .invite_until(
            &round,
            time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
        )
        .await;
    for path in [
        link_path(&expired),
        "/s/notavalidtoken".into(),
        format!("/s/{}", Credential::new_link().path_segment()),
    ] {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        reply.assert_contains("Sidan finns inte");
    }
    assert_eq!(app.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_response_keeps_the_token_from_leaking_and_pages_from_being_cached() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    for reply in [
        app.get(&path).await,
        app.get("/kod").await,
        app.get("/s/x").await,
    ] {
        assert_eq!(reply.headers["referrer-policy"], "no-referrer");
        assert_eq!(reply.headers["cache-control"], "no-store");
        assert!(
            reply.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        assert!(
            !reply.body.contains(path.trim_start_matches("/s/")),
            "the token must not be in the page"
        );
    }
}

#[tokio::test]
async fn english_falls_back_to_swedish_and_marks_it() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    let page = app.get(&format!("{path}?lang=en")).await;
    page.assert_contains(r#"<html lang="en" dir="ltr">"#);
    page.assert_contains("Next");
    page.assert_contains(r#"hreflang="sv" lang="sv" dir="ltr">Svenska"#);
}

#[tokio::test]
async fn every_page_with_its_stylesheet_is_under_30_kb() {
    let app = spawn_app().await;
    for (questionnaire, pages) in [
        ("patientupplevelse", 6),
        ("civilsamhalle", 2),
        ("nyckeltal", 3),
    ] {
        let round = app.round(questionnaire).await;
        let path = link_path(&app.invite(&round).await);
        if questionnaire == "patientupplevelse" {
            answer_background(&app, &path, "ombud").await;
        }
        for page in 1..=pages {
            for lang in ["sv", "en"] {
                let reply = app.get(&format!("{path}?del={page}&lang={lang}")).await;
                assert_eq!(reply.status, StatusCode::OK);
                let size = reply.body.len() + STYLESHEET.len();
                assert!(
                    size < PAGE_LIMIT_BYTES,
                    "{questionnaire} page {page} ({lang}) is {size} bytes"
                );
            }
        }
        // With every question in error, too.
        let reply = app
            .post_form(
                &path,
                &[("_section", "0"), ("_action", "next"), ("zz", "1")],
            )
            .await;
        assert!(reply.body.len() + STYLESHEET.len() < PAGE_LIMIT_BYTES);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_submissions_of_one_link_store_exactly_one() {
    fifty_concurrent_submissions(spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs DynamoDB Local: run tests/run-all"]
async fn fifty_concurrent_submissions_of_one_link_store_exactly_one_on_dynamodb() {
    fifty_concurrent_submissions(spawn_app_on_dynamodb().await).await;
}

async fn fifty_concurrent_submissions(app: TestApp) {
    let round = app.round("civilsamhalle").await;
    let path = link_path(&app.invite(&round).await);
    let r = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("kommun", "ale"),
                ("verksamhet", "hemsjukvard"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&format!("{path}?del=2")).await;
    let required = textarea_names(&page.body);
    let mut fields = vec![
        ("_section".to_owned(), "1".to_owned()),
        ("_action".to_owned(), "send".to_owned()),
    ];
    fields.extend(required.iter().map(|n| (n.clone(), "Svar".to_owned())));
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (app, path, body) = (app.clone(), path.clone(), body.clone());
        tasks.push(tokio::spawn(async move { app.post(&path, body).await }));
    }
    let mut thanks = 0;
    let mut answered = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            StatusCode::SEE_OTHER => thanks += 1,
            StatusCode::CONFLICT => {
                reply.assert_contains("Tack för dina svar");
                answered += 1;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!((thanks, answered), (1, 49));
    assert_eq!(app.store.count_responses(&round.id).await.unwrap(), 1);
    assert_eq!(
        app.store
            .responses_page(&round.id, None, 100)
            .await
            .unwrap()
            .responses
            .len(),
        1
    );
}
