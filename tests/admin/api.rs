//! The JSON API through the router: who may call it (a bearer key, nothing else), the
//! JSON errors and their stable codes, one organisation's key on another's round, a
//! round's life through the API, and the OpenAPI document against `route_table()`.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use svar_shared::domain::{QuestionnaireRef, Round, RoundKind, RoundStatus};
use svar_shared::service::workspace::invitations::MAX_BATCH;
use svar_shared::service::workspace::{KEY_LABEL_MAX, ROUND_NAME_MAX};
use time::OffsetDateTime;

use crate::helpers::{AdminApp, slug, spawn_admin};

/// An answer of the API: status, the `WWW-Authenticate` header, the body as JSON.
struct Answer {
    status: StatusCode,
    www_authenticate: Option<String>,
    content_type: Option<String>,
    json: Value,
    text: String,
}

impl Answer {
    /// Asserts the status and that the body is an error with this code.
    fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json["code"], code, "{}", self.text);
        assert!(
            self.json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error has a message: {}",
            self.text
        );
        let keys: BTreeSet<&str> = self
            .json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            keys.is_subset(&BTreeSet::from(["code", "message", "field"])),
            "only code, message and field: {}",
            self.text
        );
    }
}

async fn call(
    app: &AdminApp,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<(&str, &str)>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "svar.example.se");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let body = match body {
        Some((content_type, text)) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Body::from(text.to_owned())
        }
        None => Body::empty(),
    };
    let reply = app.send(request.body(body).unwrap()).await;
    let text = reply.body;
    Answer {
        status: reply.status,
        www_authenticate: reply
            .headers
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned()),
        content_type: reply
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned()),
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

async fn as_org(app: &AdminApp, org: &str, method: &str, path: &str) -> Answer {
    call(app, method, path, Some(&bearer(app.key(org))), None).await
}

async fn post_json(app: &AdminApp, org: &str, path: &str, body: &Value) -> Answer {
    call(
        app,
        "POST",
        path,
        Some(&bearer(app.key(org))),
        Some(("application/json", &body.to_string())),
    )
    .await
}

