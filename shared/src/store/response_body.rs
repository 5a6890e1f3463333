//! The stored form of a response: one JSON text, the same in both stores (SQLite's `body`
//! column, DynamoDB's `body` attribute).
//!
//! The answers most questions get are stored as bare JSON values: a choice as its code
//! (`"4"`), several choices as an array of codes, a number as a number, yes or no as
//! `true` / `false`. Text, a month, "Vet ej" and "Ej aktuellt" keep [`Answer`]'s tagged
//! form (`{"type":"text","value":"…"}`), so nothing typed can be taken for a code.
//!
//! Why: with every answer tagged a patient response took about 1,430 bytes, over
//! DynamoDB's 1 KB write unit (so twice the units of an item under it), and an export read and scanned 142 MB per
//! 100,000 responses; in this form about 850 bytes (BENCHMARKS.md, "Compact stored
//! answers"). Responses stored earlier, with every answer tagged, are read as before: the
//! tagged form is still understood for every kind of answer.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::{StoreError, StoreResult};
use crate::domain::questionnaire::{OptionCode, QuestionId};
use crate::domain::{Answer, Answers, MunicipalityId, QuestionnaireRef, Response};
use crate::domain::{ResponseId, RoundId};

/// The stored text of `response`.
pub fn encode(response: &Response) -> StoreResult<String> {
    serde_json::to_string(&Encoded {
        id: &response.id,
        round: &response.round,
        municipality: &response.municipality,
        questionnaire: &response.questionnaire,
        submitted_on: response.submitted_on,
        answers: &response.answers,
    })
    .map_err(|e| StoreError::Corrupt(format!("unencodable response ({:?})", e.classify())))
}

