use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use svar_shared::domain::questionnaire::{self, Slug};
use svar_shared::domain::{HashKey, QuestionnaireRef, Round};
use svar_shared::service::respondent::SurveyService;
use svar_shared::service::setup::{IssuedInvitation, issue_invitation};
use svar_shared::store::RespondentStore;
use svar_shared::store::embedded::EmbeddedStore;
use time::{Duration, OffsetDateTime};
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub store: Arc<dyn RespondentStore>,
    pub hash_key: HashKey,
    /// Whatever keeps the store alive (a temporary folder, a table).
    _backing: Box<dyn std::any::Any + Send + Sync>,
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in page:\n{}",
            self.body
        );
    }
}

/// A router over a fresh embedded store with the built-in questionnaires published and
/// one round per questionnaire.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("test.sqlite3")).unwrap());
    spawn_app_on(store, Box::new(dir)).await
}

/// The same on a DynamoDB store in DynamoDB Local (fails loudly if it is not running).
pub async fn spawn_app_on_dynamodb() -> TestApp {
    let backend = svar_tests::backend::Dynamo::new().await;
    spawn_app_on(backend.store.clone(), Box::new(backend.tables)).await
}

/// A router over any store (e.g. one that fails chosen operations), set up like [`spawn_app`].
pub async fn spawn_app_on(
    store: Arc<dyn RespondentStore>,
    backing: Box<dyn std::any::Any + Send + Sync>,
) -> TestApp {
    for q in questionnaire::builtin().unwrap() {
        store.publish_questionnaire(&q).await.unwrap();
    }
    store
        .put_municipality(&svar_tests::municipality())
        .await
        .unwrap();
    let hash_key = HashKey::new(vec![7; 32]);
    let survey = Arc::new(SurveyService::new(store.clone(), hash_key.clone()));
    TestApp {
        router: svar_respond::router(survey),
        store,
        hash_key,
        _backing: backing,
    }
}

impl TestApp {
    /// A round of the given built-in questionnaire.
    pub async fn round(&self, questionnaire_id: &str) -> Round {
        let round = Round::open_patient_round(
            Slug::parse("testkommun").unwrap(),
            format!("Omgång {questionnaire_id}"),
            QuestionnaireRef {
                id: Slug::parse(questionnaire_id).unwrap(),
                version: 1,
            },
            OffsetDateTime::now_utc(),
        );
        self.store.create_round(&round).await.unwrap();
        round
    }

    pub async fn invite(&self, round: &Round) -> IssuedInvitation {
        self.invite_until(round, OffsetDateTime::now_utc() + Duration::days(30))
            .await
    }

    pub async fn invite_until(
        &self,
        round: &Round,
        expires_at: OffsetDateTime,
    ) -> IssuedInvitation {
        issue_invitation(&*self.store, &self.hash_key, round, 0, expires_at)
            .await
            .unwrap()
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post(&self, uri: &str, body: impl Into<Body>) -> Reply {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.into())
            .unwrap();
        self.send(request).await
    }

    /// Posts form fields, percent-encoding them as a browser does.
    pub async fn post_form(&self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        self.post(uri, encode_form(fields)).await
    }

    /// A GET from a client at `from`, as `axum::serve` with connect info passes it.
    pub async fn get_from(&self, uri: &str, from: IpAddr) -> Reply {
        let mut request = Request::get(uri).body(Body::empty()).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(from, 40000)));
        self.send(request).await
    }

    /// A form post from a client at `from`.
    pub async fn post_form_from(&self, uri: &str, fields: &[(&str, &str)], from: IpAddr) -> Reply {
        let mut request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(encode_form(fields)))
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(from, 40000)));
        self.send(request).await
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
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }
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

/// `/s/{token}` of an invitation's link.
pub fn link_path(issued: &IssuedInvitation) -> String {
    format!("/s/{}", issued.link.path_segment())
}

/// The names of the text areas on a page, in order (the civil-society questions).
pub fn textarea_names(page: &str) -> Vec<String> {
    page.match_indices("<textarea id=\"q-")
        .map(|(at, _)| {
            let rest = &page[at + 16..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}
