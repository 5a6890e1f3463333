//! Signing in and out, and what ends a session.

use axum::http::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_valid_key_signs_in_and_shows_the_organisations_name() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let home = app.get_as(&session, "/admin").await;
    home.assert_contains("<h1>Ale kommun</h1>");
    assert!(!session.csrf.is_empty());
}
