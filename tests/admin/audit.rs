//! The audit trail: newest first, paged, and as CSV.

use axum::http::{StatusCode, header};
use svar_shared::service::workspace::AUDIT_PAGE_SIZE;

use crate::helpers::*;

#[tokio::test]
async fn the_trail_is_newest_first_and_paged() {
    let app = spawn_admin().await;
    let session = app.sign_in("partille").await;
    let caller = app.caller("partille").await;
    for n in 0..AUDIT_PAGE_SIZE + 5 {
        app.workspace
            .create_key(&caller, &format!("Nyckel nummer {n:03}"))
            .await
            .unwrap();
    }
    let first = app.get_as(&session, "/admin/logg").await;
    first.assert_status(StatusCode::OK);
    let newest = first.body.find("Nyckel nummer 054").unwrap();
    let older = first.body.find("Nyckel nummer 053").unwrap();
    assert!(newest < older, "newest first");
    assert!(
        !first.body.contains("Nyckel nummer 004"),
        "one page at a time"
    );
    let at = first
        .body
        .find("/admin/logg?efter=")
        .expect("a link to older lines");
    let href = &first.body[at..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    let second = app.get_as(&session, &href).await;
    second.assert_status(StatusCode::OK);
    second.assert_contains("Nyckel nummer 004");
    second.assert_contains("Inloggning");
    // A cursor that is nonsense shows the newest page rather than failing.
    app.get_as(&session, "/admin/logg?efter=%%%")
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_csv_has_every_line_with_formulas_defused() {
    let app = spawn_admin().await;
    let caller = app.caller("tjorn").await;
    app.workspace
        .create_key(&caller, "=HYPERLINK(\"http://x\")")
        .await
        .unwrap();
    app.workspace.create_key(&caller, "-2+3").await.unwrap();
    let session = app.sign_in("tjorn").await;
    let reply = app.get_as(&session, "/admin/logg.csv").await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(
        reply.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("logg-tjorn.csv")
    );
    let lines: Vec<&str> = reply.body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "time,organisation,key_label,action,object,result,reason"
    );
    assert!(lines[1].contains(",sign_in,"), "newest first: {}", lines[1]);
    reply.assert_contains(r#""'=HYPERLINK(""http://x"") ("#);
    reply.assert_contains(",'-2+3 (");
    // The header; sign-in, two keys, the test key made at start; after the last CRLF.
    assert_eq!(lines.len(), 1 + 4 + 1, "{lines:#?}");
    assert_eq!(lines[5], "");
    let other = app
        .get_as(&app.sign_in("ale").await, "/admin/logg.csv")
        .await;
    assert!(
        !other.body.contains("HYPERLINK"),
        "each organisation its own trail"
    );
}
