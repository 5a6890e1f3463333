//! Every text of the pages that is not part of a questionnaire, per language, read from
//! UI-strings files: the built-in `shared/ui/sv.toml` and `en.toml` (compiled in), plus
//! any `<code>.toml` in an optional folder given to [`install`]. The format, the
//! placeholders and the steps to add a string or a language: `shared/ui/README.md`.
//!
//! Each file must have every key of [`UiText`]: a missing or unknown key, or a
//! placeholder a key does not take, is a load error that names the file and the key, so a
//! half-translated language never reaches a respondent. The texts are read once per
//! process and kept for its life (`&'static str`), so pages borrow them freely.
//!
//! To add a string: add `key: [placeholders]` to the [`ui_text!`] list below and a line
//! `key = "..."` to every file in `shared/ui/` (the built-in files are checked by a test).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::domain::answers::Problem;
use crate::domain::text::{BUILTIN_UI_FILES, Lang, Language, check_languages, install_languages};
use crate::service::respondent::FormProblem;

/// Declares [`UiText`] (one `&'static str` per key) and [`KEYS`] (each key with the
/// placeholders its text may use) from one list, so the two cannot drift apart.
macro_rules! ui_text {
    ($( $(#[$doc:meta])* $key:ident: [$($placeholder:literal),*] ),* $(,)?) => {
        /// The UI strings of one language. Placeholders such as `{max}` are filled with
        /// [`fill`] when a page is rendered.
        #[derive(Debug)]
        pub struct UiText {
            $( $(#[$doc])* pub $key: &'static str, )*
        }

        /// Every key of a UI-strings file, with the placeholders its text may use.
        pub const KEYS: &[(&str, &[&str])] = &[ $( (stringify!($key), &[$($placeholder),*]), )* ];

        impl UiText {
            /// Takes every key out of a file's `[strings]` table. Texts are leaked once
            /// per process (files are read only at start) to live as long as the pages.
            fn from_table(table: &BTreeMap<String, String>) -> Self {
                let text = |key: &str| -> &'static str {
                    table.get(key).map_or("", |value| Box::leak(value.clone().into_boxed_str()))
                };
                UiText { $( $key: text(stringify!($key)), )* }
            }
        }
    };
}

ui_text! {
    /// The character between the whole and the decimals of a number (`,` in Swedish).
    decimal_separator: [],
    service_name: [],
    skip_to_content: [],
    /// The accessible name of the language switch (a `nav` landmark).
    language_switch_label: [],
    part_of: ["n", "total"],
    /// "Del 2", for a page while conditions can still add or remove pages.
    part: ["n"],
    back: [],
    next: [],
    send: [],
    required: [],
    optional: [],
    dont_know: [],
    not_applicable: [],
    yes: [],
    no: [],
    month_hint: [],
    number_hint_whole: [],
    number_hint_one_decimal: [],
    number_hint_decimals: ["decimals"],
    choose_at_most: ["max"],
    max_characters: ["max"],
    error_title_prefix: [],
    error_summary_title_one: [],
    error_summary_title_many: ["count"],
    saved_note: [],
    thanks_title: [],
    thanks_body: [],
    /// A link or code of a round that is planned, not yet open.
    round_planned_title: [],
    round_planned_body: [],
    /// The first day of the round's period, when it is still to come (`YYYY-MM-DD`).
    round_planned_starts: ["date"],
    /// A link or code of a round that is closed.
    round_closed_title: [],
    round_closed_body: [],
    not_found_title: [],
    not_found_body: [],
    code_title: [],
    code_intro: [],
    code_label: [],
    /// `{example}` is replaced by an example code that never wraps.
    code_hint: ["example"],
    code_button: [],
    code_invalid: [],
    code_unknown: [],
    too_large_title: [],
    too_large_body: [],
    unavailable_title: [],
    unavailable_body: [],
    /// The page of a post that could not be stored: press the same button again.
    not_saved_title: [],
    not_saved_body: ["button"],
    /// After too many wrong links or codes from one place.
    too_many_attempts_title: [],
    too_many_attempts_body: [],
    /// Our own fault (damaged data, a missing questionnaire): a 500.
    failed_title: [],
    failed_body: [],
    home_title: [],
    home_body: [],
    home_code_link: [],
    /// The footer of every page tied to an invitation: who is asking.
    footer_sender: ["municipality"],
    footer_contact_title: [],
    footer_privacy_title: [],
    problem_required: [],
    problem_not_an_option: [],
    problem_one_answer_only: [],
    problem_too_many_choices: ["max"],
    problem_too_long: ["max", "length"],
    problem_not_a_number: [],
    problem_too_many_decimals_whole: [],
    problem_too_many_decimals: ["decimals"],
    problem_below_min: ["min"],
    problem_above_max: ["max"],
    problem_not_a_month: [],
    problem_special_and_value: [],
    problem_part_exceeds_whole: ["whole"],
    problem_parts_exceed_whole: ["sum", "total", "whole"],
    form_invalid_utf8: [],
    form_too_many_fields: [],
    form_unknown_field: ["name"],
    form_bad_page: [],
}

impl UiText {
    /// "Det finns ett fel att rätta" or "Det finns 3 fel att rätta".
    pub fn error_summary_title(&self, count: usize) -> String {
        if count == 1 {
            self.error_summary_title_one.to_owned()
        } else {
            fill(
                self.error_summary_title_many,
                &[("count", &count.to_string())],
            )
        }
    }

    /// How to write a number with at most `decimals` decimals.
    pub fn number_hint(&self, decimals: u32) -> String {
        match decimals {
            0 => self.number_hint_whole.to_owned(),
            1 => self.number_hint_one_decimal.to_owned(),
            d => fill(self.number_hint_decimals, &[("decimals", &d.to_string())]),
        }
    }
}

/// Fills `{name}` placeholders; a placeholder without a value is left as it is (the
/// load-time check makes sure a text uses only the placeholders its key takes).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholders a text uses, or an error for an unclosed `{`.
fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| "has a '{' without a closing '}'".to_owned())?;
        found.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Ok(found)
}

/// Everything wrong with a set of UI-strings files, one line per problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UiTextError {
    pub problems: Vec<String>,
}

