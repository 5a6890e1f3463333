//! One simulated respondent: opens a link, answers every page it is shown and presses
//! Send, like a browser without JavaScript: each post is followed by the GET its
//! redirect names, and the walk ends at the first page without a form after Send.

use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use svar_shared::domain::questionnaire::Questionnaire;

use crate::answers::{FillError, page_body};
use crate::page::{Page, PageError, read_page};

/// A keep-alive HTTP/1.1 client (plain HTTP: the servers listen on loopback).
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// More pages than any questionnaire has: a walk that gets here is going round in circles.
const MAX_PAGES: u32 = 50;

/// Builds the client every simulated respondent of a run shares; its pool keeps one
/// connection per concurrent respondent open between requests.
pub fn http_client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector)
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("HTTP {0}")]
    Status(u16),
    #[error("request failed: {0}")]
    Transport(String),
    #[error("a redirect without a usable Location")]
    BadRedirect,
    #[error("a page without a form before Send")]
    NoFormBeforeSend,
    #[error("a form again after Send")]
    FormAfterSend,
    #[error("more than {MAX_PAGES} pages")]
    TooManyPages,
    #[error("a page that is not UTF-8")]
    NotUtf8,
    #[error(transparent)]
    Page(#[from] PageError),
    #[error(transparent)]
    Fill(#[from] FillError),
}

impl WalkError {
    /// A short, stable name to count errors by (a transport error's text varies).
    pub fn kind(&self) -> String {
        match self {
            WalkError::Transport(_) => "transport error".to_owned(),
            other => other.to_string(),
        }
    }
}

/// Request latencies in microseconds, GET and POST apart.
#[derive(Debug, Clone)]
pub struct Timings {
    pub get: Histogram<u64>,
    pub post: Histogram<u64>,
}

impl Default for Timings {
    fn default() -> Self {
        Self::new()
    }
}

impl Timings {
    pub fn new() -> Self {
        // 1 µs to 60 s at 3 significant digits.
        let histogram = || {
            Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant, valid histogram bounds")
        };
        Self {
            get: histogram(),
            post: histogram(),
        }
    }

    pub fn merge(&mut self, other: &Timings) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.get.add(&other.get);
        let _ = self.post.add(&other.post);
    }

    /// Every request, GET and POST together.
    pub fn all(&self) -> Histogram<u64> {
        let mut all = self.get.clone();
        let _ = all.add(&self.post);
        all
    }

    fn record(&mut self, method: &Method, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let histogram = if method == Method::POST {
            &mut self.post
        } else {
            &mut self.get
        };
        histogram.saturating_record(micros.max(1));
    }
}

/// How one walk went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Walk {
    pub requests: u32,
    /// Pages posted (answered).
    pub pages: u32,
    /// Whether Send was answered by a redirect (to a thank-you page) rather than the page itself.
    pub send_redirected: bool,
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    body: Bytes,
}

/// Walks questionnaires on one server.
pub struct Walker<'a> {
    pub client: &'a HttpClient,
    /// `http://127.0.0.1:PORT`
    pub base: &'a str,
    pub questionnaire: &'a Questionnaire,
}

impl Walker<'_> {
    /// Answers the questionnaire behind `start_path` (e.g. `/s/TOKEN`) to the end.
    pub async fn walk(&self, start_path: &str, timings: &mut Timings) -> Result<Walk, WalkError> {
        let mut walk = Walk::default();
        let mut path = start_path.to_owned();
        let mut reply = self
            .send(Method::GET, &path, None, timings, &mut walk)
            .await?;
        let mut sent = false;
        loop {
            while reply.status.is_redirection() {
                let location = reply.location.as_deref().ok_or(WalkError::BadRedirect)?;
                path = resolve(&path, location).ok_or(WalkError::BadRedirect)?;
                walk.send_redirected |= sent;
                reply = self
                    .send(Method::GET, &path, None, timings, &mut walk)
                    .await?;
            }
            if !reply.status.is_success() {
                return Err(WalkError::Status(reply.status.as_u16()));
            }
            let html = std::str::from_utf8(&reply.body).map_err(|_| WalkError::NotUtf8)?;
            let form = match read_page(html)? {
                Page::NoForm if sent => return Ok(walk),
                Page::NoForm => return Err(WalkError::NoFormBeforeSend),
                Page::Form(_) if sent => return Err(WalkError::FormAfterSend),
                Page::Form(form) => form,
            };
            if walk.pages == MAX_PAGES {
                return Err(WalkError::TooManyPages);
            }
            let body = page_body(self.questionnaire, &form)?;
            sent = form.sends;
            walk.pages += 1;
            reply = self
                .send(Method::POST, &path, Some(body), timings, &mut walk)
                .await?;
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        form: Option<String>,
        timings: &mut Timings,
        walk: &mut Walk,
    ) -> Result<Reply, WalkError> {
        let transport = |e: &dyn std::error::Error| WalkError::Transport(e.to_string());
        let mut request = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base));
        if form.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let request = request
            .body(Full::new(Bytes::from(form.unwrap_or_default())))
            .map_err(|e| transport(&e))?;
        let started = Instant::now();
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| transport(&e))?
            .to_bytes();
        timings.record(&method, started.elapsed());
        walk.requests += 1;
        Ok(Reply {
            status,
            location,
            body,
        })
    }
}

/// Resolves a redirect's Location against the current path: a query alone (`?del=2`),
/// an absolute path, or an absolute `http://` URL on the same server.
pub fn resolve(current: &str, location: &str) -> Option<String> {
    if location.starts_with('?') {
        let path = current.split('?').next().unwrap_or(current);
        return Some(format!("{path}{location}"));
    }
    if location.starts_with('/') {
        return Some(location.to_owned());
    }
    let after_scheme = location.strip_prefix("http://")?;
    let path_start = after_scheme.find('/')?;
    Some(after_scheme[path_start..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn redirects_resolve_like_a_browser() {
        assert_eq!(
            resolve("/s/abc?del=1&lang=sv", "?del=2&lang=sv").as_deref(),
            Some("/s/abc?del=2&lang=sv")
        );
        assert_eq!(
            resolve("/s/abc", "/s/abc/tack").as_deref(),
            Some("/s/abc/tack")
        );
        assert_eq!(
            resolve("/s/abc", "http://127.0.0.1:3000/tack?lang=sv").as_deref(),
            Some("/tack?lang=sv")
        );
        assert_eq!(resolve("/s/abc", "https://elsewhere.example"), None);
    }
}
