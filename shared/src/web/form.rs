//! Decoding a posted survey page (`application/x-www-form-urlencoded`).
//!
//! Hand-rolled on top of `percent-encoding` rather than `serde_urlencoded`, because a
//! page must survive any body: invalid UTF-8 is decoded lossily and reported, repeated
//! names (checkboxes) are kept, and nothing here can panic.

use percent_encoding::percent_decode;

use crate::domain::RawAnswers;
use crate::domain::text::Lang;
use crate::service::respondent::{FormProblem, PageAction, PagePost};

/// The most fields one page may send; a real page sends far fewer.
pub const MAX_FIELDS: usize = 1000;

/// Field names the pages use for their own controls; question ids never start with `_`.
pub const FIELD_SECTION: &str = "_section";
pub const FIELD_ACTION: &str = "_action";
pub const FIELD_LANG: &str = "_lang";

/// A decoded page: the post for the service and the language to answer in.
#[derive(Debug, Clone, PartialEq)]
pub struct PageForm {
    pub post: PagePost,
    pub lang: Lang,
}

/// Decodes a form body. Never fails: problems are collected for the page to show.
pub fn decode_page_form(body: &[u8]) -> PageForm {
    let mut lang = Lang::default();
    let mut form = PagePost {
        section: None,
        action: None,
        answers: RawAnswers::new(),
        problems: Vec::new(),
    };
    let mut invalid_utf8 = false;
    for (count, pair) in body
        .split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if count == MAX_FIELDS {
            form.problems.push(FormProblem::TooManyFields);
            break;
        }
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode_component(name, &mut invalid_utf8);
        let value = decode_component(value, &mut invalid_utf8);
        match name.as_str() {
            FIELD_SECTION => form.section = value.trim().parse().ok(),
            FIELD_ACTION => {
                form.action = match value.as_str() {
                    "back" => Some(PageAction::Back),
                    "next" => Some(PageAction::Next),
                    "send" => Some(PageAction::Send),
                    _ => None,
                }
            }
            FIELD_LANG => lang = Lang::from_param(Some(value.as_str())),
            _ => form.answers.entry(name).or_default().push(value),
        }
    }
    if invalid_utf8 {
        form.problems.insert(0, FormProblem::InvalidUtf8);
    }
    if form.section.is_none() {
        form.problems.push(FormProblem::BadSection);
    }
    if form.action.is_none() {
        form.problems.push(FormProblem::BadAction);
    }
    PageForm { post: form, lang }
}

fn decode_component(raw: &[u8], invalid_utf8: &mut bool) -> String {
    let with_spaces: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_decode(&with_spaces).collect();
    match String::from_utf8(bytes) {
        // Browsers send line breaks as CRLF; store them as LF.
        Ok(text) => text.replace("\r\n", "\n"),
        Err(error) => {
            *invalid_utf8 = true;
            String::from_utf8_lossy(error.as_bytes()).replace("\r\n", "\n")
        }
    }
}

/// The short-code form of `/kod`. Its shape is checked with `validator`; whether the code
/// is well formed and known is decided by [`crate::domain::Credential::from_typed_code`]
/// and the store. (Survey pages are checked by the questionnaire's own rules instead,
/// which are data, not a struct known at compile time.)
#[derive(Debug, Clone, PartialEq, Eq, validator::Validate)]
pub struct CodeForm {
    /// Room for a code typed with spaces and dashes, and no more.
    #[validate(length(min = 1, max = 40))]
    pub kod: String,
    pub lang: Lang,
}

/// Decodes the short-code form of `/kod`: its `kod` and `_lang` fields.
pub fn decode_code_form(body: &[u8]) -> CodeForm {
    let mut invalid_utf8 = false;
    let mut form = CodeForm {
        kod: String::new(),
        lang: Lang::default(),
    };
    for pair in body.split(|b| *b == b'&').take(MAX_FIELDS) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        match decode_component(name, &mut invalid_utf8).as_str() {
            "kod" => form.kod = decode_component(value, &mut invalid_utf8),
            FIELD_LANG => {
                form.lang =
                    Lang::from_param(Some(decode_component(value, &mut invalid_utf8).as_str()))
            }
            _ => {}
        }
    }
    form
}

/// One parameter of a query string (`del`, `lang`), decoded leniently.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let mut invalid_utf8 = false;
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_component(key.as_bytes(), &mut invalid_utf8) == name)
            .then(|| decode_component(value.as_bytes(), &mut invalid_utf8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_decodes_with_repeated_names() {
        let PageForm { post: form, lang } =
            decode_page_form(b"_section=2&_action=next&_lang=en&q=a&q=b&t=hej+d%C3%A5%0D%0Aja");
        assert_eq!(lang.code(), "en");
        assert_eq!(form.section, Some(2));
        assert_eq!(form.action, Some(PageAction::Next));
        assert_eq!(form.answers["q"], vec!["a", "b"]);
        assert_eq!(form.answers["t"], vec!["hej då\nja"]);
        assert!(form.problems.is_empty());
    }

    #[test]
    fn invalid_utf8_is_reported_and_kept_lossily() {
        let form = decode_page_form(b"_section=0&_action=next&t=%FF%FEabc").post;
        assert_eq!(form.problems, vec![FormProblem::InvalidUtf8]);
        assert!(form.answers["t"][0].ends_with("abc"));
    }
}
