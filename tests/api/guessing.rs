//! Guessing links and codes is limited per client: after 10 failed look-ups in 5 minutes
//! the client gets a plain 429 page, while others and successes are untouched.

use std::net::IpAddr;

use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use svar_shared::domain::Credential;
use svar_shared::service::guessing::MAX_FAILED_LOOKUPS;
use tower::ServiceExt;

use crate::helpers::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// Ten failed look-ups from `from`: unknown links and unknown codes, by GET and POST.
async fn fail_ten_times(app: &TestApp, from: IpAddr) {
    for attempt in 0..MAX_FAILED_LOOKUPS {
        let reply = if attempt % 2 == 0 {
            let unknown = Credential::new_link();
            app.get_from(&format!("/s/{}", unknown.path_segment()), from)
                .await
        } else {
            let unknown = Credential::new_code().reveal();
            app.post_form_from("/kod", &[("kod", &unknown)], from).await
        };
        assert!(
            matches!(
                reply.status,
                StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "attempt {attempt}: {}",
            reply.status
        );
    }
}

async fn the_limit_applies_per_client(app: TestApp) {
    let round = app.round("patientupplevelse").await;
    let issued = app.invite(&round).await;
    let path = link_path(&issued);
    let (guesser, patient) = (ip("192.0.2.10"), ip("2001:db8:5::1"));

    // Successes never count.
    for _ in 0..12 {
        assert_eq!(app.get_from(&path, guesser).await.status, StatusCode::OK);
    }
    // Malformed input is not a look-up and does not count either.
    for _ in 0..12 {
        let reply = app.post_form_from("/kod", &[("kod", "hej")], guesser).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    fail_ten_times(&app, guesser).await;

    // The eleventh try, of any kind and even with a valid link, is refused.
    for reply in [
        app.get_from(&path, guesser).await,
        app.post_form_from(&path, &[("_section", "0"), ("_action", "next")], guesser)
            .await,
        app.get_from("/kod?lang=en", guesser).await,
        app.post_form_from("/kod", &[("kod", &issued.code.reveal())], guesser)
            .await,
    ] {
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            reply.body
        );
        assert_eq!(reply.headers["retry-after"], "300");
        assert!(
            reply.body.contains("För många försök") || reply.body.contains("Too many attempts"),
            "{}",
            reply.body
        );
    }
    assert!(
        app.get_from("/kod?lang=en", guesser)
            .await
            .body
            .contains(r#"<html lang="en" dir="ltr">"#)
    );

    // Another client is not blocked.
    assert_eq!(app.get_from(&path, patient).await.status, StatusCode::OK);
    let reply = app
        .post_form_from("/kod", &[("kod", &issued.code.reveal())], patient)
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn ten_failed_lookups_block_that_client_and_no_other() {
    the_limit_applies_per_client(spawn_app().await).await;
}

#[tokio::test]
#[ignore = "needs DynamoDB Local: run tests/run-all"]
async fn ten_failed_lookups_block_that_client_and_no_other_on_dynamodb() {
    the_limit_applies_per_client(spawn_app_on_dynamodb().await).await;
}

/// Without connect info or an API Gateway context (a router called directly), every
/// request counts as one client: the limit still holds.
#[tokio::test]
async fn requests_without_a_source_address_share_one_limit() {
    let app = spawn_app().await;
    for _ in 0..MAX_FAILED_LOOKUPS {
        let unknown = Credential::new_link();
        let reply = app.get(&format!("/s/{}", unknown.path_segment())).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.get("/kod").await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.get_from("/kod", ip("192.0.2.99")).await.status,
        StatusCode::OK
    );
}

/// In Lambda the address is API Gateway's `requestContext.http.sourceIp`.
#[tokio::test]
async fn in_lambda_the_limit_counts_by_the_api_gateway_source_ip() {
    let app = spawn_app().await;
    fail_ten_times(&app, ip("192.0.2.1")).await;
    let event = include_str!("fixtures/apigw_v2_get_s_unknown.json");
    let from_gateway = |event: &str| {
        let request = lambda_http::request::from_str(event).unwrap();
        let (parts, body) = request.into_parts();
        axum::http::Request::from_parts(parts, Body::from(body.to_vec()))
    };
    let response = app
        .router
        .clone()
        .oneshot(from_gateway(event))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "300");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("För många försök"));

    // The same event from another source address is only a 404.
    let other = event.replace("192.0.2.1", "198.51.100.7");
    let response = app
        .router
        .clone()
        .oneshot(from_gateway(&other))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
