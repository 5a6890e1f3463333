//! The workspace's domain: organisations, their access keys, the settings of a round,
//! invitation batches and the audit trail.
//!
//! Two kinds of organisation sign in: a municipality (its own rounds, invitations, counts
//! and answers) and a network of municipalities (the mapping and report rounds it sends,
//! and counts across its members; never a municipality's patient answers).

use std::fmt;

use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::{Date, OffsetDateTime};

use super::credential::{Credential, HashKey};
use super::questionnaire::Slug;

/// An organisation's short id, e.g. `kungalv` or `gr`. A municipality's organisation id is
/// its [`super::MunicipalityId`].
pub type OrganisationId = Slug;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    Municipality,
    Network,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    /// The network a municipality belongs to; `None` for a network.
    pub network: Option<OrganisationId>,
}

/// The access key's id: listed, shown in the audit trail and named in a session; it does
/// not open anything by itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccessKeyId(uuid::Uuid);

impl AccessKeyId {
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    pub fn parse(value: &str) -> Option<Self> {
        uuid::Uuid::parse_str(value).ok().map(Self)
    }
}

impl fmt::Display for AccessKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An access key as stored: never the secret, only what is listed about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: AccessKeyId,
    pub organisation: OrganisationId,
    /// Who or what the key is for, e.g. "Anna, enhetschef" or "Statistikexport".
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl AccessKey {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// The secret of an access key: `svar_` and 32 symbols of Crockford base 32 (160 bits).
/// Shown once when made; stored only as its keyed [`AccessKeyHash`]. Debug output never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessSecret(String);

const ACCESS_SECRET_PREFIX: &str = "svar_";
const ACCESS_SECRET_SYMBOLS: usize = 32;
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

impl AccessSecret {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let symbols: String = (0..ACCESS_SECRET_SYMBOLS)
            .map(|_| CROCKFORD[rng.random_range(0..CROCKFORD.len())] as char)
            .collect();
        Self(format!("{ACCESS_SECRET_PREFIX}{symbols}"))
    }

    /// Parses a key as pasted: surrounding white space is ignored, nothing else is.
    pub fn parse(typed: &str) -> Option<Self> {
        let typed = typed.trim();
        let symbols = typed.strip_prefix(ACCESS_SECRET_PREFIX)?;
        let valid = symbols.len() == ACCESS_SECRET_SYMBOLS
            && symbols.bytes().all(|b| CROCKFORD.contains(&b));
        valid.then(|| Self(typed.to_owned()))
    }

    /// The value to show once, right after the key is made.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn hash(&self, key: &HashKey) -> AccessKeyHash {
        AccessKeyHash(keyed_hash(key, b"access-key:", self.0.as_bytes()))
    }
}

impl fmt::Debug for AccessSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessSecret(..)")
    }
}

/// The keyed hash of an access key's secret, as stored and looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccessKeyHash(String);

impl AccessKeyHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

fn keyed_hash(key: &HashKey, domain: &[u8], value: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(domain);
    mac.update(value);
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}

/// Enums stored and shown by a stable snake_case name (the same as their serde name).
macro_rules! named_enum {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

named_enum!(OrganisationKind { Municipality = "municipality", Network = "network" });
named_enum!(RoundKind { Patient = "patient", Mapping = "mapping", Report = "report" });
named_enum!(RoundStatus { Planned = "planned", Open = "open", Closed = "closed" });
named_enum!(BatchKind { First = "first", Reissue = "reissue", Reminder = "reminder" });
named_enum!(AuditAction {
    SignIn = "sign_in",
    SignOut = "sign_out",
    KeyCreated = "key_created",
    KeyRevoked = "key_revoked",
    RoundCreated = "round_created",
    RoundOpened = "round_opened",
    RoundClosed = "round_closed",
    InvitationsGenerated = "invitations_generated",
    InvitationsDownloaded = "invitations_downloaded",
    InvitationsReissued = "invitations_reissued",
    RemindersMade = "reminders_made",
    QuestionnaireUploaded = "questionnaire_uploaded",
    MappingSent = "mapping_sent",
    ReportSent = "report_sent",
    ReportReopened = "report_reopened",
    ExportRequested = "export_requested",
    ExportDownloaded = "export_downloaded",
    AggregatesViewed = "aggregates_viewed",
});

/// What a round collects and from whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// A municipality's patient survey: single-use links and letters.
    Patient,
    /// The network's civil-society mapping, sent to a municipality: one multi-use link
    /// its staff answer by.
    Mapping,
    /// The network's indicator report, filled in by a municipality inside the workspace.
    Report,
}

/// Where a round is in its life. Links of a planned round say the survey has not
/// started; those of a closed round that it has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Planned,
    Open,
    Closed,
}

/// A round's period, whole days, `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    start: Date,
    end: Date,
}

impl Period {
    /// `None` when `end` is before `start`.
    pub fn new(start: Date, end: Date) -> Option<Self> {
        (start <= end).then_some(Self { start, end })
    }

