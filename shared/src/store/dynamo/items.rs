//! Attribute conversion: building items from values and reading values back, with a
//! [`StoreError::Corrupt`] that names the attribute (never its content) when one is
//! missing or invalid.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use crate::domain::InvitationStatus;
use crate::domain::questionnaire::Slug;
use crate::store::{StoreError, StoreResult};

pub(super) type Item = HashMap<String, AttributeValue>;

/// The attribute DynamoDB's time to live deletes items by (unix seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at_epoch";

pub(super) const OPEN: &str = "open";
pub(super) const ANSWERED: &str = "answered";

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Item `base` (a key) with more attributes.
pub(super) fn item(
    mut base: Item,
    attributes: impl IntoIterator<Item = (&'static str, AttributeValue)>,
) -> Item {
    base.extend(attributes.into_iter().map(|(k, v)| (k.to_owned(), v)));
    base
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("missing or invalid {what}"))
}

/// A string attribute, or "" when there is none: for keys built here, which always have
/// both of theirs.
pub(super) fn text_of(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        _ => String::new(),
    }
}

pub(super) fn text<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(corrupt(name)),
    }
}

pub(super) fn number<T: FromStr>(item: &Item, name: &str) -> StoreResult<T> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.parse().map_err(|_| corrupt(name)),
        _ => Err(corrupt(name)),
    }
}

/// A stored `YYYY-MM-DD`.
pub(super) fn date(item: &Item, name: &str) -> StoreResult<time::Date> {
    time::Date::parse(
        text(item, name)?,
        &time::format_description::well_known::Iso8601::DATE,
    )
    .map_err(|_| corrupt(name))
}

/// Unix seconds.
pub(super) fn time_at(item: &Item, name: &str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(number(item, name)?).map_err(|_| corrupt(name))
}

/// An enum stored by its name.
pub(super) fn named<T>(item: &Item, name: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(text(item, name)?).ok_or_else(|| corrupt(name))
}

pub(super) fn slug(item: &Item, name: &str) -> StoreResult<Slug> {
    Slug::parse(text(item, name)?).map_err(|_| corrupt(name))
}

/// A slug attribute that may be absent.
pub(super) fn optional_slug(item: &Item, name: &str) -> StoreResult<Option<Slug>> {
    item.contains_key(name)
        .then(|| slug(item, name))
        .transpose()
}

pub(super) fn timestamp(item: &Item, name: &str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(number(item, name)?).map_err(|_| corrupt(name))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Parses a stored JSON attribute. The error names the place, never the content: it may
/// hold a respondent's answers.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(item: &Item, name: &str) -> StoreResult<T> {
    serde_json::from_str(text(item, name)?).map_err(|e| {
        StoreError::Corrupt(format!(
            "{name}: {:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

pub(super) fn invitation_status(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Open => OPEN,
        InvitationStatus::Answered => ANSWERED,
    }
}

pub(super) fn parse_invitation_status(item: &Item) -> StoreResult<InvitationStatus> {
    match text(item, "status")? {
        OPEN => Ok(InvitationStatus::Open),
        ANSWERED => Ok(InvitationStatus::Answered),
        _ => Err(corrupt("status")),
    }
}
