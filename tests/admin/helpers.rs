//! Helpers for the workspace's router tests, shared by every area:
//!
//! - [`spawn_admin`]: the workspace and respondent routes over a fresh embedded store,
//!   seeded (the 13 municipalities and `gr`), with one key per organisation.
//! - [`AdminApp::sign_in`] gives a [`Session`] (cookie and CSRF token);
//!   [`AdminApp::get_as`] / [`AdminApp::post_as`] use it (the CSRF field is added).
//! - [`AdminApp::round`] and friends make the store's data directly.
//!
//! Test code: a failed unwrap is a failed test.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use svar_admin::{AdminState, SessionKey};
use svar_shared::domain::questionnaire::{self, Slug};
use svar_shared::domain::*;
use svar_shared::export::LocalExportFiles;
use svar_shared::service::exports::{ExportPolicy, Exports};
use svar_shared::service::respondent::SurveyService;
use svar_shared::service::workspace::{Caller, Workspace, seed};
use svar_shared::store::Store;
use svar_shared::store::embedded::EmbeddedStore;
use time::OffsetDateTime;
use tower::ServiceExt;

/// The session secret of the tests' apps (64 bytes, as configuration requires).
pub const SESSION_SECRET: [u8; 64] = [42; 64];

pub struct AdminApp {
    /// Workspace routes and respondent routes on one router, as the local server mounts them.
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub workspace: Arc<Workspace>,
    pub exports: Arc<Exports>,
    /// Where the export files are (`exports/<organisation>/<job>/`).
    pub export_root: std::path::PathBuf,
    pub hash_key: HashKey,
    /// One active key per seeded organisation: organisation id -> secret.
    pub keys: BTreeMap<String, String>,
    _dir: tempfile::TempDir,
}

/// A signed-in browser: the session cookie to send, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub organisation: String,
    /// `svar_session=...`, as the `Cookie` header sends it.
    pub cookie: String,
    pub csrf: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in page ({}):\n{}",
            self.status,
            self.body
        );
    }

    pub fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "page:\n{}", self.body);
    }
}

/// The router over a fresh embedded store: built-in questionnaires published, the
/// organisations seeded, one key per organisation (label "Testnyckel").
pub async fn spawn_admin() -> AdminApp {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(EmbeddedStore::open(&dir.path().join("test.sqlite3")).unwrap());
    for q in questionnaire::builtin().unwrap() {
        store.publish_questionnaire(&q).await.unwrap();
    }
    seed::seed(&*store).await.unwrap();
    let hash_key = HashKey::new(vec![7; 32]);
    let workspace = Arc::new(Workspace::new(store.clone(), hash_key.clone()));
    let mut keys = BTreeMap::new();
    for organisation in seed::organisations() {
        let operator = workspace.operator(organisation.id.as_str()).await.unwrap();
        let created = workspace.create_key(&operator, "Testnyckel").await.unwrap();
        keys.insert(
            organisation.id.as_str().to_owned(),
            created.secret.reveal().to_owned(),
        );
    }
    let files = Arc::new(LocalExportFiles::new(dir.path(), &SESSION_SECRET));
    let exports = Arc::new(Exports::in_process(
        workspace.clone(),
        files.clone(),
        files,
        ExportPolicy::default(),
    ));
    let state = AdminState {
        exports: exports.clone(),
        workspace: workspace.clone(),
        sessions: Arc::new(SessionKey::from_bytes(&SESSION_SECRET).unwrap()),
        secure_cookies: true,
    };
    let survey = Arc::new(SurveyService::new(store.clone(), hash_key.clone()));
    let router = svar_shared::web::with_common_layers(
        svar_respond::routes(survey).merge(svar_admin::routes(state)),
    );
    AdminApp {
        router,
        store,
        workspace,
        exports,
        export_root: dir.path().to_owned(),
        hash_key,
        keys,
        _dir: dir,
    }
}

pub fn slug(value: &str) -> Slug {
    Slug::parse(value).unwrap()
}

impl AdminApp {
    /// The key made for `organisation` at start.
    pub fn key(&self, organisation: &str) -> &str {
        &self.keys[organisation]
    }

    /// Signs in with `organisation`'s key through the sign-in form; the CSRF token is read
    /// from the overview page's forms.
    pub async fn sign_in(&self, organisation: &str) -> Session {
        self.sign_in_with(organisation, &self.keys[organisation].clone())
            .await
    }

