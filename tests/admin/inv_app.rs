//! A workspace router and a respondent router over one embedded store, with a signed-in
//! municipality: what the invitation and rate tests drive.

use std::sync::Arc;

use axum::Router;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use svar_admin::{AdminState, SessionKey};
use svar_shared::domain::questionnaire::{self, Slug};
use svar_shared::domain::*;
use svar_shared::export::LocalExportFiles;
use svar_shared::service::exports::{ExportPolicy, Exports};
use svar_shared::service::respondent::SurveyService;
use svar_shared::service::workspace::{Caller, Workspace};
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::{RespondentStore, Store};
use time::OffsetDateTime;
use tower::ServiceExt;

pub const HOST: &str = "svar.test";

pub fn hash_key() -> HashKey {
    HashKey::new(vec![7; 32])
}

pub struct App {
    pub admin: Router,
    pub respond: Router,
    pub store: Arc<dyn Store>,
    /// The `Cookie` header of the signed-in session.
    pub cookie: String,
    pub caller: Caller,
    pub state: AdminState,
    /// Whatever keeps the store alive (a temporary folder, tables).
    _backing: Box<dyn std::any::Any + Send + Sync>,
    /// The export files' folder.
    _exports: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in:\n{}",
            self.body
        );
    }
}

fn organisation(id: &str, name: &str, kind: OrganisationKind) -> Organisation {
    Organisation {
        id: Slug::parse(id).unwrap(),
        name: name.to_owned(),
        kind,
        network: None,
    }
}

/// A fresh embedded store with the built-in questionnaires, the test municipality
/// signed in.
pub async fn spawn() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("test.sqlite3")).unwrap());
    spawn_on(store, Box::new(dir)).await
}

/// The same on fresh tables in DynamoDB Local (fails loudly if it is not running).
pub async fn spawn_on_dynamodb() -> App {
    let backend = svar_tests::backend::Dynamo::new().await;
    spawn_on(backend.store.clone(), Box::new(backend.tables)).await
}

async fn spawn_on(store: Arc<dyn Store>, backing: Box<dyn std::any::Any + Send + Sync>) -> App {
    for q in questionnaire::builtin().unwrap() {
        store.publish_questionnaire(&q).await.unwrap();
    }
    store
        .put_municipality(&svar_tests::municipality())
        .await
        .unwrap();
    let hash_key = hash_key();
    let workspace = Arc::new(Workspace::new(store.clone(), hash_key.clone()));
    let exports_dir = tempfile::tempdir().unwrap();
    let files = Arc::new(LocalExportFiles::new(exports_dir.path(), &[9; 64]));
    let state = AdminState {
        exports: Arc::new(Exports::in_process(
            workspace.clone(),
            files.clone(),
            files,
            ExportPolicy::default(),
        )),
        workspace: workspace.clone(),
        sessions: Arc::new(SessionKey::from_bytes(&[9; 64]).unwrap()),
        secure_cookies: true,
    };
    let (caller, cookie) = sign_in(&state, &store, "testkommun", "Testkommun").await;
    let respondent: Arc<dyn RespondentStore> = store.clone();
    let survey = Arc::new(SurveyService::new(respondent, hash_key));
    App {
        admin: svar_admin::router(state.clone()),
        state,
        respond: svar_shared::web::with_common_layers(svar_respond::routes(survey)),
        store,
        cookie,
        caller,
        _backing: backing,
        _exports: exports_dir,
    }
}

/// Stores the organisation and a key of it, and makes a session cookie for the key.
pub async fn sign_in(
    state: &AdminState,
    store: &Arc<dyn Store>,
    id: &str,
    name: &str,
) -> (Caller, String) {
    store
        .put_organisation(&organisation(id, name, OrganisationKind::Municipality))
        .await
        .unwrap();
    let secret = AccessSecret::generate();
    let key = AccessKey {
        id: AccessKeyId::random(),
        organisation: Slug::parse(id).unwrap(),
        label: "Test".into(),
        created_at: svar_tests::now(),
        revoked_at: None,
    };
    store
        .create_access_key(&key, &secret.hash(&hash_key()))
        .await
        .unwrap();
    let caller = state
        .workspace
        .caller_by_secret(secret.reveal())
        .await
        .unwrap()
        .unwrap();
    let response = svar_admin::auth::session_cookie(state, &caller).into_response();
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    (caller, cookie)
}

