//! Where a request comes from, for the limits on failed look-ups and sign-ins.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

/// The client's address: the TCP peer when served by `axum::serve` with connect info, the
/// source address API Gateway saw in Lambda, and `None` when neither is there (a router
/// called directly, as in tests).
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
