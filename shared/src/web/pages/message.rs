//! Pages with a heading and a paragraph: thanks, already answered, not found, errors.

use maud::{Markup, html};

use super::layout::{layout, localized};
use crate::domain::Municipality;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::text::Lang;
use crate::web::strings::ui;

/// A page not tied to a known invitation. Its language switch links to the same
/// address in each language.
pub fn message_page(lang: Lang, title: &str, body: &str) -> Markup {
    layout(
        lang,
        title,
        "",
        None,
        html! {
            h1 { (title) }
            p { (body) }
        },
    )
}

/// The last page of an answered questionnaire, still saying who asked and whom to ask.
pub fn thanks_page(
    lang: Lang,
    questionnaire: &Questionnaire,
    municipality: &Municipality,
) -> Markup {
    let text = ui(lang);
    layout(
        lang,
        text.thanks_title,
        "",
        Some(municipality),
        html! {
            p.progress { (localized(&questionnaire.title, lang)) }
            h1 { (text.thanks_title) }
            p { (text.thanks_body) }
        },
    )
}
