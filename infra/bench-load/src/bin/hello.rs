//! The load benchmark's yardstick: the local server's stack (tokio, axum, the common
//! layers of `svar_shared::web` with their request log) serving one tiny page, no store.
//!
//! It plays a questionnaire of `{pages}` pages at `/s/{pages}/{after_send}`: each page is
//! a form with a hidden `_section` and a Next (last: Send) button; a post answers 303 to
//! the next page, and Send either shows the thank-you page (`after_send` = `page`) or
//! redirects to it (`redirect`). The benchmark picks the shape the survey had in the
//! same run, so both make the same requests per response. Listens on `SVAR_ADDR`.

use std::collections::HashMap;
use std::process::ExitCode;

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use maud::{DOCTYPE, Markup, html};
use svar_shared::{telemetry, web};

const DEFAULT_ADDR: &str = "127.0.0.1:3001";

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let addr = std::env::var("SVAR_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.into());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("hello: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match axum::serve(listener, web::with_common_layers(router())).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hello: {error}");
            ExitCode::FAILURE
        }
    }
}

fn router() -> Router {
    Router::new()
        .route("/", get(|| async { page("Hej", None) }))
        .route("/s/{pages}/{after_send}", get(show).post(post))
}

fn page(title: &str, form: Option<Markup>) -> Markup {
    html! {
        (DOCTYPE)
        html lang="sv" {
            head { meta charset="utf-8"; title { (title) } }
            body { h1 { (title) } @if let Some(form) = form { (form) } }
        }
    }
}

/// `?del=N` (1-based) as on the survey; `?del=tack` is the thank-you page.
async fn show(
    Path((pages, _)): Path<(usize, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Markup {
    let del = query.get("del").map(String::as_str).unwrap_or("1");
    let Some(position) = del.parse::<usize>().ok().filter(|p| *p >= 1) else {
        return page("Tack!", None);
    };
    let button = if position >= pages { "send" } else { "next" };
    page(
        &format!("Del {position} av {pages}"),
        Some(html! {
            form method="post" {
                input type="hidden" name="_section" value=(position - 1);
                button type="submit" name="_action" value=(button) { "OK" }
            }
        }),
    )
}

async fn post(
    Path((_, after_send)): Path<(usize, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let section: usize = form
        .get("_section")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    match form.get("_action").map(String::as_str) {
        Some("send") if after_send == "redirect" => Redirect::to("?del=tack").into_response(),
        Some("send") => page("Tack!", None).into_response(),
        _ => Redirect::to(&format!("?del={}", section + 2)).into_response(),
    }
}
