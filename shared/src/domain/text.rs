//! Languages and translated text.
//!
//! Languages are data, not code: each one is described by the `[language]` table of its
//! UI-strings file (`shared/ui/<code>.toml`, see `shared/ui/README.md`), and questionnaire
//! texts are keyed by language code. Swedish is the service's first language: every text
//! must exist in Swedish, and a text missing in another language falls back to Swedish.
//!
//! The languages a process speaks are fixed once at start ([`install_languages`], called
//! by `web::strings::install`), so that a [`Lang`] can stay a small `Copy` index and
//! [`Lang::from_param`] can tell a known code from an unknown one without a catalogue
//! being passed to every handler.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// The code every text must exist in, and the language of anything unknown.
pub const SWEDISH: &str = "sv";

/// The built-in UI-strings files (Swedish first), compiled in so a Lambda function needs
/// no files beside it. Their `[language]` tables are the built-in languages; the web
/// layer reads their strings.
pub const BUILTIN_UI_FILES: [(&str, &str); 2] = [
    ("ui/sv.toml", include_str!("../../ui/sv.toml")),
    ("ui/en.toml", include_str!("../../ui/en.toml")),
];

/// Which way a language is written, for the `dir` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// A language the pages can be shown in, as its UI-strings file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Language {
    /// A BCP 47 tag such as `sv`, `en` or `ar` (see [`is_well_formed_code`]).
    pub code: String,
    /// The language's own name ("Svenska", "English", "العربية"), shown in the switch.
    pub name: String,
    pub direction: Direction,
}

/// Why a set of languages cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguagesError {
    #[error("the first language must be Swedish (sv), not '{0}'")]
    SwedishNotFirst(String),
    #[error("'{0}' is not a well-formed language code (use e.g. sv, en, ar or sr-Latn)")]
    BadCode(String),
    #[error("language '{0}' is given twice")]
    Duplicate(String),
    #[error("language '{0}' has no name")]
    NoName(String),
    #[error("more than 255 languages")]
    TooMany,
    #[error(
        "the languages were already fixed for this process; install them before any page is shown"
    )]
    AlreadyFixed,
}

static LANGUAGES: OnceLock<Vec<Language>> = OnceLock::new();

/// The languages of this process: those installed at start, or else the built-in ones.
pub fn languages() -> &'static [Language] {
    LANGUAGES.get_or_init(builtin_languages)
}

/// The `[language]` tables of the built-in UI files. They are checked by a test, so a
/// failure here is a build defect, not something a deployment can cause.
fn builtin_languages() -> Vec<Language> {
    #[derive(Deserialize)]
    struct Header {
        language: Language,
    }
    BUILTIN_UI_FILES
        .iter()
        .map(|(file, source)| {
            toml::from_str::<Header>(source)
                .unwrap_or_else(|e| panic!("built-in {file} is broken: {e}"))
                .language
        })
        .collect()
}

/// Checks a set of languages (Swedish first, codes well-formed and unique, names given).
pub fn check_languages(languages: &[Language]) -> Result<(), LanguagesError> {
    match languages.first() {
        Some(first) if first.code == SWEDISH => {}
        Some(first) => return Err(LanguagesError::SwedishNotFirst(first.code.clone())),
        None => return Err(LanguagesError::SwedishNotFirst(String::new())),
    }
    if languages.len() > usize::from(u8::MAX) {
        return Err(LanguagesError::TooMany);
    }
    for (index, language) in languages.iter().enumerate() {
        if !is_well_formed_code(&language.code) {
            return Err(LanguagesError::BadCode(language.code.clone()));
        }
        if languages[..index].iter().any(|l| l.code == language.code) {
            return Err(LanguagesError::Duplicate(language.code.clone()));
        }
        if language.name.trim().is_empty() {
            return Err(LanguagesError::NoName(language.code.clone()));
        }
    }
    Ok(())
}

/// Fixes the languages of this process, once, before any [`Lang`] is made.
pub fn install_languages(languages: Vec<Language>) -> Result<(), LanguagesError> {
    check_languages(&languages)?;
    LANGUAGES
        .set(languages)
        .map_err(|_| LanguagesError::AlreadyFixed)
}

