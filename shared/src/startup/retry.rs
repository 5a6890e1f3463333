//! Retrying an operation that may fail for a passing reason, with jittered backoff.

use std::future::Future;
use std::time::Duration;

/// Runs `operation` up to `attempts` times while it fails with an error `should_retry`
/// accepts, pausing between attempts: 50 to 100 ms, doubling each time (the SDK already
/// retries within one operation; this covers an operation that ran out of those).
pub(crate) async fn retry_with_backoff<T, E, F, Fut>(
    attempts: u32,
    should_retry: impl Fn(&E) -> bool,
    mut operation: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(error) if attempt < attempts && should_retry(&error) => {
                let ceiling = 100u64 << (attempt - 1).min(5);
                let pause = rand::Rng::random_range(&mut rand::rng(), ceiling / 2..=ceiling);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::retry_with_backoff;

    #[tokio::test]
    async fn an_operation_that_fails_twice_succeeds_on_the_third_attempt() {
        let calls = Cell::new(0);
        let result: Result<&str, &str> = retry_with_backoff(
            4,
            |_| true,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n <= 2 { Err("throttled") } else { Ok("key") } }
            },
        )
        .await;
        assert_eq!(result, Ok("key"));
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn an_operation_that_always_fails_is_tried_the_given_number_of_times() {
        let calls = Cell::new(0);
        let result: Result<(), &str> = retry_with_backoff(
            4,
            |_| true,
            || {
                calls.set(calls.get() + 1);
                async { Err("throttled") }
            },
        )
        .await;
        assert_eq!(result, Err("throttled"));
        assert_eq!(calls.get(), 4);
    }

    #[tokio::test]
    async fn an_error_not_worth_retrying_ends_at_once() {
        let calls = Cell::new(0);
        let result: Result<(), &str> = retry_with_backoff(
            4,
            |e| *e != "not found",
            || {
                calls.set(calls.get() + 1);
                async { Err("not found") }
            },
        )
        .await;
        assert_eq!(result, Err("not found"));
        assert_eq!(calls.get(), 1);
    }
}
