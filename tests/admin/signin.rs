//! Signing in and out, and what ends a session.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum_extra::extract::cookie::{Cookie, Key, SignedCookieJar};
use svar_shared::domain::AuditAction;
use svar_shared::service::guessing::MAX_FAILED_LOOKUPS;

use crate::helpers::*;

#[tokio::test]
async fn a_valid_key_signs_in_shows_the_organisation_and_is_audited() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let home = app.get_as(&session, "/admin").await;
    home.assert_contains("<h1>Ale kommun</h1>");
    assert!(!session.csrf.is_empty());
    let trail = app.audit("ale").await;
    assert_eq!(trail[0].action, AuditAction::SignIn);
    assert_eq!(trail[0].key_label, "Testnyckel");
    assert!(
        app.audit("alingsas")
            .await
            .iter()
            .all(|e| e.action != AuditAction::SignIn)
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_secure() {
    let app = spawn_admin().await;
    let reply = app
        .post_form(None, "/admin/logga-in", &[("key", app.key("ale"))])
        .await;
    let cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(
        !cookie.contains(app.key("ale")),
        "the key is not in the cookie"
    );
    assert_eq!(reply.location.as_deref(), Some("/admin"));
}

#[tokio::test]
async fn a_wrong_key_shows_the_form_again_with_a_plain_message() {
    let app = spawn_admin().await;
    let wrong = "svar_00000000000000000000000000000000";
    for typed in [wrong, "", "not a key at all"] {
        let reply = app
            .post_form(None, "/admin/logga-in", &[("key", typed)])
            .await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        reply.assert_contains("Nyckeln stämmer inte");
        reply.assert_contains(r##"<a href="#key">"##);
        assert!(reply.headers.get(header::SET_COOKIE).is_none());
        if !typed.is_empty() {
            assert!(
                !reply.body.contains(typed),
                "a typed key is never shown again"
            );
        }
    }
}

#[tokio::test]
async fn a_revoked_key_does_not_sign_in() {
    let app = spawn_admin().await;
    let caller = app.caller("ale").await;
    let key = app.key_ids("ale").await[0].clone();
    app.workspace
        .revoke_key(&caller, &key.to_string())
        .await
        .unwrap();
    let reply = app
        .post_form(None, "/admin/logga-in", &[("key", app.key("ale"))])
        .await;
    reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_client_like_code_guessing() {
    let app = spawn_admin().await;
    let wrong = "svar_00000000000000000000000000000000";
    for _ in 0..MAX_FAILED_LOOKUPS {
        let reply = app
            .post_form(None, "/admin/logga-in", &[("key", wrong)])
            .await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let reply = app
        .post_form(None, "/admin/logga-in", &[("key", wrong)])
        .await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.headers.contains_key(header::RETRY_AFTER));
    reply.assert_contains("För många försök");
    // Even the right key waits, and so does the form.
    let reply = app
        .post_form(None, "/admin/logga-in", &[("key", app.key("ale"))])
        .await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    app.get("/admin/logga-in")
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn without_a_session_every_page_goes_to_the_sign_in_page() {
    let app = spawn_admin().await;
    for path in ["/admin", "/admin/nycklar", "/admin/omgangar", "/admin/logg"] {
        let reply = app.get(path).await;
        reply.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(reply.location.as_deref(), Some("/admin/logga-in"), "{path}");
    }
}

#[tokio::test]
async fn a_tampered_cookie_goes_to_the_sign_in_page() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    // The value is `<signature><claims>`; change one character of the claims.
    let mut tampered = session.clone();
    let last = tampered.cookie.pop().unwrap();
    tampered.cookie.push(if last == '0' { '1' } else { '0' });
    // Another organisation's name in otherwise valid claims is no better.
    let (name, value) = session.cookie.split_once('=').unwrap();
    assert!(value.contains("ale%7C"), "{value}");
    let swapped = Session {
        cookie: format!("{name}={}", value.replace("ale%7C", "alingsas%7C")),
        ..session.clone()
    };
    for session in [tampered, swapped] {
        let reply = app.get_as(&session, "/admin").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.location.as_deref(), Some("/admin/logga-in"));
    }
}

#[tokio::test]
async fn an_expired_session_goes_to_the_sign_in_page() {
    let app = spawn_admin().await;
    let key_id = app.key_ids("ale").await[0].clone();
    let cookie_for = |expires: i64| {
        let jar = SignedCookieJar::new(Key::from(&SESSION_SECRET)).add(Cookie::new(
            svar_admin::auth::SESSION_COOKIE,
            format!("ale|{key_id}|{expires}|nonce"),
        ));
        let response = jar.into_response();
        session_cookie(response.headers()).unwrap()
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let valid = Session {
        organisation: "ale".into(),
        cookie: cookie_for(now + 60),
        csrf: String::new(),
    };
    // The hand-made cookie is accepted while it lasts: the check below is about time.
    app.get_as(&valid, "/admin")
        .await
        .assert_status(StatusCode::OK);
    let expired = Session {
        cookie: cookie_for(now - 1),
        ..valid
    };
    let reply = app.get_as(&expired, "/admin").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/admin/logga-in"));
}

#[tokio::test]
async fn signing_out_ends_the_cookie_and_is_audited() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let reply = app.post_as(&session, "/admin/logga-ut", &[]).await;
    reply.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(reply.location.as_deref(), Some("/admin/logga-in?utloggad"));
    let cleared = reply.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(app.audit("ale").await[0].action, AuditAction::SignOut);
    app.get("/admin/logga-in?utloggad")
        .await
        .assert_contains("Du är utloggad");
}

#[tokio::test]
async fn revoking_a_key_ends_every_session_made_from_it() {
    let app = spawn_admin().await;
    let first = app.sign_in("ale").await;
    // A second key, made on the keys page, and a session from it.
    let created = app
        .post_as(&first, "/admin/nycklar", &[("label", "Bertil")])
        .await;
    created.assert_status(StatusCode::OK);
    let secret = secret_on(&created.body);
    let second = app.sign_in_with("ale", &secret).await;
    let second_id = app.key_ids("ale").await[0].clone();

    let reply = app
        .post_as(
            &first,
            &format!("/admin/nycklar/{second_id}/aterkalla"),
            &[],
        )
        .await;
    assert_eq!(reply.location.as_deref(), Some("/admin/nycklar"));
    let reply = app.get_as(&second, "/admin").await;
    assert_eq!(reply.location.as_deref(), Some("/admin/logga-in"));
    app.get_as(&first, "/admin")
        .await
        .assert_status(StatusCode::OK);

    // Revoking the key of one's own session ends it at once.
    let own = app.key_ids("ale").await[1].clone();
    let reply = app
        .post_as(&first, &format!("/admin/nycklar/{own}/aterkalla"), &[])
        .await;
    assert_eq!(reply.location.as_deref(), Some("/admin/logga-in"));
    let reply = app.get_as(&first, "/admin").await;
    assert_eq!(reply.location.as_deref(), Some("/admin/logga-in"));
}

/// The secret shown once on the page after a key is made.
pub fn secret_on(page: &str) -> String {
    let at = page.find("value=\"svar_").expect("a secret on the page") + 7;
    page[at..at + 37].to_owned()
}

#[tokio::test]
async fn the_function_alone_sends_the_same_security_headers_as_the_respondent_pages() {
    use std::sync::Arc;
    use tower::ServiceExt;

    let app = spawn_admin().await;
    let router = svar_admin::router(svar_admin::AdminState {
        workspace: app.workspace.clone(),
        exports: app.exports.clone(),
        sessions: Arc::new(svar_admin::SessionKey::from_bytes(&SESSION_SECRET).unwrap()),
        secure_cookies: true,
    });
    let request = axum::http::Request::get("/admin/logga-in")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"));
}
