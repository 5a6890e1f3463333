//! The network's mapping and report rounds through the router: sending, the status per
//! municipality, the mapping's multi-use link, the report, and who may see what.

use axum::http::StatusCode;
use svar_shared::domain::questionnaire::{self, QuestionKind};
use svar_shared::domain::*;
use svar_shared::service::workspace::seed;
use svar_shared::store::NetworkSend;

use crate::helpers::*;

/// Posts the send form as `gr`; the send it made.
async fn send_as_network(
    app: &AdminApp,
    session: &Session,
    kind: &str,
    questionnaire: &str,
    municipalities: &[&str],
    limit: &str,
) -> NetworkSend {
    let mut fields = vec![
        ("kind", kind),
        ("questionnaire", questionnaire),
        ("name", "Våren 2026 <i>"),
        ("start", "2026-03-01"),
        ("end", "2026-05-31"),
        ("answer_limit", limit),
    ];
    fields.extend(municipalities.iter().map(|m| ("municipalities", *m)));
    let reply = app.post_as(session, "/admin/natverk/skicka", &fields).await;
    reply.assert_status(StatusCode::SEE_OTHER);
    let location = reply.location.unwrap();
    let id = RoundId::parse(location.trim_start_matches("/admin/natverk/utskick/")).unwrap();
    app.store.send(&slug("gr"), &id).await.unwrap().unwrap()
}

fn round_of(send: &NetworkSend, municipality: &str) -> RoundId {
    send.rounds
        .iter()
        .find(|(m, _)| m.as_str() == municipality)
        .unwrap()
        .1
        .clone()
}

