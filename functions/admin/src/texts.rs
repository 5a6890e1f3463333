//! The workspace's texts, kept out of the code: one TOML file per area in `texts/sv/`,
//! each a `[table]` of `key = "text"`; a text is named `area.key`, e.g. `t("rounds.title")`.
//!
//! The workspace is in Swedish (its users are the staff of Swedish municipalities); the
//! files are per language so that another can be added beside them. A test checks that
//! every `t("...")` in the code has its text, so a missing one is a test failure; at run
//! time a missing text shows its name instead of failing the page.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The area files, compiled in. An area is added here and as a file.
const SWEDISH: &[(&str, &str)] = &[
    ("common", include_str!("../texts/sv/common.toml")),
    ("auth", include_str!("../texts/sv/auth.toml")),
    ("keys", include_str!("../texts/sv/keys.toml")),
    ("rounds", include_str!("../texts/sv/rounds.toml")),
    ("audit", include_str!("../texts/sv/audit.toml")),
    ("network", include_str!("../texts/sv/network.toml")),
    ("api", include_str!("../texts/sv/api.toml")),
    ("invitations", include_str!("../texts/sv/invitations.toml")),
    ("letters", include_str!("../texts/sv/letters.toml")),
    ("rates", include_str!("../texts/sv/rates.toml")),
    ("exports", include_str!("../texts/sv/exports.toml")),
    ("comparison", include_str!("../texts/sv/comparison.toml")),
];

fn table() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all = HashMap::new();
        for (area, source) in SWEDISH {
            // A broken built-in file is caught by the tests below; here it only means
            // its texts show by name.
            let parsed: HashMap<String, String> = toml::from_str(source).unwrap_or_default();
            for (key, text) in parsed {
                all.insert(format!("{area}.{key}"), &*Box::leak(text.into_boxed_str()));
            }
        }
        all
    })
}

/// The text named `key` (`area.key`); the name itself if there is none.
pub fn t(key: &'static str) -> &'static str {
    table().get(key).copied().unwrap_or(key)
}

/// The text named `key` with each `{name}` replaced by its value.
pub fn tf(key: &'static str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut text = t(key).to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_area_file_parses_as_a_table_of_texts() {
        for (area, source) in SWEDISH {
            let parsed: Result<HashMap<String, String>, _> = toml::from_str(source);
            assert!(parsed.is_ok(), "texts/sv/{area}.toml: {parsed:?}");
        }
    }

    /// Every `t("...")` and `tf("...", ...)` in the crate's source names a text that exists.
    #[test]
    fn every_text_the_code_names_exists() {
        let mut missing = Vec::new();
        let mut files = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("readable source folder") {
                    files.push(entry.expect("a folder entry").path());
                }
                continue;
            }
            // This file names texts only as examples (in its docs and this test).
            if path.extension().is_none_or(|ext| ext != "rs") || path.ends_with("texts.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("readable source");
            for start in ["t(\"", "tf(\""] {
                for (at, _) in source.match_indices(start) {
                    let rest = &source[at + start.len()..];
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    if key.contains('.') && !table().contains_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "texts missing in texts/sv/: {missing:#?}"
        );
    }
}
