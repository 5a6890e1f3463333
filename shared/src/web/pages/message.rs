//! Pages with a heading and a paragraph: thanks, already answered, a round not open,
//! not found, errors.

use maud::{Markup, html};

use super::layout::{layout, localized};
use crate::domain::Municipality;
use crate::domain::questionnaire::Questionnaire;
use crate::domain::text::Lang;
use crate::web::strings::{fill, ui};

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

/// A link or code of a planned round: the survey has not started; when it starts if that
/// is still to come. Who asks and whom to ask are in the footer, as on every page.
pub fn not_started_page(
    lang: Lang,
    questionnaire: &Questionnaire,
    municipality: &Municipality,
    starts_on: Option<time::Date>,
) -> Markup {
    let text = ui(lang);
    layout(
        lang,
        text.round_planned_title,
        "",
        Some(municipality),
        html! {
            p.progress { (localized(&questionnaire.title, lang)) }
            h1 { (text.round_planned_title) }
            @if let Some(day) = starts_on {
                p { (fill(text.round_planned_starts, &[("date", &day.to_string())])) }
            }
            p { (text.round_planned_body) }
        },
    )
}

/// A link or code of a closed round: the survey has ended, thanks all the same.
pub fn ended_page(
    lang: Lang,
    questionnaire: &Questionnaire,
    municipality: &Municipality,
) -> Markup {
    let text = ui(lang);
    layout(
        lang,
        text.round_closed_title,
        "",
        Some(municipality),
        html! {
            p.progress { (localized(&questionnaire.title, lang)) }
            h1 { (text.round_closed_title) }
            p { (text.round_closed_body) }
        },
    )
}
