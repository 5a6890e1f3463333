//! The domain: what a survey is and what a respondent gives, with no storage or web in it.
//!
//! - [`questionnaire`]: the questionnaire model, its file format and the built-in set.
//! - [`ids`], [`credential`], [`records`]: ids, invitation credentials, rounds,
//!   invitations, drafts and responses.
//! - [`answers`]: validating typed answers and deciding what is shown.
//! - [`text`]: languages and translated text.
//! - [`workspace`]: organisations, access keys, round settings, invitation batches, audit.
//! - [`export`]: export jobs and where their files are.

pub mod answers;
pub mod credential;
pub mod export;
pub mod ids;
pub mod questionnaire;
pub mod records;
pub mod swedish_time;
pub mod text;
pub mod workspace;

pub use credential::*;
pub use export::*;
pub use ids::*;
pub use records::*;
pub use workspace::*;
