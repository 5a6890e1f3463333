//! Parts of the survey page added by the hardening work: the progress line and the notice
//! that a posted page did not go through.

use maud::{Markup, html};

use crate::domain::text::Lang;
use crate::service::respondent::{PageAction, PageState};
use crate::web::strings::ui;

/// "Del 2 av 5" once the number of pages is final, "Del 2" while a condition on a page
/// not yet answered may still add or remove one: the total never jumps mid-way.
pub fn progress_text(state: &PageState, lang: Lang) -> String {
    let text = ui(lang);
    if state.total_is_final {
        (text.part_of)(state.position, state.total)
    } else {
        (text.part)(state.position)
    }
}

/// An alert above the form when the page could not be stored: what was typed is in the
/// fields below, and the same button should be pressed again.
pub fn not_saved_notice(state: &PageState, lang: Lang) -> Markup {
    let text = ui(lang);
    let Some(action) = state.not_saved else {
        return html! {};
    };
    let button = match action {
        PageAction::Back => text.back,
        PageAction::Next => text.next,
        PageAction::Send => text.send,
    };
    html! {
        div.error-summary role="alert" aria-labelledby="not-saved-title" tabindex="-1" {
            h2 #not-saved-title { (text.not_saved_title) }
            p { ((text.not_saved_body)(button)) }
        }
    }
}