/// A well-formed language code, in the subset of BCP 47 the service uses: a primary
/// subtag of 2 or 3 lowercase letters, then any subtags of 2 to 8 letters or digits
/// (`sv`, `en`, `ar`, `sr-Latn`, `pt-BR`). Keeps `lang` attributes and query values sane.
pub fn is_well_formed_code(code: &str) -> bool {
    let mut subtags = code.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()));
    primary_ok
        && subtags
            .all(|s| (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// One of the process's languages: an index into [`languages`], so it is `Copy` and
/// compares in one instruction. [`Lang::default`] is Swedish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lang(u8);

impl Lang {
    /// Parses the `lang` query or form value; anything unknown means Swedish.
    pub fn from_param(value: Option<&str>) -> Self {
        value.and_then(Lang::find).unwrap_or_default()
    }

    /// The language with this code, if the process speaks it.
    pub fn find(code: &str) -> Option<Self> {
        let code = code.trim();
        languages()
            .iter()
            .position(|l| l.code == code)
            .and_then(|index| u8::try_from(index).ok())
            .map(Lang)
    }

    /// Every language of the process, Swedish first, in the order of the switch.
    pub fn all() -> impl Iterator<Item = Lang> {
        (0..languages().len()).filter_map(|index| u8::try_from(index).ok().map(Lang))
    }

    /// Where this language is described. Falls back to Swedish for an index that is not
    /// in the list (it cannot be made outside this module).
    pub fn language(self) -> &'static Language {
        let all = languages();
        all.get(usize::from(self.0)).unwrap_or(&all[0])
    }

    /// The position in [`languages`], for tables kept in the same order.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The BCP 47 code for `lang` attributes and query strings.
    pub fn code(self) -> &'static str {
        &self.language().code
    }

    /// The language's own name, for the language switch.
    pub fn name(self) -> &'static str {
        &self.language().name
    }

    pub fn direction(self) -> Direction {
        self.language().direction
    }
}

/// Text keyed by language code, with Swedish required. Codes the process does not speak
/// are kept (a questionnaire may be translated before its UI strings are), never shown.
///
/// Stored and read as a map of code to text (`{ sv = "...", en = "..." }`), so the
/// earlier two-field form parses unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Localized(BTreeMap<String, String>);

impl Localized {
    /// Text in Swedish alone; other languages fall back to it.
    pub fn swedish(text: impl Into<String>) -> Self {
        Self(BTreeMap::from([(SWEDISH.to_owned(), text.into())]))
    }

    /// The same text with a translation added (or replaced). `code` must be well-formed.
    pub fn with(mut self, code: &str, text: impl Into<String>) -> Self {
        debug_assert!(is_well_formed_code(code), "bad language code {code}");
        self.0.insert(code.to_owned(), text.into());
        self
    }

    /// The Swedish text.
    pub fn sv(&self) -> &str {
        self.0.get(SWEDISH).map_or("", String::as_str)
    }

    /// The text in the language with this code, without falling back.
    pub fn in_code(&self, code: &str) -> Option<&str> {
        self.0.get(code).map(String::as_str)
    }

    /// The language codes this text is written in.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The text in `lang` together with the language it is really in, so a page can
    /// mark Swedish fallback text with `lang="sv"` inside a page in another language.
    pub fn get(&self, lang: Lang) -> (&str, Lang) {
        match self.0.get(lang.code()) {
            Some(text) if !text.trim().is_empty() => (text.as_str(), lang),
            _ => (self.sv(), Lang::default()),
        }
    }

    /// The text in `lang`, falling back to Swedish.
    pub fn text(&self, lang: Lang) -> &str {
        self.get(lang).0
    }

    pub fn is_blank(&self) -> bool {
        self.sv().trim().is_empty()
    }
}

impl<'de> Deserialize<'de> for Localized {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LocalizedVisitor;

