//! The AWS SDK configuration of a function's clients beyond its store (the admin
//! function's Lambda client, which starts exports).

use aws_config::SdkConfig;

use crate::config::in_lambda;

/// Region, credentials and time-outs from the environment, as the store's clients have
/// them ([`super::SDK_ATTEMPT_TIMEOUT`], [`super::SDK_OPERATION_TIMEOUT`]), and in Lambda
/// the HTTPS client that trusts only the compiled-in AWS roots (`tls.rs`, for the cold
/// start). Built once per process.
pub async fn aws_sdk_config() -> SdkConfig {
    let mut sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(super::sdk_timeouts());
    if in_lambda() {
        sdk = sdk.http_client(super::tls::sdk_http_client());
    }
    sdk.load().await
}
