//! The respondent path through the router, as a browser would use it, without a server:
//! each test gets its own data folder and store (`spawn_app`).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod failing_store;
mod first_contact;
mod guessing;
mod helpers;
mod lambda;
mod logging;
mod respond;
mod round_status;