        impl<'de> Visitor<'de> for LocalizedVisitor {
            type Value = Localized;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("texts keyed by language code, e.g. { sv = \"...\", en = \"...\" }")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Localized, A::Error> {
                let mut texts = BTreeMap::new();
                while let Some((code, text)) = map.next_entry::<String, String>()? {
                    if !is_well_formed_code(&code) {
                        return Err(de::Error::custom(format!(
                            "'{code}' is not a well-formed language code (use e.g. sv, en, ar or sr-Latn)"
                        )));
                    }
                    if texts.insert(code.clone(), text).is_some() {
                        return Err(de::Error::custom(format!(
                            "language '{code}' is given twice"
                        )));
                    }
                }
                if !texts.contains_key(SWEDISH) {
                    return Err(de::Error::custom("missing Swedish text (sv)"));
                }
                Ok(Localized(texts))
            }
        }

        deserializer.deserialize_map(LocalizedVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_languages_are_swedish_then_english_with_their_own_names() {
        let all: Vec<(&str, &str, Direction)> = Lang::all()
            .map(|l| (l.code(), l.name(), l.direction()))
            .collect();
        assert_eq!(
            all,
            [
                ("sv", "Svenska", Direction::Ltr),
                ("en", "English", Direction::Ltr)
            ]
        );
        check_languages(languages()).unwrap();
    }

    #[test]
    fn an_unknown_or_missing_code_means_swedish() {
        assert_eq!(Lang::from_param(Some("en")).code(), "en");
        assert_eq!(Lang::from_param(Some("xx")), Lang::default());
        assert_eq!(Lang::from_param(Some("")), Lang::default());
        assert_eq!(Lang::from_param(None).code(), "sv");
        assert_eq!(Lang::default().code(), SWEDISH);
    }

    #[test]
    fn well_formed_codes_follow_the_bcp47_subset() {
        for good in ["sv", "en", "ar", "fil", "sr-Latn", "pt-BR", "es-419"] {
            assert!(is_well_formed_code(good), "{good}");
        }
        for bad in [
            "", "s", "SV", "svenska", "sv_SE", "sv-", "en-x", "e1", "sv-<b>",
        ] {
            assert!(!is_well_formed_code(bad), "{bad}");
        }
    }

    #[test]
    fn the_languages_must_start_with_swedish_and_be_unique() {
        let language = |code: &str| Language {
            code: code.into(),
            name: code.into(),
            direction: Direction::Ltr,
        };
        assert_eq!(
            check_languages(&[language("en"), language("sv")]),
            Err(LanguagesError::SwedishNotFirst("en".into()))
        );
        assert_eq!(
            check_languages(&[language("sv"), language("sv")]),
            Err(LanguagesError::Duplicate("sv".into()))
        );
        assert_eq!(
            check_languages(&[language("sv"), language("EN")]),
            Err(LanguagesError::BadCode("EN".into()))
        );
    }

    #[test]
    fn text_falls_back_to_swedish_and_says_so() {
        let en = Lang::find("en").unwrap();
        let both = Localized::swedish("Hej").with("en", "Hello");
        assert_eq!(both.get(en), ("Hello", en));
        let swedish_only = Localized::swedish("Hej");
        assert_eq!(swedish_only.get(en), ("Hej", Lang::default()));
        let blank_english = Localized::swedish("Hej").with("en", " ");
        assert_eq!(blank_english.get(en), ("Hej", Lang::default()));
    }

    #[test]
    fn localized_reads_the_old_two_field_form_and_any_code() {
        let old: Localized = serde_json::from_str(r#"{"sv":"Hej","en":"Hello"}"#).unwrap();
        assert_eq!(old, Localized::swedish("Hej").with("en", "Hello"));
        assert_eq!(
            serde_json::to_string(&old).unwrap(),
            r#"{"en":"Hello","sv":"Hej"}"#
        );
        let arabic: Localized = serde_json::from_str(r#"{"sv":"Hej","ar":"مرحبا"}"#).unwrap();
        assert_eq!(arabic.in_code("ar"), Some("مرحبا"));
    }

    #[test]
    fn localized_rejects_a_bad_code_and_a_missing_swedish_text() {
        let bad = serde_json::from_str::<Localized>(r#"{"sv":"Hej","English":"Hello"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            bad.contains("'English' is not a well-formed language code"),
            "{bad}"
        );
        let no_swedish = serde_json::from_str::<Localized>(r#"{"en":"Hello"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            no_swedish.contains("missing Swedish text (sv)"),
            "{no_swedish}"
        );
    }
}
