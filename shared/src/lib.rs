//! Svar's library crate: everything the Lambda functions and the local server share.
//!
//! - [`questionnaire`]: the questionnaire model, its file format and the built-in set.
//! - [`domain`]: ids, credentials, invitations, drafts and responses.
//! - [`answers`] and [`form`]: decoding and validating what respondents send.
//! - [`survey`]: the respondent path as domain functions.
//! - [`store`]: storage traits and their SQLite and DynamoDB implementations.
//! - [`render`] and [`strings`]: the HTML pages and their texts.
//! - [`web`], [`config`], [`telemetry`]: what every function's `main` and router share.

pub mod answers;
pub mod config;
pub mod domain;
pub mod form;
pub mod questionnaire;
pub mod render;
pub mod setup;
pub mod store;
pub mod strings;
pub mod survey;
pub mod telemetry;
pub mod text;
pub mod web;
