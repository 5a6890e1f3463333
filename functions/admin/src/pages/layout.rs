//! The frame of every workspace page: title, skip link, who is signed in, the areas, and
//! sign-out.

use maud::{DOCTYPE, Markup, html};
use svar_shared::domain::OrganisationKind;
use svar_shared::web::pages::STYLESHEET_PATH;

use crate::auth::SignedIn;
use crate::texts::{t, tf};

/// The areas linked from every signed-in page: `(path, text, only for)`. Exports are a
/// municipality's own rows; the comparison is the network's view of its municipalities:
/// each is linked only for the kind of organisation that may use it.
pub const AREAS: &[(&str, &str, Option<OrganisationKind>)] = &[
    ("/admin", "common.area_home", None),
    ("/admin/omgangar", "common.area_rounds", None),
    (
        "/admin/exporter",
        "common.area_exports",
        Some(OrganisationKind::Municipality),
    ),
    (
        "/admin/jamforelse",
        "common.area_comparison",
        Some(OrganisationKind::Network),
    ),
    ("/admin/nycklar", "common.area_keys", None),
    ("/admin/logg", "common.area_audit", None),
    ("/admin/natverk", "common.area_network", None),
];

/// The hidden field every form of a session carries.
pub fn csrf_field(signed_in: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed_in.csrf); }
}

/// A whole page. `signed_in` is `None` only on the sign-in and error pages.
pub fn page(title: &str, signed_in: Option<&SignedIn>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="sv" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (t("common.service_name")) }
                link rel="icon" href="data:,";
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body.workspace {
                header {
                    a.skip href="#main" { (t("common.skip_to_content")) }
                    div.wrap {
                        span.brand { (t("common.service_name")) }
                        @if let Some(signed_in) = signed_in {
                            p { (tf("common.signed_in_as", &[
                                ("organisation", &signed_in.caller.organisation.name),
                                ("label", &signed_in.caller.key_label),
                            ])) }
                            nav.areas aria-label=(t("common.nav_label")) {
                                ul {
                                    @for (href, key, only) in AREAS {
                                        @if only.is_none_or(|kind| kind == signed_in.caller.organisation.kind) {
                                            li { a href=(href) { (t(key)) } }
                                        }
                                    }
                                }
                            }
                            form method="post" action="/admin/logga-ut" {
                                (csrf_field(signed_in))
                                button.secondary type="submit" { (t("common.sign_out")) }
                            }
                        }
                    }
                }
                main #main.wrap tabindex="-1" { (content) }
            }
        }
    }
}

/// A page with a heading and one paragraph: errors and plain notices.
pub fn message_page(title: &str, body: &str) -> Markup {
    page(title, None, html! { h1 { (title) } p { (body) } })
}

/// A table in a box of its own that scrolls sideways when the table is wider than the
/// screen (large text, a phone), so the page itself never does (WCAG 1.4.10). The box
/// is a labelled region in the tab order, so it can be scrolled by keyboard.
pub fn scroll_table(label: &str, table: Markup) -> Markup {
    html! {
        div.table-scroll role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

/// A problem with one field of a form: the field's `id`/`name` and what to do.
#[derive(Debug, Clone, Copy)]
pub struct FieldError<'a> {
    pub field: &'a str,
    pub message: &'a str,
}

/// The error summary at the top of a form: each problem links to its field.
pub fn error_summary(errors: &[FieldError<'_>]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 #error-summary-title { (t("common.error_summary_title")) }
                ul {
                    @for error in errors {
                        li { a href={ "#" (error.field) } { (error.message) } }
                    }
                }
            }
        }
    }
}

/// The page title, marked when the page shows errors (screen readers hear it first).
pub fn title_with_errors(title: &str, has_errors: bool) -> String {
    if has_errors {
        format!("{}{title}", t("common.error_title_prefix"))
    } else {
        title.to_owned()
    }
}

/// How a labelled input is drawn: its `type` and any extra attributes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    /// `text` when empty.
    pub kind: &'a str,
    pub hint: Option<&'a str>,
    pub maxlength: Option<usize>,
    pub required: bool,
    pub autocomplete: Option<&'a str>,
    pub short: bool,
}

/// A labelled input whose `id` and `name` are `name`, with its hint and, after a failed
/// post, its error (also linked from the [`error_summary`]).
pub fn input_field(
    name: &str,
    label: &str,
    value: &str,
    input: Input<'_>,
    error: Option<&FieldError<'_>>,
) -> Markup {
    let error = error.filter(|error| error.field == name);
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described_by: Vec<&str> = [
        input.hint.map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described_by = (!described_by.is_empty()).then(|| described_by.join(" "));
    let kind = if input.kind.is_empty() {
        "text"
    } else {
        input.kind
    };
    html! {
        div class=(if error.is_some() { "question has-error" } else { "question" }) {
            label for=(name) { (label) }
            @if let Some(hint) = input.hint {
                p.hint id=(hint_id) { (hint) }
            }
            @if let Some(error) = error {
                p.error-message id=(error_id) { (error.message) }
            }
            input id=(name) name=(name) type=(kind) value=(value) class=[input.short.then_some("short")]
                maxlength=[input.maxlength] required[input.required]
                autocomplete=[input.autocomplete] aria-describedby=[described_by]
                aria-invalid=[error.map(|_| "true")];
        }
    }
}

/// A date as shown: `2026-03-01` (ISO, as Swedish dates are written).
pub fn date(date: time::Date) -> String {
    let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
    format!("{year:04}-{month:02}-{day:02}")
}

/// A time as shown: `2026-03-01 15:05:09`, in Swedish time (the staff's clock), not UTC.
pub fn date_time(at: time::OffsetDateTime) -> String {
    let at = svar_shared::domain::swedish_time::in_sweden(at);
    format!(
        "{} {:02}:{:02}:{:02}",
        date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::date_time;

    #[test]
    fn times_are_shown_in_swedish_time_without_a_zone() {
        assert_eq!(
            date_time(datetime!(2026-01-15 12:00:00 UTC)),
            "2026-01-15 13:00:00"
        );
        assert_eq!(
            date_time(datetime!(2026-07-01 23:30:05 UTC)),
            "2026-07-02 01:30:05"
        );
    }
}
