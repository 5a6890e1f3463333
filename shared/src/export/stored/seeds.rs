//! The serde decode of [`Reader::read`](super::Reader::read): only the day and the wanted
//! answers are decoded; the scan is tested against it.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Reader, StoredAnswer, StoredForm, StoredRow, Text, month_of};

pub(super) struct ResponseSeed<'r, 'a> {
    pub(super) reader: &'r Reader,
    pub(super) row: &'r mut StoredRow<'a>,
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
                    self.answers[slot] = Some(map.next_value::<StoredForm<'de>>()?.into());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}
