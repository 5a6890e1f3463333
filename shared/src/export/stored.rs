//! A stored response read for the export: straight from its JSON (as
//! [`ResponseStore::response_bodies_page`](crate::store::ResponseStore::response_bodies_page)
//! hands it over) into one slot per exported question, borrowing codes and texts from the
//! text.
//!
//! Why not [`Response`](crate::domain::Response): decoding one built a `BTreeMap` of
//! freshly validated slugs and `String`s, some 60 allocations per response, twice per
//! export (once per pass); that was most of an export's time (BENCHMARKS.md, "Export").
//! The export uses [`Reader::scan`], which steps over what it does not need and takes
//! the usual forms of answers apart in place; [`Reader::read`] does the same with serde
//! alone (half as fast), and is what the scan is tested against. Both read
//! `Response`'s own serde encoding; what is written from them is the same as before (the
//! export tests compare files).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::store::StoreError;

/// A string from the JSON: borrowed unless it had escapes to undo.
#[derive(Debug, Clone, PartialEq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

/// One answer as stored: the shape of [`Answer`](crate::domain::Answer)'s encoding.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum StoredAnswer<'a> {
    Choice(#[serde(borrow)] Text<'a>),
    Choices(#[serde(borrow)] Vec<Text<'a>>),
    Text(#[serde(borrow)] Text<'a>),
    Number(f64),
    YesNo(bool),
    Month(#[serde(borrow)] Text<'a>),
    DontKnow,
    NotApplicable,
}

/// One response's parts that an export writes.
#[derive(Debug, Default)]
pub struct StoredRow<'a> {
    /// `YYYY-MM` of the day the response was sent.
    pub month: Cow<'a, str>,
    /// One slot per question of the reader's list (`None`: not answered, or not read).
    pub answers: Vec<Option<StoredAnswer<'a>>>,
}

/// Reads responses for a list of questions (the layout's), decoding only the wanted ones.
#[derive(Debug, Clone)]
pub struct Reader {
    /// Question ids sorted as the stored answers are (a `BTreeMap`'s order), with their
    /// index in the list.
    sorted: Vec<(String, usize)>,
    /// By index in the list: decode this question's answer?
    wanted: Vec<bool>,
}

impl Reader {
    /// `ids`: the questions, in the order of the slots; `wanted`: which of them to decode.
    pub fn new<'i>(ids: impl IntoIterator<Item = &'i str>, wanted: Vec<bool>) -> Self {
        let mut sorted: Vec<(String, usize)> = ids
            .into_iter()
            .enumerate()
            .map(|(index, id)| (id.to_owned(), index))
            .collect();
        sorted.sort();
        Self { sorted, wanted }
    }

    /// Fills `row` from one stored response. The error names the place, never the
    /// content: it may hold answers.
    pub fn read<'a>(&self, body: &'a str, row: &mut StoredRow<'a>) -> Result<(), StoreError> {
        row.answers.clear();
        row.answers.resize(self.wanted.len(), None);
        row.month = Cow::Borrowed("");
        let mut deserializer = serde_json::Deserializer::from_str(body);
        ResponseSeed { reader: self, row }
            .deserialize(&mut deserializer)
            .and_then(|()| deserializer.end())
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "undecodable response ({:?}) at line {}, column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ))
            })
    }

    /// Fills `row` from one stored response, as [`Reader::read`] does, but by a scan of
    /// the text: the answers not wanted, and every part of the response but the answers
    /// and the day, are only stepped over (strings, nesting), never decoded; a wanted
    /// answer in the form serde writes (`{"type":"choice","value":"4"}`, no escapes) is
    /// taken apart in place, any other (a number, an escape, other key order or spacing)
    /// decoded by serde. A full decode took three times as long as the store's read of
    /// the text. It checks less than a full decode: it looks at JSON only as far as it
    /// needs to (the unit tests hold it to [`Reader::read`]).
    pub fn scan<'a>(&self, body: &'a str, row: &mut StoredRow<'a>) -> Result<(), StoreError> {
        row.answers.clear();
        row.answers.resize(self.wanted.len(), None);
        row.month = Cow::Borrowed("");
        let mut scanner = Scanner { text: body, at: 0 };
        let mut month = None;
        let found = scanner.object(|scanner, key| match key {
            "submitted_on" => {
                let start = scanner.at;
                let day = match scanner.plain_string() {
                    Some(day) => Cow::Borrowed(day),
                    None => {
                        scanner.skip_value()?;
                        let Text(day) =
                            serde_json::from_str(&body[start..scanner.at]).map_err(|_| start)?;
                        day
                    }
                };
                month = Some(month_of(day).map_err(|_| start)?);
                Ok(())
            }
            "answers" => {
                let mut from = 0;
                scanner.object(|scanner, id| match self.slot(id, &mut from) {
                    Some(slot) if self.wanted[slot] => {
                        let start = scanner.at;
                        row.answers[slot] = Some(match scanner.quick_answer() {
                            Some(answer) => answer,
                            None => {
                                scanner.skip_value()?;
                                serde_json::from_str(&body[start..scanner.at]).map_err(|_| start)?
                            }
                        });
                        Ok(())
                    }
                    _ => scanner.skip_value(),
                })
            }
            _ => scanner.skip_value(),
        });
        row.month = month.unwrap_or_default();
        if found.is_ok() && row.month.is_empty() {
            return Err(StoreError::Corrupt(
                "undecodable response: no day it was sent".into(),
            ));
        }
        found
            .and_then(|()| {
                scanner.whitespace();
                if scanner.at == body.len() {
                    Ok(())
                } else {
                    Err(scanner.at)
                }
            })
            .map_err(|at| StoreError::Corrupt(format!("undecodable response at byte {at}")))
    }

    /// The slot of question `id`. The stored answers come sorted, so the position after
    /// the last one found is tried first (`from`); a search covers any other order.
    fn slot(&self, id: &str, from: &mut usize) -> Option<usize> {
        while let Some((next, index)) = self.sorted.get(*from) {
            match next.as_str().cmp(id) {
                std::cmp::Ordering::Less => *from += 1,
                std::cmp::Ordering::Equal => {
                    *from += 1;
                    return Some(*index);
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        self.sorted
            .binary_search_by(|(other, _)| other.as_str().cmp(id))
            .ok()
            .map(|at| self.sorted[at].1)
    }
}

/// Steps through JSON text; an error is the byte offset where the text went wrong.
struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn whitespace(&mut self) {
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, taken if it is `byte`.
    fn eat(&mut self, byte: u8) -> bool {
        self.whitespace();
        if self.text.as_bytes().get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A string whose opening quote is at `self.at`; its raw text, escapes left in.
    fn string(&mut self) -> Result<&'a str, usize> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at) != Some(&b'"') {
            return Err(self.at);
        }
        let start = self.at + 1;
        let mut at = start;
        loop {
            match memchr::memchr2(b'"', b'\\', &bytes[at..]) {
                Some(offset) if bytes[at + offset] == b'"' => {
                    self.at = at + offset + 1;
                    return Ok(&self.text[start..at + offset]);
                }
                // An escape: the next byte is part of it, whatever it is.
                Some(offset) => at += offset + 2,
                None => return Err(bytes.len()),
            }
            if at > bytes.len() {
                return Err(bytes.len());
            }
        }
    }

    /// A string without escapes at `self.at`, taken; `None` (nothing taken) for any other.
    fn plain_string(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        if bytes.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let length = memchr::memchr2(b'"', b'\\', &bytes[start..])?;
        if bytes[start + length] != b'"' {
            return None;
        }
        self.at = start + length + 1;
        Some(&self.text[start..start + length])
    }

    /// Takes the literal `word` if it is next (no whitespace skipped).
    fn word(&mut self, word: &str) -> bool {
        let found = self.text[self.at..].starts_with(word);
        if found {
            self.at += word.len();
        }
        found
    }

    /// An answer exactly as serde writes it, taken apart in place; `None` (nothing taken)
    /// for a number, an escape or any other form, which serde then decodes.
    fn quick_answer(&mut self) -> Option<StoredAnswer<'a>> {
        let start = self.at;
        let answer = self.quick_answer_here();
        if answer.is_none() {
            self.at = start;
        }
        answer
    }

    fn quick_answer_here(&mut self) -> Option<StoredAnswer<'a>> {
        if !self.word("{\"type\":") {
            return None;
        }
        let kind = self.plain_string()?;
        let answer = match kind {
            "dont_know" => StoredAnswer::DontKnow,
            "not_applicable" => StoredAnswer::NotApplicable,
            _ => {
                if !self.word(",\"value\":") {
                    return None;
                }
                let text = |scanner: &mut Self| scanner.plain_string().map(|t| Text(t.into()));
                match kind {
                    "choice" => StoredAnswer::Choice(text(self)?),
                    "month" => StoredAnswer::Month(text(self)?),
                    "text" => StoredAnswer::Text(text(self)?),
                    "yes_no" if self.word("true") => StoredAnswer::YesNo(true),
                    "yes_no" if self.word("false") => StoredAnswer::YesNo(false),
                    "choices" => {
                        let mut chosen = Vec::new();
                        if !self.word("[") {
                            return None;
                        }
                        if !self.word("]") {
                            loop {
                                chosen.push(text(self)?);
                                if self.word("]") {
                                    break;
                                }
                                if !self.word(",") {
                                    return None;
                                }
                            }
                        }
                        StoredAnswer::Choices(chosen)
                    }
                    _ => return None,
                }
            }
        };
        self.word("}").then_some(answer)
    }

    /// An object; `each` is called at each member's value with the member's key (raw:
    /// a key with escapes matches no question, and none has any).
    fn object(
        &mut self,
        mut each: impl FnMut(&mut Self, &'a str) -> Result<(), usize>,
    ) -> Result<(), usize> {
        if !self.eat(b'{') {
            return Err(self.at);
        }
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.whitespace();
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.at);
            }
            self.whitespace();
            each(self, key)?;
            if self.eat(b'}') {
                return Ok(());
            }
            if !self.eat(b',') {
                return Err(self.at);
            }
        }
    }

    /// Steps over one value (after whitespace): a string, an object or array with all it
    /// holds, or a number or literal.
    fn skip_value(&mut self) -> Result<(), usize> {
        self.whitespace();
        let bytes = self.text.as_bytes();
        match bytes.get(self.at) {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                loop {
                    match bytes.get(self.at) {
                        Some(b'"') => {
                            self.string()?;
                            continue;
                        }
                        Some(b'{' | b'[') => depth += 1,
                        Some(b'}' | b']') => {
                            depth -= 1;
                            if depth == 0 {
                                self.at += 1;
                                return Ok(());
                            }
                        }
                        Some(_) => {}
                        None => return Err(self.at),
                    }
                    self.at += 1;
                }
            }
            Some(_) => {
                let start = self.at;
                while !matches!(
                    bytes.get(self.at),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.at += 1;
                }
                if self.at == start { Err(start) } else { Ok(()) }
            }
            None => Err(self.at),
        }
    }
}

