//! What a simulated respondent types: one valid answer for every field on a page, picked
//! from the questionnaire the library parses, and the form body that carries them.
//!
//! The answers take the usual path through the patient survey: the first option of
//! every choice (for `vem_svarar` that is "the patient answers alone", so the page for
//! helpers stays hidden), "ja" for yes/no, a short text, the smallest allowed number
//! and a fixed month.

use svar_shared::domain::questionnaire::{Question, QuestionKind, Questionnaire, YES};

use crate::page::PageForm;

/// The short text typed into every free-text field.
pub const TEXT_ANSWER: &str = "Bra, tack.";
/// The month typed into every month field.
pub const MONTH_ANSWER: &str = "2026-03";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("the page asks for '{0}', which is not a question of the questionnaire")]
    UnknownField(String),
}

/// One valid answer to a question, as typed into the form.
pub fn answer_for(question: &Question) -> String {
    match &question.kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options, .. } => {
            options
                .first()
                .map_or_else(String::new, |o| o.code.to_string())
        }
        QuestionKind::YesNo => YES.to_owned(),
        QuestionKind::Text { .. } => TEXT_ANSWER.to_owned(),
        QuestionKind::Number {
            decimals, min, max, ..
        } => {
            let value = min.unwrap_or(0.0).max(0.0);
            let value = max.map_or(value, |max| value.min(max));
            format!("{value:.0$}", *decimals as usize)
        }
        QuestionKind::Month => MONTH_ANSWER.to_owned(),
    }
}

/// The `application/x-www-form-urlencoded` body that answers `form` and presses its
/// main button (Next, or Send on the last page).
pub fn page_body(questionnaire: &Questionnaire, form: &PageForm) -> Result<String, FillError> {
    let action = if form.sends { "send" } else { "next" };
    let mut body = format!(
        "_section={}&_lang=sv&_action={action}",
        encode(&form.section)
    );
    for name in &form.fields {
        let question = questionnaire
            .question(name)
            .ok_or_else(|| FillError::UnknownField(name.clone()))?;
        body.push('&');
        body.push_str(&encode(name));
        body.push('=');
        body.push_str(&encode(&answer_for(question)));
    }
    Ok(body)
}

/// Form encoding: unreserved bytes as they are, space as `+`, everything else as `%XX`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use svar_shared::domain::RawAnswers;
    use svar_shared::domain::answers::{validate_all, validate_section, visible_sections};
    use svar_shared::domain::questionnaire::{self, PATIENT_SURVEY_ID};

    fn patient_survey() -> Questionnaire {
        questionnaire::builtin()
            .expect("the built-in questionnaires parse")
            .into_iter()
            .find(|q| q.id.as_str() == PATIENT_SURVEY_ID)
            .expect("the patient survey is built in")
    }

    /// Walks the questionnaire as the server would show it, answering each shown page.
    fn walk(questionnaire: &Questionnaire) -> (RawAnswers, Vec<usize>) {
        let mut raw = RawAnswers::new();
        let mut place = 0;
        loop {
            let visible = visible_sections(questionnaire, &raw);
            let Some(&index) = visible.get(place) else {
                return (raw, visible);
            };
            let section = &questionnaire.sections[index];
            for question in &section.questions {
                raw.insert(question.id.to_string(), vec![answer_for(question)]);
            }
            assert!(
                validate_section(questionnaire, section, &raw).is_ok(),
                "the answers to section {} are valid",
                section.id
            );
            place += 1;
        }
    }

    #[test]
    fn every_built_in_questionnaire_is_answered_validly() {
        for questionnaire in questionnaire::builtin().expect("the built-ins parse") {
            let (raw, _) = walk(&questionnaire);
            assert!(
                validate_all(&questionnaire, &raw).is_ok(),
                "{} is answered validly",
                questionnaire.id
            );
        }
    }

    #[test]
    fn the_patient_survey_takes_the_usual_path_of_five_pages() {
        let survey = patient_survey();
        let (raw, visible) = walk(&survey);
        assert_eq!(raw["vem_svarar"], vec!["patient"]);
        assert_eq!(visible.len(), 5, "the page for helpers stays hidden");
    }

    #[test]
    fn a_body_answers_every_field_and_presses_the_main_button() {
        let survey = patient_survey();
        let form = PageForm {
            section: "4".into(),
            fields: vec!["helhet_betyg".into(), "helhet_ovrigt".into()],
            sends: true,
        };
        assert_eq!(
            page_body(&survey, &form),
            Ok("_section=4&_lang=sv&_action=send&helhet_betyg=1&helhet_ovrigt=Bra%2C+tack.".into())
        );
    }

    #[test]
    fn a_field_that_is_no_question_is_reported() {
        let form = PageForm {
            section: "0".into(),
            fields: vec!["nonsense".into()],
            sends: false,
        };
        assert_eq!(
            page_body(&patient_survey(), &form),
            Err(FillError::UnknownField("nonsense".into()))
        );
    }
}
