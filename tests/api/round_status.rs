//! A link or code of a round that is not open: planned (403, "not started yet") or
//! closed (410, "has ended"). A normal page in the respondent's language with the
//! municipality's contact; nothing is saved and no failed look-up is counted.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use axum::http::StatusCode;
use svar_shared::domain::questionnaire::Slug;
use svar_shared::domain::{
    ClientKey, InvitationStatus, Period, QuestionnaireRef, Round, RoundStatus,
};
use svar_shared::service::setup::IssuedInvitation;
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::{ResponseStore, RoundAdminStore};
use time::{Duration, OffsetDateTime};

use crate::helpers::*;

const PLANNED_TITLE: &str = "Enkäten har inte börjat än";
const CLOSED_TITLE: &str = "Enkäten har avslutats";
const CLOSED_THANKS: &str = "Tack för att du ville svara.";
const CONTACT: &str = "Testkommunens kontaktcenter";

/// An app over an embedded store the test keeps a handle on, to change a round's status.
async fn app() -> (TestApp, Arc<EmbeddedStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("test.sqlite3")).unwrap());
    let app = spawn_app_on(store.clone(), Box::new(dir)).await;
    (app, store)
}

/// A patient round with `status`, its period starting in ten days.
async fn round_with(app: &TestApp, status: RoundStatus) -> Round {
    round_starting(app, status, 10).await
}

/// A patient round with `status`, its period starting `days` from today.
async fn round_starting(app: &TestApp, status: RoundStatus, days: i64) -> Round {
    let today = OffsetDateTime::now_utc().date();
    let mut round = Round::open_patient_round(
        Slug::parse("testkommun").unwrap(),
        "Hösten",
        QuestionnaireRef {
            id: Slug::parse("patientupplevelse").unwrap(),
            version: 1,
        },
        OffsetDateTime::now_utc(),
    );
    round.status = status;
    round.period = Period::new(today + Duration::days(days), today + Duration::days(100)).unwrap();
    app.store.create_round(&round).await.unwrap();
    round
}

fn code_path(issued: &IssuedInvitation) -> String {
    format!("/s/{}", issued.code.path_segment())
}

/// The first page of the patient survey, answered and posted with Next.
const FIRST_PAGE: &[(&str, &str)] = &[
    ("_section", "0"),
    ("_lang", "sv"),
    ("_action", "next"),
    ("vem_svarar", "patient"),
    ("alder", "85_94"),
];

