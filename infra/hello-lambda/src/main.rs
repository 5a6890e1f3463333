//! The smallest `lambda_http` function: answers every request with "hello". The
//! cold-start benchmark (`infra/bench-cold-start.sh`) runs it beside the real functions,
//! built with the same profile and the same runtime crates, as the yardstick.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_request: Request| async {
        Ok::<_, Error>(
            Response::builder()
                .header("content-type", "text/plain")
                .body(Body::from("hello"))?,
        )
    }))
    .await
}
