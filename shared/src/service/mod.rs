//! The use cases, on the storage traits. Nothing here knows HTTP or HTML: handlers decode
//! a request into a service type, call one function and render its outcome.
//!
//! - [`respondent`]: opening an invitation, showing a page, taking a posted page.
//! - [`guessing`]: the limit on failed look-ups of links and codes per client.
//! - `page`: the page to show, its progress and the outcomes (re-exported by `respondent`).
//! - [`setup`]: making an invitation outside the workspace (the demo, tests).
//! - [`workspace`]: what a signed-in municipality or network does.
//! - [`exports`]: anonymised exports and the network's comparison tables.

mod export_rows;
pub mod exports;
pub mod guessing;
mod page;
pub mod respondent;
pub mod setup;
pub mod workspace;
