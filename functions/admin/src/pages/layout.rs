//! The frame of every workspace page: title, skip link, who is signed in, the areas, and
//! sign-out.

use maud::{DOCTYPE, Markup, html};
use svar_shared::web::pages::STYLESHEET_PATH;

use crate::auth::SignedIn;
use crate::texts::{t, tf};

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
            body {
                header {
                    a.skip href="#main" { (t("common.skip_to_content")) }
                    div.wrap {
                        span.brand { (t("common.service_name")) }
                        @if let Some(signed_in) = signed_in {
                            nav aria-label=(t("common.nav_label")) {
                                span { (tf("common.signed_in_as", &[
                                    ("organisation", &signed_in.caller.organisation.name),
                                    ("label", &signed_in.caller.key_label),
                                ])) }
                                form method="post" action="/admin/logga-ut" {
                                    (csrf_field(signed_in))
                                    button type="submit" { (t("common.sign_out")) }
                                }
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
