//! Organisation A on any route of B's objects: 404 and none of B's data. The walk covers
//! every route in `svar_admin::route_table()`, so routes added later are walked too: each
//! path parameter (`{id}`, `{round}`, ...) is replaced by each of B's object ids in turn,
//! every request carries A's session cookie, A's key as a bearer token and A's CSRF token.
//!
//! A route whose form or JSON body is decoded before the object is checked may answer
//! 400 or 422 to a POST here: that leaks nothing, but B's data must still be absent and
//! nothing of B's may change. A route the attacker's kind of organisation may not use
//! at all (the network on export pages) may answer 403, but only if it answers the same
//! for an id that names nothing: the refusal must not depend on B's object.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use svar_shared::domain::{OrganisationKind, RoundStatus};

use crate::helpers::*;

/// B's objects and the texts that only B's data contains.
struct Victim {
    organisation: String,
    ids: Vec<String>,
    secrets: Vec<String>,
}

async fn victim(app: &AdminApp, organisation: &str) -> Victim {
    let caller = app.caller(organisation).await;
    let round_name = format!("Hemlig omgång {organisation}");
    let key_label = format!("Hemlig nyckel {organisation}");
    let key = app.workspace.create_key(&caller, &key_label).await.unwrap();
    let mut ids = vec![key.key.id.to_string()];
    if caller.organisation.kind == OrganisationKind::Municipality {
        let round = app
            .round_with_status(organisation, &round_name, RoundStatus::Planned)
            .await;
        ids.push(round.id.to_string());
        // An export needs responses to be asked for: one stored directly.
        ids.push(app.queued_export(&round).await.id.to_string());
    }
    Victim {
        organisation: organisation.to_owned(),
        ids,
        secrets: vec![round_name, key_label],
    }
}

/// Each way of filling `path`'s parameters with `ids` (one id for all of them at once).
fn filled(path: &str, ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            let mut out = String::new();
            let mut rest = path;
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
                out.push_str(&rest[..open]);
                out.push_str(id);
                rest = &rest[close..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

async fn walk(app: &AdminApp, attacker: &str, victim_org: &str) {
    let b = victim(app, victim_org).await;
    let a = app.sign_in(attacker).await;
    let trail_before = app.audit(&b.organisation).await.len();
    let caller_b = app.caller(&b.organisation).await;
    let rounds_before = app.workspace.rounds(&caller_b).await.unwrap();
    let keys_before = app.workspace.keys(&caller_b).await.unwrap();
    let mut walked = 0;

    for (method, route) in svar_admin::route_table() {
        let has_params = route.contains('{');
        let paths = if has_params {
            filled(route, &b.ids)
        } else if method == "GET" {
            vec![route.to_owned()]
        } else {
            // A post without an object acts on the caller's own organisation.
            continue;
        };
        for path in paths {
            walked += 1;
            let reply = app.send(attack(app, &a, attacker, method, &path)).await;
            if has_params && reply.status == StatusCode::FORBIDDEN {
                let nothing = filled(route, &[uuid::Uuid::new_v4().to_string()]).remove(0);
                let again = app.send(attack(app, &a, attacker, method, &nothing)).await;
                assert_eq!(
                    again.status,
                    StatusCode::FORBIDDEN,
                    "{attacker} on {method} {path}: 403 for {victim_org}'s object but {} for \
                     an id of nothing: the answer reveals the object",
                    again.status
                );
            }
            let allowed: &[StatusCode] = if !has_params {
                // The caller's own pages; a network may not make patient rounds (403);
                // a read that needs a query (the comparison) answers 422 without one,
                // and its file sends the reader back to the form (303).
                &[
                    StatusCode::OK,
                    StatusCode::FORBIDDEN,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    StatusCode::SEE_OTHER,
                ]
            } else if reply.status == StatusCode::FORBIDDEN {
                // Checked above: refused whatever the object.
                &[StatusCode::FORBIDDEN]
            } else if method == "GET" {
                &[StatusCode::NOT_FOUND]
            } else {
                &[
                    StatusCode::NOT_FOUND,
                    StatusCode::BAD_REQUEST,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ]
            };
            assert!(
                allowed.contains(&reply.status),
                "{attacker} on {victim_org}'s {method} {path} answered {}: another \
                 organisation's object must be 404 (check ownership first)\n{}",
                reply.status,
                reply.body
            );
            for secret in &b.secrets {
                assert!(
                    !reply.body.contains(secret.as_str()),
                    "{method} {path} shows {victim_org}'s {secret:?} to {attacker}"
                );
            }
            if has_params {
                for id in &b.ids {
                    assert!(
                        !reply.body.contains(id.as_str()),
                        "{method} {path} names {victim_org}'s id {id}"
                    );
                }
            }
        }
    }
    assert!(walked > 5, "the walk reached the routes");
    assert_eq!(
        app.workspace.rounds(&caller_b).await.unwrap(),
        rounds_before,
        "{victim_org}'s rounds are unchanged"
    );
    assert_eq!(
        app.workspace.keys(&caller_b).await.unwrap(),
        keys_before,
        "{victim_org}'s keys are unchanged"
    );
    assert_eq!(
        app.audit(&b.organisation).await.len(),
        trail_before,
        "nothing was recorded in {victim_org}'s trail"
    );
}

/// A request of the attacker: session cookie, key and, for a post, a body with the CSRF
/// token (a form) or an empty JSON object (the API).
fn attack(app: &AdminApp, a: &Session, attacker: &str, method: &str, path: &str) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .header(header::COOKIE, &a.cookie)
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", app.key(attacker)),
        );
    let body = if method == "GET" {
        Body::empty()
    } else if path.starts_with("/api/") {
        request = request.header(header::CONTENT_TYPE, "application/json");
        Body::from("{}")
    } else {
        request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        Body::from(encode_form(&[("csrf", &a.csrf)]))
    };
    request.body(body).unwrap()
}

#[tokio::test]
async fn a_municipality_reaches_nothing_of_another_municipality() {
    let app = spawn_admin().await;
    walk(&app, "ale", "alingsas").await;
}

#[tokio::test]
async fn the_network_reaches_no_municipalitys_own_rounds_or_keys() {
    let app = spawn_admin().await;
    walk(&app, "gr", "lilla_edet").await;
}

#[tokio::test]
async fn a_municipality_reaches_nothing_of_the_network() {
    let app = spawn_admin().await;
    walk(&app, "ockero", "gr").await;
}

#[test]
fn every_parameter_of_a_path_is_filled() {
    assert_eq!(
        filled("/a/{id}/b/{batch}", &["1".into(), "2".into()]),
        ["/a/1/b/1", "/a/2/b/2"]
    );
    assert_eq!(filled("/a", &["1".into()]), ["/a"]);
}
