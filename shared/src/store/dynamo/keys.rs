//! Item keys: which table an item lives in, and its `pk`/`sk`.
//!
//! The partition key's prefix names the kind of item. The prefixes are public because the
//! template's IAM conditions (`dynamodb:LeadingKeys`) are written in terms of them, and
//! `tests/template` checks the two agree. Kinds a function may write have a partition
//! prefix of their own, so a condition on the prefix is a condition on the kind: that is
//! why responses are not under their round's `R#` partition. No prefix starts another
//! (`M#` does not start `MR#`), so the pattern `<prefix>*` matches one kind only.
//!
//! Responses table: `Q#`, `M#`, `R#`, `RESP#`, `COUNT#` and the workspace's `ORG#`, `AK#`,
//! `KEY#`, `OK#`, `MR#`, `NR#`, `AU#`. Invitations table: `I#`, `C#`, `G#`, the
//! workspace's `RI#`, `RB#` and the export jobs' `EJ#`.

use super::items::{Item, s, text_of};
use crate::domain::questionnaire::QuestionnaireId;
use crate::domain::{
    AccessKeyHash, AccessKeyId, BatchId, ClientKey, CredentialHash, ExportJobId, InvitationId,
    MunicipalityId, OrganisationId, RoundId,
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
/// One shard of a round's response counter: `COUNT#<round id>#<shard>` / `COUNT`, and
/// the same shard's responses per day of submission, `COUNT#<round id>#<shard>` /
/// `D#<YYYY-MM-DD>`.
pub const COUNTER_PREFIX: &str = "COUNT#";
/// The organisations, all in one partition so that listing them is one `Query`:
/// `ORG#all` / `<organisation id>`.
pub const ORGANISATION_PREFIX: &str = "ORG#";
/// An access key by the keyed hash of its secret (signing in, bearer tokens):
/// `AK#<hash>` / `AK`.
pub const ACCESS_KEY_HASH_PREFIX: &str = "AK#";
/// An access key by id (a session checks its key): `KEY#<key id>` / `META`.
pub const ACCESS_KEY_PREFIX: &str = "KEY#";
/// An organisation's access keys, oldest to newest: `OK#<organisation id>` /
/// `<created at, 12 digits>#<nanoseconds of the wall clock, 20 digits>#<key id>`.
pub const ORGANISATION_KEYS_PREFIX: &str = "OK#";
/// A municipality's rounds (its own and those sent to it), oldest to newest:
/// `MR#<municipality id>` / `<created at, 12 digits>#<round id>`.
pub const MUNICIPALITY_ROUNDS_PREFIX: &str = "MR#";
/// The rounds a network sent: `NR#<network id>` / `<created at, 12 digits>#<round id>`.
pub const NETWORK_ROUNDS_PREFIX: &str = "NR#";
/// An organisation's audit trail, oldest to newest: `AU#<organisation id>` /
/// `<at, 12 digits>#<nanoseconds of the wall clock, 20 digits>#<random>`.
pub const AUDIT_PREFIX: &str = "AU#";

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
/// A round's invitations by running number: `RI#<round id>` /
/// `N#<number, 10 digits>#<invitation id>` (the id too, as invitations made one by one may
/// share a number).
pub const ROUND_INVITATIONS_PREFIX: &str = "RI#";
/// A round's invitation batches: `RB#<round id>` / `<batch id>`.
pub const ROUND_BATCHES_PREFIX: &str = "RB#";

/// An organisation's export jobs (`EJ#<organisation id>` / `J#<job id>`) and the locks
/// of its active jobs, one per dedupe key (`EJ#<organisation id>` / `A#<dedupe key>`):
/// one partition per organisation, so a role can be scoped to one organisation's jobs by
/// that exact partition key in `dynamodb:LeadingKeys`.
pub const EXPORT_JOBS_PREFIX: &str = "EJ#";

/// How many items a round's response counter is split over. Each submission adds 1 to
/// one of them, picked at random, so concurrent submissions to one round rarely write the
/// same item (one item takes at most 1,000 writes a second); a count reads all of them.
pub const COUNTER_SHARDS: u8 = 16;

const META: &str = "META";
const DRAFT: &str = "DRAFT";
const CREDENTIAL: &str = "C";
const COUNTER: &str = "COUNT";
const ACCESS_KEY: &str = "AK";
const ALL: &str = "all";
/// The sort key prefix of a counter shard's day items.
pub(super) const DAY: &str = "D#";
/// The sort key prefix of a round's invitation numbers.
pub(super) const NUMBER: &str = "N#";

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

/// The day items of counter shard `shard`: the partition and the sort key of `day`.
pub(super) fn answered_on(round: &RoundId, shard: u8, day: time::Date) -> Item {
    let shard_key = counter_shard(round, shard);
    key(text_of(&shard_key, "pk"), format!("{DAY}{day}"))
}

pub(super) fn organisations_partition() -> String {
    format!("{ORGANISATION_PREFIX}{ALL}")
}

pub(super) fn organisation(id: &OrganisationId) -> Item {
    key(organisations_partition(), id.as_str())
}

pub(super) fn access_key_by_hash(hash: &AccessKeyHash) -> Item {
    key(
        format!("{ACCESS_KEY_HASH_PREFIX}{}", hash.as_str()),
        ACCESS_KEY,
    )
}

pub(super) fn access_key(id: &AccessKeyId) -> Item {
    key(format!("{ACCESS_KEY_PREFIX}{id}"), META)
}

pub(super) fn organisation_keys_partition(organisation: &OrganisationId) -> String {
    format!("{ORGANISATION_KEYS_PREFIX}{organisation}")
}

/// Sort keys start with the time, zero-padded, so a partition reads in time order;
/// `sort_key` is the one [`organisation_key_sort_key`] made.
pub(super) fn organisation_key(organisation: &OrganisationId, sort_key: String) -> Item {
    key(organisation_keys_partition(organisation), sort_key)
}

/// Keys made in the same second keep the order they were made in (as far as the clocks
/// of the writers agree).
pub(super) fn organisation_key_sort_key(
    created_at: i64,
    written: u128,
    id: &AccessKeyId,
) -> String {
    format!("{created_at:012}#{written:020}#{id}")
}

pub(super) fn municipality_rounds_partition(municipality: &MunicipalityId) -> String {
    format!("{MUNICIPALITY_ROUNDS_PREFIX}{municipality}")
}

pub(super) fn network_rounds_partition(network: &OrganisationId) -> String {
    format!("{NETWORK_ROUNDS_PREFIX}{network}")
}

/// A round's entry in a list of rounds (`partition` from one of the two functions above).
pub(super) fn listed_round(partition: String, created_at: i64, round: &RoundId) -> Item {
    key(partition, format!("{created_at:012}#{round}"))
}

pub(super) fn audit_partition(organisation: &OrganisationId) -> String {
    format!("{AUDIT_PREFIX}{organisation}")
}

pub(super) fn round_invitations_partition(round: &RoundId) -> String {
    format!("{ROUND_INVITATIONS_PREFIX}{round}")
}

/// Zero-padded so that numbers sort numerically.
pub(super) fn number_sort_key(number: u32) -> String {
    format!("{NUMBER}{number:010}")
}

pub(super) fn round_invitation(round: &RoundId, number: u32, invitation: &InvitationId) -> Item {
    key(
        round_invitations_partition(round),
        format!("{}#{invitation}", number_sort_key(number)),
    )
}

pub(super) fn batches_partition(round: &RoundId) -> String {
    format!("{ROUND_BATCHES_PREFIX}{round}")
}

pub(super) fn batch(round: &RoundId, id: &BatchId) -> Item {
    key(batches_partition(round), id.to_string())
}

pub(super) fn export_jobs_partition(organisation: &OrganisationId) -> String {
    format!("{EXPORT_JOBS_PREFIX}{organisation}")
}

/// The sort key prefix of an organisation's export jobs (beside their locks).
pub(super) const EXPORT_JOB: &str = "J#";

pub(super) fn export_job(organisation: &OrganisationId, id: &ExportJobId) -> Item {
    key(
        export_jobs_partition(organisation),
        format!("{EXPORT_JOB}{id}"),
    )
}

/// The lock that makes a job the organisation's only active one with its dedupe key.
pub(super) fn export_lock(organisation: &OrganisationId, dedupe_key: &str) -> Item {
    key(
        export_jobs_partition(organisation),
        format!("A#{dedupe_key}"),
    )
}

pub(super) fn audit_entry(organisation: &OrganisationId, sort_key: String) -> Item {
    key(audit_partition(organisation), sort_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every partition prefix, as the IAM conditions name them.
    const ALL_PREFIXES: [&str; 18] = [
        QUESTIONNAIRE_PREFIX,
        MUNICIPALITY_PREFIX,
        ROUND_PREFIX,
        RESPONSES_PREFIX,
        COUNTER_PREFIX,
        ORGANISATION_PREFIX,
        ACCESS_KEY_HASH_PREFIX,
        ACCESS_KEY_PREFIX,
        ORGANISATION_KEYS_PREFIX,
        MUNICIPALITY_ROUNDS_PREFIX,
        NETWORK_ROUNDS_PREFIX,
        AUDIT_PREFIX,
        INVITATION_PREFIX,
        CREDENTIAL_PREFIX,
        GUESS_PREFIX,
        ROUND_INVITATIONS_PREFIX,
        ROUND_BATCHES_PREFIX,
        EXPORT_JOBS_PREFIX,
    ];

    #[test]
    fn no_prefix_pattern_matches_another_kind() {
        for (i, prefix) in ALL_PREFIXES.iter().enumerate() {
            assert!(prefix.ends_with('#'), "{prefix}");
            for (j, other) in ALL_PREFIXES.iter().enumerate() {
                assert!(
                    i == j || !other.starts_with(prefix),
                    "{prefix}* would also match {other} items"
                );
            }
        }
    }

    #[test]
    fn numbers_sort_as_numbers_and_the_day_items_share_their_shard() {
        let (round, id) = (RoundId::random(), InvitationId::random());
        let sort_key = |number| text_of(&round_invitation(&round, number, &id), "sk");
        assert!(sort_key(9) < sort_key(10));
        assert!(sort_key(10) < number_sort_key(11));
        let day = time::Date::from_calendar_date(2026, time::Month::March, 1).expect("a day");
        let shard = counter_shard(&round, 7);
        let day_item = answered_on(&round, 7, day);
        assert_eq!(text_of(&day_item, "pk"), text_of(&shard, "pk"));
        assert_eq!(text_of(&day_item, "sk"), "D#2026-03-01");
    }
}
