//! The start page: what the service is, and the way in by code.

use maud::{Markup, html};

use super::layout::layout;
use crate::domain::text::Lang;
use crate::web::strings::ui;

pub fn home_page(lang: Lang) -> Markup {
    let text = ui(lang);
    layout(
        lang,
        text.home_title,
        "/",
        None,
        html! {
            h1 { (text.home_title) }
            p { (text.home_body) }
            p { a href={ "/kod?lang=" (lang.code()) } { (text.home_code_link) } }
        },
    )
}
