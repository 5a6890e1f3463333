//! Test helpers: small, valid domain values for the integration tests.
//!
//! Every call makes fresh ids and credentials, so tests sharing a store never collide.

pub mod backend;

use std::collections::BTreeMap;

use svar_shared::domain::questionnaire::{Questionnaire, Slug, parse_definition};
use svar_shared::domain::text::Localized;
use svar_shared::domain::*;
use svar_shared::store::StoredBatch;
use time::OffsetDateTime;

/// The key test credentials are hashed with.
pub fn hash_key() -> HashKey {
    HashKey::new(b"svar integration tests".to_vec())
}

/// Now, to the second: stores keep times in whole seconds, so values built from this
/// read back equal.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    OffsetDateTime::from_unix_timestamp(now).expect("the current time is representable")
}

pub fn slug(value: &str) -> Slug {
    Slug::parse(value).expect("a valid slug")
}

/// A one-question questionnaire; `title` lets a test make changed content for a version.
pub fn questionnaire(id: &str, version: u32, title: &str) -> Questionnaire {
    let source = format!(
        r#"
id = "{id}"
version = {version}
title = {{ sv = "{title}" }}

[[sections]]
id = "allmant"
title = {{ sv = "Allmänt" }}

[[sections.questions]]
id = "nojd"
kind = "yes_no"
text = {{ sv = "Är du nöjd?" }}
"#
    );
    parse_definition("test.toml", &source).expect("the test questionnaire is valid")
}

pub fn municipality() -> Municipality {
    Municipality {
        id: slug("testkommun"),
        name: "Testkommun".to_owned(),
        contact: Localized::swedish("Testkommunens kontaktcenter, 0000-00 00 00"),
        privacy_notice: Localized::swedish(
            "Testkommunen ansvarar för enkäten. Svaren sparas utan namn.",
        ),
    }
}

/// A new round of [`municipality`] using version 1 of questionnaire `questionnaire_id`.
pub fn round(questionnaire_id: &str) -> Round {
    Round::open_patient_round(
        municipality().id,
        "Våren",
        QuestionnaireRef {
            id: slug(questionnaire_id),
            version: 1,
        },
        now(),
    )
}

/// A new open invitation to `round`, expiring in 30 days, with its two credentials.
pub fn invitation(round: &Round) -> (NewInvitation, Credential, Credential) {
    let (link, code) = (Credential::new_link(), Credential::new_code());
    let new = NewInvitation {
        invitation: Invitation {
            id: InvitationId::random(),
            round: round.id.clone(),
            municipality: round.municipality.clone(),
            questionnaire: round.questionnaire.clone(),
            status: InvitationStatus::Open,
            expires_at: now() + time::Duration::days(30),
        },
        number: 0,
        link_hash: link.hash(&hash_key()),
        code_hash: code.hash(&hash_key()),
    };
    (new, link, code)
}

/// A new response to `round`, with one answer of most kinds.
pub fn response(round: &Round) -> Response {
    let answers = BTreeMap::from([
        (slug("nojd"), Answer::YesNo(true)),
        (slug("val"), Answer::Choice(slug("b"))),
        (
            slug("fritext"),
            Answer::Text("Bra bemötande, åäö".to_owned()),
        ),
        (slug("antal"), Answer::Number(2.5)),
        (slug("osaker"), Answer::DontKnow),
    ]);
    Response {
        id: ResponseId::random(),
        round: round.id.clone(),
        municipality: round.municipality.clone(),
        questionnaire: round.questionnaire.clone(),
        submitted_on: now().date(),
        answers,
    }
}

/// A second municipality, to show that one never sees another's data.
pub fn other_municipality() -> Municipality {
    Municipality {
        id: slug("annankommun"),
        name: "Annan kommun".to_owned(),
        ..municipality()
    }
}

/// An organisation; a municipality names its network.
pub fn organisation(id: &str, kind: OrganisationKind, network: Option<&str>) -> Organisation {
    Organisation {
        id: slug(id),
        name: format!("Organisationen {id}"),
        kind,
        network: network.map(slug),
    }
}

/// A new active access key of `organisation` made at `created_at`, and its secret.
pub fn access_key(
    organisation: &str,
    label: &str,
    created_at: OffsetDateTime,
) -> (AccessKey, AccessSecret) {
    let key = AccessKey {
        id: AccessKeyId::random(),
        organisation: slug(organisation),
        label: label.to_owned(),
        created_at,
        revoked_at: None,
    };
    (key, AccessSecret::generate())
}

/// A round `network` sent to `municipality`, made at `created_at`.
pub fn sent_round(
    network: &str,
    municipality: &MunicipalityId,
    kind: RoundKind,
    created_at: OffsetDateTime,
) -> Round {
    Round {
        municipality: municipality.clone(),
        kind,
        sent_by: Some(slug(network)),
        created_at,
        ..round("kartlaggning")
    }
}

/// A new batch record of `round` for the running `numbers`, and the secret its
/// credentials are derived from.
pub fn stored_batch(round: &Round, kind: BatchKind, numbers: &[u32]) -> (StoredBatch, BatchSecret) {
    let secret = BatchSecret::generate();
    let batch = StoredBatch {
        id: BatchId::random(),
        round: round.id.clone(),
        kind,
        numbers: numbers.to_vec(),
        secret_hash: secret.hash(&hash_key()),
        code_attempts: Vec::new(),
        created_at: now(),
    };
    (batch, secret)
}

/// The open invitations a first batch makes: one per number, with the link and first
/// code `secret` derives for it.
pub fn batch_invitations(
    round: &Round,
    secret: &BatchSecret,
    numbers: &[u32],
) -> Vec<NewInvitation> {
    numbers
        .iter()
        .map(|&number| {
            let (mut new, _, _) = invitation(round);
            new.number = number;
            new.link_hash = secret.link(number).hash(&hash_key());
            new.code_hash = secret.code(number, 0).hash(&hash_key());
            new
        })
        .collect()
}

/// The credentials a reissue or reminder batch adds to existing invitations:
/// `(invitation, link hash, code hash)` derived from `secret` by each one's number.
pub fn batch_credentials(
    secret: &BatchSecret,
    invitations: &[NewInvitation],
) -> Vec<(InvitationId, CredentialHash, CredentialHash)> {
    invitations
        .iter()
        .map(|new| {
            (
                new.invitation.id.clone(),
                secret.link(new.number).hash(&hash_key()),
                secret.code(new.number, 0).hash(&hash_key()),
            )
        })
        .collect()
}

/// An audit line of `organisation` at `at`.
pub fn audit_entry(organisation: &str, action: AuditAction, at: OffsetDateTime) -> AuditEntry {
    AuditEntry {
        organisation: slug(organisation),
        key_label: "Anna, enhetschef".to_owned(),
        action,
        object: format!("{action:?} {}", at.unix_timestamp()),
        at,
        result: AuditResult::Done,
    }
}
