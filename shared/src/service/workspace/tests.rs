//! The workspace's use cases over a real embedded store in a temporary folder.

use std::sync::Arc;

use time::OffsetDateTime;

use super::*;
use crate::domain::questionnaire::Slug;
use crate::service::guessing::MAX_FAILED_LOOKUPS;
use crate::store::embedded::EmbeddedStore;

struct Fixture {
    workspace: Workspace,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = EmbeddedStore::open(&dir.path().join("t.sqlite3")).expect("opens");
    let workspace = Workspace::new(Arc::new(store), HashKey::new(vec![3; 32]));
    seed::seed(workspace.store()).await.expect("seeded");
    Fixture {
        workspace,
        _dir: dir,
    }
}

fn slug(id: &str) -> Slug {
    Slug::parse(id).expect("valid")
}

fn new_round(name: &str) -> NewRound {
    NewRound {
        questionnaire: "patientupplevelse".into(),
        name: name.into(),
        start: "2026-03-01".into(),
        end: "2026-03-31".into(),
        unit: String::new(),
    }
}

#[tokio::test]
async fn seeding_twice_leaves_the_same_fourteen_organisations() {
    let f = fixture().await;
    seed::seed(f.workspace.store()).await.expect("seeded again");
    let all = f.workspace.store().organisations().await.expect("listed");
    assert_eq!(all.len(), 14);
    let ale = f
        .workspace
        .store()
        .municipality(&slug("ale"))
        .await
        .expect("read");
    assert_eq!(ale.expect("seeded").name, "Ale kommun");
}

#[tokio::test]
async fn a_key_signs_in_until_revoked_and_failures_are_limited() {
    let f = fixture().await;
    let ws = &f.workspace;
    let operator = ws.operator("ale").await.expect("exists");
    let created = ws.create_key(&operator, "Anna").await.expect("made");
    let client = ws.client(None);
    let now = OffsetDateTime::now_utc();
    let signed_in = ws.sign_in(created.secret.reveal(), &client, now).await;
    assert!(matches!(signed_in, Ok(SignIn::SignedIn(ref c)) if c.key_label == "Anna"));

    ws.revoke_key(&operator, &created.key.id.to_string())
        .await
        .expect("revoked");
    let again = ws.sign_in(created.secret.reveal(), &client, now).await;
    assert!(matches!(again, Ok(SignIn::Wrong)));
    for _ in 1..MAX_FAILED_LOOKUPS {
        let wrong = ws.sign_in("svar_nope", &client, now).await;
        assert!(matches!(wrong, Ok(SignIn::Wrong)));
    }
    let blocked = ws.sign_in("svar_nope", &client, now).await;
    assert!(matches!(blocked, Ok(SignIn::TooManyAttempts)));
    let other = ws.client(Some("192.0.2.1".parse().expect("an address")));
    assert!(!ws.sign_in_blocked(&other, now).await.expect("read"));
}

#[tokio::test]
async fn keys_belong_to_their_organisation() {
    let f = fixture().await;
    let ws = &f.workspace;
    let ale = ws.operator("ale").await.expect("exists");
    let lerum = ws.operator("lerum").await.expect("exists");
    let key = ws.create_key(&ale, "Anna").await.expect("made").key;
    assert!(matches!(
        ws.revoke_key(&lerum, &key.id.to_string()).await,
        Err(WorkspaceError::NotFound)
    ));
    assert!(matches!(
        ws.revoke_key(&ale, "not-an-id").await,
        Err(WorkspaceError::NotFound)
    ));
    assert!(ws.keys(&lerum).await.expect("listed").is_empty());
    ws.revoke_key(&ale, &key.id.to_string())
        .await
        .expect("revoked");
    assert!(matches!(
        ws.revoke_key(&ale, &key.id.to_string()).await,
        Err(WorkspaceError::Conflict(_))
    ));
    assert!(matches!(
        ws.create_key(&ale, &"x".repeat(101)).await,
        Err(WorkspaceError::Invalid { field: "label", .. })
    ));
    assert!(matches!(
        ws.operator("nowhere").await,
        Err(WorkspaceError::NotFound)
    ));
    assert!(matches!(
        ws.operator("Not A Slug").await,
        Err(WorkspaceError::NotFound)
    ));
}

