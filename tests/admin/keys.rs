//! Keys through the pages: the list, a new key shown once, revoking.

use axum::http::StatusCode;
use svar_shared::domain::{AccessSecret, AuditAction};

use crate::helpers::*;
use crate::signin::secret_on;

#[tokio::test]
async fn a_new_key_is_shown_once_listed_without_its_secret_and_audited() {
    let app = spawn_admin().await;
    let session = app.sign_in("molndal").await;
    let reply = app
        .post_as(
            &session,
            "/admin/nycklar",
            &[("label", "  Anna, enhetschef ")],
        )
        .await;
    reply.assert_status(StatusCode::OK);
    reply.assert_contains("visas bara den här gången");
    let secret = secret_on(&reply.body);
    assert!(AccessSecret::parse(&secret).is_some(), "{secret}");

    let list = app.get_as(&session, "/admin/nycklar").await;
    list.assert_contains("Anna, enhetschef");
    list.assert_contains("Testnyckel (den här inloggningen)");
    assert!(
        !list.body.contains(&secret),
        "the list never shows a secret"
    );
    app.sign_in_with("molndal", &secret).await;

    let trail = app.audit("molndal").await;
    let created = trail
        .iter()
        .find(|e| e.action == AuditAction::KeyCreated)
        .unwrap();
    assert!(created.object.contains("Anna, enhetschef"));
    assert!(
        trail.iter().all(|e| !e.object.contains(&secret)),
        "no secret in the trail"
    );
}

#[tokio::test]
async fn a_label_must_be_1_to_100_characters() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let long = "é".repeat(101);
    for label in ["", "   ", long.as_str()] {
        let reply = app
            .post_as(&session, "/admin/nycklar", &[("label", label)])
            .await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        reply.assert_contains("1–100 tecken");
        reply.assert_contains(r##"<a href="#label">"##);
        reply.assert_contains(&format!(r#"value="{label}""#));
    }
    let exactly = "é".repeat(100);
    app.post_as(&session, "/admin/nycklar", &[("label", &exactly)])
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(app.key_ids("ale").await.len(), 2);
}

#[tokio::test]
async fn a_revoked_key_is_listed_as_revoked_and_cannot_be_revoked_again() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let caller = app.caller("ale").await;
    let other = app.workspace.create_key(&caller, "Bertil").await.unwrap();
    let path = format!("/admin/nycklar/{}/aterkalla", other.key.id);
    app.post_as(&session, &path, &[])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let list = app.get_as(&session, "/admin/nycklar").await;
    list.assert_contains("Återkallad 20");
    assert!(
        !list.body.contains(&format!(r#"action="{path}""#)),
        "no button for a revoked key"
    );
    let again = app.post_as(&session, &path, &[]).await;
    again.assert_status(StatusCode::CONFLICT);
    let trail = app.audit("ale").await;
    assert_eq!(trail[0].action, AuditAction::KeyRevoked);
    assert_eq!(trail[1].action, AuditAction::KeyRevoked);
}