struct ResponseSeed<'r, 'a> {
    reader: &'r Reader,
    row: &'r mut StoredRow<'a>,
}

impl<'de> DeserializeSeed<'de> for ResponseSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResponseSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a stored response")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let mut month = false;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            match key.as_ref() {
                "submitted_on" => {
                    let Text(day) = map.next_value::<Text<'de>>()?;
                    self.row.month = month_of(day).map_err(de::Error::custom)?;
                    month = true;
                }
                "answers" => map.next_value_seed(AnswersSeed {
                    reader: self.reader,
                    answers: &mut self.row.answers,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !month {
            return Err(de::Error::missing_field("submitted_on"));
        }
        Ok(())
    }
}

/// `YYYY-MM` of a stored day (`YYYY-MM-DD`), borrowed; any other form of a date goes
/// through [`time::Date`], as the `Response` decoding did.
fn month_of(day: Cow<'_, str>) -> Result<Cow<'_, str>, String> {
    let bytes = day.as_bytes();
    let plain = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if plain {
        return Ok(match day {
            Cow::Borrowed(day) => Cow::Borrowed(&day[..7]),
            Cow::Owned(mut day) => {
                day.truncate(7);
                Cow::Owned(day)
            }
        });
    }
    let parsed: time::Date = serde_json::from_value(serde_json::Value::String(day.into_owned()))
        .map_err(|_| "an invalid day".to_owned())?;
    Ok(Cow::Owned(format!(
        "{:04}-{:02}",
        parsed.year(),
        u8::from(parsed.month())
    )))
}

struct AnswersSeed<'r, 'a> {
    reader: &'r Reader,
    answers: &'r mut Vec<Option<StoredAnswer<'a>>>,
}

impl<'de> DeserializeSeed<'de> for AnswersSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AnswersSeed<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("answers by question")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let mut from = 0;
        while let Some(Text(id)) = map.next_key::<Text<'de>>()? {
            match self.reader.slot(&id, &mut from) {
                Some(slot) if self.reader.wanted[slot] => {
                    self.answers[slot] = Some(map.next_value()?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Answer;
    use crate::domain::questionnaire::Slug;

    fn stored(answer: &Answer) -> String {
        serde_json::to_string(answer).unwrap()
    }

    #[test]
    fn every_kind_of_answer_reads_back_as_stored() {
        let cases = [
            (
                Answer::Choice(Slug::parse("b").unwrap()),
                StoredAnswer::Choice(Text("b".into())),
            ),
            (
                Answer::Choices(vec![Slug::parse("a").unwrap(), Slug::parse("c").unwrap()]),
                StoredAnswer::Choices(vec![Text("a".into()), Text("c".into())]),
            ),
            (
                Answer::Text("\"Hej\"\n".into()),
                StoredAnswer::Text(Text("\"Hej\"\n".into())),
            ),
            (Answer::Number(2.5), StoredAnswer::Number(2.5)),
            (Answer::YesNo(false), StoredAnswer::YesNo(false)),
            (
                Answer::Month("2026-03".into()),
                StoredAnswer::Month(Text("2026-03".into())),
            ),
            (Answer::DontKnow, StoredAnswer::DontKnow),
            (Answer::NotApplicable, StoredAnswer::NotApplicable),
        ];
        for (answer, expected) in cases {
            let json = stored(&answer);
            let read: StoredAnswer<'_> = serde_json::from_str(&json).unwrap();
            assert_eq!(read, expected, "{json}");
        }
    }

    #[test]
    fn only_wanted_questions_are_read_and_any_key_order_is_found() {
        let reader = Reader::new(["b", "a", "c"], vec![true, true, false]);
        let body = r#"{"id":"x","submitted_on":"2026-03-04","answers":{
            "c":{"type":"yes_no","value":true},"zz":{"type":"dont_know"},
            "a":{"type":"choice","value":"1"},"b":{"type":"number","value":3.0}}}"#;
        let mut row = StoredRow::default();
        reader.read(body, &mut row).unwrap();
        assert_eq!(row.month, "2026-03");
        assert!(matches!(row.month, Cow::Borrowed(_)));
        assert_eq!(
            row.answers,
            vec![
                Some(StoredAnswer::Number(3.0)),
                Some(StoredAnswer::Choice(Text("1".into()))),
                None,
            ]
        );
    }

    #[test]
    fn a_scan_finds_what_a_full_read_finds() {
        let reader = Reader::new(["b", "a", "c", "d"], vec![true, true, false, true]);
        let bodies = [
            r#"{"id":"x","submitted_on":"2026-03-04","answers":{
            "c":{"type":"yes_no","value":true},"zz":{"type":"dont_know"},
            "a":{"type":"choice","value":"1"},"b":{"type":"number","value":3.0}}}"#,
            r#" { "answers" : { "a" : { "value" : "2" , "type" : "choice" } ,
            "b":{"type":"choices","value":["x","y"]}, "c":{"type":"text","value":"{\"a\":[}\\"},
            "d" : {"type":"text","value":"\"d\":{\u00e5]"} } , "submitted_on":"2026-11-30",
            "questionnaire":{"id":"q","version":2,"deep":[[{"a":"}"}]]}, "n": -1.5e3 } "#,
            r#"{"submitted_on":"2026-01-01","answers":{}}"#,
            r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"dont_know"},
            "b":{"type":"choices","value":[]},"d":{"type":"month","value":"2026-02"}}}"#,
            r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"not_applicable"},
            "b":{"type":"number","value":12},"d":{"type":"yes_no","value":false}}}"#,
            r#"{"submitted_on":"\u0032026-01-01","answers":{"a":{"type": "choice","value":"1"},
            "b":{"type":"choices","value":["x" ,"y"]},"d":{"type":"text","value":"\ud83d\ude00"}}}"#,
            r#"{"answers":{"a":{"type":"choice","value":"a\"b"}},"submitted_on":"2026-12-31"}"#,
        ];
        for body in bodies {
            let (mut read, mut scanned) = (StoredRow::default(), StoredRow::default());
            reader.read(body, &mut read).unwrap();
            reader.scan(body, &mut scanned).unwrap();
            assert_eq!(read.answers, scanned.answers, "{body}");
            assert_eq!(read.month, scanned.month, "{body}");
        }
    }

    #[test]
    fn a_damaged_body_fails_a_scan_too() {
        let reader = Reader::new(["a"], vec![true]);
        let mut row = StoredRow::default();
        for body in [
            r#"{"answers":{"a":{"type":"choice","value":"hemligt"}"#,
            r#"{"answers":{"a":{"type":"choice","value":"x}}}"#,
            r#"{"answers":{"a":{"type":"choice","value":"x"}}} x"#,
            r#"{"answers":{"a":{"type":"choice"  "value":"x"}}}"#,
            r#"{"answers":{"a":{"type":"valfritt","value":"x"}}}"#,
            r#"{"answers" {}}"#,
            r#"{"answers":{"a":{"type":"choice","value":"x"}}}"#,
            r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"choice","value":"x"}"#,
            r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"choices","value":["x",]}}}"#,
            r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"yes_no","value":tru}}}"#,
            "",
        ] {
            let error = reader.scan(body, &mut row).unwrap_err().to_string();
            assert!(!error.contains("hemligt"), "{error}");
        }
    }

    #[test]
    fn a_damaged_body_is_an_error_that_shows_no_content() {
        let reader = Reader::new(["a"], vec![true]);
        let mut row = StoredRow::default();
        for body in [
            r#"{"submitted_on":"2026-03-04","answers":{"a":{"type":"choice","value":"hemligt"}"#,
            r#"{"answers":{}}"#,
            r#"{"submitted_on":"igår","answers":{}}"#,
        ] {
            let error = reader.read(body, &mut row).unwrap_err().to_string();
            assert!(!error.contains("hemligt"), "{error}");
        }
    }
}
