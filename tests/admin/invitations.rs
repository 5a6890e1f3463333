//! Invitations: generating, the CSV and letters (only with the batch's secret), reissuing,
//! reminders, and the refusals.

use std::collections::HashSet;

use axum::http::StatusCode;
use svar_shared::domain::{AuditAction, AuditResult, Round, RoundStatus};

use crate::inv_app::*;

/// A batch as the page right after it shows it: its download address and secret.
struct Made {
    action: String,
    secret: String,
}

fn made_from(page: &Reply) -> Made {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let at = page.body.find("/csv\"").expect("a CSV form");
    let start = page.body[..at].rfind("action=\"").unwrap() + 8;
    Made {
        action: page.body[start..at].to_owned(),
        secret: field_value(&page.body, "nyckel").expect("the secret in the form"),
    }
}

async fn generate(app: &App, round: &Round, csrf: &str, count: &str) -> Reply {
    app.post(
        &format!("/admin/omgangar/{}/inbjudningar", round.id),
        csrf,
        &[("antal", count)],
    )
    .await
}

async fn download_csv(app: &App, csrf: &str, made: &Made) -> Vec<(u32, String, String)> {
    let reply = app
        .post(
            &format!("{}/csv", made.action),
            csrf,
            &[("nyckel", &made.secret)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    csv_rows(&reply.body)
}

async fn letters(app: &App, csrf: &str, made: &Made, part: &str) -> Reply {
    app.post(
        &format!("{}/brev", made.action),
        csrf,
        &[
            ("nyckel", &made.secret),
            ("del", part),
            ("text", "Hej!\n\nSvara gärna <b>nu</b>."),
        ],
    )
    .await
}

fn path_of(link: &str) -> &str {
    link.strip_prefix(&format!("https://{HOST}"))
        .expect("a link to this host")
}

#[tokio::test]
async fn generating_100_gives_a_csv_of_100_unique_links_and_codes_that_each_open_their_invitation()
{
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    let page = generate(&app, &round, &csrf, "100").await;
    page.assert_contains("100 inbjudningar skapade");
    page.assert_contains("Ladda ner filen och breven nu.");
    let made = made_from(&page);
    let rows = download_csv(&app, &csrf, &made).await;
    assert_eq!(rows.len(), 100);
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        (1..=100).collect::<Vec<_>>()
    );
    let links: HashSet<_> = rows.iter().map(|r| r.1.clone()).collect();
    let codes: HashSet<_> = rows.iter().map(|r| r.2.clone()).collect();
    assert_eq!((links.len(), codes.len()), (100, 100));
    for (_, link, code) in &rows {
        assert_eq!(app.open(path_of(link)).await, StatusCode::OK, "{link}");
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert_eq!(
            app.open(&format!("/s/{}", code.replace('-', ""))).await,
            StatusCode::OK
        );
    }
    let counts = app.store.round_counts(&round.id).await.unwrap();
    assert_eq!(counts.issued, 100);
    // The secret is not kept: the store has only its hash, and the audit trail neither.
    let trail = app
        .store
        .audit_trail(&app.caller.organisation.id, None, 10)
        .await
        .unwrap();
    let generated = trail
        .entries
        .iter()
        .find(|e| e.action == AuditAction::InvitationsGenerated)
        .expect("the batch is in the trail");
    // Named in the trail's words: its kind and size.
    assert!(
        generated.object.ends_with("(inbjudan, 100 st)"),
        "{}",
        generated.object
    );
    assert!(
        trail
            .entries
            .iter()
            .any(|e| e.action == AuditAction::InvitationsDownloaded)
    );
    for entry in &trail.entries {
        assert!(!entry.object.contains(&made.secret));
        assert!(
            !links
                .iter()
                .any(|l| entry.object.contains(path_of(l).trim_start_matches("/s/")))
        );
    }
}

#[tokio::test]
async fn letters_have_one_a4_page_per_invitation_with_text_link_code_and_qr_code() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    let made = made_from(&generate(&app, &round, &csrf, "100").await);
    let rows = download_csv(&app, &csrf, &made).await;
    let reply = letters(&app, &csrf, &made, "1").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let letters = &reply.body;
    assert_eq!(letters.matches("<article class=\"letter\"").count(), 100);
    assert_eq!(letters.matches("<svg").count(), 100);
    // Every letter says who is asking.
    assert_eq!(
        letters
            .matches("<p class=\"sender\">Testkommun</p>")
            .count(),
        100
    );
    assert!(letters.contains("@page{size:A4"));
    assert!(letters.contains("page-break-after:always"));
    assert!(letters.contains("QR-kod med länken till enkäten"));
    // The municipality's text is escaped, with its paragraphs.
    assert!(letters.contains("Svara gärna &lt;b&gt;nu&lt;/b&gt;."));
    assert!(!letters.contains("<b>nu"));
    for (_, link, code) in &rows {
        assert!(letters.contains(link.as_str()), "{link}");
        assert!(letters.contains(code.as_str()), "{code}");
    }
    // The inline print style is allowed by its hash, nothing else inline.
    let policy = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("style-src 'sha256-"), "{policy}");
    assert!(
        letters.len() / 100 < 8_000,
        "{} bytes a letter",
        letters.len() / 100
    );
    // There is no second part of 100 letters.
    let missing = letters_part(&app, &csrf, &made, "2").await;
    assert_eq!(missing, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn letters_part(app: &App, csrf: &str, made: &Made, part: &str) -> StatusCode {
    letters(app, csrf, made, part).await.status
}

#[tokio::test]
async fn a_letter_text_too_long_shows_the_page_again_with_the_text_and_why() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    let made = made_from(&generate(&app, &round, &csrf, "3").await);
    let long = "Lång text. ".repeat(250);
    let reply = app
        .post(
            &format!("{}/brev", made.action),
            &csrf,
            &[("nyckel", &made.secret), ("del", "1"), ("text", &long)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("högst 2000 tecken");
    reply.assert_contains("href=\"#text\"");
    reply.assert_contains(long.trim_end());
    // The page still carries the secret: the downloads can still be made.
    assert_eq!(
        field_value(&reply.body, "nyckel").as_deref(),
        Some(made.secret.as_str())
    );
}

#[tokio::test]
async fn a_wrong_secret_gives_404_and_no_links_and_is_recorded() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    let made = made_from(&generate(&app, &round, &csrf, "5").await);
    let other = svar_shared::domain::BatchSecret::generate().to_text();
    for secret in [other.as_str(), "", "not hex"] {
        for what in ["csv", "brev"] {
            let reply = app
                .post(
                    &format!("{}/{what}", made.action),
                    &csrf,
                    &[("nyckel", secret), ("del", "1"), ("text", "Hej")],
                )
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{what} {secret:?}");
            assert!(!reply.body.contains(HOST), "{}", reply.body);
        }
    }
    let trail = app
        .store
        .audit_trail(&app.caller.organisation.id, None, 50)
        .await
        .unwrap();
    let refused = trail
        .entries
        .iter()
        .filter(|e| matches!(e.result, AuditResult::Refused(_)))
        .count();
    assert_eq!(refused, 6);
}

#[tokio::test]
async fn counts_out_of_range_or_not_numbers_are_explained_with_what_was_typed() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    for typed in ["0", "20001", "abc", ""] {
        let reply = generate(&app, &round, &csrf, typed).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        reply.assert_contains("error-summary");
        reply.assert_contains("href=\"#antal\"");
        reply.assert_contains("aria-invalid=\"true\"");
        reply.assert_contains(&format!(
            "name=\"antal\" inputmode=\"numeric\" autocomplete=\"off\" value=\"{typed}\""
        ));
        reply.assert_contains("<p class=\"error-message\" id=\"antal-error\">");
    }
    assert_eq!(app.store.round_counts(&round.id).await.unwrap().issued, 0);
    assert!(app.store.batches(&round.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_closed_round_gets_no_invitations_and_says_why() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Closed).await;
    let csrf = app.csrf(&round).await;
    let reply = generate(&app, &round, &csrf, "10").await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    reply.assert_contains("Omgången är stängd.");
    assert_eq!(app.store.round_counts(&round.id).await.unwrap().issued, 0);
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_is_refused_and_nothing_is_made() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let reply = generate(&app, &round, "forged", "10").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(app.store.batches(&round.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn another_organisations_round_and_batches_are_not_found() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    let made = made_from(&generate(&app, &round, &csrf, "5").await);
    let (_, cookie) = sign_in(&app.state, &app.store, "ale", "Ale").await;
    // Ale's own CSRF token, from a page of a round Ale may see.
    let own = app.round_of("ale", RoundStatus::Open).await;
    let page = app
        .get_as(&format!("/admin/omgangar/{}/inbjudningar", own.id), &cookie)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let other_csrf = field_value(&page.body, "csrf").unwrap();
    let base = format!("/admin/omgangar/{}", round.id);
    for uri in [
        format!("{base}/inbjudningar"),
        format!("{base}/svarsfrekvens"),
    ] {
        let reply = app.get_as(&uri, &cookie).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!reply.body.contains("Hemtjänst"), "{}", reply.body);
    }
    let posts = [
        (format!("{base}/inbjudningar"), vec![("antal", "5")]),
        (format!("{}/ersatt", made.action), vec![]),
        (format!("{base}/paminnelser"), vec![]),
        (
            format!("{}/csv", made.action),
            vec![("nyckel", made.secret.as_str())],
        ),
        (
            format!("{}/brev", made.action),
            vec![
                ("nyckel", made.secret.as_str()),
                ("del", "1"),
                ("text", "Hej"),
            ],
        ),
    ];
    for (uri, fields) in posts {
        let reply = app.post_as(&uri, &cookie, &other_csrf, &fields).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!reply.body.contains(HOST), "{}", reply.body);
    }
    assert_eq!(app.store.batches(&round.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn reminders_go_only_to_the_unanswered_keep_first_links_working_and_stop_after_two() {
    reminders_and_reissues(spawn().await).await;
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: source tests/services.sh && start_dynamodb_local"]
async fn reminders_go_only_to_the_unanswered_keep_first_links_working_and_stop_after_two_on_dynamodb()
 {
    reminders_and_reissues(spawn_on_dynamodb().await).await;
}

async fn reminders_and_reissues(app: App) {
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    let first = made_from(&generate(&app, &round, &csrf, "100").await);
    let rows = download_csv(&app, &csrf, &first).await;
    app.answer(&round, &rows[0].1).await;
    app.answer(&round, &rows[41].1).await;
    let overview = app
        .get(&format!("/admin/omgangar/{}/inbjudningar", round.id))
        .await;
    overview.assert_contains("Skriv ut påminnelser (98 st)");

    let remind = format!("/admin/omgangar/{}/paminnelser", round.id);
    let page = app.post(&remind, &csrf, &[]).await;
    page.assert_contains("98 påminnelser skapade");
    let reminder = made_from(&page);
    let reminded = download_csv(&app, &csrf, &reminder).await;
    assert_eq!(reminded.len(), 98);
    let numbers: Vec<u32> = reminded.iter().map(|r| r.0).collect();
    assert!(!numbers.contains(&1) && !numbers.contains(&42));
    let letters = letters(&app, &csrf, &reminder, "1").await;
    assert_eq!(
        letters.body.matches("<article class=\"letter\"").count(),
        98
    );
    // Both the first letter's link and the reminder's open the same invitation.
    assert_eq!(app.open(path_of(&rows[1].1)).await, StatusCode::OK);
    assert_eq!(app.open(path_of(&reminded[0].1)).await, StatusCode::OK);
    assert_ne!(rows[1].1, reminded[0].1);

    // Answering by the reminder's link answers the invitation: it gets no more.
    app.answer(&round, &reminded[0].1).await;
    let second = made_from(&app.post(&remind, &csrf, &[]).await);
    assert_eq!(download_csv(&app, &csrf, &second).await.len(), 97);
    // Two reminders each: a third round has nobody left to remind.
    let third = app.post(&remind, &csrf, &[]).await;
    assert_eq!(third.status, StatusCode::CONFLICT);
    third.assert_contains("redan fått 2 påminnelser");
    assert_eq!(app.store.round_counts(&round.id).await.unwrap().issued, 100);

    // The first file is lost: its links stop, the reminders' links go on working.
    let reissued = made_from(
        &app.post(&format!("{}/ersatt", first.action), &csrf, &[])
            .await,
    );
    let new_rows = download_csv(&app, &csrf, &reissued).await;
    assert_eq!(new_rows.len(), 100);
    assert_eq!(app.open(path_of(&rows[1].1)).await, StatusCode::NOT_FOUND);
    assert_eq!(app.open(path_of(&new_rows[1].1)).await, StatusCode::OK);
    assert_eq!(app.open(path_of(&reminded[1].1)).await, StatusCode::OK);
    let rates = app
        .get(&format!("/admin/omgangar/{}/svarsfrekvens", round.id))
        .await;
    rates.assert_contains("<dd>3,0\u{a0}%</dd>");
}

#[tokio::test]
async fn reminders_are_only_for_open_rounds() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Planned).await;
    let csrf = app.csrf(&round).await;
    made_from(&generate(&app, &round, &csrf, "3").await);
    let reply = app
        .post(
            &format!("/admin/omgangar/{}/paminnelser", round.id),
            &csrf,
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    reply.assert_contains("medan omgången är öppen");
}

#[tokio::test]
async fn a_reissue_revokes_the_lost_batchs_links_and_the_new_ones_open() {
    let app = spawn().await;
    let round = app.round(RoundStatus::Open).await;
    let csrf = app.csrf(&round).await;
    let lost = made_from(&generate(&app, &round, &csrf, "10").await);
    let kept = made_from(&generate(&app, &round, &csrf, "5").await);
    let lost_rows = download_csv(&app, &csrf, &lost).await;
    let kept_rows = download_csv(&app, &csrf, &kept).await;
    let page = app
        .post(&format!("{}/ersatt", lost.action), &csrf, &[])
        .await;
    page.assert_contains("10 inbjudningar ersatta");
    let new = made_from(&page);
    let new_rows = download_csv(&app, &csrf, &new).await;
    assert_eq!(
        new_rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        lost_rows.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    for ((_, old_link, old_code), (_, new_link, _)) in lost_rows.iter().zip(&new_rows) {
        assert_eq!(app.open(path_of(old_link)).await, StatusCode::NOT_FOUND);
        assert_ne!(
            app.open(&format!("/s/{}", old_code.replace('-', ""))).await,
            StatusCode::OK
        );
        assert_eq!(app.open(path_of(new_link)).await, StatusCode::OK);
    }
    // The other batch is untouched, and nothing was issued twice.
    assert_eq!(app.open(path_of(&kept_rows[0].1)).await, StatusCode::OK);
    assert_eq!(app.store.round_counts(&round.id).await.unwrap().issued, 15);
    let trail = app
        .store
        .audit_trail(&app.caller.organisation.id, None, 50)
        .await
        .unwrap();
    assert!(
        trail
            .entries
            .iter()
            .any(|e| e.action == AuditAction::InvitationsReissued)
    );
}
