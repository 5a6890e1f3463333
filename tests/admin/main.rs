//! The workspace (`functions/admin`) through its router, as a browser would use it,
//! without a server: each test gets its own data folder and store.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod inv_app;
mod invitations;
mod rates;
