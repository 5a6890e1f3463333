//! HTML pages, rendered with maud, one module per kind of page. Views are functions of
//! their data; user input is only ever spliced as escaped text or attribute values.
//!
//! The pages need no JavaScript: every step is a plain form post. The CSS is served by
//! the function itself from [`STYLESHEET_PATH`].
//!
//! - [`layout`]: the frame of every page (head, skip link, language switch, footer).
//! - [`survey`] and its [`fields`]: a page of a questionnaire.
//! - [`message`]: pages with a heading and a paragraph (thanks, already answered, errors).
//! - [`code`]: typing the short code from a paper letter; [`home`]: the start page.

mod code;
mod fields;
mod home;
mod layout;
mod message;
mod survey;

pub use code::code_page;
pub use home::home_page;
pub use layout::layout;
pub use message::{ended_page, message_page, not_started_page, thanks_page};
pub use survey::survey_page;

pub const STYLESHEET: &str = include_str!("../../../assets/svar.css");
pub const STYLESHEET_PATH: &str = "/static/svar.css";

#[cfg(test)]
mod tests;
