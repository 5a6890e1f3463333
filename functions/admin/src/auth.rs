//! Who is asking: a session cookie for the pages, a bearer key for the JSON API, and the
//! CSRF check on every posted form.
//!
//! A session is a signed cookie (HMAC-SHA256 with the session secret, by `axum-extra`):
//! `organisation`, key id, expiry and a random session nonce. Nothing is stored per
//! session; instead each request checks that the key is still active, so revoking a key
//! ends every session made from it. The CSRF token of a session is an HMAC of its nonce,
//! put in every form and checked on every post (and the cookie is `SameSite=Strict`).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};
use hmac::{Hmac, Mac};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use serde::de::DeserializeOwned;
use sha2::Sha256;
use svar_shared::domain::{AccessKeyId, OrganisationId};
use svar_shared::service::workspace::Caller;
use time::{Duration, OffsetDateTime};

use crate::AdminState;
use crate::error::AdminError;

pub const SESSION_COOKIE: &str = "svar_session";
pub const SESSION_LIFETIME: Duration = Duration::hours(8);
/// Where a request without a valid session is sent.
pub const SIGN_IN_PATH: &str = "/admin/logga-in";

/// The secret sessions are signed with (64 bytes or more), from configuration: never
/// from code. Debug output never shows it.
#[derive(Clone)]
pub struct SessionKey(Key);

impl SessionKey {
    /// `None` when shorter than 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (bytes.len() >= 64).then(|| Self(Key::from(bytes)))
    }

    fn csrf_for(&self, nonce: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.0.signing()).expect("HMAC accepts any key length");
        mac.update(b"csrf:");
        mac.update(nonce.as_bytes());
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl FromRef<AdminState> for Key {
    fn from_ref(state: &AdminState) -> Self {
        state.sessions.0.clone()
    }
}

/// What the session cookie holds (signed, so it cannot be changed without the secret).
struct SessionClaims {
    organisation: OrganisationId,
    key_id: AccessKeyId,
    expires_at: OffsetDateTime,
    nonce: String,
}

impl SessionClaims {
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.organisation.as_str(),
            self.key_id,
            self.expires_at.unix_timestamp(),
            self.nonce
        )
    }

    fn decode(value: &str) -> Option<Self> {
        let mut parts = value.split('|');
        let organisation = OrganisationId::parse(parts.next()?).ok()?;
        let key_id = AccessKeyId::parse(parts.next()?)?;
        let expires_at = OffsetDateTime::from_unix_timestamp(parts.next()?.parse().ok()?).ok()?;
        let nonce = parts.next()?.to_owned();
        parts.next().is_none().then_some(Self {
            organisation,
            key_id,
            expires_at,
            nonce,
        })
    }
}

/// The cookie that starts a session for `caller`, made right after a valid sign-in.
pub fn session_cookie(state: &AdminState, caller: &Caller) -> SignedCookieJar {
    let claims = SessionClaims {
        organisation: caller.organisation.id.clone(),
        key_id: caller.key_id.clone(),
        expires_at: OffsetDateTime::now_utc() + SESSION_LIFETIME,
        nonce: svar_shared::domain::BatchSecret::generate().to_text(),
    };
    let cookie = Cookie::build((SESSION_COOKIE, claims.encode()))
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(SESSION_LIFETIME)
        .build();
    SignedCookieJar::new(state.sessions.0.clone()).add(cookie)
}

/// The jar that ends the session (sign-out, revoking one's own key): an empty cookie
/// that expired long ago replaces it. (`remove` on a fresh jar would send nothing: it
/// only removes cookies the jar was built from.)
pub fn ended_session(state: &AdminState) -> SignedCookieJar {
    let mut cookie = Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Strict)
        .path("/")
        .build();
    cookie.make_removal();
    SignedCookieJar::new(state.sessions.0.clone()).add(cookie)
}

/// A signed-in member of an organisation, from a valid session cookie whose key is still
/// active. Without one, a page request is sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub caller: Caller,
    /// The CSRF token every form of this session must carry (`csrf` field).
    pub csrf: String,
}

