//! Rounds through the pages: creating one (and bad input), opening and closing, the
//! counts on the overview and the list.

use axum::http::StatusCode;
use svar_shared::domain::{AuditAction, AuditResult, Organisation, OrganisationKind, RoundStatus};

use crate::helpers::*;

fn valid<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("questionnaire", "patientupplevelse:1"),
        ("name", "Hemsjukvården våren"),
        ("start", "2026-03-01"),
        ("end", "2026-03-31"),
        ("unit", "Hemsjukvård"),
    ]
}

fn with<'a>(field: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    valid()
        .into_iter()
        .map(|(k, v)| if k == field { (k, value) } else { (k, v) })
        .collect()
}

#[tokio::test]
async fn a_new_round_is_planned_listed_and_audited() {
    let app = spawn_admin().await;
    let session = app.sign_in("kungalv").await;
    let form = app.get_as(&session, "/admin/omgangar/ny").await;
    form.assert_status(StatusCode::OK);
    form.assert_contains(r#"<option value="patientupplevelse:1">"#);
    assert!(
        !form.body.contains(r#"value="nyckeltal"#)
            && !form.body.contains(r#"value="civilsamhalle"#),
        "network questionnaires are not offered"
    );

    let reply = app.post_as(&session, "/admin/omgangar", &valid()).await;
    reply.assert_status(StatusCode::SEE_OTHER);
    let detail_path = reply.location.clone().unwrap();
    let detail = app.get_as(&session, &detail_path).await;
    detail.assert_contains("<h1>Hemsjukvården våren</h1>");
    detail.assert_contains("Planerad");
    detail.assert_contains("2026-03-01 till 2026-03-31");
    detail.assert_contains("Hemsjukvård");
    detail.assert_contains("Patientupplevelse i kommunal primärvård (version 1)");
    detail.assert_contains(&format!(r#"href="{detail_path}/inbjudningar""#));
    detail.assert_contains(&format!(r#"href="{detail_path}/svarsfrekvens""#));

    let list = app.get_as(&session, "/admin/omgangar").await;
    list.assert_contains("Hemsjukvården våren");
    let trail = app.audit("kungalv").await;
    assert_eq!(trail[0].action, AuditAction::RoundCreated);
    assert!(trail[0].object.contains("Hemsjukvården våren"));
}

#[tokio::test]
async fn bad_input_shows_the_form_again_with_the_message_and_what_was_typed() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let (long_name, long_unit) = ("x".repeat(201), "y".repeat(201));
    let cases = [
        (with("name", "  "), "name", "Skriv ett namn på omgången"),
        (
            with("end", "2026-02-01"),
            "end",
            "Slutdatumet kan inte vara före startdatumet",
        ),
        (
            with("questionnaire", "finns_inte"),
            "questionnaire",
            "Välj en av enkäterna",
        ),
        (
            with("questionnaire", "nyckeltal"),
            "questionnaire",
            "Välj en av enkäterna",
        ),
        (
            with("start", "1 mars"),
            "start",
            "Skriv startdatumet som år-månad-dag",
        ),
        (with("name", &long_name), "name", "1–200 tecken"),
        (with("unit", &long_unit), "unit", "högst 200 tecken"),
    ];
    for (fields, field, message) in cases {
        let reply = app.post_as(&session, "/admin/omgangar", &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            reply.body
        );
        reply.assert_contains(message);
        reply.assert_contains(&format!(r##"<a href="#{field}">"##));
        reply.assert_contains(&format!(r#"id="{field}-error""#));
        reply.assert_contains("<title>Fel: Ny omgång");
        // What was typed is kept (the other fields, and the wrong one too).
        for (name, value) in &fields {
            if *name == "questionnaire" {
                continue;
            }
            reply.assert_contains(&format!(r#"value="{value}""#));
        }
    }
    let kept = app
        .post_as(&session, "/admin/omgangar", &with("name", ""))
        .await;
    kept.assert_contains(r#"<option value="patientupplevelse:1" selected>"#);
    assert!(
        app.workspace
            .rounds(&app.caller("ale").await)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_network_may_not_make_patient_rounds() {
    let app = spawn_admin().await;
    let session = app.sign_in("gr").await;
    app.get_as(&session, "/admin/omgangar/ny")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let reply = app.post_as(&session, "/admin/omgangar", &valid()).await;
    reply.assert_status(StatusCode::FORBIDDEN);
    reply.assert_contains("Bara en kommun");
    assert!(
        !app.get_as(&session, "/admin")
            .await
            .body
            .contains("/admin/omgangar/ny")
    );
}

#[tokio::test]
async fn a_round_goes_planned_open_closed_and_open_again() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let round = app
        .round_with_status("ale", "Våren", RoundStatus::Planned)
        .await;
    let base = format!("/admin/omgangar/{}", round.id);
    let status = || async { app.store.round(&round.id).await.unwrap().unwrap().status };

    let page = app.get_as(&session, &base).await;
    page.assert_contains(&format!(r#"action="{base}/oppna""#));
    page.assert_contains(&format!(r#"action="{base}/stang""#));

    let reply = app.post_as(&session, &format!("{base}/oppna"), &[]).await;
    assert_eq!(reply.location.as_deref(), Some(base.as_str()));
    assert_eq!(status().await, RoundStatus::Open);
    let page = app.get_as(&session, &base).await;
    assert!(!page.body.contains(&format!(r#"action="{base}/oppna""#)));

    // Opening an open round again: a conflict, recorded as refused.
    let reply = app.post_as(&session, &format!("{base}/oppna"), &[]).await;
    reply.assert_status(StatusCode::CONFLICT);
    reply.assert_contains("Omgången är redan öppen");
    let trail = app.audit("ale").await;
    assert_eq!(trail[0].action, AuditAction::RoundOpened);
    assert!(matches!(trail[0].result, AuditResult::Refused(_)));

    app.post_as(&session, &format!("{base}/stang"), &[]).await;
    assert_eq!(status().await, RoundStatus::Closed);
    let page = app.get_as(&session, &base).await;
    page.assert_contains("Öppna omgången igen");
    app.post_as(&session, &format!("{base}/oppna"), &[]).await;
    assert_eq!(status().await, RoundStatus::Open);

    let actions: Vec<_> = app.audit("ale").await.iter().map(|e| e.action).collect();
    assert_eq!(
        actions[..4],
        [
            AuditAction::RoundOpened,
            AuditAction::RoundClosed,
            AuditAction::RoundOpened,
            AuditAction::RoundOpened
        ]
    );
}

#[tokio::test]
async fn an_unknown_or_malformed_round_id_is_not_found() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    for path in [
        "/admin/omgangar/00000000-0000-4000-8000-000000000000",
        "/admin/omgangar/inte-ett-id",
    ] {
        app.get_as(&session, path)
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_overview_lists_the_rounds_with_live_counts() {
    let app = spawn_admin().await;
    let session = app.sign_in("ale").await;
    let round = app.round("ale", "Hösten").await;
    let home = app.get_as(&session, "/admin").await;
    home.assert_contains("Hösten");
    home.assert_contains("<td>–</td>");
    for _ in 0..4 {
        svar_shared::service::setup::issue_invitation(
            &*app.store,
            &app.hash_key,
            &round,
            0,
            time::OffsetDateTime::now_utc() + time::Duration::days(1),
        )
        .await
        .unwrap();
    }
    let home = app.get_as(&session, "/admin").await;
    home.assert_contains("<td>4</td><td>0</td><td>0 %</td>");
    for area in ["/admin/omgangar", "/admin/nycklar", "/admin/logg"] {
        home.assert_contains(&format!(r#"href="{area}""#));
    }
}

/// A network's uploaded questionnaire is offered to its own municipalities' patient
/// rounds, titled on the round; another network's municipality neither sees it nor can
/// use it by typing its id.
#[tokio::test]
async fn a_networks_uploaded_questionnaire_is_offered_to_its_municipalities_only() {
    let app = spawn_admin().await;
    let gr = app.sign_in("gr").await;
    let source = include_str!("../../shared/questionnaires/patientupplevelse.toml").replacen(
        "id = \"patientupplevelse\"",
        "id = \"egen_patientenkat\"",
        1,
    );
    let source = replace_title(&source, "Vår egen patientenkät");
    app.post_as(&gr, "/admin/natverk/enkater", &[("definition", &source)])
        .await
        .assert_status(StatusCode::OK);

    let ale = app.sign_in("ale").await;
    let form = app.get_as(&ale, "/admin/omgangar/ny").await;
    form.assert_contains(r#"<option value="egen_patientenkat:1">"#);
    form.assert_contains("Vår egen patientenkät (version 1)");
    let created = app
        .post_as(
            &ale,
            "/admin/omgangar",
            &with("questionnaire", "egen_patientenkat:1"),
        )
        .await;
    created.assert_status(StatusCode::SEE_OTHER);
    let detail = app.get_as(&ale, &created.location.unwrap()).await;
    detail.assert_contains("Vår egen patientenkät (version 1)");
    // The bare id (as the JSON API may send it) names the latest version.
    app.post_as(
        &ale,
        "/admin/omgangar",
        &with("questionnaire", "egen_patientenkat"),
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    // Another network with one municipality.
    let store = &app.store;
    store
        .put_organisation(&Organisation {
            id: slug("annat_natverk"),
            name: "Annat nätverk".into(),
            kind: OrganisationKind::Network,
            network: None,
        })
        .await
        .unwrap();
    store
        .put_organisation(&Organisation {
            id: slug("annan_kommun"),
            name: "Annan kommun".into(),
            kind: OrganisationKind::Municipality,
            network: Some(slug("annat_natverk")),
        })
        .await
        .unwrap();
    let operator = app.caller("annan_kommun").await;
    let key = app
        .workspace
        .create_key(&operator, "Testnyckel")
        .await
        .unwrap();
    let other = app.sign_in_with("annan_kommun", key.secret.reveal()).await;
    let form = app.get_as(&other, "/admin/omgangar/ny").await;
    form.assert_status(StatusCode::OK);
    form.assert_contains(r#"<option value="patientupplevelse:1">"#);
    assert!(!form.body.contains("egen_patientenkat"), "{}", form.body);
    for typed in ["egen_patientenkat:1", "egen_patientenkat"] {
        let refused = app
            .post_as(&other, "/admin/omgangar", &with("questionnaire", typed))
            .await;
        refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        refused.assert_contains("Välj en av enkäterna i listan.");
    }
    // Nor the network's built-in ones, typed.
    app.post_as(
        &ale,
        "/admin/omgangar",
        &with("questionnaire", "nyckeltal:1"),
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
}

/// `source` with its first Swedish title (the questionnaire's own) replaced.
fn replace_title(source: &str, title: &str) -> String {
    let start = source.find("title = { sv = \"").unwrap() + "title = { sv = \"".len();
    let end = start + source[start..].find('"').unwrap();
    format!("{}{title}{}", &source[..start], &source[end..])
}
