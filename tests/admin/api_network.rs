//! The network's rounds through the JSON API: a municipality's mapping link, its own
//! mapping answers and its report; the network's reopening, reminding, reading a send's
//! answers and uploading a questionnaire. Each endpoint: the happy path, another
//! organisation (404), the wrong kind of organisation (403) and a bad body.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use svar_shared::domain::Answer as Recorded;
use svar_shared::domain::questionnaire::{self, QuestionKind};
use svar_shared::domain::*;
use svar_shared::service::workspace::network::SendForm;
use svar_shared::store::{NetworkSend, ReportStatus};

use crate::helpers::{AdminApp, slug, spawn_admin};

struct Answer {
    status: StatusCode,
    cache_control: Option<String>,
    json: Value,
    text: String,
}

impl Answer {
    fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json["code"], code, "{}", self.text);
        assert!(
            self.json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.text
        );
    }
}

/// Calls the API with `org`'s key; `body` is sent as JSON text when given.
async fn call(app: &AdminApp, org: &str, method: &str, path: &str, body: Option<&str>) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "svar.example.se")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.key(org)));
    let body = match body {
        Some(text) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(text.to_owned())
        }
        None => Body::empty(),
    };
    let reply = app.send(request.body(body).unwrap()).await;
    Answer {
        status: reply.status,
        cache_control: reply
            .headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_owned()),
        json: serde_json::from_str(&reply.body).unwrap_or(Value::Null),
        text: reply.body,
    }
}

/// `gr` sends `questionnaire` (`<id>:<version>`) to the municipalities.
async fn send(app: &AdminApp, kind: &str, questionnaire: &str, to: &[&str]) -> NetworkSend {
    let form = SendForm {
        kind: kind.to_owned(),
        questionnaire: questionnaire.to_owned(),
        name: "Våren 2026".to_owned(),
        start: "2026-03-01".to_owned(),
        end: "2026-05-31".to_owned(),
        municipalities: to.iter().map(|m| (*m).to_owned()).collect(),
        answer_limit: String::new(),
    };
    let gr = app.caller("gr").await;
    app.workspace.send_questionnaire(&gr, &form).await.unwrap()
}

fn round_of(send: &NetworkSend, municipality: &str) -> RoundId {
    send.rounds
        .iter()
        .find(|(m, _)| m.as_str() == municipality)
        .unwrap()
        .1
        .clone()
}

/// A staff member opening the mapping link and answering which municipality.
async fn answer_mapping(app: &AdminApp, link: &str) {
    let opened = app.get(link).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
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
        answers: [(slug("kommun"), Recorded::Choice(slug("ale")))].into(),
    };
    app.store
        .submit_response(&invitation.id, &response, None)
        .await
        .unwrap();
}

/// Every question of `nyckeltal` with a valid answer.
fn nyckeltal_answers() -> Value {
    let questionnaire = questionnaire::builtin()
        .unwrap()
        .into_iter()
        .find(|q| q.id.as_str() == "nyckeltal")
        .unwrap();
    let mut answers = serde_json::Map::new();
    for q in questionnaire.sections.iter().flat_map(|s| &s.questions) {
        let value = match &q.kind {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => options[0].code.to_string(),
            QuestionKind::Number { min, .. } => min.unwrap_or(0.0).max(0.0).to_string(),
            QuestionKind::YesNo => "ja".to_owned(),
            QuestionKind::Month => "2026-03".to_owned(),
            QuestionKind::Text { .. } => "Inget att tillägga".to_owned(),
        };
        answers.insert(q.id.to_string(), json!([value]));
    }
    Value::Object(answers)
}

