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
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::store::StoreError;

mod scanner;
mod seeds;
#[cfg(test)]
mod tests;

use self::scanner::Scanner;
use self::seeds::ResponseSeed;

/// A string from the JSON: borrowed unless it had escapes to undo.
#[derive(Debug, Clone, PartialEq)]
pub struct Text<'a>(pub Cow<'a, str>);

/// Reads a [`Text`]; [`StoredForm`] hands it the strings it meets too.
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

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

/// One answer as read, borrowing from the stored text. Its serde form is
/// [`Answer`](crate::domain::Answer)'s tagged one; [`StoredForm`] reads either stored form.
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

/// An answer in either form a store keeps ([`response_body`](crate::store::response_body)):
/// a bare code, codes, number or yes/no, or tagged (every kind, as stored before); told
/// apart by the JSON value's type.
pub(super) struct StoredForm<'a>(StoredAnswer<'a>);

impl<'a> From<StoredForm<'a>> for StoredAnswer<'a> {
    fn from(StoredForm(answer): StoredForm<'a>) -> Self {
        answer
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for StoredForm<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FormVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for FormVisitor<'a> {
            type Value = StoredAnswer<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an answer")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                TextVisitor(self.0)
                    .visit_borrowed_str(v)
                    .map(StoredAnswer::Choice)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                TextVisitor(self.0).visit_str(v).map(StoredAnswer::Choice)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut codes = Vec::new();
                while let Some(code) = seq.next_element::<Text<'a>>()? {
                    codes.push(code);
                }
                Ok(StoredAnswer::Choices(codes))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(StoredAnswer::YesNo(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(StoredAnswer::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(StoredAnswer::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(StoredAnswer::Number(v as f64))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                StoredAnswer::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_any(FormVisitor(std::marker::PhantomData))
            .map(StoredForm)
    }
}

/// One response's parts that an export writes.
#[derive(Debug, Default)]
pub struct StoredRow<'a> {
    /// `YYYY-MM` of the day the response was sent.
    pub month: Cow<'a, str>,
    /// One slot per question of the reader's list (`None`: not answered, or not read).
    pub answers: Vec<Option<StoredAnswer<'a>>>,
    /// The slot of the response's questionnaire version among the export's
    /// ([`Versions`](super::Versions)); set by the caller, kept by the reads.
    pub version: usize,
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
    /// answer in a form the stores write (`"4"`, `["a","b"]`, `true`,
    /// `{"type":"text","value":"…"}`, no escapes) is taken apart in place, any other (a
    /// number, an escape, other key order or spacing) decoded by serde. A full decode took three times as long as the store's read of
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
                                serde_json::from_str::<StoredForm<'_>>(&body[start..scanner.at])
                                    .map_err(|_| start)?
                                    .into()
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