/// Nothing of the invitation changed: open, no draft, no response, no failed look-up.
async fn nothing_saved(app: &TestApp, round: &Round, issued: &IssuedInvitation) {
    let invitation = app
        .store
        .invitation_by_credential(&issued.link.hash(&app.hash_key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invitation.status, InvitationStatus::Open);
    assert_eq!(
        app.store
            .draft(&invitation.id, OffsetDateTime::now_utc())
            .await
            .unwrap(),
        None
    );
    assert_eq!(app.store.count_responses(&round.id).await.unwrap(), 0);
    let client = ClientKey::from_address(&app.hash_key, IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    let failed = app
        .store
        .failed_lookups(&client, OffsetDateTime::now_utc(), Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(failed, 0, "a valid link is no failed look-up");
}

#[tokio::test]
async fn opening_a_link_of_a_planned_round_says_it_has_not_started_and_when() {
    let (app, _) = app().await;
    let round = round_with(&app, RoundStatus::Planned).await;
    let issued = app.invite(&round).await;

    let reply = app.get(&link_path(&issued)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    reply.assert_contains(&format!("<h1>{PLANNED_TITLE}</h1>"));
    reply.assert_contains(&format!("Enkäten börjar {}.", round.period.start()));
    reply.assert_contains(CONTACT);
    assert!(!reply.body.contains("<form"), "no questions are shown");
    nothing_saved(&app, &round, &issued).await;
}

#[tokio::test]
async fn posting_to_a_link_of_a_planned_round_saves_nothing() {
    let (app, _) = app().await;
    let round = round_with(&app, RoundStatus::Planned).await;
    let issued = app.invite(&round).await;

    let reply = app.post_form(&link_path(&issued), FIRST_PAGE).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    reply.assert_contains(PLANNED_TITLE);
    nothing_saved(&app, &round, &issued).await;
}

#[tokio::test]
async fn a_code_of_a_planned_round_leads_to_the_not_started_page() {
    let (app, _) = app().await;
    let round = round_with(&app, RoundStatus::Planned).await;
    let issued = app.invite(&round).await;

    // The code form finds the invitation and sends the respondent to it.
    let typed = app
        .post_form("/kod", &[("kod", &issued.code.reveal())])
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER);
    let location = typed.location.unwrap();
    assert!(location.starts_with(&code_path(&issued)), "{location}");
    let opened = app.get(&location).await;
    assert_eq!(opened.status, StatusCode::FORBIDDEN);
    opened.assert_contains(PLANNED_TITLE);

    let posted = app.post_form(&code_path(&issued), FIRST_PAGE).await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    posted.assert_contains(PLANNED_TITLE);
    nothing_saved(&app, &round, &issued).await;
}

#[tokio::test]
async fn a_planned_round_past_its_start_day_gives_no_date() {
    let (app, _) = app().await;
    let round = round_starting(&app, RoundStatus::Planned, -1).await;
    let issued = app.invite(&round).await;

    let reply = app.get(&format!("{}?lang=en", link_path(&issued))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    reply.assert_contains("<h1>The survey has not started yet</h1>");
    assert!(!reply.body.contains("starts on"), "{}", reply.body);
}

#[tokio::test]
async fn opening_a_link_of_a_closed_round_says_it_has_ended_in_the_respondents_language() {
    let (app, _) = app().await;
    let round = round_with(&app, RoundStatus::Closed).await;
    let issued = app.invite(&round).await;

    let reply = app.get(&link_path(&issued)).await;
    assert_eq!(reply.status, StatusCode::GONE);
    reply.assert_contains(&format!("<h1>{CLOSED_TITLE}</h1>"));
    reply.assert_contains(CLOSED_THANKS);
    reply.assert_contains(CONTACT);
    reply.assert_contains(r#"<html lang="sv" dir="ltr">"#);

    let english = app.get(&format!("{}?lang=en", link_path(&issued))).await;
    assert_eq!(english.status, StatusCode::GONE);
    english.assert_contains("<h1>The survey has ended</h1>");
    english.assert_contains(r#"<html lang="en" dir="ltr">"#);
    nothing_saved(&app, &round, &issued).await;
}

#[tokio::test]
async fn a_code_of_a_closed_round_leads_to_the_ended_page_and_a_post_saves_nothing() {
    let (app, _) = app().await;
    let round = round_with(&app, RoundStatus::Closed).await;
    let issued = app.invite(&round).await;

    let typed = app
        .post_form("/kod", &[("kod", &issued.code.reveal())])
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER);
    let opened = app.get(&typed.location.unwrap()).await;
    assert_eq!(opened.status, StatusCode::GONE);
    opened.assert_contains(CLOSED_TITLE);

    let posted = app.post_form(&code_path(&issued), FIRST_PAGE).await;
    assert_eq!(posted.status, StatusCode::GONE);
    posted.assert_contains(CLOSED_THANKS);
    nothing_saved(&app, &round, &issued).await;
}

#[tokio::test]
async fn closing_a_round_stops_a_respondent_half_way_and_keeps_nothing_new() {
    let (app, store) = app().await;
    let round = round_with(&app, RoundStatus::Open).await;
    let issued = app.invite(&round).await;
    let path = link_path(&issued);
    let next = app.post_form(&path, FIRST_PAGE).await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);

    assert!(
        store
            .set_round_status(&round.id, RoundStatus::Closed)
            .await
            .unwrap()
    );
    let invitation = app
        .store
        .invitation_by_credential(&issued.link.hash(&app.hash_key))
        .await
        .unwrap()
        .unwrap();
    let draft_before = app
        .store
        .draft(&invitation.id, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let posted = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_lang", "sv"),
                ("_action", "next"),
                ("vem_svarar", "ombud"),
                ("alder", "65_74"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::GONE);
    posted.assert_contains(CLOSED_TITLE);
    assert_eq!(
        app.store
            .draft(&invitation.id, OffsetDateTime::now_utc())
            .await
            .unwrap(),
        draft_before,
        "the draft is as it was"
    );
    assert_eq!(app.get(&path).await.status, StatusCode::GONE);

    // Opened again, the round takes answers again at once.
    store
        .set_round_status(&round.id, RoundStatus::Open)
        .await
        .unwrap();
    assert_eq!(app.get(&path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn whoever_answered_is_still_thanked_after_the_round_closed() {
    let (app, store) = app().await;
    let round = round_with(&app, RoundStatus::Open).await;
    let issued = app.invite(&round).await;
    let invitation = app
        .store
        .invitation_by_credential(&issued.link.hash(&app.hash_key))
        .await
        .unwrap()
        .unwrap();
    store
        .submit_response(&invitation.id, &svar_tests::response(&round), None)
        .await
        .unwrap();
    store
        .set_round_status(&round.id, RoundStatus::Closed)
        .await
        .unwrap();

    let reply = app.get(&link_path(&issued)).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_contains("Tack för dina svar");
}
