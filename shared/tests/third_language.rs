//! A third language added from files alone: a UI-strings file for a new code and a
//! questionnaire with texts in that code, both read from a folder at start, give pages
//! in that language with the right `lang` and `dir`, and a switch listing all three.
//!
//! Its own test binary (own process), because the languages are fixed once per process.

use std::sync::Arc;

use svar_shared::domain::Municipality;
use svar_shared::domain::questionnaire::{Slug, load_dir};
use svar_shared::domain::text::{BUILTIN_UI_FILES, Lang, Localized};
use svar_shared::service::respondent::PageState;
use svar_shared::web::{pages, strings};

/// The Swedish file with a new `[language]` table and some keys translated; every other
/// key keeps its Swedish text, which is enough for the file to load.
fn arabic_ui_file() -> String {
    let swedish = BUILTIN_UI_FILES[0].1;
    let replace = |source: String, from: &str, to: &str| {
        assert!(source.contains(from), "sv.toml no longer has {from}");
        source.replacen(from, to, 1)
    };
    let mut source = swedish.to_owned();
    for (from, to) in [
        ("code = \"sv\"", "code = \"ar\""),
        ("name = \"Svenska\"", "name = \"العربية\""),
        ("direction = \"ltr\"", "direction = \"rtl\""),
        ("next = \"Nästa\"", "next = \"التالي\""),
        (
            "language_switch_label = \"Språk\"",
            "language_switch_label = \"اللغة\"",
        ),
        ("decimal_separator = \",\"", "decimal_separator = \"٫\""),
    ] {
        source = replace(source, from, to);
    }
    source
}

const QUESTIONNAIRE: &str = r#"
id = "tre"
version = 1
title = { sv = "Tre språk", en = "Three languages", ar = "ثلاث لغات" }

[[sections]]
id = "forsta"
title = { sv = "Om besöket", en = "About the visit", ar = "عن الزيارة" }

[[sections.questions]]
id = "nojd"
kind = "yes_no"
text = { sv = "Är du nöjd?", en = "Are you satisfied?", ar = "هل أنت راضٍ؟" }
help = { sv = "Tänk på det senaste besöket." }
"#;

#[test]
fn a_third_language_from_files_alone_renders_with_its_lang_dir_and_switch() {
    let folder = tempfile::tempdir().unwrap();
    let ui = folder.path().join("ui");
    let questionnaires = folder.path().join("questionnaires");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::create_dir_all(&questionnaires).unwrap();
    std::fs::write(ui.join("ar.toml"), arabic_ui_file()).unwrap();
    std::fs::write(questionnaires.join("tre.toml"), QUESTIONNAIRE).unwrap();

    strings::install(Some(&ui)).unwrap_or_else(|e| panic!("{e}"));
    let questionnaire = load_dir(&questionnaires)
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0);

    let arabic = Lang::from_param(Some("ar"));
    assert_eq!((arabic.code(), arabic.name()), ("ar", "العربية"));
    let codes: Vec<&str> = Lang::all().map(Lang::code).collect();
    assert_eq!(codes, ["sv", "en", "ar"]);

    let state = PageState {
        questionnaire: Arc::new(questionnaire),
        municipality: Arc::new(Municipality {
            id: Slug::parse("provkommun").unwrap(),
            name: "Provkommunen".into(),
            contact: Localized::swedish("Kontaktcenter"),
            privacy_notice: Localized::swedish("Svaren är anonyma.").with("ar", "الإجابات مجهولة."),
        }),
        section: 0,
        position: 1,
        total: 1,
        total_is_final: true,
        answers: Default::default(),
        errors: Vec::new(),
        form_problems: Vec::new(),
        not_saved: None,
    };
    let html = pages::survey_page(&state, arabic).into_string();
    let has = |fragment: &str| assert!(html.contains(fragment), "missing {fragment}\nin {html}");
    has(r#"<html lang="ar" dir="rtl">"#);
    has("<h1>عن الزيارة</h1>");
    has("هل أنت راضٍ؟");
    has(
        r#"<button class="primary" type="submit" name="_action" value="send">Skicka svaren</button>"#,
    );
    has("<p>الإجابات مجهولة.</p>");
    // Swedish fallback inside a right-to-left page: marked with its language and direction.
    has(r#"<span lang="sv" dir="ltr">Tänk på det senaste besöket.</span>"#);
    has(r#"<span lang="sv" dir="ltr">Kontaktcenter</span>"#);
    has(concat!(
        r#"<nav class="languages" aria-label="اللغة"><ul>"#,
        r#"<li><a href="?del=1&amp;lang=sv" hreflang="sv" lang="sv" dir="ltr">Svenska</a></li>"#,
        r#"<li><a href="?del=1&amp;lang=en" hreflang="en" lang="en" dir="ltr">English</a></li>"#,
        r#"<li><span aria-current="true">العربية</span></li>"#,
        "</ul></nav>"
    ));
    assert_eq!(strings::format_number(2.5, arabic), "2٫5");

    // The Swedish page lists the third language too, named in itself and right to left.
    let swedish = pages::survey_page(&state, Lang::default()).into_string();
    assert!(
        swedish.contains(
            r#"<a href="?del=1&amp;lang=ar" hreflang="ar" lang="ar" dir="rtl">العربية</a>"#
        ),
        "{swedish}"
    );

    // Fixed once: a second install is refused rather than changing languages under way.
    assert!(strings::install(None).is_err());
}