impl fmt::Display for UiTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UiFile {
    language: Language,
    strings: BTreeMap<String, String>,
}

/// Parses one UI-strings file and checks it against [`KEYS`]; `file` names it in errors.
fn parse_file(file: &str, source: &str) -> Result<(Language, UiText), Vec<String>> {
    let parsed: UiFile = toml::from_str(source).map_err(|e| {
        let line = e
            .span()
            .map(|span| source[..span.start.min(source.len())].matches('\n').count() + 1);
        match line {
            Some(line) => vec![format!("{file}: line {line}: {}", e.message().trim())],
            None => vec![format!("{file}: {}", e.message().trim())],
        }
    })?;
    let mut problems = Vec::new();
    for (key, allowed) in KEYS {
        match parsed.strings.get(*key) {
            None => problems.push(format!("{file}: missing key '{key}'")),
            Some(text) if text.trim().is_empty() => {
                problems.push(format!("{file}: key '{key}' is empty"));
            }
            Some(text) => match placeholders(text) {
                Err(problem) => problems.push(format!("{file}: key '{key}' {problem}")),
                Ok(used) => {
                    for name in used.iter().filter(|name| !allowed.contains(name)) {
                        let takes = if allowed.is_empty() {
                            "no placeholders".to_owned()
                        } else {
                            allowed
                                .iter()
                                .map(|a| format!("{{{a}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        problems.push(format!(
                            "{file}: key '{key}' has the placeholder {{{name}}}, but it takes {takes}"
                        ));
                    }
                }
            },
        }
    }
    for key in parsed.strings.keys() {
        if !KEYS.iter().any(|(known, _)| known == key) {
            problems.push(format!("{file}: unknown key '{key}'"));
        }
    }
    let stem = Path::new(file).file_stem().and_then(|s| s.to_str());
    if stem != Some(parsed.language.code.as_str()) {
        problems.push(format!(
            "{file}: the file of language '{}' must be named {}.toml",
            parsed.language.code, parsed.language.code
        ));
    }
    if problems.is_empty() {
        let text = UiText::from_table(&parsed.strings);
        Ok((parsed.language, text))
    } else {
        Err(problems)
    }
}

/// Reads the built-in files and every `*.toml` in `extra_dir` (in name order), and checks
/// them all, reporting every problem of every file at once.
pub fn load(extra_dir: Option<&Path>) -> Result<Vec<(Language, UiText)>, UiTextError> {
    let mut sources: Vec<(String, String)> = BUILTIN_UI_FILES
        .iter()
        .map(|(file, source)| ((*file).to_owned(), (*source).to_owned()))
        .collect();
    let mut problems = Vec::new();
    if let Some(dir) = extra_dir {
        match crate::domain::questionnaire::toml_files(dir) {
            Ok(paths) => {
                for path in paths {
                    let file = path.display().to_string();
                    match std::fs::read_to_string(&path) {
                        Ok(source) => sources.push((file, source)),
                        Err(e) => problems.push(format!("{file}: cannot read the file: {e}")),
                    }
                }
            }
            Err(e) => problems.push(format!("{}: cannot read the folder: {e}", dir.display())),
        }
    }
    let mut loaded = Vec::new();
    for (file, source) in &sources {
        match parse_file(file, source) {
            Ok(language) => loaded.push(language),
            Err(file_problems) => problems.extend(file_problems),
        }
    }
    if problems.is_empty() {
        let languages: Vec<Language> = loaded.iter().map(|(l, _)| l.clone()).collect();
        if let Err(e) = check_languages(&languages) {
            problems.push(e.to_string());
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(UiTextError { problems })
    }
}

static CATALOG: OnceLock<Vec<UiText>> = OnceLock::new();

/// Loads the built-in languages and those in `extra_dir`, and fixes them for this
/// process. Call once at start, before any page is shown; without it the process speaks
/// the built-in languages.
pub fn install(extra_dir: Option<&Path>) -> Result<(), UiTextError> {
    let already = || UiTextError {
        problems: vec![
            "the UI strings were already in use; install them before any page is shown".into(),
        ],
    };
    if CATALOG.get().is_some() {
        return Err(already());
    }
    let (languages, texts): (Vec<Language>, Vec<UiText>) = load(extra_dir)?.into_iter().unzip();
    install_languages(languages).map_err(|e| UiTextError {
        problems: vec![e.to_string()],
    })?;
    CATALOG.set(texts).map_err(|_| already())
}

fn catalog() -> &'static [UiText] {
    CATALOG.get_or_init(|| {
        // The built-in files are checked by a test, so this cannot fail in a build that passed.
        load(None)
            .unwrap_or_else(|e| panic!("the built-in UI strings are broken:\n{e}"))
            .into_iter()
            .map(|(_, text)| text)
            .collect()
    })
}

/// The UI strings of `lang`.
pub fn ui(lang: Lang) -> &'static UiText {
    let all = catalog();
    all.get(lang.index()).unwrap_or(&all[0])
}

