//! The Lambda path: a real API Gateway HTTP API (v2) event through `lambda_http`'s
//! conversion into the same router.

use axum::body::Body;
use axum::http::StatusCode;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::helpers::*;

#[tokio::test]
async fn an_api_gateway_v2_event_reaches_the_code_page() {
    let app = spawn_app().await;
    let event = include_str!("fixtures/apigw_v2_get_kod.json");
    let request = lambda_http::request::from_str(event).unwrap();
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert!(body.contains(r#"<html lang="en" dir="ltr">"#), "{body}");
    assert!(body.contains("Answer with a code"));
}

#[tokio::test]
async fn an_api_gateway_v2_form_post_with_a_base64_body_is_decoded() {
    let app = spawn_app().await;
    let event = include_str!("fixtures/apigw_v2_post_kod.json");
    let request = lambda_http::request::from_str(event).unwrap();
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8(body.to_vec())
            .unwrap()
            .contains("Vi hittar ingen enkät med den koden")
    );
}
