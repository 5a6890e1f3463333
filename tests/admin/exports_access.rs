//! Who may reach an export and the comparison: another municipality gets 404 for an
//! export, its page, API and files; the network is refused exports and a municipality
//! the comparison; the posts need the CSRF token; the network's comparison names
//! questions and codes and marks hidden cells. Helpers: [`crate::exports`].

use axum::http::StatusCode;
use serde_json::{Value, json};
use svar_shared::domain::*;

use crate::exports::{
    actions, answered_round, answered_round_of_version, api, finished, patient_survey_version,
    patients,
};
use crate::helpers::*;

#[tokio::test]
async fn another_municipality_gets_404_for_the_export_its_page_api_and_files() {
    let app = spawn_admin().await;
    let round = answered_round(&app, "ale", "Hemlig omgång", 7, patients, None).await;
    let caller = app.caller("ale").await;
    let requested = app
        .exports
        .request(
            &caller,
            &svar_shared::service::exports::NewExport {
                round: round.id.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = requested.job.id.clone();
    finished(&app, "ale", &id).await;

    let other = app.sign_in("alingsas").await;
    let page = app.get_as(&other, &format!("/admin/exporter/{id}")).await;
    page.assert_status(StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Hemlig omgång"));
    let list = app.get_as(&other, "/admin/exporter").await;
    assert!(!list.body.contains(&id.to_string()));
    let download = app
        .post_as(
            &other,
            &format!("/admin/exporter/{id}/filer/responses.csv"),
            &[],
        )
        .await;
    download.assert_status(StatusCode::NOT_FOUND);
    assert!(download.location.is_none());
    let (status, body) = api(
        &app,
        "alingsas",
        "GET",
        &format!("/api/exporter/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    let (status, body) = api(
        &app,
        "alingsas",
        "POST",
        &format!("/api/exporter/{id}/filer/responses.csv/lank"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.get("url").is_none());
    assert!(
        !actions(&app.audit("ale").await).contains(&AuditAction::ExportDownloaded),
        "nothing was downloaded"
    );
}

#[tokio::test]
async fn the_network_is_refused_exports_and_a_municipality_the_comparison() {
    let app = spawn_admin().await;
    let network = app.sign_in("gr").await;
    let refused = app.get_as(&network, "/admin/exporter").await;
    refused.assert_status(StatusCode::FORBIDDEN);
    refused.assert_contains("Nätverket ser aldrig kommunernas enskilda svar");
    let home = app.get_as(&network, "/admin").await;
    home.assert_contains(r#"href="/admin/jamforelse""#);
    assert!(!home.body.contains(r#"href="/admin/exporter""#));
    // Its first screen says what the network does, not what it cannot (patient rounds).
    home.assert_contains("Här skickar nätverket enkäter till kommunerna");
    home.assert_contains(r#"<a href="/admin/natverk/skicka">"#);
    assert!(!home.body.contains("Här skapar ni enkätomgångar"));
    let posted = app
        .post_as(&network, "/admin/exporter", &[("k", "7")])
        .await;
    posted.assert_status(StatusCode::FORBIDDEN);
    let (status, body) = api(&app, "gr", "GET", "/api/exporter", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "not_allowed");
    let (status, body) = api(&app, "gr", "POST", "/api/exporter", Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "not_allowed");

    let municipality = app.sign_in("ale").await;
    let refused = app.get_as(&municipality, "/admin/jamforelse").await;
    refused.assert_status(StatusCode::FORBIDDEN);
    let home = app.get_as(&municipality, "/admin").await;
    assert!(!home.body.contains(r#"href="/admin/jamforelse""#));
    home.assert_contains("Här skapar ni enkätomgångar");
    let (status, body) = api(
        &app,
        "ale",
        "GET",
        "/api/jamforelse?questionnaire=patientupplevelse&from=2026-01-01&to=2026-12-31",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "not_allowed");
}

#[tokio::test]
async fn the_posts_need_the_csrf_token() {
    let app = spawn_admin().await;
    let round = answered_round(&app, "ale", "Våren", 7, patients, None).await;
    let session = app.sign_in("ale").await;
    let reply = app
        .post_form(
            Some(&session),
            "/admin/exporter",
            &[("round", &round.id.to_string())],
        )
        .await;
    reply.assert_status(StatusCode::FORBIDDEN);
    assert!(
        app.exports
            .jobs(&app.caller("ale").await)
            .await
            .unwrap()
            .is_empty()
    );

    let requested = app
        .exports
        .request(
            &app.caller("ale").await,
            &svar_shared::service::exports::NewExport {
                round: round.id.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = requested.job.id;
    finished(&app, "ale", &id).await;
    let reply = app
        .post_form(
            Some(&session),
            &format!("/admin/exporter/{id}/filer/responses.csv"),
            &[("csrf", "wrong")],
        )
        .await;
    reply.assert_status(StatusCode::FORBIDDEN);
    assert!(reply.location.is_none());
    assert!(!actions(&app.audit("ale").await).contains(&AuditAction::ExportDownloaded));
}

/// Ale's and Alingsås's rounds of eight; the year's comparison query with k = 3.
async fn two_rounds_to_compare(app: &AdminApp) -> (i32, String) {
    answered_round(app, "ale", "Våren", 8, patients, None).await;
    // Two of eight answer for the patient: a cell of 2, under k = 3.
    answered_round(
        app,
        "alingsas",
        "Våren",
        8,
        |i| if i < 2 { "ombud" } else { "patient" },
        None,
    )
    .await;
    let year = time::OffsetDateTime::now_utc().year();
    let query = format!("questionnaire=patientupplevelse&from={year}-01-01&to={year}-12-31&k=3");
    (year, query)
}

/// How often the network's trail says it viewed a comparison.
async fn comparisons_viewed(app: &AdminApp) -> usize {
    actions(&app.audit("gr").await)
        .iter()
        .filter(|a| **a == AuditAction::AggregatesViewed)
        .count()
}

/// The API's table of who answered (`vem_svarar`).
fn who_answered(comparison: &Value) -> &Value {
    comparison["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["variable"] == "vem_svarar")
        .unwrap()
}

#[tokio::test]
async fn the_network_compares_its_municipalities_with_hidden_cells_marked() {
    let app = spawn_admin().await;
    let (year, query) = two_rounds_to_compare(&app).await;
    let network = app.sign_in("gr").await;

    let form = app.get_as(&network, "/admin/jamforelse").await;
    form.assert_status(StatusCode::OK);
    form.assert_contains(r#"id="k" name="k" type="text" value="7""#);
    assert!(!form.body.contains("<caption>"));

    let page = app
        .get_as(&network, &format!("/admin/jamforelse?{query}"))
        .await;
    page.assert_status(StatusCode::OK);
    // Questions and codes by their texts.
    page.assert_contains("<caption>Vem svarar på enkäten?</caption>");
    page.assert_contains(r#"<th scope="col">Jag är patienten och svarar själv</th>"#);
    page.assert_contains("<caption>Vad tycker du om den hälso- och sjukvård du får av kommunen, som helhet?</caption>");
    page.assert_contains(r#"<th scope="col">Vet ej</th>"#);
    // One table per option of a multiple-choice question.
    page.assert_contains(": Något annat</caption>");
    page.assert_contains(r#"<th scope="col">Valt</th>"#);
    page.assert_contains(r#"<th scope="col">Kommun</th>"#);
    page.assert_contains(r#"<th scope="row">Ale kommun</th>"#);
    page.assert_contains(r#"<th scope="row">Alingsås kommun</th>"#);
    page.assert_contains(
        r#"<td><span aria-hidden="true">×</span><span class="visually-hidden">dolt</span></td>"#,
    );
    page.assert_contains("× betyder att antalet är dolt");
    assert!(!page.body.contains("<td></td>"), "no hidden cell is empty");
    assert!(!page.body.contains("Inte med:"), "no round is left out");

    let (status, body) = api(&app, "gr", "GET", &format!("/api/jamforelse?{query}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["k"], 3);
    assert_eq!(body["rounds_left_out"], 0);
    let table = who_answered(&body);
    assert!(
        table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["counts"].as_array().unwrap().contains(&Value::Null)),
        "a hidden cell is null: {table}"
    );

    let bad = app
        .get_as(
            &network,
            &format!("/admin/jamforelse?questionnaire=patientupplevelse&from={year}-01-01&to={year}-12-31&k=2"),
        )
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("Minsta gruppstorlek ska vara ett heltal från 3 till 100");
    bad.assert_contains(r#"id="k" name="k" type="text" value="2""#);
    let (status, body) = api(&app, "gr", "GET", "/api/jamforelse?k=200", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid");

    assert_eq!(comparisons_viewed(&app).await, 2, "the page and the API");
}

/// The comparison counts the newest version among the rounds; rounds of other versions
/// are left out, and the page and the API say how many and which versions, and the page
/// links to the comparison of each (`version`).
#[tokio::test]
async fn rounds_of_another_version_are_left_out_said_and_linked() {
    let app = spawn_admin().await;
    let (_, query) = two_rounds_to_compare(&app).await;
    app.store
        .publish_questionnaire(&patient_survey_version(2))
        .await
        .unwrap();
    answered_round_of_version(&app, "kungalv", "Hösten", 2, 8, patients, None).await;
    let network = app.sign_in("gr").await;

    let page = app
        .get_as(&network, &format!("/admin/jamforelse?{query}"))
        .await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("version 2</h2>");
    page.assert_contains(
        "Inte med: 2 omgång(ar) under perioden som använde en annan version av enkäten (version 1).",
    );
    page.assert_contains(r#"<th scope="row">Kungälvs kommun</th>"#);
    assert!(!page.body.contains(r#"<th scope="row">Ale kommun</th>"#));
    let link = format!(
        r#"<a href="/admin/jamforelse?{}&amp;version=1">Jämför version 1 i stället</a>"#,
        query.replace('&', "&amp;")
    );
    page.assert_contains(&link);

    let first = app
        .get_as(&network, &format!("/admin/jamforelse?{query}&version=1"))
        .await;
    first.assert_status(StatusCode::OK);
    first.assert_contains("version 1</h2>");
    first.assert_contains(r#"<th scope="row">Ale kommun</th>"#);
    assert!(
        !first
            .body
            .contains(r#"<th scope="row">Kungälvs kommun</th>"#)
    );
    first.assert_contains("som använde en annan version av enkäten (version 2)");
    first.assert_contains(r#"id="version" name="version" type="text" value="1""#);

    let (status, body) = api(&app, "gr", "GET", &format!("/api/jamforelse?{query}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["rounds_left_out"], 2);
    assert_eq!(body["versions_left_out"], json!([1]));
    let (status, body) = api(
        &app,
        "gr",
        "GET",
        &format!("/api/jamforelse?{query}&version=1"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(body["rounds_left_out"], 1);
    assert_eq!(body["versions_left_out"], json!([2]));

    for (version, message) in [
        (
            "3",
            "Ingen omgång under perioden använde version 3 av enkäten.",
        ),
        ("ett", "Skriv versionen som ett heltal"),
    ] {
        let bad = app
            .get_as(
                &network,
                &format!("/admin/jamforelse?{query}&version={version}"),
            )
            .await;
        bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        bad.assert_contains(message);
        bad.assert_contains(r#"id="version-error""#);
        let (status, body) = api(
            &app,
            "gr",
            "GET",
            &format!("/api/jamforelse?{query}&version={version}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "version");
    }
    let file = app
        .get_as(
            &network,
            &format!("/admin/jamforelse.csv?{query}&version=1"),
        )
        .await;
    file.assert_status(StatusCode::OK);
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with("-version-1.csv\""),
        "{:?}",
        file.headers
    );
}

#[tokio::test]
async fn the_comparison_downloads_as_a_csv_file_for_excel_with_hidden_counts_empty() {
    let app = spawn_admin().await;
    let (year, query) = two_rounds_to_compare(&app).await;
    let network = app.sign_in("gr").await;

    let page = app
        .get_as(&network, &format!("/admin/jamforelse?{query}"))
        .await;
    page.assert_contains(&format!(
        r#"href="/admin/jamforelse.csv?{}""#,
        query.replace('&', "&amp;")
    ));
    let file = app
        .get_as(&network, &format!("/admin/jamforelse.csv?{query}"))
        .await;
    file.assert_status(StatusCode::OK);
    assert_eq!(file.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        file.headers["content-disposition"],
        format!(
            "attachment; filename=\"jamforelse-patientupplevelse-{year}-01-01-{year}-12-31.csv\""
        )
    );
    let text = file
        .body
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark first, for Excel");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "fraga", "variabel", "kommun", "svarande", "kod", "svar", "antal", "dolt"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let who = |municipality: &str, code: &str| {
        rows.iter()
            .find(|r| &r[1] == "vem_svarar" && &r[2] == municipality && &r[4] == code)
            .unwrap_or_else(|| panic!("no row for {municipality}, {code}"))
            .clone()
    };
    let ale = who("Ale kommun", "patient");
    assert_eq!(&ale[0], "Vem svarar på enkäten?");
    assert_eq!(&ale[3], "8");
    assert_eq!(&ale[5], "Jag är patienten och svarar själv");
    // The counts are the API's, a hidden one empty and marked.
    let (_, body) = api(&app, "gr", "GET", &format!("/api/jamforelse?{query}"), None).await;
    let table = who_answered(&body);
    let mut hidden = 0;
    for (municipality, row) in [("Ale kommun", 0), ("Alingsås kommun", 1)] {
        let api_row = &table["rows"][row];
        for (code, count) in table["codes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(api_row["counts"].as_array().unwrap())
        {
            let csv_row = who(municipality, code.as_str().unwrap());
            match count.as_u64() {
                Some(count) => {
                    assert_eq!((&csv_row[6], &csv_row[7]), (count.to_string().as_str(), ""))
                }
                None => {
                    hidden += 1;
                    assert_eq!((&csv_row[6], &csv_row[7]), ("", "ja"));
                }
            }
        }
    }
    assert!(hidden > 0, "the cell of 2 is hidden: {table}");
    // The network's totals are rows too.
    assert!(
        rows.iter()
            .any(|r| &r[1] == "vem_svarar" && &r[2] == "Hela nätverket")
    );
    // Every question's table: as many rows as the page has cells.
    let cells = page.body.matches("<td>").count();
    let svarande = page.body.matches("</th><td>").count();
    assert_eq!(
        rows.len(),
        cells - svarande,
        "one row per count cell of the page"
    );

    // A query the page refuses goes back to the page, which says why.
    let bad = app
        .get_as(
            &network,
            "/admin/jamforelse.csv?questionnaire=patientupplevelse&k=2",
        )
        .await;
    bad.assert_status(StatusCode::SEE_OTHER);
    assert!(bad.location.unwrap().starts_with("/admin/jamforelse?"));
    // A municipality gets no comparison, as a file either.
    let municipality = app.sign_in("ale").await;
    let refused = app
        .get_as(&municipality, &format!("/admin/jamforelse.csv?{query}"))
        .await;
    refused.assert_status(StatusCode::FORBIDDEN);
    // Downloading is viewing: audited (a refused query is not).
    assert_eq!(
        comparisons_viewed(&app).await,
        3,
        "the page, the file and the API"
    );
}