impl FromRequestParts<AdminState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        let jar = SignedCookieJar::from_headers(&parts.headers, state.sessions.0.clone());
        let claims = jar
            .get(SESSION_COOKIE)
            .and_then(|cookie| SessionClaims::decode(cookie.value()))
            .filter(|claims| claims.expires_at > OffsetDateTime::now_utc());
        let Some(claims) = claims else {
            return Err(Redirect::to(SIGN_IN_PATH).into_response());
        };
        let caller = state
            .workspace
            .caller_by_key_id(&claims.organisation, &claims.key_id)
            .await
            .map_err(|error| AdminError::from(error).into_response())?;
        match caller {
            Some(caller) => Ok(SignedIn {
                caller,
                csrf: state.sessions.csrf_for(&claims.nonce),
            }),
            None => Err(Redirect::to(SIGN_IN_PATH).into_response()),
        }
    }
}

/// A posted form of a signed-in session whose `csrf` field matches the session's token;
/// otherwise 403 and nothing happens. `T` is the form's other fields.
pub struct Posted<T> {
    pub signed_in: SignedIn,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AdminState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AdminState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, svar_shared::web::error::MAX_BODY_BYTES)
            .await
            .map_err(|_| AdminError::PayloadTooLarge.into_response())?;
        let token: CsrfField = serde_html_form::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        if !constant_time_eq(token.csrf.as_bytes(), signed_in.csrf.as_bytes()) {
            return Err(AdminError::Forbidden.into_response());
        }
        // Repeated fields (check boxes) decode into a `Vec`.
        let form = serde_html_form::from_bytes(&bytes)
            .map_err(|error| AdminError::BadForm(error.to_string()).into_response())?;
        Ok(Posted { signed_in, form })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The JSON API's caller, from `Authorization: Bearer <access key>`. Without a valid,
/// active key: 401 with a JSON error.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AdminState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        let Some(secret) = bearer(&parts.headers) else {
            return Err(AdminError::Unauthenticated.into_api_response());
        };
        match state.workspace.caller_by_secret(secret).await {
            Ok(Some(caller)) => Ok(ApiCaller(caller)),
            Ok(None) => Err(AdminError::Unauthenticated.into_api_response()),
            // JSON like every other answer of the API, not the pages' error page.
            Err(error) => Err(AdminError::from(error).into_api_response()),
        }
    }
}

/// Where a request comes from, for the limit on failed sign-ins: the TCP peer when served
/// by `axum::serve` with connect info, the source address API Gateway saw in Lambda, and
/// `None` when neither is there (a router called directly, as in tests). The same rule
/// as the respondent function's `ClientAddress` (kept apart so that this crate does not
/// depend on that one).
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            return Ok(Self(Some(peer.ip())));
        }
        let from_gateway = match parts.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context
                .http
                .source_ip
                .as_deref()
                .and_then(|ip| ip.parse().ok()),
            _ => None,
        };
        Ok(Self(from_gateway))
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_round_trip_and_reject_extra_parts() {
        let claims = SessionClaims {
            organisation: OrganisationId::parse("ale").expect("valid"),
            key_id: AccessKeyId::random(),
            expires_at: OffsetDateTime::from_unix_timestamp(2_000_000_000).expect("valid"),
            nonce: "abc".into(),
        };
        let decoded = SessionClaims::decode(&claims.encode()).expect("decodes");
        assert_eq!(decoded.key_id, claims.key_id);
        assert!(SessionClaims::decode(&format!("{}|x", claims.encode())).is_none());
    }

    #[test]
    fn csrf_tokens_differ_per_session_and_secret() {
        let a = SessionKey::from_bytes(&[1; 64]).expect("64 bytes");
        let b = SessionKey::from_bytes(&[2; 64]).expect("64 bytes");
        assert_ne!(a.csrf_for("n1"), a.csrf_for("n2"));
        assert_ne!(a.csrf_for("n1"), b.csrf_for("n1"));
        assert!(SessionKey::from_bytes(&[1; 63]).is_none());
    }
}