#[tokio::test]
async fn a_municipality_makes_its_mapping_link_and_reads_its_own_answers() {
    let app = spawn_admin().await;
    let mapping = send(&app, "mapping", "civilsamhalle:1", &["ale", "kungalv"]).await;
    let round = round_of(&mapping, "ale");
    let link_path = format!("/api/rounds/{round}/mapping-link");

    let made = call(&app, "ale", "POST", &link_path, None).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.cache_control.as_deref(), Some("no-store"));
    let link = made.json["path"].as_str().unwrap().to_owned();
    assert!(link.starts_with("/m/"), "{link}");
    answer_mapping(&app, &link).await;

    let answers_path = format!("/api/rounds/{round}/mapping-answers");
    let own = call(&app, "ale", "GET", &answers_path, None).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert_eq!(own.json["responses"], 1);
    assert_eq!(own.json["questionnaire"], "civilsamhalle");
    let kommun = own.json["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["question"] == "kommun")
        .unwrap();
    assert_eq!(kommun["groups"][0]["municipality"], "ale");
    assert_eq!(kommun["groups"][0]["answers"], json!(["Ale"]));

    // The network sees the answers per send, all municipalities together.
    let all = call(
        &app,
        "gr",
        "GET",
        &format!("/api/network/sends/{}/answers", mapping.id),
        None,
    )
    .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert_eq!(all.json["responses"], 1);

    // A new link replaces the old one: the old one opens nothing any more.
    let again = call(&app, "ale", "POST", &link_path, None).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_ne!(again.json["path"], made.json["path"]);
    assert_ne!(app.get(&link).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn another_organisation_reaches_no_mapping_or_report_of_a_municipality() {
    let app = spawn_admin().await;
    let mapping = send(&app, "mapping", "civilsamhalle:1", &["ale", "kungalv"]).await;
    let report = send(&app, "report", "nyckeltal:1", &["ale", "kungalv"]).await;
    let mapping_round = round_of(&mapping, "ale");
    let report_round = round_of(&report, "ale");
    let calls = [
        (
            "POST",
            format!("/api/rounds/{mapping_round}/mapping-link"),
            None,
        ),
        (
            "GET",
            format!("/api/rounds/{mapping_round}/mapping-answers"),
            None,
        ),
        ("GET", format!("/api/rounds/{report_round}/report"), None),
        (
            "PUT",
            format!("/api/rounds/{report_round}/report"),
            Some("{}"),
        ),
        (
            "POST",
            format!("/api/rounds/{report_round}/report/reopen"),
            None,
        ),
        ("POST", format!("/api/rounds/{report_round}/remind"), None),
        (
            "GET",
            format!("/api/network/sends/{}/answers", mapping.id),
            None,
        ),
        // Not an id at all: nothing either.
        ("GET", "/api/rounds/inte-ett-id/report".to_owned(), None),
    ];
    for (method, path, body) in &calls {
        let answer = call(&app, "kungalv", method, path, *body).await;
        answer.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(!answer.text.contains("Ale"), "{}", answer.text);
    }
    // The report of a mapping round, the link of a report round: no such thing.
    call(
        &app,
        "ale",
        "GET",
        &format!("/api/rounds/{mapping_round}/report"),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    call(
        &app,
        "ale",
        "POST",
        &format!("/api/rounds/{report_round}/mapping-link"),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
    // The network's send answers are of mapping sends only.
    call(
        &app,
        "gr",
        "GET",
        &format!("/api/network/sends/{}/answers", report.id),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn each_side_may_do_only_its_own_part() {
    let app = spawn_admin().await;
    let mapping = send(&app, "mapping", "civilsamhalle:1", &["ale"]).await;
    let report = send(&app, "report", "nyckeltal:1", &["ale"]).await;
    let mapping_round = round_of(&mapping, "ale");
    let report_round = round_of(&report, "ale");
    let network_refused = [
        (
            "POST",
            format!("/api/rounds/{mapping_round}/mapping-link"),
            None,
        ),
        (
            "GET",
            format!("/api/rounds/{mapping_round}/mapping-answers"),
            None,
        ),
        (
            "PUT",
            format!("/api/rounds/{report_round}/report"),
            Some("{}"),
        ),
    ];
    for (method, path, body) in &network_refused {
        call(&app, "gr", method, path, *body)
            .await
            .assert_error(StatusCode::FORBIDDEN, "not_allowed");
    }
    let municipality_refused = [
        (
            "POST",
            format!("/api/rounds/{report_round}/report/reopen"),
            None,
        ),
        ("POST", format!("/api/rounds/{report_round}/remind"), None),
        ("POST", "/api/questionnaires".to_owned(), Some("\"id = 1\"")),
    ];
    for (method, path, body) in &municipality_refused {
        call(&app, "ale", method, path, *body)
            .await
            .assert_error(StatusCode::FORBIDDEN, "not_allowed");
    }
    // A municipality has no sends: not found.
    call(
        &app,
        "ale",
        "GET",
        &format!("/api/network/sends/{}/answers", mapping.id),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_report_is_saved_sent_reopened_and_sent_again_through_the_api() {
    let app = spawn_admin().await;
    let report = send(&app, "report", "nyckeltal:1", &["ale"]).await;
    let round = round_of(&report, "ale");
    let path = format!("/api/rounds/{round}/report");

    let empty = call(&app, "ale", "GET", &path, None).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(empty.json["status"], "none");
    assert_eq!(empty.json["round"]["kind"], "report");

    let all = nyckeltal_answers();
    let (first, value) = all.as_object().unwrap().iter().next().unwrap();
    let draft = json!({"answers": {first: value, "ingen_sadan_fraga": ["x"]}});
    let saved = call(&app, "ale", "PUT", &path, Some(&draft.to_string())).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.json["status"], "draft");
    let read = call(&app, "gr", "GET", &path, None).await;
    assert_eq!(read.json["status"], "draft");
    assert_eq!(
        read.json["answers"],
        json!({first: value}),
        "unknown questions left out"
    );

    // Sending with answers missing: 422, saved as typed all the same.
    let incomplete = json!({"answers": {first: value}, "send": true});
    let refused = call(&app, "ale", "PUT", &path, Some(&incomplete.to_string())).await;
    refused.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(refused.json["field"], "answers");
    // `period` is a required question of `nyckeltal`, left out here.
    assert!(
        refused.json["message"]
            .as_str()
            .unwrap()
            .contains("period: "),
        "the message names each wrong question: {}",
        refused.text
    );
    assert_eq!(
        app.store.report(&round).await.unwrap().unwrap().status,
        ReportStatus::InProgress
    );

    let complete = json!({"answers": all, "send": true}).to_string();
    let sent = call(&app, "ale", "PUT", &path, Some(&complete)).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.json["status"], "sent");
    let read = call(&app, "ale", "GET", &path, None).await;
    assert_eq!(read.json["status"], "sent");
    assert!(read.json["sent_at"].is_string());
    call(&app, "ale", "PUT", &path, Some(&complete))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");

    let reopen = format!("{path}/reopen");
    let reopened = call(&app, "gr", "POST", &reopen, None).await;
    assert_eq!(reopened.status, StatusCode::NO_CONTENT, "{}", reopened.text);
    call(&app, "gr", "POST", &reopen, None)
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    let again = call(&app, "ale", "PUT", &path, Some(&complete)).await;
    assert_eq!(again.json["status"], "sent", "{}", again.text);

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
async fn a_bad_report_body_is_a_json_error() {
    let app = spawn_admin().await;
    let report = send(&app, "report", "nyckeltal:1", &["ale"]).await;
    let path = format!("/api/rounds/{}/report", round_of(&report, "ale"));
    call(&app, "ale", "PUT", &path, Some("{inte json"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let wrong = call(
        &app,
        "ale",
        "PUT",
        &path,
        Some(r#"{"answers": {"a": "x"}}"#),
    )
    .await;
    wrong.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(wrong.json["field"], "body");
    call(&app, "ale", "PUT", &path, Some(r#"{"send": "ja"}"#))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
}

#[tokio::test]
async fn the_network_reminds_a_municipality() {
    let app = spawn_admin().await;
    let report = send(&app, "report", "nyckeltal:1", &["ale"]).await;
    let round = round_of(&report, "ale");
    let reminded = call(
        &app,
        "gr",
        "POST",
        &format!("/api/rounds/{round}/remind"),
        None,
    )
    .await;
    assert_eq!(reminded.status, StatusCode::NO_CONTENT, "{}", reminded.text);
    assert!(
        app.audit("gr")
            .await
            .iter()
            .any(|e| e.action == AuditAction::RemindersMade)
    );
    // A municipality's own patient round is not the network's to remind about.
    let own = app.round("kungalv", "Egen omgång").await;
    call(
        &app,
        "gr",
        "POST",
        &format!("/api/rounds/{}/remind", own.id),
        None,
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_network_uploads_a_questionnaire_and_the_loaders_problems_are_a_422() {
    let app = spawn_admin().await;
    let source = include_str!("../../shared/questionnaires/civilsamhalle.toml").replacen(
        "id = \"civilsamhalle\"",
        "id = \"egen_kartlaggning\"",
        1,
    );
    let body = serde_json::to_string(&source).unwrap();
    let made = call(&app, "gr", "POST", "/api/questionnaires", Some(&body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.json["id"], "egen_kartlaggning");
    assert_eq!(made.json["version"], 1);
    assert!(
        app.audit("gr")
            .await
            .iter()
            .any(|e| e.action == AuditAction::QuestionnaireUploaded)
    );

    let broken = serde_json::to_string("id = \"trasig\"\nversion = \"ett\"\n").unwrap();
    let refused = call(&app, "gr", "POST", "/api/questionnaires", Some(&broken)).await;
    refused.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(refused.json["field"], "definition");

    // The built-in's id is refused, and so is a body that is not a JSON string.
    let builtin = serde_json::to_string(include_str!(
        "../../shared/questionnaires/civilsamhalle.toml"
    ))
    .unwrap();
    call(&app, "gr", "POST", "/api/questionnaires", Some(&builtin))
        .await
        .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    call(
        &app,
        "gr",
        "POST",
        "/api/questionnaires",
        Some(r#"{"definition": "x"}"#),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    call(&app, "gr", "POST", "/api/questionnaires", Some("id = 1"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}
