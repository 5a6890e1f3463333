//! The workspace through its router, as a browser would use it, without a server: each
//! test gets its own data folder, store and keys (`spawn_admin`).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod access;
mod api;
mod api_network;
mod audit;
mod csrf;
mod escaping;
mod exports;
mod exports_access;
mod helpers;
mod inv_app;
mod invitations;
mod keys;
mod network;
mod rates;
mod rounds;
mod signin;