    pub fn start(&self) -> Date {
        self.start
    }

    pub fn end(&self) -> Date {
        self.end
    }
}

/// A round's invitations and answers so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundCounts {
    /// Invitations made (each counts once, however many reminders it had).
    pub issued: u64,
    pub answered: u64,
}

/// A batch of invitation credentials, made together and handed out together: the first
/// letters, a reissue of a lost file, or a reminder. The credentials are derived from
/// the batch's [`BatchSecret`], which only the person who made the batch gets (in the
/// page right after, for the downloads); the store keeps its hash and each credential's
/// hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    First,
    Reissue,
    Reminder,
}

/// The secret a batch's credentials are derived from: 256 random bits. Whoever has it can
/// download the batch's CSV and letters again (as whoever has the CSV has the links), so
/// it is shown once, in the page right after the batch is made, and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct BatchSecret([u8; 32]);

impl BatchSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes[..]);
        Self(bytes)
    }

    /// As carried in a download form: 64 lower-case hex digits.
    pub fn to_text(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let bytes = data_encoding::HEXLOWER
            .decode(text.trim().as_bytes())
            .ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// What the store keeps to check a download's secret.
    pub fn hash(&self, key: &HashKey) -> String {
        keyed_hash(key, b"batch:", &self.0)
    }

    /// The link token of invitation `number` in this batch.
    pub fn link(&self, number: u32) -> Credential {
        Credential::link_from_bytes(&self.derive(b"link", number, 0))
    }

    /// The short code of invitation `number`; `attempt` > 0 only after the rare code that
    /// was already taken by another invitation.
    pub fn code(&self, number: u32, attempt: u8) -> Credential {
        Credential::code_from_bytes(&self.derive(b"code", number, attempt))
    }

    fn derive(&self, kind: &[u8], number: u32, attempt: u8) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(kind);
        mac.update(&number.to_be_bytes());
        mac.update(&[attempt]);
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for BatchSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BatchSecret(..)")
    }
}

/// What the audit trail records. Stable snake_case names: they are in the CSV and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignOut,
    KeyCreated,
    KeyRevoked,
    RoundCreated,
    RoundOpened,
    RoundClosed,
    InvitationsGenerated,
    InvitationsDownloaded,
    InvitationsReissued,
    RemindersMade,
    QuestionnaireUploaded,
    MappingSent,
    ReportSent,
    ReportReopened,
    ExportRequested,
    ExportDownloaded,
    AggregatesViewed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum AuditResult {
    Done,
    /// Refused, with a short reason in plain words (never a key, token or answer).
    Refused(String),
}

/// One append-only line of an organisation's audit trail. Never holds a key, a token or
/// an answer: `object` names what was acted on (a round id, a key's label, a count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub organisation: OrganisationId,
    /// The label of the key that acted (the key behind the session or bearer token).
    pub key_label: String,
    pub action: AuditAction,
    pub object: String,
    /// To the second.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub result: AuditResult,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_secrets_parse_back_and_hash_by_key() {
        let secret = AccessSecret::generate();
        assert_eq!(
            AccessSecret::parse(&format!(" {} \n", secret.reveal())),
            Some(secret.clone())
        );
        assert!(AccessSecret::parse("svar_short").is_none());
        assert!(AccessSecret::parse(&secret.reveal().to_uppercase()).is_none());
        let (k1, k2) = (HashKey::new(b"a".to_vec()), HashKey::new(b"b".to_vec()));
        assert_ne!(secret.hash(&k1), secret.hash(&k2));
        assert!(!format!("{secret:?}").contains(secret.reveal()));
    }

    #[test]
    fn batch_credentials_are_derived_the_same_way_every_time() {
        let secret = BatchSecret::generate();
        let again = BatchSecret::parse(&secret.to_text()).expect("round trip");
        assert_eq!(secret.link(7), again.link(7));
        assert_eq!(secret.code(7, 0), again.code(7, 0));
        assert_ne!(secret.link(7), secret.link(8));
        assert_ne!(secret.code(7, 0), secret.code(7, 1));
        assert_ne!(secret.link(7), BatchSecret::generate().link(7));
        for credential in [secret.link(1), secret.code(1, 0)] {
            assert_eq!(
                Credential::from_path(credential.path_segment()),
                Some(credential)
            );
        }
    }

    #[test]
    fn enum_names_match_their_serde_names() {
        for action in AuditAction::ALL {
            let json = serde_json::to_string(action).expect("serialises");
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
        }
        for status in RoundStatus::ALL {
            let json = serde_json::to_string(status).expect("serialises");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        for kind in RoundKind::ALL {
            let json = serde_json::to_string(kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn a_period_ends_on_or_after_its_start() {
        let day = |d| Date::from_calendar_date(2026, time::Month::March, d).expect("valid");
        assert!(Period::new(day(2), day(1)).is_none());
        assert!(Period::new(day(1), day(1)).is_some());
    }
}
