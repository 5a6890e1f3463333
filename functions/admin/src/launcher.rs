//! Starting export jobs in AWS: an asynchronous invocation of the export function.
//!
//! The workspace makes the job and hands it here; the export function (functions/export)
//! runs it. `InvocationType: Event` puts the event on Lambda's own queue and answers
//! `202 Accepted` at once, so a request for an export returns in milliseconds however
//! long the export takes. Lambda delivers such an event at least once and retries it
//! after an error; the runner claims the job first, so a second delivery does nothing.
//!
//! Why the SDK's Lambda client and not a hand-signed request: with it the admin zip stays
//! under 5 MB (the sizes are in BENCHMARKS.md), and it brings the SDK's retries,
//! time-outs and signing, the same as the store's clients.

use async_trait::async_trait;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use svar_shared::service::exports::{ExportJobRef, ExportLauncher, LaunchError};

/// Invokes the export function named by `SVAR_EXPORT_FUNCTION` with the job as its event.
pub struct LambdaLauncher {
    client: aws_sdk_lambda::Client,
    function: String,
}

impl LambdaLauncher {
    /// `function`: the export function's name or ARN (the template passes its name).
    pub fn new(client: aws_sdk_lambda::Client, function: impl Into<String>) -> Self {
        Self {
            client,
            function: function.into(),
        }
    }
}

#[async_trait]
impl ExportLauncher for LambdaLauncher {
    async fn launch(&self, job: &ExportJobRef) -> Result<(), LaunchError> {
        let payload = serde_json::to_vec(job).map_err(|e| LaunchError(Box::new(e)))?;
        let output = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| LaunchError(Box::new(e)))?;
        // 202 is Lambda's "queued"; anything else (it has no other success) is not.
        if output.status_code() != 202 {
            return Err(LaunchError(
                format!(
                    "the export function {} answered {} instead of 202 Accepted",
                    self.function,
                    output.status_code()
                )
                .into(),
            ));
        }
        tracing::info!(job = %job.job, "export function invoked");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
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

    /// A launcher whose client talks to `127.0.0.1:<port>` with test credentials.
    fn launcher(port: u16, function: &str) -> LambdaLauncher {
        let config = aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-north-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .build();
        LambdaLauncher::new(aws_sdk_lambda::Client::from_conf(config), function)
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
        let event: ExportJobRef = serde_json::from_slice(&received.body).expect("the event");
        assert_eq!(event, job);
    }

    #[tokio::test]
    async fn a_refused_invocation_is_a_launch_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        // 403 is not retried by the SDK, so one answer is the whole exchange.
        let server = tokio::spawn(answer_once(listener, "403 Forbidden"));
        let result = launcher(port, "svar-prod-export").launch(&job()).await;
        assert!(result.is_err(), "a 403 must not count as launched");
        server.await.expect("the server ran");
    }
}