impl App {
    /// A round of the test municipality on the patient questionnaire.
    pub async fn round(&self, status: RoundStatus) -> Round {
        self.round_of("testkommun", status).await
    }

    /// A round of another municipality.
    pub async fn round_of(&self, municipality: &str, status: RoundStatus) -> Round {
        let mut owner = svar_tests::municipality();
        owner.id = Slug::parse(municipality).unwrap();
        self.store.put_municipality(&owner).await.unwrap();
        let mut round = Round::open_patient_round(
            Slug::parse(municipality).unwrap(),
            "Hemtjänst våren",
            QuestionnaireRef {
                id: Slug::parse("patientupplevelse").unwrap(),
                version: 1,
            },
            OffsetDateTime::now_utc(),
        );
        round.status = status;
        self.store.create_round(&round).await.unwrap();
        round
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.get_as(uri, &self.cookie).await
    }

    pub async fn get_as(&self, uri: &str, cookie: &str) -> Reply {
        let request = Request::get(uri)
            .header(header::HOST, HOST)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        send(&self.admin, request).await
    }

    /// The CSRF token of the session, as every form of a page carries it.
    pub async fn csrf(&self, round: &Round) -> String {
        let page = self
            .get(&format!("/admin/omgangar/{}/inbjudningar", round.id))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        field_value(&page.body, "csrf").unwrap()
    }

    /// Posts a form with the session's CSRF token.
    pub async fn post(&self, uri: &str, csrf: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_as(uri, &self.cookie, csrf, fields).await
    }

    pub async fn post_as(
        &self,
        uri: &str,
        cookie: &str,
        csrf: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let mut all = vec![("csrf", csrf)];
        all.extend_from_slice(fields);
        let request = Request::post(uri)
            .header(header::HOST, HOST)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode_form(&all)))
            .unwrap();
        send(&self.admin, request).await
    }

    /// Opens a link's path (`/s/...`) on the respondent router, each time from another
    /// client address, so that the tests' many revoked links do not meet the guessing
    /// limit (tests/api covers that).
    pub async fn open(&self, path: &str) -> StatusCode {
        let mut request = Request::get(path).body(Body::empty()).unwrap();
        let client = std::net::Ipv6Addr::from(rand_u128());
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client.into(), 40000)));
        send(&self.respond, request).await.status
    }

    /// Answers the invitation a link opens, as the respondent path stores a response.
    pub async fn answer(&self, round: &Round, link: &str) {
        let token = link.rsplit('/').next().unwrap();
        let credential = Credential::from_path(token).unwrap();
        let invitation = self
            .store
            .invitation_by_credential(&credential.hash(&hash_key()))
            .await
            .unwrap()
            .unwrap();
        let outcome = self
            .store
            .submit_response(&invitation.id, &svar_tests::response(round), None)
            .await
            .unwrap();
        assert_eq!(outcome, svar_shared::store::SubmitOutcome::Stored);
    }
}

fn rand_u128() -> u128 {
    u128::from_str_radix(&uuid::Uuid::new_v4().simple().to_string(), 16).unwrap()
}

pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// The `value` of the first input named `name` in a page.
pub fn field_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &page[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

pub fn encode_form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The CSV's rows after the header: (number, link, code).
pub fn csv_rows(csv: &str) -> Vec<(u32, String, String)> {
    let mut lines = csv.split("\r\n");
    assert_eq!(lines.next(), Some("lopnummer,lank,kod"));
    lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "{line}");
            (
                fields[0].parse().unwrap(),
                fields[1].to_owned(),
                fields[2].to_owned(),
            )
        })
        .collect()
}
