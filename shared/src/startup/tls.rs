//! The HTTPS client of the AWS SDK in Lambda, trusting only compiled-in AWS roots.

use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};

/// The roots of Amazon Trust Services, which issues the certificates of every AWS
/// service endpoint (DynamoDB, SSM), as their common names.
const AWS_ENDPOINT_ROOTS: [&str; 5] = [
    "Amazon Root CA 1",
    "Amazon Root CA 2",
    "Amazon Root CA 3",
    "Amazon Root CA 4",
    "Starfield Services Root Certificate Authority - G2",
];

/// The HTTPS client of every AWS SDK client in Lambda: the SDK's own (rustls with aws-lc), trusting
/// only the roots of [`AWS_ENDPOINT_ROOTS`], taken from the Mozilla set compiled into
/// the binary (`webpki-root-certs`), instead of every root the system has.
///
/// Why: the SDK's default loads the system's roots when a client is built, at start,
/// reading the CA bundle *and every file* of the certificate folder (292 files on
/// Debian), and parses them all again for each client: most of the cold-start gap to a
/// hello-world function (BENCHMARKS.md). Five compiled-in roots cost no file reads and
/// almost no parsing, are the same on every machine (so the local benchmark measures
/// what Lambda runs), and no other certificate authority can stand in for DynamoDB or
/// SSM. The roots are updated with the crate (`cargo update -p webpki-root-certs`).
pub(super) fn sdk_http_client() -> SharedHttpClient {
    let trust_store = aws_endpoint_roots().fold(
        TrustStore::empty().with_native_roots(false),
        |store, certificate| store.with_pem_certificate(pem_certificate(certificate)),
    );
    let tls = TlsContext::builder().with_trust_store(trust_store);
    // `build` cannot fail for a trust store alone; should a later version refuse it,
    // the SDK's default context (system roots) still gives a working client.
    let tls = tls.build().unwrap_or_default();
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(tls)
        .build_https()
}

/// The compiled-in root certificates whose name is one of [`AWS_ENDPOINT_ROOTS`]. A root
/// is self-signed, so its DER holds the name (as issuer and subject) and no other's.
fn aws_endpoint_roots() -> impl Iterator<Item = &'static [u8]> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| &**der)
        .filter(|der| {
            AWS_ENDPOINT_ROOTS
                .iter()
                .any(|name| contains(der, name.as_bytes()))
        })
}

/// `memmem`, not `windows().any()`: the naive search over every root took most of
/// the 1.7 ms that building the client took at each start (BENCHMARKS.md).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// A DER certificate as PEM, the one form the SDK's trust store takes.
fn pem_certificate(der: &[u8]) -> String {
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        data_encoding::BASE64.encode(der)
    )
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    use super::{AWS_ENDPOINT_ROOTS, aws_endpoint_roots, contains, pem_certificate};

    #[test]
    fn each_aws_endpoint_root_is_compiled_in_exactly_once() {
        let roots: Vec<_> = aws_endpoint_roots().collect();
        assert_eq!(roots.len(), AWS_ENDPOINT_ROOTS.len());
        for name in AWS_ENDPOINT_ROOTS {
            let found = roots.iter().filter(|der| contains(der, name.as_bytes()));
            assert_eq!(found.count(), 1, "{name}");
        }
    }

    #[test]
    fn the_roots_survive_the_pem_round_trip_into_the_trust_store() {
        for der in aws_endpoint_roots() {
            let parsed: Vec<_> = CertificateDer::pem_slice_iter(pem_certificate(der).as_bytes())
                .collect::<Result<_, _>>()
                .expect("our PEM parses");
            assert_eq!(parsed, vec![CertificateDer::from(der)]);
        }
    }
}
