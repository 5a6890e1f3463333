//! Text from organisations (names, labels, round names, units) is escaped on every
//! page: the walk visits every GET route of `svar_admin::route_table()` with the
//! organisation's own ids, so pages added later are checked too.

use axum::http::{StatusCode, header};
use svar_shared::domain::{Organisation, OrganisationKind};
use svar_shared::service::workspace::NewRound;

use crate::helpers::*;

const NASTY: &str = r#"<script>alert("x")</script> 'q' & "citat""#;

#[tokio::test]
async fn names_with_markup_and_quotes_are_escaped_on_every_page() {
    let app = spawn_admin().await;
    app.store
        .put_organisation(&Organisation {
            id: slug("ale"),
            name: format!("Ale {NASTY}"),
            kind: OrganisationKind::Municipality,
            network: Some(slug("gr")),
        })
        .await
        .unwrap();
    let caller = app.caller("ale").await;
    let round = app
        .workspace
        .create_patient_round(
            &caller,
            &NewRound {
                questionnaire: "patientupplevelse".into(),
                name: format!("Omgång {NASTY}"),
                start: "2026-01-01".into(),
                end: "2026-12-31".into(),
                unit: format!("Enhet {NASTY}"),
            },
        )
        .await
        .unwrap();
    let key = app
        .workspace
        .create_key(&caller, &format!("Nyckel {NASTY}"))
        .await
        .unwrap();
    let session = app.sign_in("ale").await;
    let ids = [round.id.to_string(), key.key.id.to_string()];

    let mut pages = 0;
    for (method, route) in svar_admin::route_table() {
        if method != "GET" {
            continue;
        }
        let paths: Vec<String> = if route.contains('{') {
            ids.iter()
                .map(|id| {
                    let mut path = route.to_owned();
                    while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
                        path.replace_range(open..=close, id);
                    }
                    path
                })
                .collect()
        } else {
            vec![route.to_owned()]
        };
        for path in paths {
            let reply = app.get_as(&session, &path).await;
            let html = reply
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
            if !html {
                continue;
            }
            pages += 1;
            assert!(
                !reply.body.contains("<script>"),
                "GET {path} ({}) shows markup unescaped:\n{}",
                reply.status,
                reply.body
            );
            if reply.body.contains("Inloggad som") {
                // The signed-in header names the organisation on every page.
                reply.assert_contains("Ale &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
            }
        }
    }
    assert!(pages >= 6, "the walk saw the pages ({pages})");

    // Names also sit in attributes (the revoke button's label, typed values).
    let keys = app.get_as(&session, "/admin/nycklar").await;
    keys.assert_contains("Nyckel &lt;script&gt;");
    keys.assert_contains("&quot;citat&quot;");
    let detail = app
        .get_as(&session, &format!("/admin/omgangar/{}", round.id))
        .await;
    detail.assert_contains("<h1>Omgång &lt;script&gt;");
    detail.assert_contains("Enhet &lt;script&gt;");
    let form = app
        .post_as(
            &session,
            "/admin/omgangar",
            &[("name", NASTY), ("questionnaire", "x\"><script>")],
        )
        .await;
    form.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!form.body.contains("<script>"));
    form.assert_contains(r#"value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"#);
}
