//! Starting export jobs in AWS: an asynchronous invocation of the export function.
//!
//! The workspace makes the job and hands it here; the export function (functions/export)
//! runs it. `X-Amz-Invocation-Type: Event` puts the event on Lambda's own queue and
//! answers `202 Accepted` at once, so a request for an export returns in milliseconds
//! however long the export takes. Lambda delivers such an event at least once and
//! retries it after an error; the runner claims the job first, so a second delivery
//! does nothing.
//!
//! Why one hand-signed request and not the SDK's Lambda client (`aws-sdk-lambda`): with
//! that client the admin zip measured 5,023,814 bytes, over the 5,000,000 limit
//! (BENCHMARKS.md). The request is one `POST` of Lambda's `Invoke` API, signed with
//! SigV4 by `aws-sigv4` and sent by hyper with rustls: crates the SDK already links into
//! this binary, so they add little. What the SDK client would add beyond this is its
//! retries: a launch that fails is reported to the user, and asking again relaunches
//! the queued job (`Exports::request`), which is harmless if the first got through.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use svar_shared::service::exports::{ExportJobRef, ExportLauncher, LaunchError};

/// The longest a launch may take: Lambda queues an event in milliseconds; more is a
/// fault, and the user should hear of it before the HTTP API's 30 s.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Invokes the export function named by `SVAR_EXPORT_FUNCTION` with the job as its event.
pub struct LambdaLauncher {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    credentials: SharedCredentialsProvider,
    region: String,
    /// `https://lambda.<region>.amazonaws.com`, or a test server.
    endpoint: String,
    function: String,
}

impl LambdaLauncher {
    /// `function`: the export function's name (the template passes it). Credentials and
    /// region come from the SDK configuration, as for the store's clients.
    pub fn new(
        credentials: SharedCredentialsProvider,
        region: impl Into<String>,
        function: impl Into<String>,
    ) -> Self {
        let region = region.into();
        let endpoint = format!("https://lambda.{region}.amazonaws.com");
        Self::with_endpoint(credentials, region, endpoint, function)
    }

    /// The same with another endpoint (`http://` too): for tests against a local server.
    pub fn with_endpoint(
        credentials: SharedCredentialsProvider,
        region: impl Into<String>,
        endpoint: impl Into<String>,
        function: impl Into<String>,
    ) -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            credentials,
            region: region.into(),
            endpoint: endpoint.into(),
            function: function.into(),
        }
    }

    /// The signed `Invoke` request.
    async fn request(
        &self,
        job: &ExportJobRef,
    ) -> Result<http::Request<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
        let payload = serde_json::to_vec(job)?;
        let uri = format!(
            "{}/2015-03-31/functions/{}/invocations",
            self.endpoint.trim_end_matches('/'),
            self.function
        );
        let headers = [
            ("content-type", "application/json"),
            ("x-amz-invocation-type", "Event"),
        ];
        let identity = self.credentials.provide_credentials().await?.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("lambda")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let signable = SignableRequest::new(
            "POST",
            uri.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(&payload),
        )?;
        let (instructions, _signature) = sign(signable, &params)?.into_parts();
        let mut request = http::Request::post(&uri);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut request = request.body(Full::new(Bytes::from(payload)))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}

#[async_trait]
impl ExportLauncher for LambdaLauncher {
    async fn launch(&self, job: &ExportJobRef) -> Result<(), LaunchError> {
        let request = self.request(job).await.map_err(LaunchError)?;
        let response = tokio::time::timeout(LAUNCH_TIMEOUT, self.client.request(request))
            .await
            .map_err(|e| LaunchError(Box::new(e)))?
            .map_err(|e| LaunchError(Box::new(e)))?;
        let status = response.status();
        // Lambda's answer is small (empty, or an error as JSON); read it all so the
        // connection can be used again, and at most 4 KiB of it.
        let body = Limited::new(response.into_body(), 4096)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        // 202 is Lambda's "queued"; anything else (it has no other success) is not.
        if status != http::StatusCode::ACCEPTED {
            return Err(LaunchError(
                format!(
                    "the export function {} answered {status}: {}",
                    self.function,
                    String::from_utf8_lossy(&body)
                )
                .into(),
            ));
        }
        tracing::info!(job = %job.job, "export function invoked");
        Ok(())
    }
}