/// The response a stored text holds, in this form or the earlier, wholly tagged one. The
/// error names the place, never the content: it may hold answers.
pub fn decode(body: &str) -> StoreResult<Response> {
    let decoded: Decoded = serde_json::from_str(body).map_err(|e| {
        StoreError::Corrupt(format!(
            "undecodable response ({:?}) at line {}, column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    Ok(Response {
        id: decoded.id,
        round: decoded.round,
        municipality: decoded.municipality,
        questionnaire: decoded.questionnaire,
        submitted_on: decoded.submitted_on,
        answers: decoded.answers,
    })
}

/// [`Response`]'s fields and their order, with the answers in their stored form.
#[derive(Serialize)]
struct Encoded<'r> {
    id: &'r ResponseId,
    round: &'r RoundId,
    municipality: &'r MunicipalityId,
    questionnaire: &'r QuestionnaireRef,
    submitted_on: time::Date,
    #[serde(serialize_with = "compact_answers")]
    answers: &'r Answers,
}

fn compact_answers<S: Serializer>(answers: &&Answers, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(answers.iter().map(|(id, answer)| (id, Compact::of(answer))))
}

/// One answer as written.
#[derive(Serialize)]
#[serde(untagged)]
enum Compact<'a> {
    Choice(&'a OptionCode),
    Choices(&'a [OptionCode]),
    Number(f64),
    YesNo(bool),
    Tagged(&'a Answer),
}

impl<'a> Compact<'a> {
    fn of(answer: &'a Answer) -> Self {
        match answer {
            Answer::Choice(code) => Self::Choice(code),
            Answer::Choices(codes) => Self::Choices(codes),
            Answer::Number(number) => Self::Number(*number),
            Answer::YesNo(yes) => Self::YesNo(*yes),
            Answer::Text(_) | Answer::Month(_) | Answer::DontKnow | Answer::NotApplicable => {
                Self::Tagged(answer)
            }
        }
    }
}

#[derive(Deserialize)]
struct Decoded {
    id: ResponseId,
    round: RoundId,
    municipality: MunicipalityId,
    questionnaire: QuestionnaireRef,
    submitted_on: time::Date,
    #[serde(deserialize_with = "stored_answers")]
    answers: Answers,
}

fn stored_answers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Answers, D::Error> {
    struct AnswersVisitor;
    impl<'de> Visitor<'de> for AnswersVisitor {
        type Value = Answers;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("answers by question")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Answers, M::Error> {
            let mut answers = Answers::new();
            while let Some((id, Stored(answer))) = map.next_entry::<QuestionId, Stored>()? {
                answers.insert(id, answer);
            }
            Ok(answers)
        }
    }
    deserializer.deserialize_map(AnswersVisitor)
}

/// One answer as read: a bare value, or the tagged form (of any kind: responses stored
/// before the bare values were, have every answer tagged). A code is checked as a code.
/// By the JSON value's type, not serde's `untagged`, which buffers every value first (a
/// decode took 1.7 times as long).
struct Stored(Answer);

impl<'de> Deserialize<'de> for Stored {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StoredVisitor).map(Stored)
    }
}

struct StoredVisitor;

impl<'de> Visitor<'de> for StoredVisitor {
    type Value = Answer;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an answer")
    }
    // Errors say what was wrong, never the text: it may be an answer.
    fn visit_str<E: de::Error>(self, code: &str) -> Result<Answer, E> {
        OptionCode::parse(code)
            .map(Answer::Choice)
            .map_err(|_| E::invalid_value(Unexpected::Other("text"), &"an option code"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Answer, A::Error> {
        let mut codes = Vec::new();
        while let Some(code) = seq.next_element::<OptionCode>()? {
            codes.push(code);
        }
        Ok(Answer::Choices(codes))
    }
    fn visit_bool<E: de::Error>(self, yes: bool) -> Result<Answer, E> {
        Ok(Answer::YesNo(yes))
    }
    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Answer, E> {
        Ok(Answer::Number(number))
    }
    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Answer, E> {
        Ok(Answer::Number(number as f64))
    }
    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Answer, E> {
        Ok(Answer::Number(number as f64))
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Answer, M::Error> {
        Answer::deserialize(MapAccessDeserializer::new(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::{QuestionnaireId, Slug};

    fn slug(text: &str) -> Slug {
        Slug::parse(text).unwrap()
    }

    fn every_kind() -> Response {
        let answers: Answers = [
            ("a_choice", Answer::Choice(slug("4"))),
            ("b_choices", Answer::Choices(vec![slug("x"), slug("y_z")])),
            ("c_none_chosen", Answer::Choices(vec![])),
            ("d_text", Answer::Text("\"Hej\" 4\n".into())),
            ("e_number", Answer::Number(-2.5)),
            ("f_whole", Answer::Number(7.0)),
            ("g_yes", Answer::YesNo(true)),
            ("h_no", Answer::YesNo(false)),
            ("i_month", Answer::Month("2026-03".into())),
            ("j_dont_know", Answer::DontKnow),
            ("k_not_applicable", Answer::NotApplicable),
        ]
        .into_iter()
        .map(|(id, answer)| (QuestionId::parse(id).unwrap(), answer))
        .collect();
        Response {
            id: ResponseId::random(),
            round: RoundId::random(),
            municipality: slug("kungalv"),
            questionnaire: QuestionnaireRef {
                id: QuestionnaireId::parse("patientupplevelse").unwrap(),
                version: 3,
            },
            submitted_on: time::macros::date!(2026 - 03 - 04),
            answers,
        }
    }

    #[test]
    fn every_kind_of_answer_reads_back_as_it_was() {
        let response = every_kind();
        let body = encode(&response).unwrap();
        assert_eq!(decode(&body).unwrap(), response, "{body}");
    }

    #[test]
    fn codes_numbers_and_yes_no_are_bare_and_typed_text_stays_tagged() {
        let body = encode(&every_kind()).unwrap();
        for part in [
            r#""a_choice":"4""#,
            r#""b_choices":["x","y_z"]"#,
            r#""c_none_chosen":[]"#,
            r#""d_text":{"type":"text","value":"\"Hej\" 4\n"}"#,
            r#""e_number":-2.5"#,
            r#""g_yes":true"#,
            r#""h_no":false"#,
            r#""i_month":{"type":"month","value":"2026-03"}"#,
            r#""j_dont_know":{"type":"dont_know"}"#,
            r#""k_not_applicable":{"type":"not_applicable"}"#,
        ] {
            assert!(body.contains(part), "{part} in {body}");
        }
    }

    #[test]
    fn a_response_stored_with_every_answer_tagged_reads_as_before() {
        let response = every_kind();
        let earlier = serde_json::to_string(&response).unwrap();
        assert!(earlier.contains(r#""a_choice":{"type":"choice","value":"4"}"#));
        assert_eq!(decode(&earlier).unwrap(), response);
    }

    #[test]
    fn a_whole_number_written_without_a_point_reads_as_a_number() {
        let response = every_kind();
        let written = encode(&response).unwrap();
        let body = written.replace(r#""f_whole":7.0"#, r#""f_whole":7"#);
        assert_ne!(body, written);
        assert_eq!(decode(&body).unwrap(), response, "{body}");
    }

    #[test]
    fn a_damaged_body_is_an_error_that_shows_no_content() {
        let body = encode(&every_kind()).unwrap();
        for damaged in [
            body.replace(r#""4""#, r#""Not a code!""#),
            body.replace("-2.5", r#"{"type":"number"}"#),
            body.replace(
                r#""d_text":{"type":"text","#,
                r#""d_text":{"type":"texts","#,
            ),
            body[..body.len() - 2].to_owned(),
        ] {
            let error = decode(&damaged).unwrap_err().to_string();
            assert!(
                !error.contains("Hej") && !error.contains("Not a code"),
                "{error}"
            );
        }
    }
}
