//! Test helpers: small, valid domain values for the integration tests.
//!
//! Every call makes fresh ids and credentials, so tests sharing a store never collide.

pub mod backend;

use std::collections::BTreeMap;

use svar_shared::domain::questionnaire::{Questionnaire, Slug, parse_definition};
use svar_shared::domain::text::Localized;
use svar_shared::domain::*;
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
