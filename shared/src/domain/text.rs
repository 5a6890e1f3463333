//! Languages and translated text.
//!
//! Swedish is the service's first language: every text must exist in Swedish and
//! falls back to Swedish where an English translation is missing.

use serde::{Deserialize, Serialize};

/// A language the pages can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    /// Parses the `lang` query or form value; anything unknown means Swedish.
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some("en") => Lang::En,
            _ => Lang::Sv,
        }
    }

    /// The BCP 47 code for `lang` attributes and query strings.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// The other language, for the visible language switch.
    pub fn other(self) -> Self {
        match self {
            Lang::Sv => Lang::En,
            Lang::En => Lang::Sv,
        }
    }
}

/// Text with a required Swedish and an optional English version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub sv: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Localized {
    /// Text in Swedish alone; other languages fall back to it.
    pub fn swedish(text: impl Into<String>) -> Self {
        Self {
            sv: text.into(),
            en: None,
        }
    }

    /// The text in `lang` together with the language it is really in, so a page can
    /// mark Swedish fallback text with `lang="sv"` inside an English page.
    pub fn get(&self, lang: Lang) -> (&str, Lang) {
        match (lang, &self.en) {
            (Lang::En, Some(en)) => (en.as_str(), Lang::En),
            _ => (self.sv.as_str(), Lang::Sv),
        }
    }

    /// The text in `lang`, falling back to Swedish.
    pub fn text(&self, lang: Lang) -> &str {
        self.get(lang).0
    }

    pub fn is_blank(&self) -> bool {
        self.sv.trim().is_empty()
    }
}