/// A number as readers of `lang` write it (a decimal comma in Swedish).
pub fn format_number(value: f64, lang: Lang) -> String {
    format!("{value}").replace('.', ui(lang).decimal_separator)
}

/// The message shown next to a question and in the error summary.
pub fn problem_message(problem: &Problem, whole_text: Option<&str>, lang: Lang) -> String {
    let text = ui(lang);
    let n = |v: f64| format_number(v, lang);
    let whole = whole_text.unwrap_or("");
    match problem {
        Problem::Required => text.problem_required.to_owned(),
        Problem::NotAnOption => text.problem_not_an_option.to_owned(),
        Problem::OneAnswerOnly => text.problem_one_answer_only.to_owned(),
        Problem::TooManyChoices { max } => {
            fill(text.problem_too_many_choices, &[("max", &max.to_string())])
        }
        Problem::TooLong { max, length } => fill(
            text.problem_too_long,
            &[("max", &max.to_string()), ("length", &length.to_string())],
        ),
        Problem::NotANumber => text.problem_not_a_number.to_owned(),
        Problem::TooManyDecimals { decimals: 0 } => text.problem_too_many_decimals_whole.to_owned(),
        Problem::TooManyDecimals { decimals } => fill(
            text.problem_too_many_decimals,
            &[("decimals", &decimals.to_string())],
        ),
        Problem::BelowMin { min } => fill(text.problem_below_min, &[("min", &n(*min))]),
        Problem::AboveMax { max } => fill(text.problem_above_max, &[("max", &n(*max))]),
        Problem::NotAMonth => text.problem_not_a_month.to_owned(),
        Problem::SpecialAndValue => text.problem_special_and_value.to_owned(),
        Problem::PartExceedsWhole { .. } => {
            fill(text.problem_part_exceeds_whole, &[("whole", whole)])
        }
        Problem::PartsExceedWhole { sum, total, .. } => fill(
            text.problem_parts_exceed_whole,
            &[("sum", &n(*sum)), ("total", &n(*total)), ("whole", whole)],
        ),
    }
}

