//! What a patient hits first: links and codes pasted with extra characters, the thanks
//! page after Send, progress that never jumps, long text, and the headers on every page.

use axum::http::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_link_copied_with_trailing_punctuation_or_spaces_opens_the_survey() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    for tail in [
        ".",
        ")",
        ",",
        "%2F",
        "%E2%80%9D",
        "%20",
        "%C2%A0",
        ").",
        "%C2%A0%E2%80%9D.",
    ] {
        let reply = app.get(&format!("{path}{tail}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{tail}");
        reply.assert_contains("Om dig som svarar");
    }
    let reply = app.get(&format!("{path}x")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    // A plain slash after the link is a different path: it leads to the link.
    let reply = app.get(&format!("{path}/?lang=en")).await;
    assert_eq!(reply.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(reply.location, Some(format!("{path}?lang=en")));
}

#[tokio::test]
async fn a_code_pasted_with_a_label_dashes_or_a_full_stop_is_accepted() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let issued = app.invite(&round).await;
    let code = issued.code.reveal();
    let (first, second) = code.split_once('-').unwrap();
    for typed in [
        format!("{first}\u{2013}{second}"),
        format!("{code}."),
        format!("  {first} {second}  "),
        format!("Kod: {code}"),
        format!("kod:{first}\u{a0}{second}."),
    ] {
        let reply = app.post_form("/kod", &[("kod", &typed)]).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{typed:?}: {}",
            reply.body
        );
        assert_eq!(
            reply.location.as_deref(),
            Some(format!("/s/{}?lang=sv", issued.code.path_segment()).as_str())
        );
    }
}

#[tokio::test]
async fn send_redirects_to_a_thanks_page_that_reload_back_and_the_language_switch_keep() {
    let app = spawn_app().await;
    let round = app.round("nyckeltal").await;
    let path = link_path(&app.invite(&round).await);
    for (section, fields) in [
        ("0", vec![("period", "2026-03"), ("kommun", "ale")]),
        ("1", vec![("inskrivna_totalt", "10")]),
    ] {
        let mut form = vec![("_section", section), ("_action", "next")];
        form.extend(fields);
        let r = app.post_form(&path, &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let send = [("_section", "2"), ("_action", "send"), ("_lang", "en")];
    let sent = app.post_form(&path, &send).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let thanks_address = format!("{path}{}", sent.location.unwrap());

    // The redirect target, a reload of it, and Back to an earlier page: all say thanks.
    for address in [thanks_address.clone(), format!("{path}?del=2&lang=en")] {
        let thanks = app.get(&address).await;
        assert_eq!(thanks.status, StatusCode::OK, "{address}");
        thanks.assert_contains("Thank you for your answers");
        assert!(!thanks.body.contains("already"), "{}", thanks.body);
    }
    // The language switch on it stays on the thanks page.
    let thanks = app.get(&thanks_address).await;
    thanks.assert_contains(r#"<a href="?lang=sv""#);
    let swedish = app.get(&format!("{path}?lang=sv")).await;
    assert_eq!(swedish.status, StatusCode::OK);
    swedish.assert_contains("Tack för dina svar");

    // A second post is refused (409), with the same kind page.
    let again = app.post_form(&path, &send).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    again.assert_contains("Thank you for your answers");
}

#[tokio::test]
async fn progress_shows_a_total_only_once_it_can_no_longer_change() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    // Whether the helper page is shown is decided on page 1.
    let first = app.get(&path).await;
    first.assert_contains(r#"<p class="progress">Del 1</p>"#);
    let r = app
        .post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("vem_svarar", "med_hjalp"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for page in 1..=6 {
        let reply = app.get(&format!("{path}?del={page}")).await;
        reply.assert_contains(&format!(r#"<p class="progress">Del {page} av 6</p>"#));
    }

    // A questionnaire without conditional pages has its total from the start.
    let round = app.round("nyckeltal").await;
    let path = link_path(&app.invite(&round).await);
    app.get(&path).await.assert_contains("Del 1 av 3");
}

#[tokio::test]
async fn text_far_over_its_maximum_is_reported_with_its_real_length_and_not_stored() {
    let app = spawn_app().await;
    let round = app.round("nyckeltal").await;
    let path = link_path(&app.invite(&round).await);
    // Two bytes a character: far past any bound on bytes.
    let long = "å".repeat(9000);
    for action in ["back", "send"] {
        let reply = app
            .post_form(
                &path,
                &[("_section", "2"), ("_action", action), ("kommentar", &long)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        reply.assert_contains("Texten får vara högst 1000 tecken. Nu är den 9000 tecken.");
        reply.assert_contains(&long);
    }
    let page = app.get(&format!("{path}?del=3")).await;
    assert!(
        !page.body.contains("ååå"),
        "the over-long text must not be stored"
    );
}

#[tokio::test]
async fn every_response_carries_hsts_and_a_permissions_policy() {
    let app = spawn_app().await;
    let round = app.round("patientupplevelse").await;
    let path = link_path(&app.invite(&round).await);
    for reply in [
        app.get(&path).await,
        app.get("/").await,
        app.get("/nowhere").await,
        app.get("/static/svar.css").await,
        app.post_form("/kod", &[("kod", "x")]).await,
        app.post_form(
            &path,
            &[
                ("_section", "0"),
                ("_action", "next"),
                ("vem_svarar", "patient"),
            ],
        )
        .await,
    ] {
        assert_eq!(
            reply.headers["strict-transport-security"],
            "max-age=63072000; includeSubDomains"
        );
        let policy = reply.headers["permissions-policy"].to_str().unwrap();
        for feature in [
            "camera=()",
            "microphone=()",
            "geolocation=()",
            "interest-cohort=()",
            "browsing-topics=()",
        ] {
            assert!(policy.contains(feature), "{feature} in {policy}");
        }
    }
}