    /// Signs in with a given key secret (of `organisation`).
    pub async fn sign_in_with(&self, organisation: &str, secret: &str) -> Session {
        let reply = self
            .post_form(None, "/admin/logga-in", &[("key", secret)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let cookie = session_cookie(&reply.headers).expect("a session cookie");
        let mut session = Session {
            organisation: organisation.to_owned(),
            cookie,
            csrf: String::new(),
        };
        let home = self.get_as(&session, "/admin").await;
        home.assert_status(StatusCode::OK);
        session.csrf = csrf_of(&home.body).expect("a CSRF field on the overview");
        session
    }

    /// A caller acting for `organisation` directly on the service (as the command line
    /// does): to make data without going through pages.
    pub async fn caller(&self, organisation: &str) -> Caller {
        self.workspace.operator(organisation).await.unwrap()
    }

    /// A patient round of `municipality`, written straight to the store, open, with the
    /// built-in patient questionnaire.
    pub async fn round(&self, municipality: &str, name: &str) -> Round {
        let round = Round::open_patient_round(
            slug(municipality),
            name,
            QuestionnaireRef {
                id: slug("patientupplevelse"),
                version: 1,
            },
            OffsetDateTime::now_utc(),
        );
        self.store.create_round(&round).await.unwrap();
        round
    }

    /// A round with a given status.
    pub async fn round_with_status(
        &self,
        municipality: &str,
        name: &str,
        status: RoundStatus,
    ) -> Round {
        let round = Round {
            status,
            ..Round::open_patient_round(
                slug(municipality),
                name,
                QuestionnaireRef {
                    id: slug("patientupplevelse"),
                    version: 1,
                },
                OffsetDateTime::now_utc(),
            )
        };
        self.store.create_round(&round).await.unwrap();
        round
    }

    /// A queued export job of `round` (k 7, no free text), stored directly and not
    /// launched: nothing runs it unless a test does.
    pub async fn queued_export(&self, round: &Round) -> ExportJob {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let job = ExportJob {
            id: ExportJobId::random(),
            organisation: round.municipality.clone(),
            scope: ExportScope::Round {
                round: round.id.clone(),
            },
            rounds: vec![round.id.clone()],
            rounds_left_out: Vec::new(),
            settings: ExportSettings {
                k: 7,
                free_text: false,
            },
            seed: 1,
            requested_by: "Testnyckel".into(),
            state: ExportState::Queued,
            created_at: now,
            updated_at: now,
            expires_at: now + time::Duration::days(30),
        };
        let created = self
            .store
            .create_export_job(&job, now - time::Duration::minutes(2))
            .await
            .unwrap();
        assert_eq!(created, svar_shared::store::CreatedExport::Created);
        job
    }

    /// The ids of `organisation`'s keys, newest first.
    pub async fn key_ids(&self, organisation: &str) -> Vec<AccessKeyId> {
        self.store
            .access_keys(&slug(organisation))
            .await
            .unwrap()
            .into_iter()
            .map(|key| key.id)
            .collect()
    }

    /// The whole audit trail of `organisation`, newest first.
    pub async fn audit(&self, organisation: &str) -> Vec<AuditEntry> {
        self.workspace
            .audit_all(&self.caller(organisation).await)
            .await
            .unwrap()
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_as(&self, session: &Session, uri: &str) -> Reply {
        let request = Request::get(uri)
            .header(header::COOKIE, &session.cookie)
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    /// Posts a form of `session` with its CSRF token added.
    pub async fn post_as(&self, session: &Session, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf", session.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(Some(session), uri, &all).await
    }

    /// Posts exactly these fields (no CSRF token added), with `session`'s cookie if any.
    pub async fn post_form(
        &self,
        session: Option<&Session>,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(session) = session {
            request = request.header(header::COOKIE, &session.cookie);
        }
        self.send(request.body(Body::from(encode_form(fields))).unwrap())
            .await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

/// The `name=value` of the session cookie a response sets, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(svar_admin::auth::SESSION_COOKIE))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

/// The value of the first `csrf` hidden field on a page.
pub fn csrf_of(page: &str) -> Option<String> {
    let at = page.find(r#"name="csrf" value=""#)?;
    let rest = &page[at + r#"name="csrf" value=""#.len()..];
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
