//! The frame of every page: language and direction, title, skip link, the language
//! switch, the main content and, on pages tied to an invitation, who is asking.

use maud::{DOCTYPE, Markup, html};

use super::STYLESHEET_PATH;
use crate::domain::Municipality;
use crate::domain::text::{Lang, Localized};
use crate::web::strings::{fill, ui};

/// The common frame. `switch_base` is this page's address without `lang` (`""`,
/// `"?del=2"`, `"/kod"`): each entry of the language switch adds its own `lang`.
/// `municipality` is given on every page tied to an invitation, and adds a footer that
/// names it with its contact and privacy notice.
pub fn layout(
    lang: Lang,
    title: &str,
    switch_base: &str,
    municipality: Option<&Municipality>,
    content: Markup,
) -> Markup {
    let text = ui(lang);
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.direction().as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (text.service_name) }
                // An empty icon, so browsers do not ask the function for /favicon.ico.
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                header {
                    // Inside the banner landmark, and still the first Tab stop.
                    a.skip href="#main" { (text.skip_to_content) }
                    div.wrap {
                        span.brand { (text.service_name) }
                        (language_switch(lang, switch_base))
                    }
                }
                main #main.wrap tabindex="-1" { (content) }
                @if let Some(municipality) = municipality {
                    (municipality_footer(municipality, lang))
                }
            }
        }
    }
}

/// Every language, each named in itself and linking to this page in it. The current one
/// is marked, not linked.
fn language_switch(lang: Lang, switch_base: &str) -> Markup {
    let separator = if switch_base.contains('?') { '&' } else { '?' };
    html! {
        nav.languages aria-label=(ui(lang).language_switch_label) {
            ul {
                @for other in Lang::all() {
                    li {
                        @if other == lang {
                            span aria-current="true" { (other.name()) }
                        } @else {
                            a href={ (switch_base) (separator) "lang=" (other.code()) }
                                hreflang=(other.code()) lang=(other.code()) dir=(other.direction().as_str()) {
                                (other.name())
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Who is asking: the municipality's name, whom to ask and how answers are handled.
fn municipality_footer(municipality: &Municipality, lang: Lang) -> Markup {
    let text = ui(lang);
    html! {
        footer {
            div.wrap {
                p { (fill(text.footer_sender, &[("municipality", &municipality.name)])) }
                @if !municipality.contact.is_blank() {
                    h2 { (text.footer_contact_title) }
                    p { (localized(&municipality.contact, lang)) }
                }
                @if !municipality.privacy_notice.is_blank() {
                    h2 { (text.footer_privacy_title) }
                    p { (localized(&municipality.privacy_notice, lang)) }
                }
            }
        }
    }
}

/// Text from a questionnaire or a municipality, marked with its real language (and its
/// direction, where that differs) where it fell back to Swedish.
pub(super) fn localized(text: &Localized, lang: Lang) -> Markup {
    let (value, actual) = text.get(lang);
    if actual == lang {
        html! { (value) }
    } else {
        let dir = (actual.direction() != lang.direction()).then(|| actual.direction().as_str());
        html! { span lang=(actual.code()) dir=[dir] { (value) } }
    }
}