#[tokio::test]
async fn rounds_are_made_by_municipalities_and_seen_by_their_own() {
    let f = fixture().await;
    let ws = &f.workspace;
    let ale = ws.operator("ale").await.expect("exists");
    let lerum = ws.operator("lerum").await.expect("exists");
    let gr = ws.operator("gr").await.expect("exists");
    assert!(matches!(
        ws.create_patient_round(&gr, &new_round("Nätverkets")).await,
        Err(WorkspaceError::NotAllowed(_))
    ));
    let round = ws
        .create_patient_round(&ale, &new_round("  Våren  "))
        .await
        .expect("made");
    assert_eq!(round.name, "Våren");
    assert_eq!(round.status, RoundStatus::Planned);
    assert_eq!(round.kind, RoundKind::Patient);
    let id = round.id.to_string();
    assert!(matches!(
        ws.round(&lerum, &id).await,
        Err(WorkspaceError::NotFound)
    ));
    assert!(matches!(
        ws.round(&gr, &id).await,
        Err(WorkspaceError::NotFound)
    ));
    assert!(matches!(
        ws.open_round(&lerum, &id).await,
        Err(WorkspaceError::NotFound)
    ));
    assert_eq!(ws.rounds(&ale).await.expect("listed").len(), 1);
    assert!(ws.rounds(&lerum).await.expect("listed").is_empty());

    let opened = ws.open_round(&ale, &id).await.expect("opened");
    assert_eq!(opened.status, RoundStatus::Open);
    assert!(matches!(
        ws.open_round(&ale, &id).await,
        Err(WorkspaceError::Conflict(_))
    ));
    ws.close_round(&ale, &id).await.expect("closed");
    assert!(matches!(
        ws.close_round(&ale, &id).await,
        Err(WorkspaceError::Conflict(_))
    ));
    ws.open_round(&ale, &id).await.expect("reopened");
}

#[tokio::test]
async fn a_round_the_network_sent_is_opened_and_closed_only_by_the_network() {
    let f = fixture().await;
    let ws = &f.workspace;
    let ale = ws.operator("ale").await.expect("exists");
    let gr = ws.operator("gr").await.expect("exists");
    let round = Round {
        kind: RoundKind::Mapping,
        status: RoundStatus::Planned,
        sent_by: Some(slug("gr")),
        ..Round::open_patient_round(
            slug("ale"),
            "Kartläggning",
            QuestionnaireRef {
                id: slug("civilsamhalle"),
                version: 1,
            },
            OffsetDateTime::now_utc(),
        )
    };
    ws.store().create_round(&round).await.expect("made");
    let id = round.id.to_string();
    assert!(matches!(
        ws.open_round(&ale, &id).await,
        Err(WorkspaceError::NotAllowed(_))
    ));
    let trail = ws.audit_all(&ale).await.expect("read");
    assert!(
        matches!(trail[0].result, AuditResult::Refused(_)),
        "the refusal is recorded"
    );
    ws.open_round(&gr, &id).await.expect("the network opens it");
}

#[tokio::test]
async fn bad_round_input_names_its_field() {
    let f = fixture().await;
    let ws = &f.workspace;
    let ale = ws.operator("ale").await.expect("exists");
    let cases = [
        (
            NewRound {
                questionnaire: "nyckeltal".into(),
                ..new_round("a")
            },
            "questionnaire",
        ),
        (
            NewRound {
                questionnaire: String::new(),
                ..new_round("a")
            },
            "questionnaire",
        ),
        (new_round(""), "name"),
        (
            NewRound {
                start: "2026-13-01".into(),
                ..new_round("a")
            },
            "start",
        ),
        (
            NewRound {
                end: "".into(),
                ..new_round("a")
            },
            "end",
        ),
        (
            NewRound {
                end: "2026-02-28".into(),
                ..new_round("a")
            },
            "end",
        ),
        (
            NewRound {
                unit: "u".repeat(201),
                ..new_round("a")
            },
            "unit",
        ),
    ];
    for (input, expected) in cases {
        match ws.create_patient_round(&ale, &input).await {
            Err(WorkspaceError::Invalid { field, .. }) => assert_eq!(field, expected),
            other => panic!("{expected}: {other:?}"),
        }
    }
    assert!(ws.rounds(&ale).await.expect("listed").is_empty());
    assert!(
        ws.audit_all(&ale).await.expect("read").is_empty(),
        "bad input is not an action"
    );
}