/// Makes the municipality's mapping link through its page; the link's path.
async fn make_link(app: &AdminApp, session: &Session, round: &RoundId) -> String {
    let made = app
        .post_as(
            session,
            &format!("/admin/natverk/omgangar/{round}/lank"),
            &[],
        )
        .await;
    made.assert_status(StatusCode::OK);
    assert_eq!(made.headers["cache-control"], "no-store");
    let at = made.body.find("/m/").expect("the link is shown");
    let rest = &made.body[at..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A staff member opening the link and sending a response for their own invitation.
async fn answer_once(app: &AdminApp, link: &str) -> String {
    let opened = app.get(link).await;
    opened.assert_status(StatusCode::SEE_OTHER);
    let own = opened.location.unwrap();
    let segment = own.trim_start_matches("/s/").split('?').next().unwrap();
    let credential = Credential::from_path(segment).unwrap();
    let invitation = app
        .store
        .invitation_by_credential(&credential.hash(&app.hash_key))
        .await
        .unwrap()
        .unwrap();
    let response = Response {
        id: ResponseId::random(),
        round: invitation.round.clone(),
        municipality: invitation.municipality.clone(),
        questionnaire: invitation.questionnaire.clone(),
        submitted_on: time::OffsetDateTime::now_utc().date(),
        answers: [(slug("kommun"), Answer::Choice(slug("ale")))].into(),
    };
    app.store
        .submit_response(&invitation.id, &response, None)
        .await
        .unwrap();
    own
}

#[tokio::test]
async fn the_network_sends_the_mapping_to_three_and_the_report_to_all_thirteen() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let form = app.get_as(&gr, "/admin/natverk/skicka").await;
    form.assert_status(StatusCode::OK);
    form.assert_contains(r#"value="civilsamhalle:1""#);
    form.assert_contains("Lilla Edet");

    let mapping = send_as_network(
        &app,
        &gr,
        "mapping",
        "civilsamhalle:1",
        &["ale", "lerum", "tjorn"],
        "",
    )
    .await;
    assert_eq!(mapping.rounds.len(), 3);
    let overview = app
        .get_as(&gr, &format!("/admin/natverk/utskick/{}", mapping.id))
        .await;
    overview.assert_status(StatusCode::OK);
    assert_eq!(overview.body.matches("Inte påbörjad").count(), 3);
    overview.assert_contains("Våren 2026 &lt;i&gt;");

    let organisations = seed::organisations();
    let all: Vec<&str> = organisations
        .iter()
        .filter(|o| o.kind == OrganisationKind::Municipality)
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(all.len(), 13);
    let report = send_as_network(&app, &gr, "report", "nyckeltal:1", &all, "").await;
    let overview = app
        .get_as(&gr, &format!("/admin/natverk/utskick/{}", report.id))
        .await;
    assert_eq!(overview.body.matches("Inte påbörjad").count(), 13);
    let list = app.get_as(&gr, "/admin/natverk").await;
    assert_eq!(list.body.matches("/admin/natverk/utskick/").count(), 2);

    // Each municipality sees what was sent to it.
    let ale = app.sign_in("ale").await;
    let received = app.get_as(&ale, "/admin/natverk").await;
    assert_eq!(received.body.matches("Våren 2026 &lt;i&gt;").count(), 2);
    let molndal = app.sign_in("molndal").await;
    let received = app.get_as(&molndal, "/admin/natverk").await;
    assert_eq!(received.body.matches("Våren 2026 &lt;i&gt;").count(), 1);
    assert!(
        app.audit("gr")
            .await
            .iter()
            .any(|e| e.action == AuditAction::MappingSent)
    );
}

#[tokio::test]
async fn staff_answer_through_the_municipalitys_link_and_the_status_follows() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let send = send_as_network(
        &app,
        &gr,
        "mapping",
        "civilsamhalle:1",
        &["ale", "lerum"],
        "2",
    )
    .await;
    let ale_round = round_of(&send, "ale");
    let ale = app.sign_in("ale").await;
    // The first screen says what the network waits for, with the way there.
    let home = app.get_as(&ale, "/admin").await;
    home.assert_contains("Nätverket väntar på svar från er:");
    home.assert_contains(&format!(
        r#"<a href="/admin/natverk/omgangar/{ale_round}">Våren 2026 &lt;i&gt;</a> – Inte påbörjad, pågår till och med 2026-05-31"#
    ));
    let alingsas = app.sign_in("alingsas").await;
    let not_sent_to = app.get_as(&alingsas, "/admin").await;
    assert!(!not_sent_to.body.contains("Nätverket väntar"));
    let page = app
        .get_as(&ale, &format!("/admin/natverk/omgangar/{ale_round}"))
        .await;
    page.assert_contains("Ni har ingen länk än.");
    let link = make_link(&app, &ale, &ale_round).await;
    let overview_path = format!("/admin/natverk/utskick/{}", send.id);
    let overview = app.get_as(&gr, &overview_path).await;
    overview.assert_contains("Pågår");

    // Two staff members: two invitations of their own, so two separate drafts.
    let first = answer_once(&app, &link).await;
    let second = answer_once(&app, &link).await;
    assert_ne!(first, second);
    let overview = app.get_as(&gr, &overview_path).await;
    overview.assert_contains("Har svar");
    overview.assert_contains("<td>2</td>");
    // Answered: no longer waited for.
    let home = app.get_as(&ale, "/admin").await;
    assert!(!home.body.contains("Nätverket väntar"), "{}", home.body);

    // The limit (2) is reached: a polite page.
    let full = app.get(&link).await;
    full.assert_status(StatusCode::GONE);
    full.assert_contains("Kartläggningen har fått alla svar den tar emot");

    // A new link revokes the old one.
    let again = make_link(&app, &ale, &ale_round).await;
    assert_ne!(again, link);
    app.get(&link).await.assert_status(StatusCode::NOT_FOUND);

    // The network reads the answers grouped; the municipality its own.
    let answers = app.get_as(&gr, &format!("{overview_path}/svar")).await;
    answers.assert_status(StatusCode::OK);
    answers.assert_contains("2 svar");
    answers.assert_contains("<h3>Ale kommun</h3>");
    let own = app
        .get_as(&ale, &format!("/admin/natverk/omgangar/{ale_round}/svar"))
        .await;
    own.assert_status(StatusCode::OK);
    assert!(
        app.audit("ale")
            .await
            .iter()
            .all(|e| !e.object.contains(link.trim_start_matches("/m/")))
    );
}

#[tokio::test]
async fn a_municipality_sees_nothing_of_anothers_mapping_or_report() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let mapping = send_as_network(
        &app,
        &gr,
        "mapping",
        "civilsamhalle:1",
        &["ale", "lerum"],
        "",
    )
    .await;
    let report = send_as_network(&app, &gr, "report", "nyckeltal:1", &["ale", "lerum"], "").await;
    let (ale_mapping, ale_report) = (round_of(&mapping, "ale"), round_of(&report, "ale"));
    let lerum = app.sign_in("lerum").await;
    for path in [
        format!("/admin/natverk/omgangar/{ale_mapping}"),
        format!("/admin/natverk/omgangar/{ale_mapping}/svar"),
        format!("/admin/natverk/rapporter/{ale_report}"),
        "/admin/natverk/omgangar/inte-ett-id".to_owned(),
    ] {
        let reply = app.get_as(&lerum, &path).await;
        reply.assert_status(StatusCode::NOT_FOUND);
        assert!(!reply.body.contains("Våren 2026"), "{path}");
    }
    app.post_as(
        &lerum,
        &format!("/admin/natverk/omgangar/{ale_mapping}/lank"),
        &[],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    app.post_as(
        &lerum,
        &format!("/admin/natverk/rapporter/{ale_report}"),
        &[("_action", "save")],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // A send is the network's: to a municipality it does not exist.
    app.get_as(&lerum, &format!("/admin/natverk/utskick/{}", mapping.id))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_network_never_reads_a_patient_round() {
    let app = spawn_admin().await;
    let patient = app.round("ale", "Hemsjukvård").await;
    let gr = app.sign_in("gr").await;
    for path in [
        format!("/admin/natverk/utskick/{}", patient.id),
        format!("/admin/natverk/utskick/{}/svar", patient.id),
        format!("/admin/natverk/rapporter/{}", patient.id),
    ] {
        app.get_as(&gr, &path)
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
    app.post_as(
        &gr,
        &format!("/admin/natverk/omgangar/{}/paminn", patient.id),
        &[],
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_municipality_cannot_send_and_the_refusal_is_audited() {
    let app = spawn_admin().await;
    let ale = app.sign_in("ale").await;
    let reply = app
        .post_as(
            &ale,
            "/admin/natverk/skicka",
            &[
                ("kind", "mapping"),
                ("questionnaire", "civilsamhalle:1"),
                ("municipalities", "ale"),
            ],
        )
        .await;
    reply.assert_status(StatusCode::FORBIDDEN);
    assert!(app.store.sends(&slug("ale")).await.unwrap().is_empty());
    let trail = app.audit("ale").await;
    assert!(matches!(
        trail
            .iter()
            .find(|e| e.action == AuditAction::MappingSent)
            .map(|e| &e.result),
        Some(AuditResult::Refused(_))
    ));
}

#[tokio::test]
async fn a_bad_send_shows_the_form_again_with_the_message() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let reply = app
        .post_as(
            &gr,
            "/admin/natverk/skicka",
            &[
                ("kind", "mapping"),
                ("questionnaire", "civilsamhalle:1"),
                ("name", "Typed <b>"),
                ("start", "2026-03-01"),
                ("end", "2026-05-31"),
            ],
        )
        .await;
    reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("Välj minst en kommun.");
    reply.assert_contains(r##"href="#municipality-0""##);
    reply.assert_contains(r#"value="Typed &lt;b&gt;""#);
}

/// Every question of `nyckeltal` with an acceptable value, as form fields.
fn nyckeltal_fields() -> Vec<(String, String)> {
    let questionnaire = questionnaire::builtin()
        .unwrap()
        .into_iter()
        .find(|q| q.id.as_str() == "nyckeltal")
        .unwrap();
    questionnaire
        .sections
        .iter()
        .flat_map(|s| &s.questions)
        .map(|q| {
            let value = match &q.kind {
                QuestionKind::SingleChoice { options }
                | QuestionKind::MultipleChoice { options, .. } => options[0].code.to_string(),
                QuestionKind::Number { min, .. } => min.unwrap_or(0.0).max(0.0).to_string(),
                QuestionKind::YesNo => "ja".to_owned(),
                QuestionKind::Month => "2026-03".to_owned(),
                QuestionKind::Text { .. } => "Inget att tillägga".to_owned(),
            };
            (q.id.to_string(), value)
        })
        .collect()
}

#[tokio::test]
async fn a_report_is_saved_sent_reopened_and_sent_again() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let send = send_as_network(&app, &gr, "report", "nyckeltal:1", &["ale"], "").await;
    let round = round_of(&send, "ale");
    let path = format!("/admin/natverk/rapporter/{round}");
    let overview_path = format!("/admin/natverk/utskick/{}", send.id);
    let ale = app.sign_in("ale").await;

    let form = app.get_as(&ale, &path).await;
    form.assert_status(StatusCode::OK);
    form.assert_contains(r#"name="_action" value="send""#);
    let fields = nyckeltal_fields();
    let (first_id, first_value) = &fields[0];
    let saved = app
        .post_as(&ale, &path, &[("_action", "save"), (first_id, first_value)])
        .await;
    saved.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{path}?sparad=1").as_str())
    );
    app.get_as(&ale, &format!("{path}?sparad=1"))
        .await
        .assert_contains("Rapporten är sparad.");
    app.get_as(&gr, &overview_path)
        .await
        .assert_contains("Pågår");

    // Sending with answers missing shows them, as typed.
    let incomplete = app
        .post_as(&ale, &path, &[("_action", "send"), (first_id, first_value)])
        .await;
    incomplete.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    incomplete.assert_contains("error-summary");

    let mut all: Vec<(&str, &str)> = vec![("_action", "send")];
    all.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    app.post_as(&ale, &path, &all)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.get_as(&ale, &path)
        .await
        .assert_contains("Rapporten skickades");
    app.get_as(&gr, &overview_path)
        .await
        .assert_contains("Skickad");
    app.post_as(&ale, &path, &all)
        .await
        .assert_status(StatusCode::CONFLICT);
    // Only the network reopens.
    app.post_as(&ale, &format!("{path}/oppna-igen"), &[])
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let reopened = app.post_as(&gr, &format!("{path}/oppna-igen"), &[]).await;
    reopened.assert_status(StatusCode::SEE_OTHER);
    app.get_as(&gr, &overview_path)
        .await
        .assert_contains("Pågår");
    app.get_as(&ale, &path)
        .await
        .assert_contains(r#"name="_action" value="send""#);
    app.post_as(&ale, &path, &all)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.get_as(&gr, &overview_path)
        .await
        .assert_contains("Skickad");

    let actions: Vec<AuditAction> = app.audit("ale").await.iter().map(|e| e.action).collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == AuditAction::ReportSent)
            .count(),
        2
    );
    assert!(
        app.audit("gr")
            .await
            .iter()
            .any(|e| e.action == AuditAction::ReportReopened)
    );
}

#[tokio::test]
async fn reminding_shows_a_notice_in_the_municipalitys_workspace() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let send = send_as_network(&app, &gr, "mapping", "civilsamhalle:1", &["ale"], "").await;
    let round = round_of(&send, "ale");
    let reminded = app
        .post_as(
            &gr,
            &format!("/admin/natverk/omgangar/{round}/paminn"),
            &[("send", &send.id.to_string())],
        )
        .await;
    reminded.assert_status(StatusCode::SEE_OTHER);
    let ale = app.sign_in("ale").await;
    app.get_as(&ale, "/admin/natverk")
        .await
        .assert_contains("Nätverket påminde er om den här");
    assert!(
        app.audit("gr")
            .await
            .iter()
            .any(|e| e.action == AuditAction::RemindersMade)
    );
}

#[tokio::test]
async fn a_broken_uploaded_questionnaire_shows_the_loaders_errors() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let broken = app
        .post_as(
            &gr,
            "/admin/natverk/enkater",
            &[("definition", "id = \"egen\"\nversion = 1\n<script>")],
        )
        .await;
    broken.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    broken.assert_contains("enkät: ");
    broken.assert_contains("&lt;script&gt;");
    broken.assert_contains(r##"href="#definition""##);

    let source = include_str!("../../shared/questionnaires/civilsamhalle.toml").replacen(
        "id = \"civilsamhalle\"",
        "id = \"egen_enkat\"",
        1,
    );
    let uploaded = app
        .post_as(&gr, "/admin/natverk/enkater", &[("definition", &source)])
        .await;
    uploaded.assert_status(StatusCode::OK);
    uploaded.assert_contains("är publicerad");
    app.get_as(&gr, "/admin/natverk/skicka")
        .await
        .assert_contains(r#"value="egen_enkat:1""#);
    assert!(
        app.audit("gr")
            .await
            .iter()
            .any(|e| e.action == AuditAction::QuestionnaireUploaded)
    );
    let ale = app.sign_in("ale").await;
    app.post_as(&ale, "/admin/natverk/enkater", &[("definition", &source)])
        .await
        .assert_status(StatusCode::FORBIDDEN);
}
