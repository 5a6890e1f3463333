//! The page for typing the short code from a paper letter.

use maud::{Markup, html};

use super::layout::layout;
use crate::domain::text::Lang;
use crate::web::form::FIELD_LANG;
use crate::web::strings::{UiText, ui};

/// The example code in the hint: kept on one line, so a narrow screen never breaks it
/// at its hyphen and makes it look like two codes.
const EXAMPLE_CODE: &str = "ABCDE-12345";

/// The code page, with what was typed and, after a failed try, why it failed.
pub fn code_page(lang: Lang, typed: &str, error: Option<&str>) -> Markup {
    let text = ui(lang);
    let title = match error {
        Some(_) => format!("{}{}", text.error_title_prefix, text.code_title),
        None => text.code_title.to_owned(),
    };
    let described_by = if error.is_some() {
        "kod-hint kod-error"
    } else {
        "kod-hint"
    };
    layout(
        lang,
        &title,
        "/kod",
        None,
        html! {
            h1 { (text.code_title) }
            @if let Some(message) = error {
                div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                    h2 #error-summary-title { (text.error_summary_title(1)) }
                    ul { li { a href="#kod" { (message) } } }
                }
            }
            p { (text.code_intro) }
            form method="post" action="/kod" novalidate {
                input type="hidden" name=(FIELD_LANG) value=(lang.code());
                div class=(if error.is_some() { "question has-error" } else { "question" }) {
                    label for="kod" { (text.code_label) }
                    p.hint #kod-hint { (code_hint(text)) }
                    @if let Some(message) = error {
                        p.error-message #kod-error { (message) }
                    }
                    input.short #kod type="text" name="kod" value=(typed) autocomplete="off" autocapitalize="characters"
                        spellcheck="false" aria-describedby=(described_by) aria-invalid=[error.map(|_| "true")];
                }
                div.buttons {
                    button.primary type="submit" { (text.code_button) }
                }
            }
        },
    )
}

/// The hint with `{example}` replaced by the example code in a span that does not wrap.
fn code_hint(text: &UiText) -> Markup {
    let (before, after) = text
        .code_hint
        .split_once("{example}")
        .unwrap_or((text.code_hint, ""));
    html! { (before) span.nowrap { (EXAMPLE_CODE) } (after) }
}