/// TLS as the SDK's clients have it in Lambda: rustls with aws-lc, trusting the Mozilla
/// roots compiled into the binary (`webpki-root-certs`), so no certificate file is read
/// at a cold start.
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("aws-lc supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// One HTTP request as received: request line, headers (lower-case names), body.
    struct Received {
        request_line: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Received {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// Accepts one connection, reads one request and answers it with `status`.
    async fn answer_once(listener: TcpListener, status: &'static str) -> Received {
        let (mut socket, _) = listener.accept().await.expect("a connection");
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_end, length) = loop {
            let n = socket.read(&mut chunk).await.expect("readable");
            assert!(n > 0, "the connection closed before a whole request");
            bytes.extend_from_slice(&chunk[..n]);
            if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse::<usize>().expect("a length"));
                break (end + 4, length);
            }
        };
        while bytes.len() < head_end + length {
            let n = socket.read(&mut chunk).await.expect("readable");
            assert!(n > 0, "the connection closed before the whole body");
            bytes.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&bytes[..head_end - 4]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let response = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
        socket
            .write_all(response.as_bytes())
            .await
            .expect("answered");
        Received {
            request_line,
            headers,
            body: bytes[head_end..head_end + length].to_vec(),
        }
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// Checks the request's SigV4 signature as Lambda would: the canonical request rebuilt
    /// from what arrived (so a header changed or added after signing shows), written here
    /// from AWS's description rather than with the signer under test.
    fn verify_signature(received: &Received, secret: &str) -> Result<(), String> {
        use hmac::{Hmac, Mac};
        use sha2::{Digest, Sha256};
        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
        fn hmac(key: &[u8], data: &str) -> Vec<u8> {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        let authorization = received
            .header("authorization")
            .ok_or("no authorization header")?;
        let fields = authorization
            .strip_prefix("AWS4-HMAC-SHA256 ")
            .ok_or("not SigV4")?;
        let field = |name: &str| {
            fields
                .split(", ")
                .find_map(|f| f.strip_prefix(name))
                .ok_or(format!("no {name} in {authorization}"))
        };
        let scope = field("Credential=")?
            .split_once('/')
            .ok_or("a credential names its scope")?
            .1;
        let signed_headers = field("SignedHeaders=")?;
        let signature = field("Signature=")?;
        let (method, rest) = received.request_line.split_once(' ').ok_or("a method")?;
        let (path, _) = rest.split_once(' ').ok_or("a path")?;
        let mut canonical = format!("{method}\n{path}\n\n");
        for name in signed_headers.split(';') {
            let value = received
                .header(name)
                .ok_or(format!("{name} is signed but was not sent"))?;
            canonical.push_str(&format!("{name}:{value}\n"));
        }
        canonical.push_str(&format!(
            "\n{signed_headers}\n{}",
            hex(&Sha256::digest(&received.body))
        ));
        let date = received.header("x-amz-date").ok_or("no x-amz-date")?;
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = format!("AWS4{secret}").into_bytes();
        for part in scope.split('/') {
            key = hmac(&key, part);
        }
        let expected = hex(&hmac(&key, &to_sign));
        if expected == signature {
            Ok(())
        } else {
            Err(format!("signature {signature}, expected {expected}"))
        }
    }

    /// A launcher whose client talks to `127.0.0.1:<port>` with test credentials.
    fn launcher(port: u16, function: &str) -> LambdaLauncher {
        launcher_with(port, function, None)
    }

    fn launcher_with(port: u16, function: &str, session_token: Option<&str>) -> LambdaLauncher {
        let credentials = aws_credential_types::Credentials::new(
            "AKIDTEST",
            SECRET,
            session_token.map(str::to_owned),
            None,
            "test",
        );
        LambdaLauncher::with_endpoint(
            SharedCredentialsProvider::new(credentials),
            "eu-north-1",
            format!("http://127.0.0.1:{port}"),
            function,
        )
    }

    fn job() -> ExportJobRef {
        ExportJobRef {
            organisation: svar_shared::domain::questionnaire::Slug::parse("testkommun")
                .expect("a slug"),
            job: svar_shared::domain::ExportJobId::random(),
        }
    }

    #[tokio::test]
    async fn a_launch_invokes_the_export_function_asynchronously_with_the_job_as_event() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let server = tokio::spawn(answer_once(listener, "202 Accepted"));
        let job = job();
        launcher(port, "svar-prod-export")
            .launch(&job)
            .await
            .expect("launched");
        let received = server.await.expect("the server ran");
        assert_eq!(
            received.request_line,
            "POST /2015-03-31/functions/svar-prod-export/invocations HTTP/1.1"
        );
        assert_eq!(received.header("x-amz-invocation-type"), Some("Event"));
        let authorization = received.header("authorization").unwrap_or_default();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
                && authorization.contains("/eu-north-1/lambda/aws4_request"),
            "signed for Lambda in the region: {authorization}"
        );
        assert!(
            authorization.contains("x-amz-invocation-type"),
            "the invocation type is signed: {authorization}"
        );
        let event: ExportJobRef = serde_json::from_slice(&received.body).expect("the event");
        assert_eq!(event, job);
        verify_signature(&received, SECRET).expect("a signature Lambda accepts");
        let signed = authorization
            .split("SignedHeaders=")
            .nth(1)
            .unwrap_or_default();
        for header in [
            "host",
            "x-amz-date",
            "content-type",
            "x-amz-invocation-type",
        ] {
            assert!(
                signed.contains(header),
                "{header} is signed: {authorization}"
            );
        }

        // What the check catches: a body or a header changed on the way.
        let mut changed = received;
        changed.body.push(b' ');
        assert!(verify_signature(&changed, SECRET).is_err());
        changed.body.pop();
        assert!(verify_signature(&changed, "another secret").is_err());
        for (name, value) in &mut changed.headers {
            if name == "x-amz-invocation-type" {
                *value = "RequestResponse".to_owned();
            }
        }
        assert!(verify_signature(&changed, SECRET).is_err());
    }

    #[tokio::test]
    async fn a_launch_with_a_roles_temporary_credentials_signs_their_token() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let server = tokio::spawn(answer_once(listener, "202 Accepted"));
        let token = "IQoJb3JpZ2luX2VjEJr//////////wEaCmV1LW5vcnRoLTEi+RzA=";
        launcher_with(port, "svar-prod-export", Some(token))
            .launch(&job())
            .await
            .expect("launched");
        let received = server.await.expect("the server ran");
        assert_eq!(received.header("x-amz-security-token"), Some(token));
        let authorization = received.header("authorization").unwrap_or_default();
        assert!(
            authorization.contains("x-amz-security-token"),
            "the token is signed: {authorization}"
        );
        verify_signature(&received, SECRET).expect("a signature Lambda accepts");
    }

    #[tokio::test]
    async fn a_refused_invocation_is_a_launch_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let server = tokio::spawn(answer_once(listener, "403 Forbidden"));
        let result = launcher(port, "svar-prod-export").launch(&job()).await;
        assert!(result.is_err(), "a 403 must not count as launched");
        server.await.expect("the server ran");
    }
}
