//! Svar's library crate: everything the Lambda functions and the local server share.
//!
//! The layers, each knowing only those below it:
//! - [`domain`]: questionnaires, ids, credentials, answers and their validation, text.
//! - [`export`]: anonymised exports of responses and the network's aggregate tables.
//! - [`store`]: storage traits and their SQLite and DynamoDB implementations.
//! - [`service`]: the use cases (the respondent path, setting up rounds), on the traits.
//! - [`web`]: router layers, the error-to-HTTP mapping, form decoding, pages and texts.
//! - [`config`], [`startup`], [`telemetry`]: what every function's `main` does once.

pub mod config;
pub mod domain;
pub mod export;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
