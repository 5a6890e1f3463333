//! Reading a served page the way a browser without JavaScript would use it: is there a
//! form, which page (`_section`) is it, which fields does it ask for, and does its main
//! button send the questionnaire.
//!
//! A scan for `name="..."` attributes rather than an HTML parser: the pages are ours,
//! rendered by maud with double-quoted attributes, and the benchmark must spend as
//! little of the machine's two cores as it can on its own side.

/// The parts of a page a simulated respondent needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageForm {
    /// The hidden `_section` value, echoed back in the post.
    pub section: String,
    /// Names of the answer fields on the page (question ids), each once, in page order.
    /// The page's own controls (names starting with `_`) are left out.
    pub fields: Vec<String>,
    /// True when the page's button is `value="send"` (the last page).
    pub sends: bool,
}

/// What a 200 page is to a respondent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// A page with a form to fill in.
    Form(PageForm),
    /// A page without a form: after sending, the thank-you page.
    NoForm,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("the form has no _section field")]
    MissingSection,
}

/// Reads a page's form.
pub fn read_page(html: &str) -> Result<Page, PageError> {
    let Some(form_start) = html.find("<form") else {
        return Ok(Page::NoForm);
    };
    let form = &html[form_start..];
    let form = form.find("</form>").map_or(form, |end| &form[..end]);
    let mut section = None;
    let mut fields: Vec<String> = Vec::new();
    for (name, rest) in attributes_named(form) {
        if name == "_section" {
            section = attribute(tag_of(rest), "value").map(str::to_owned);
        } else if !name.starts_with('_') && !fields.iter().any(|f| f == name) {
            fields.push(name.to_owned());
        }
    }
    Ok(Page::Form(PageForm {
        section: section.ok_or(PageError::MissingSection)?,
        fields,
        sends: form.contains(r#"value="send""#),
    }))
}

/// Every `name="..."` in `html`, with the text that follows it (the rest of its tag).
fn attributes_named(html: &str) -> impl Iterator<Item = (&str, &str)> {
    const NEEDLE: &str = r#" name=""#;
    let mut rest = html;
    std::iter::from_fn(move || {
        let at = rest.find(NEEDLE)? + NEEDLE.len();
        let end = rest[at..].find('"')? + at;
        let name = &rest[at..end];
        rest = &rest[end + 1..];
        Some((name, rest))
    })
}

/// The rest of a tag: up to its closing `>`.
fn tag_of(rest: &str) -> &str {
    rest.find('>').map_or(rest, |end| &rest[..end])
}

/// The value of a double-quoted attribute in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')? + at;
    Some(&tag[at..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_survey_page_gives_its_section_fields_and_button() {
        let html = r#"<html><body><h1>Om dig</h1><form method="post" novalidate><input type="hidden" name="_section" value="2"><input type="hidden" name="_lang" value="sv"><fieldset class="question"><input type="radio" id="q-vem-0" name="vem" value="a"><input type="radio" id="q-vem-1" name="vem" value="b"></fieldset><textarea id="q-t" name="ovrigt" rows="5"></textarea><div class="buttons"><button class="primary" type="submit" name="_action" value="send">Skicka</button><button class="secondary" type="submit" name="_action" value="back">Tillbaka</button></div></form></body></html>"#;
        assert_eq!(
            read_page(html),
            Ok(Page::Form(PageForm {
                section: "2".into(),
                fields: vec!["vem".into(), "ovrigt".into()],
                sends: true,
            }))
        );
    }

    #[test]
    fn a_next_page_does_not_send() {
        let html = r#"<form method="post"><input type="hidden" name="_section" value="0"><button type="submit" name="_action" value="next">Nästa</button></form>"#;
        let Ok(Page::Form(form)) = read_page(html) else {
            panic!("a form was expected");
        };
        assert!(!form.sends);
        assert!(form.fields.is_empty());
    }

    #[test]
    fn a_page_without_a_form_is_the_end() {
        assert_eq!(read_page("<html><h1>Tack!</h1></html>"), Ok(Page::NoForm));
    }

    #[test]
    fn a_form_without_a_section_is_an_error() {
        assert_eq!(
            read_page(r#"<form method="post"><input name="x"></form>"#),
            Err(PageError::MissingSection)
        );
    }
}
