//! Presigned S3 download links, made with the SigV4 signer alone.
//!
//! Why not the S3 client's presigner: this type is linked into the admin function, whose
//! zip is close to Lambda's 5 MB limit, and `aws-sdk-s3` would add megabytes. A presigned
//! GET is one SigV4 signature over a canonical request, which `aws-sigv4` (already linked
//! for DynamoDB and SSM) computes: the same code path the SDK's presigner ends in.

use std::io;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use time::Duration;

use super::files::DownloadLinks;
use super::local::plain_file_name;
use crate::domain::ExportFolder;

/// Bytes left as they are in a URL (RFC 3986 unreserved characters); every other byte is
/// percent-encoded, as SigV4's canonical request does.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The longest a SigV4 presigned URL may be valid: seven days.
const MAX_VALID: Duration = Duration::days(7);

/// Signs GET URLs to the objects of one bucket.
pub struct S3DownloadLinks {
    credentials: SharedCredentialsProvider,
    region: String,
    /// The URL of the bucket, ending in `/`: `https://<bucket>.s3.<region>.amazonaws.com/`
    /// in AWS; `<endpoint>/<bucket>/` (path-style) on an S3-compatible server.
    bucket_url: String,
}

impl S3DownloadLinks {
    /// `endpoint`: an S3-compatible server instead of AWS (the tests' server on
    /// 127.0.0.1), addressed path-style. Credentials are asked for at every signature,
    /// so temporary ones (a Lambda role's) are renewed by their provider.
    pub fn new(
        credentials: SharedCredentialsProvider,
        region: impl Into<String>,
        bucket: &str,
        endpoint: Option<&str>,
    ) -> Self {
        let region = region.into();
        let bucket_url = match endpoint {
            Some(endpoint) => format!("{}/{bucket}/", endpoint.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        };
        Self {
            credentials,
            region,
            bucket_url,
        }
    }
}

#[async_trait]
impl DownloadLinks for S3DownloadLinks {
    async fn download_url(
        &self,
        folder: &ExportFolder,
        file: &str,
        saved_as: &str,
        valid_for: Duration,
    ) -> io::Result<String> {
        if !plain_file_name(file) || !plain_file_name(saved_as) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an export file name is a plain name",
            ));
        }
        if valid_for < Duration::seconds(1) || valid_for > MAX_VALID {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a presigned URL is valid between one second and seven days",
            ));
        }
        let key: String = format!("{}{file}", folder.prefix())
            .split('/')
            .map(|segment| utf8_percent_encode(segment, UNRESERVED).to_string())
            .collect::<Vec<_>>()
            .join("/");
        let disposition = attachment(saved_as);
        let url = format!(
            "{}{key}?response-content-disposition={}",
            self.bucket_url,
            utf8_percent_encode(&disposition, UNRESERVED)
        );
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| io::Error::other(format!("no AWS credentials to sign with: {e}")))?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        // S3's own rules: the path is encoded once and not normalised.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(std::time::Duration::from_secs(
            valid_for.whole_seconds().unsigned_abs(),
        ));
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(io::Error::other)?
            .into();
        let request = SignableRequest::new(
            "GET",
            url.as_str(),
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .map_err(io::Error::other)?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(io::Error::other)?
            .into_parts();
        let mut signed = http::Request::get(url.as_str())
            .body(())
            .map_err(io::Error::other)?;
        instructions.apply_to_request_http1x(&mut signed);
        Ok(signed.uri().to_string())
    }
}

/// `Content-Disposition` of an export file: saved as a download under its own name. The
/// name is a plain file name (checked by the callers), so it needs no quoting.
pub(super) fn attachment(file: &str) -> String {
    format!("attachment; filename=\"{file}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ExportJobId;
    use crate::domain::questionnaire::Slug;
    use aws_credential_types::Credentials;

    fn links(endpoint: Option<&str>, token: Option<&str>) -> S3DownloadLinks {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
            None,
            "test",
        );
        S3DownloadLinks::new(
            SharedCredentialsProvider::new(credentials),
            "eu-north-1",
            "svar-exports",
            endpoint,
        )
    }

    fn folder() -> ExportFolder {
        ExportFolder {
            organisation: Slug::parse("ale").unwrap(),
            job: ExportJobId::random(),
        }
    }

    #[tokio::test]
    async fn a_url_names_the_object_the_attachment_and_its_expiry() {
        let folder = folder();
        let url = links(None, Some("session-token/+="))
            .download_url(
                &folder,
                "responses.csv",
                "ale-export-2026-12-05-1447-responses.csv",
                Duration::minutes(15),
            )
            .await
            .unwrap();
        let expected = format!(
            "https://svar-exports.s3.eu-north-1.amazonaws.com/{}responses.csv?",
            folder.prefix()
        );
        assert!(url.starts_with(&expected), "{url}");
        assert!(url.contains(
            "response-content-disposition=attachment%3B%20filename%3D%22ale-export-2026-12-05-1447-responses.csv%22"
        ));
        assert!(url.contains("X-Amz-Expires=900"), "{url}");
        assert!(url.contains("X-Amz-Credential=AKIDEXAMPLE%2F"), "{url}");
        assert!(url.contains("%2Feu-north-1%2Fs3%2Faws4_request"), "{url}");
        assert!(
            url.contains("X-Amz-Security-Token=session-token%2F%2B%3D"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Signature="), "{url}");
    }

    #[tokio::test]
    async fn an_endpoint_is_addressed_path_style() {
        let folder = folder();
        let url = links(Some("http://127.0.0.1:9000/"), None)
            .download_url(
                &folder,
                "codebook.json",
                "codebook.json",
                Duration::minutes(1),
            )
            .await
            .unwrap();
        let expected = format!(
            "http://127.0.0.1:9000/svar-exports/{}codebook.json?",
            folder.prefix()
        );
        assert!(url.starts_with(&expected), "{url}");
        assert!(!url.contains("X-Amz-Security-Token"), "{url}");
    }

    #[tokio::test]
    async fn odd_names_and_validities_are_refused() {
        let links = links(None, None);
        let folder = folder();
        for bad in ["../a.csv", ".a", "a/b", "a b.csv", "a\".csv", ""] {
            for (file, saved_as) in [(bad, "a.csv"), ("a.csv", bad)] {
                assert!(
                    links
                        .download_url(&folder, file, saved_as, Duration::minutes(1))
                        .await
                        .is_err(),
                    "{file} as {saved_as}"
                );
            }
        }
        for bad in [Duration::ZERO, Duration::days(8)] {
            assert!(
                links
                    .download_url(&folder, "a.csv", "a.csv", bad)
                    .await
                    .is_err(),
                "{bad}"
            );
        }
    }
}
