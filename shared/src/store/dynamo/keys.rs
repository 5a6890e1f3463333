//! Item keys: which table an item lives in, and its `pk`/`sk`.
//!
//! The partition key's prefix names the kind of item. The prefixes are public because the
//! template's IAM conditions (`dynamodb:LeadingKeys`) are written in terms of them, and
//! `tests/template` checks the two agree. Kinds a function may write have a partition
//! prefix of their own, so a condition on the prefix is a condition on the kind: that is
//! why responses are not under their round's `R#` partition.

use super::items::{Item, s};
use crate::domain::questionnaire::QuestionnaireId;
use crate::domain::{
    ClientKey, CredentialHash, InvitationId, MunicipalityId, OrganisationId, RoundId,
};

// ---- the responses table (point-in-time recovery on)
/// A questionnaire version: `Q#<id>` / `V#<version>`.
pub const QUESTIONNAIRE_PREFIX: &str = "Q#";
/// A municipality: `M#<id>` / `META`.
pub const MUNICIPALITY_PREFIX: &str = "M#";
/// A round: `R#<id>` / `META`.
pub const ROUND_PREFIX: &str = "R#";
/// A round's responses: `RESP#<round id>` / `<response id>`.
pub const RESPONSES_PREFIX: &str = "RESP#";
/// One shard of a round's response counter: `COUNT#<round id>#<shard>` / `COUNT`.
pub const COUNTER_PREFIX: &str = "COUNT#";

/// A network's send: `NS#<network>` / `S#<send id>`.
pub const NETWORK_SEND_PREFIX: &str = "NS#";
/// A mapping round's multi-use link: `ML#<round id>` / `META`.
pub const MAPPING_LINK_PREFIX: &str = "ML#";
/// A mapping link's token hash, naming its round: `MH#<keyed hash>` / `META`.
pub const MAPPING_HASH_PREFIX: &str = "MH#";
/// A report round's report: `REP#<round id>` / `META`.
pub const REPORT_PREFIX: &str = "REP#";
/// When a network last reminded a round's municipality: `REM#<round id>` / `META`.
pub const REMINDER_PREFIX: &str = "REM#";
/// A network's uploaded questionnaire: `UQ#<network>` / `<id>#V<version>`.
pub const UPLOAD_PREFIX: &str = "UQ#";

// ---- the invitations table (no backups, time to live)
/// An invitation (`I#<id>` / `META`) and its draft (`I#<id>` / `DRAFT`).
pub const INVITATION_PREFIX: &str = "I#";
/// A credential: `C#<keyed hash of a link token or short code>` / `C`.
pub const CREDENTIAL_PREFIX: &str = "C#";
/// Failed look-ups of one client in one minute: `G#<client key>` / `M#<minute>`.
pub const GUESS_PREFIX: &str = "G#";

/// How many items a round's response counter is split over. Each submission adds 1 to
/// one of them, picked at random, so concurrent submissions to one round rarely write the
/// same item (one item takes at most 1,000 writes a second); a count reads all of them.
pub const COUNTER_SHARDS: u8 = 16;

const META: &str = "META";
const DRAFT: &str = "DRAFT";
const CREDENTIAL: &str = "C";
const COUNTER: &str = "COUNT";

fn key(pk: String, sk: impl Into<String>) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

pub(super) fn questionnaire(id: &QuestionnaireId, version: u32) -> Item {
    // Zero-padded so versions sort numerically, should they ever be listed.
    key(
        format!("{QUESTIONNAIRE_PREFIX}{id}"),
        format!("V#{version:010}"),
    )
}

pub(super) fn municipality(id: &MunicipalityId) -> Item {
    key(format!("{MUNICIPALITY_PREFIX}{id}"), META)
}

pub(super) fn round(id: &RoundId) -> Item {
    key(format!("{ROUND_PREFIX}{id}"), META)
}

/// The partition that holds a round's responses.
pub(super) fn responses_partition(round: &RoundId) -> String {
    format!("{RESPONSES_PREFIX}{round}")
}

pub(super) fn response(round: &RoundId, response: &str) -> Item {
    key(responses_partition(round), response)
}

/// Shard `shard` (0 to [`COUNTER_SHARDS`] - 1) of a round's counter. Each shard is its
/// own partition, so DynamoDB can spread a busy round's shards over several partitions.
pub(super) fn counter_shard(round: &RoundId, shard: u8) -> Item {
    key(format!("{COUNTER_PREFIX}{round}#{shard:02}"), COUNTER)
}

pub(super) fn invitation(id: &InvitationId) -> Item {
    key(format!("{INVITATION_PREFIX}{id}"), META)
}

pub(super) fn draft(invitation: &InvitationId) -> Item {
    key(format!("{INVITATION_PREFIX}{invitation}"), DRAFT)
}

pub(super) fn credential(hash: &CredentialHash) -> Item {
    key(format!("{CREDENTIAL_PREFIX}{}", hash.as_str()), CREDENTIAL)
}

pub(super) fn guess(client: &ClientKey, minute: i64) -> Item {
    // Zero-padded so a range of minutes is a range of sort keys.
    key(
        format!("{GUESS_PREFIX}{}", client.as_str()),
        format!("M#{minute:012}"),
    )
}

/// The partition of a network's sends.
pub(super) fn network_sends(network: &OrganisationId) -> String {
    format!("{NETWORK_SEND_PREFIX}{network}")
}

pub(super) fn network_send(network: &OrganisationId, send: &RoundId) -> Item {
    key(network_sends(network), format!("S#{send}"))
}

pub(super) fn mapping_link(round: &RoundId) -> Item {
    key(format!("{MAPPING_LINK_PREFIX}{round}"), META)
}

pub(super) fn mapping_hash(hash: &CredentialHash) -> Item {
    key(format!("{MAPPING_HASH_PREFIX}{}", hash.as_str()), META)
}

pub(super) fn report(round: &RoundId) -> Item {
    key(format!("{REPORT_PREFIX}{round}"), META)
}

pub(super) fn reminder(round: &RoundId) -> Item {
    key(format!("{REMINDER_PREFIX}{round}"), META)
}

/// The partition of a network's uploaded questionnaires.
pub(super) fn uploads(network: &OrganisationId) -> String {
    format!("{UPLOAD_PREFIX}{network}")
}

pub(super) fn upload(network: &OrganisationId, id: &QuestionnaireId, version: u32) -> Item {
    key(uploads(network), format!("{id}#V{version:010}"))
}
