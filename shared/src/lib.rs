//! Svar's library crate: everything the Lambda functions and the local server share.
//!
//! - [`questionnaire`]: the questionnaire model, its file format and the built-in set.
//! - [`domain`]: ids, credentials, invitations, drafts and responses.
//! - [`store`]: storage traits and their SQLite and DynamoDB implementations.

pub mod domain;
pub mod questionnaire;
pub mod store;
pub mod text;