/// The message for a problem with the form as a whole.
pub fn form_problem_message(problem: &FormProblem, lang: Lang) -> String {
    let text = ui(lang);
    match problem {
        FormProblem::InvalidUtf8 => text.form_invalid_utf8.to_owned(),
        FormProblem::TooManyFields => text.form_too_many_fields.to_owned(),
        FormProblem::UnknownField(name) => fill(text.form_unknown_field, &[("name", name)]),
        FormProblem::BadSection | FormProblem::BadAction => text.form_bad_page.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> Lang {
        Lang::find("en").unwrap()
    }

    #[test]
    fn the_built_in_files_have_every_key_and_only_known_placeholders() {
        let loaded = load(None).unwrap();
        let codes: Vec<&str> = loaded.iter().map(|(l, _)| l.code.as_str()).collect();
        assert_eq!(codes, ["sv", "en"]);
    }

    #[test]
    fn placeholders_are_filled_and_plural_forms_are_separate_keys() {
        let sv = ui(Lang::default());
        assert_eq!(
            fill(sv.part_of, &[("n", "2"), ("total", "5")]),
            "Del 2 av 5"
        );
        assert_eq!(sv.error_summary_title(1), "Det finns ett fel att rätta");
        assert_eq!(sv.error_summary_title(3), "Det finns 3 fel att rätta");
        assert_eq!(
            ui(english()).number_hint(2),
            "Write a number with at most 2 decimals."
        );
        assert_eq!(ui(english()).number_hint(0), "Write a whole number.");
        assert_eq!(
            fill("{a} och {okänd} och {", &[("a", "1")]),
            "1 och {okänd} och {"
        );
    }

    #[test]
    fn numbers_use_the_languages_decimal_separator() {
        assert_eq!(format_number(2.5, Lang::default()), "2,5");
        assert_eq!(format_number(2.5, english()), "2.5");
        assert_eq!(
            problem_message(&Problem::BelowMin { min: 0.5 }, None, Lang::default()),
            "Talet får inte vara mindre än 0,5."
        );
        assert_eq!(
            problem_message(
                &Problem::TooLong {
                    max: 10,
                    length: 12
                },
                None,
                english()
            ),
            "The text can be at most 10 characters. It is now 12."
        );
    }

    fn swedish_file_with(from: &str, to: &str) -> String {
        let source = BUILTIN_UI_FILES[0].1;
        assert!(source.contains(from), "{from}");
        source
            .replacen(from, to, 1)
            .replace("code = \"sv\"", "code = \"fi\"")
    }

    #[test]
    fn a_missing_key_an_unknown_key_or_a_wrong_placeholder_names_the_file_and_key() {
        let missing = parse_file(
            "ui/fi.toml",
            &swedish_file_with("back = \"Tillbaka\"\n", ""),
        )
        .unwrap_err();
        assert_eq!(missing, ["ui/fi.toml: missing key 'back'"]);
        let unknown = parse_file(
            "ui/fi.toml",
            &swedish_file_with("back = \"Tillbaka\"", "back = \"Tillbaka\"\nbakat = \"x\""),
        )
        .unwrap_err();
        assert_eq!(unknown, ["ui/fi.toml: unknown key 'bakat'"]);
        let placeholder = parse_file(
            "ui/fi.toml",
            &swedish_file_with("Välj högst {max}.", "Välj högst {maximum}."),
        )
        .unwrap_err();
        assert_eq!(
            placeholder,
            ["ui/fi.toml: key 'choose_at_most' has the placeholder {maximum}, but it takes {max}"]
        );
        let misnamed =
            parse_file("ui/suomi.toml", &swedish_file_with("Nästa", "Seuraava")).unwrap_err();
        assert_eq!(
            misnamed,
            ["ui/suomi.toml: the file of language 'fi' must be named fi.toml"]
        );
    }

    #[test]
    fn a_folder_language_that_repeats_a_built_in_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("en.toml"), BUILTIN_UI_FILES[1].1).unwrap();
        let error = load(Some(dir.path())).unwrap_err();
        assert_eq!(error.problems, ["language 'en' is given twice"]);
    }
}
