//! The response-rate page: counts, the rate with a decimal comma, the chart and its table.

use axum::http::StatusCode;
use svar_shared::domain::RoundStatus;

use crate::inv_app::*;

#[tokio::test]
async fn the_rate_reaches_2_percent_after_2_answers_of_100() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let uri = format!("/admin/omgangar/{}/svarsfrekvens", round.id);
    let empty = app.get(&uri).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    empty.assert_contains("Inga inbjudningar ännu");
    empty.assert_contains("Inga svar ännu.");
    assert!(!empty.body.contains("<svg"));

    let csrf = app.csrf(&round).await;
    let page = app
        .post(
            &format!("/admin/omgangar/{}/inbjudningar", round.id),
            &csrf,
            &[("antal", "100")],
        )
        .await;
    let nyckel = field_value(&page.body, "nyckel").unwrap();
    let at = page.body.find("/csv\"").unwrap();
    let start = page.body[..at].rfind("action=\"").unwrap() + 8;
    let csv = app
        .post(
            &format!("{}/csv", &page.body[start..at]),
            &csrf,
            &[("nyckel", &nyckel)],
        )
        .await;
    let rows = csv_rows(&csv.body);
    app.answer(&round, &rows[3].1).await;
    app.answer(&round, &rows[7].1).await;

    let page = app.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("<dd>100</dd>");
    page.assert_contains("<dd>2</dd>");
    page.assert_contains("<dd>2,0\u{a0}%</dd>");
    // The chart, named by its title, and after it the same figures as a table.
    page.assert_contains("role=\"img\" aria-labelledby=\"per-day-title\"");
    page.assert_contains("<title id=\"per-day-title\">");
    let chart = page.body.find("<svg").unwrap();
    let table = page.body.find("<table>").unwrap();
    assert!(chart < table);
    page.assert_contains("<caption>");
    page.assert_contains("<th scope=\"row\">");
    // Responses are dated by the Swedish day (ahead of UTC's from 22:00 or 23:00 UTC).
    let today = svar_shared::domain::swedish_time::day_in_sweden(time::OffsetDateTime::now_utc())
        .to_string();
    page.assert_contains(&format!("<th scope=\"row\">{today}</th><td>2</td>"));
    assert!(!page.body.contains("<script"));
}

#[tokio::test]
async fn another_organisations_rate_page_is_not_found() {
    let app = spawn().await;
    let theirs = app.round_of("ale", RoundStatus::Open).await;
    let reply = app
        .get(&format!("/admin/omgangar/{}/svarsfrekvens", theirs.id))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(!reply.body.contains("Hemtjänst"));
    let malformed = app.get("/admin/omgangar/not-a-round/svarsfrekvens").await;
    assert_eq!(malformed.status, StatusCode::NOT_FOUND);
}