/// Every `/api` route but the document, with `{id}` filled in.
fn api_routes() -> Vec<(&'static str, String)> {
    svar_admin::route_table()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/") && *path != "/api/openapi.json")
        .map(|(method, path)| {
            (
                method,
                path.replace("{id}", "00000000-0000-4000-8000-000000000001")
                    .replace("{batch}", "00000000-0000-4000-8000-000000000002"),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_api_route_without_a_valid_key_is_401_json_and_names_the_scheme() {
    let app = spawn_admin().await;
    let revoked = app.key("kungalv").to_owned();
    let caller = app.caller("kungalv").await;
    let id = app.key_ids("kungalv").await[0].to_string();
    app.workspace.revoke_key(&caller, &id).await.unwrap();
    let wrong = [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer svar_0000".to_owned()),
        Some(format!("Basic {}", app.key("ale"))),
        // Well formed, but no such key.
        Some(bearer(&format!("svar_{}", "0".repeat(32)))),
        Some(bearer(&revoked)),
    ];
    let routes = api_routes();
    assert!(routes.len() >= 10, "the API's routes: {routes:?}");
    for (method, path) in &routes {
        for authorization in &wrong {
            let answer = call(&app, method, path, authorization.as_deref(), None).await;
            answer.assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
            assert_eq!(
                answer.www_authenticate.as_deref(),
                Some("Bearer"),
                "{method} {path}"
            );
            assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        }
    }
    // The same routes with a valid key are not 401.
    for (method, path) in &routes {
        let answer = as_org(&app, "ale", method, path).await;
        assert_ne!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
}

#[tokio::test]
async fn the_document_itself_needs_no_key() {
    let app = spawn_admin().await;
    let answer = call(&app, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json["openapi"], "3.1.0");
}

#[tokio::test]
async fn a_key_of_one_municipality_finds_no_round_of_another() {
    let app = spawn_admin().await;
    let round = app.round("ale", "Ales hemliga omgång").await;
    for (method, path) in [
        ("GET", format!("/api/rounds/{}", round.id)),
        ("POST", format!("/api/rounds/{}/open", round.id)),
        ("POST", format!("/api/rounds/{}/close", round.id)),
    ] {
        for org in ["kungalv", "gr"] {
            let answer = as_org(&app, org, method, &path).await;
            answer.assert_error(StatusCode::NOT_FOUND, "not_found");
            assert!(!answer.text.contains("hemliga"), "{}", answer.text);
        }
    }
    let list = as_org(&app, "kungalv", "GET", "/api/rounds").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains("hemliga"), "{}", list.text);
    // Nothing of Ale's changed.
    let after = app.store.round(&round.id).await.unwrap().unwrap();
    assert_eq!(after.status, RoundStatus::Open);
    // And Ale's own key sees it.
    let own = as_org(&app, "ale", "GET", &format!("/api/rounds/{}", round.id)).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert_eq!(own.json["round"]["name"], "Ales hemliga omgång");
}

#[tokio::test]
async fn bodies_that_are_not_right_get_json_errors_with_stable_codes() {
    let app = spawn_admin().await;
    let key = bearer(app.key("ale"));
    let send = |content_type: &'static str, body: String| {
        let key = key.clone();
        let app = &app;
        async move {
            call(
                app,
                "POST",
                "/api/keys",
                Some(&key),
                Some((content_type, &body)),
            )
            .await
        }
    };
    send("application/json", "{not json".into())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    send("text/plain", r#"{"label": "x"}"#.into())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    let wrong_type = send("application/json", r#"{"label": 5}"#.into()).await;
    wrong_type.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(wrong_type.json["field"], "body");
    let missing = send("application/json", "{}".into()).await;
    missing.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let blank = send("application/json", r#"{"label": "   "}"#.into()).await;
    blank.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(blank.json["field"], "label");
    let huge = json!({ "label": "x".repeat(100_000) }).to_string();
    send("application/json", huge)
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Nothing was made by any of them.
    assert_eq!(app.key_ids("ale").await.len(), 1);

    // A path that does not decode, an id that names nothing.
    as_org(&app, "ale", "GET", "/api/rounds/%FF")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    as_org(&app, "ale", "GET", "/api/rounds/not-a-round")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    as_org(&app, "ale", "POST", "/api/keys/not-a-key/revoke")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    // A network may not make a patient round.
    let round = json!({
        "questionnaire": "patientupplevelse", "name": "Nätverkets", "start": "2026-01-01", "end": "2026-02-01"
    });
    post_json(&app, "gr", "/api/rounds", &round)
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_allowed");
    // An end before the start names the property.
    let backwards = json!({
        "questionnaire": "patientupplevelse", "name": "Baklänges", "start": "2026-03-01", "end": "2026-02-01"
    });
    let answer = post_json(&app, "ale", "/api/rounds", &backwards).await;
    answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(answer.json["field"], "end");
}

#[tokio::test]
async fn a_round_made_by_the_api_is_opened_closed_and_in_the_audit_trail() {
    let app = spawn_admin().await;
    let new = json!({
        "questionnaire": "patientupplevelse", "name": "Hemsjukvård", "start": "2026-03-01",
        "end": "2026-05-31", "unit": "Hemsjukvård"
    });
    let created = post_json(&app, "ale", "/api/rounds", &new).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["status"], "planned");
    assert_eq!(created.json["start"], "2026-03-01");
    let id = created.json["id"].as_str().unwrap().to_owned();

    let one = as_org(&app, "ale", "GET", &format!("/api/rounds/{id}")).await;
    assert_eq!(one.json["counts"]["issued"], 0, "{}", one.text);
    assert_eq!(one.json["counts"]["rate_percent"], Value::Null);

    let opened = as_org(&app, "ale", "POST", &format!("/api/rounds/{id}/open")).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert_eq!(opened.json["status"], "open");
    as_org(&app, "ale", "POST", &format!("/api/rounds/{id}/open"))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    let closed = as_org(&app, "ale", "POST", &format!("/api/rounds/{id}/close")).await;
    assert_eq!(closed.json["status"], "closed", "{}", closed.text);

    let list = as_org(&app, "ale", "GET", "/api/rounds").await;
    assert!(
        list.json
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["round"]["id"] == id.as_str())
    );

    let audit = as_org(&app, "ale", "GET", "/api/audit").await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    let actions: Vec<&str> = audit.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["round_created", "round_opened", "round_closed"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let refused = audit.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outcome"] == "refused");
    assert!(
        refused.is_some_and(|e| e["reason"].is_string()),
        "the refused second opening is in the trail: {}",
        audit.text
    );
    // Another organisation's trail does not have them.
    let other = as_org(&app, "kungalv", "GET", "/api/audit").await;
    assert!(!other.text.contains(&id), "{}", other.text);
}

#[tokio::test]
async fn a_key_made_by_the_api_works_once_shown_and_stops_when_revoked() {
    let app = spawn_admin().await;
    let created = post_json(
        &app,
        "ale",
        "/api/keys",
        &json!({"label": "Statistikexport"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.json["secret"].as_str().unwrap().to_owned();
    let id = created.json["key"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("svar_"));

    let me = call(&app, "GET", "/api/me", Some(&bearer(&secret)), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json["organisation"]["id"], "ale");
    assert_eq!(me.json["organisation"]["kind"], "municipality");
    assert_eq!(me.json["key_label"], "Statistikexport");

    // Listed without its secret.
    let list = as_org(&app, "ale", "GET", "/api/keys").await;
    assert!(list.text.contains("Statistikexport"));
    assert!(!list.text.contains(&secret));

    // Another organisation cannot revoke it.
    as_org(&app, "kungalv", "POST", &format!("/api/keys/{id}/revoke"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let revoked = as_org(&app, "ale", "POST", &format!("/api/keys/{id}/revoke")).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(revoked.json["active"], false);
    assert!(revoked.json["revoked_at"].is_string());
    call(&app, "GET", "/api/me", Some(&bearer(&secret)), None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthenticated");
    as_org(&app, "ale", "POST", &format!("/api/keys/{id}/revoke"))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
}

/// The `(METHOD, path)` of every operation in the document.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route_and_each_needs_the_bearer_key() {
    let app = spawn_admin().await;
    let document = call(&app, "GET", "/api/openapi.json", None, None)
        .await
        .json;
    assert_eq!(document["openapi"], "3.1.0");

    let routes: BTreeSet<(String, String)> = svar_admin::route_table()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/"))
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();
    assert_eq!(documented(&document), routes, "document vs route_table()");

    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert!(document["components"]["schemas"]["ApiError"].is_object());

    for (method, path) in &routes {
        let operation = &document["paths"][path][method.to_ascii_lowercase()];
        let responses = operation["responses"].as_object().unwrap();
        if path == "/api/openapi.json" {
            assert!(operation.get("security").is_none());
            continue;
        }
        assert_eq!(
            operation["security"],
            json!([{ "bearer": [] }]),
            "{method} {path}"
        );
        for status in ["401", "500", "503"] {
            assert!(responses.contains_key(status), "{method} {path}: {status}");
        }
        // Every error response is an ApiError.
        for (status, response) in responses {
            if status.starts_with('2') {
                continue;
            }
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ApiError",
                "{method} {path} {status}"
            );
        }
        // Whatever takes a body documents how a bad one is answered.
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "422"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
        }
        // Whatever takes an id documents that it may name nothing.
        if path.contains("{id}") {
            assert!(responses.contains_key("404"), "{method} {path}: 404");
        }
    }

    // The document's limits are the service's.
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["NewKeyBody"]["properties"]["label"]["maxLength"],
        KEY_LABEL_MAX
    );
    assert_eq!(
        schemas["NewRoundBody"]["properties"]["name"]["maxLength"],
        ROUND_NAME_MAX
    );
}

#[tokio::test]
async fn invitations_made_by_the_api_come_back_with_links_and_codes_and_count_in_the_rate() {
    let app = spawn_admin().await;
    let round = app.round("ale", "Hemtjänst").await;
    let path = format!("/api/rounds/{}/invitations", round.id);
    let made = post_json(&app, "ale", &path, &json!({"count": 3})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let invitations = made.json["invitations"].as_array().unwrap();
    assert_eq!(invitations.len(), 3);
    let numbers: Vec<u64> = invitations
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    for invitation in invitations {
        let link = invitation["link"].as_str().unwrap();
        assert!(link.starts_with("https://svar.example.se/s/"), "{link}");
        assert_eq!(invitation["code"].as_str().unwrap().len(), 11);
    }
    assert_eq!(made.json["secret"].as_str().unwrap().len(), 64);

    // The link works for a patient: the respondent's page opens.
    let link = invitations[0]["link"].as_str().unwrap();
    let page = app
        .send(
            Request::builder()
                .uri(link.trim_start_matches("https://svar.example.se"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);

    let rates = as_org(
        &app,
        "ale",
        "GET",
        &format!("/api/rounds/{}/rates", round.id),
    )
    .await;
    assert_eq!(rates.status, StatusCode::OK, "{}", rates.text);
    assert_eq!(rates.json["issued"], 3);
    assert_eq!(rates.json["answered"], 0);
    assert_eq!(rates.json["rate_permille"], 0);
    assert_eq!(rates.json["per_day"], json!([]));

    let audit = as_org(&app, "ale", "GET", "/api/audit").await;
    assert!(
        audit.text.contains("invitations_generated"),
        "{}",
        audit.text
    );
    // The trail never holds a credential.
    assert!(!audit.text.contains(made.json["secret"].as_str().unwrap()));
    assert!(
        !audit
            .text
            .contains(invitations[0]["code"].as_str().unwrap())
    );
}

#[tokio::test]
async fn invitations_out_of_range_closed_or_of_another_organisation_are_refused() {
    let app = spawn_admin().await;
    let round = app.round("ale", "Hemtjänst").await;
    let path = format!("/api/rounds/{}/invitations", round.id);
    for count in [json!(0), json!(u64::from(MAX_BATCH) + 1)] {
        let answer = post_json(&app, "ale", &path, &json!({ "count": count })).await;
        answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(answer.json["field"], "count");
    }
    let answer = post_json(&app, "ale", &path, &json!({ "count": "many" })).await;
    answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(answer.json["field"], "body");

    post_json(&app, "kungalv", &path, &json!({"count": 2}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    as_org(
        &app,
        "kungalv",
        "GET",
        &format!("/api/rounds/{}/rates", round.id),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");

    let closed = app
        .round_with_status("ale", "Stängd", RoundStatus::Closed)
        .await;
    post_json(
        &app,
        "ale",
        &format!("/api/rounds/{}/invitations", closed.id),
        &json!({"count": 2}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    // None of it made an invitation.
    let rates = as_org(
        &app,
        "ale",
        "GET",
        &format!("/api/rounds/{}/rates", round.id),
    )
    .await;
    assert_eq!(rates.json["issued"], 0, "{}", rates.text);
}

#[tokio::test]
async fn batches_are_listed_reminded_and_reissued_with_new_links() {
    let app = spawn_admin().await;
    let round = app.round("ale", "Hemtjänst").await;
    let base = format!("/api/rounds/{}", round.id);
    let first = post_json(
        &app,
        "ale",
        &format!("{base}/invitations"),
        &json!({"count": 3}),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    let reminded = post_json(&app, "ale", &format!("{base}/reminders"), &json!({})).await;
    assert_eq!(reminded.status, StatusCode::CREATED, "{}", reminded.text);
    let reminders = reminded.json["invitations"].as_array().unwrap();
    let numbers: Vec<u64> = reminders
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    // New credentials, beside the old ones.
    assert_ne!(reminders[0]["link"], first.json["invitations"][0]["link"]);
    assert_eq!(reminded.json["secret"].as_str().unwrap().len(), 64);

    let lost = first.json["batch"].as_str().unwrap();
    let reissued = post_json(
        &app,
        "ale",
        &format!("{base}/batches/{lost}/reissue"),
        &json!({}),
    )
    .await;
    assert_eq!(reissued.status, StatusCode::CREATED, "{}", reissued.text);
    assert_eq!(reissued.json["invitations"].as_array().unwrap().len(), 3);
    assert_ne!(reissued.json["batch"], first.json["batch"]);
    // The lost batch's link stops working; the new one opens.
    let old = first.json["invitations"][0]["link"].as_str().unwrap();
    let new = reissued.json["invitations"][0]["link"].as_str().unwrap();
    let open = |link: &str| {
        Request::builder()
            .uri(link.trim_start_matches("https://svar.example.se"))
            .body(Body::empty())
            .unwrap()
    };
    assert_ne!(app.send(open(old)).await.status, StatusCode::OK);
    assert_eq!(app.send(open(new)).await.status, StatusCode::OK);

    let listed = as_org(&app, "ale", "GET", &format!("{base}/batches")).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let batches = listed.json.as_array().unwrap();
    let kinds: Vec<&str> = batches
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["first", "reminder", "reissue"],
        "{}",
        listed.text
    );
    assert_eq!(batches[0]["id"], first.json["batch"]);
    assert!(batches.iter().all(|b| b["count"] == 3));
    assert!(batches[0]["created"].as_str().unwrap().ends_with('Z'));
    // Never a credential in the list.
    assert!(!listed.text.contains(first.json["secret"].as_str().unwrap()));

    let audit = as_org(&app, "ale", "GET", "/api/audit").await;
    assert!(audit.text.contains("reminders_made"), "{}", audit.text);
    assert!(
        audit.text.contains("invitations_reissued"),
        "{}",
        audit.text
    );
}

#[tokio::test]
async fn batches_of_another_organisation_or_of_a_network_round_are_refused() {
    let app = spawn_admin().await;
    let round = app.round("ale", "Hemtjänst").await;
    let base = format!("/api/rounds/{}", round.id);
    let first = post_json(
        &app,
        "ale",
        &format!("{base}/invitations"),
        &json!({"count": 2}),
    )
    .await;
    let batch = first.json["batch"].as_str().unwrap().to_owned();
    let reissue = format!("{base}/batches/{batch}/reissue");

    // Another municipality, and the network, find nothing.
    for org in ["kungalv", "gr"] {
        as_org(&app, org, "GET", &format!("{base}/batches"))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        post_json(&app, org, &format!("{base}/reminders"), &json!({}))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        post_json(&app, org, &reissue, &json!({}))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    // A batch id that is not one, or not of this round.
    for wrong in ["nonsense", "00000000-0000-4000-8000-000000000002"] {
        post_json(
            &app,
            "ale",
            &format!("{base}/batches/{wrong}/reissue"),
            &json!({}),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let other = app.round("ale", "Annan").await;
    post_json(
        &app,
        "ale",
        &format!("/api/rounds/{}/batches/{batch}/reissue", other.id),
        &json!({}),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");

    // A network's round the municipality answers: no invitations of its own there.
    let mapping = Round {
        kind: RoundKind::Mapping,
        ..Round::open_patient_round(
            slug("ale"),
            "Kartläggning",
            QuestionnaireRef {
                id: slug("patientupplevelse"),
                version: 1,
            },
            OffsetDateTime::now_utc(),
        )
    };
    app.store.create_round(&mapping).await.unwrap();
    let mapping_base = format!("/api/rounds/{}", mapping.id);
    as_org(&app, "ale", "GET", &format!("{mapping_base}/batches"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_allowed");
    post_json(
        &app,
        "ale",
        &format!("{mapping_base}/reminders"),
        &json!({}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "not_allowed");

    // Reminders only while open; a closed round is not reissued.
    let planned = app
        .round_with_status("ale", "Planerad", RoundStatus::Planned)
        .await;
    post_json(
        &app,
        "ale",
        &format!("/api/rounds/{}/reminders", planned.id),
        &json!({}),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "conflict");
    // Nothing left to remind once everyone had two reminders.
    for _ in 0..2 {
        let made = post_json(&app, "ale", &format!("{base}/reminders"), &json!({})).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    }
    post_json(&app, "ale", &format!("{base}/reminders"), &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
    app.store
        .set_round_status(&round.id, RoundStatus::Closed)
        .await
        .unwrap();
    post_json(&app, "ale", &reissue, &json!({}))
        .await
        .assert_error(StatusCode::CONFLICT, "conflict");
}

fn new_send(kind: &str, questionnaire: &str, municipalities: &[&str]) -> Value {
    json!({
        "kind": kind,
        "questionnaire": questionnaire,
        "name": "Hösten 2026",
        "start": "2026-09-01",
        "end": "2026-10-31",
        "municipalities": municipalities,
    })
}

#[tokio::test]
async fn the_network_sends_by_the_api_and_lists_each_municipalitys_status() {
    let app = spawn_admin().await;
    let mut body = new_send("mapping", "civilsamhalle:1", &["ale", "kungalv", "ale"]);
    body["answer_limit"] = json!(20);
    let made = post_json(&app, "gr", "/api/network/sends", &body).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert_eq!(made.json["kind"], "mapping");
    assert_eq!(made.json["answer_limit"], 20);
    assert_eq!(made.json["start"], "2026-09-01");
    let rounds = made.json["rounds"].as_array().unwrap();
    let municipalities: Vec<&str> = rounds
        .iter()
        .map(|r| r["municipality"].as_str().unwrap())
        .collect();
    assert_eq!(municipalities, vec!["ale", "kungalv"]);
    // The municipality finds the round sent to it.
    let ale_round = rounds[0]["round"].as_str().unwrap();
    let round = as_org(&app, "ale", "GET", &format!("/api/rounds/{ale_round}")).await;
    assert_eq!(round.status, StatusCode::OK, "{}", round.text);
    assert_eq!(round.json["round"]["sent_by"], "gr", "{}", round.text);

    let report = post_json(
        &app,
        "gr",
        "/api/network/sends",
        &new_send("report", "nyckeltal:1", &["lerum"]),
    )
    .await;
    assert_eq!(report.status, StatusCode::CREATED, "{}", report.text);
    assert_eq!(report.json["answer_limit"], 0);

    let listed = as_org(&app, "gr", "GET", "/api/network/sends").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let sends = listed.json.as_array().unwrap();
    assert_eq!(sends.len(), 2, "{}", listed.text);
    let mapping = sends
        .iter()
        .find(|s| s["send"]["id"] == made.json["id"])
        .expect("the mapping send is listed");
    let lines = mapping["municipalities"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["status"] == "not_started"));
    assert!(lines.iter().all(|l| l["answers"] == 0));
    assert!(lines.iter().all(|l| l["reminded_at"].is_null()));
    assert!(lines.iter().any(|l| l["round"] == ale_round));

    let audit = as_org(&app, "gr", "GET", "/api/audit").await;
    assert!(audit.text.contains("mapping_sent"), "{}", audit.text);
}

#[tokio::test]
async fn a_municipality_may_not_send_and_a_wrong_send_body_is_refused() {
    let app = spawn_admin().await;
    let body = new_send("mapping", "civilsamhalle:1", &["ale"]);
    post_json(&app, "ale", "/api/network/sends", &body)
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_allowed");
    as_org(&app, "ale", "GET", "/api/network/sends")
        .await
        .assert_error(StatusCode::FORBIDDEN, "not_allowed");

    let wrong = [
        ("kind", json!("survey"), "kind"),
        ("questionnaire", json!("nosuch:1"), "questionnaire"),
        ("name", json!("  "), "name"),
        ("start", json!("1 september"), "start"),
        ("end", json!("2026-08-01"), "end"),
        ("answer_limit", json!(0), "answer_limit"),
        ("answer_limit", json!(-3), "body"),
        ("municipalities", json!([]), "municipalities"),
        // Not a member of the network.
        ("municipalities", json!(["nosuch"]), "municipalities"),
        ("municipalities", json!("ale"), "body"),
    ];
    for (property, value, field) in wrong {
        let mut body = body.clone();
        body[property] = value;
        let answer = post_json(&app, "gr", "/api/network/sends", &body).await;
        answer.assert_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(answer.json["field"], field, "{property}: {}", answer.text);
    }
    call(
        &app,
        "POST",
        "/api/network/sends",
        Some(&bearer(app.key("gr"))),
        Some(("application/json", "{not json")),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    // None of it made a send.
    let listed = as_org(&app, "gr", "GET", "/api/network/sends").await;
    assert_eq!(listed.json, json!([]), "{}", listed.text);
}
