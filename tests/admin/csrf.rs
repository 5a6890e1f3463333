//! Every state-changing form needs the session's CSRF token: without it, or with a
//! forged or another session's token, 403 and nothing changes.

use axum::http::StatusCode;
use svar_shared::domain::RoundStatus;

use crate::helpers::*;

/// The posts to try: `(path, fields)` of a valid action, apart from the token.
fn actions(round: &str, key: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    vec![
        ("/admin/nycklar".into(), vec![("label", "Ny".into())]),
        (format!("/admin/nycklar/{key}/aterkalla"), vec![]),
        (
            "/admin/omgangar".into(),
            vec![
                ("questionnaire", "patientupplevelse".into()),
                ("name", "Våren".into()),
                ("start", "2026-03-01".into()),
                ("end", "2026-03-31".into()),
            ],
        ),
        (format!("/admin/omgangar/{round}/stang"), vec![]),
        ("/admin/logga-ut".into(), vec![]),
    ]
}

#[tokio::test]
async fn a_missing_forged_or_foreign_token_is_refused_and_nothing_changes() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let other = app.sign_in("ale").await;
    assert_ne!(session.csrf, other.csrf, "each session has its own token");
    let round = app.round("ale", "Våren").await;
    let key = app.key_ids("ale").await[0].to_string();
    let trail_before = app.audit("ale").await.len();
    let forged = "0".repeat(session.csrf.len());

    for (path, fields) in actions(&round.id.to_string(), &key) {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for token in [
            None,
            Some(""),
            Some(forged.as_str()),
            Some(other.csrf.as_str()),
        ] {
            let mut all = fields.clone();
            if let Some(token) = token {
                all.push(("csrf", token));
            }
            let reply = app.post_form(Some(&session), &path, &all).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path} with {token:?}");
            reply.assert_contains("Formuläret kunde inte tas emot");
        }
    }
    assert_eq!(
        app.audit("ale").await.len(),
        trail_before,
        "nothing recorded"
    );
    assert_eq!(app.key_ids("ale").await.len(), 1, "no key made");
    let caller = app.caller("ale").await;
    let keys = app.workspace.keys(&caller).await.unwrap();
    assert!(keys[0].is_active(), "no key revoked");
    let rounds = app.workspace.rounds(&caller).await.unwrap();
    assert_eq!(rounds.len(), 1, "no round made");
    assert_eq!(rounds[0].round.status, RoundStatus::Open, "not closed");
    app.get_as(&session, "/admin")
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn every_form_on_every_page_carries_the_token() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let round = app
        .round_with_status("ale", "Planerad", RoundStatus::Planned)
        .await;
    let pages = [
        "/admin".to_owned(),
        "/admin/nycklar".into(),
        "/admin/omgangar".into(),
        "/admin/omgangar/ny".into(),
        format!("/admin/omgangar/{}", round.id),
        "/admin/logg".into(),
    ];
    for path in pages {
        let page = app.get_as(&session, &path).await;
        page.assert_status(StatusCode::OK);
        let forms = page.body.matches("<form method=\"post\"").count();
        let tokens = page
            .body
            .matches(&format!(r#"name="csrf" value="{}""#, session.csrf))
            .count();
        assert!(forms > 0, "{path} has at least the sign-out form");
        assert_eq!(forms, tokens, "{path}: every form has the token");
    }
}
