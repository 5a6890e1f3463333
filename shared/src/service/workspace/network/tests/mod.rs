//! The network's use cases on a real (embedded) store: the Gothenburg region's network
//! and its 13 municipalities.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use super::*;
use crate::domain::questionnaire::{self, Slug, builtin};
use crate::domain::text::Localized;
use crate::service::respondent::{MappingVisit, SurveyService};
use crate::service::workspace::{Caller, Workspace, WorkspaceError};
use crate::store::embedded::EmbeddedStore;
use crate::store::{
    AuditStore, InvitationStore, OrganisationStore, QuestionnaireStore, ResponseStore, SetupStore,
    Store,
};

pub(crate) const MUNICIPALITIES: [(&str, &str); 13] = [
    ("ale", "Ale"),
    ("alingsas", "Alingsås"),
    ("goteborg", "Göteborg"),
    ("harryda", "Härryda"),
    ("kungsbacka", "Kungsbacka"),
    ("kungalv", "Kungälv"),
    ("lerum", "Lerum"),
    ("lilla_edet", "Lilla Edet"),
    ("molndal", "Mölndal"),
    ("partille", "Partille"),
    ("stenungsund", "Stenungsund"),
    ("tjorn", "Tjörn"),
    ("ockero", "Öckerö"),
];

struct Region {
    workspace: Workspace,
    survey: SurveyService,
    store: Arc<EmbeddedStore>,
    _dir: tempfile::TempDir,
}

fn slug(value: &str) -> Slug {
    Slug::parse(value).unwrap()
}

fn caller(id: &str, kind: OrganisationKind) -> Caller {
    Caller {
        organisation: Organisation {
            id: slug(id),
            name: id.to_owned(),
            kind,
            network: (kind == OrganisationKind::Municipality).then(|| slug("gr")),
        },
        key_id: AccessKeyId::random(),
        key_label: "Test".to_owned(),
    }
}

fn network() -> Caller {
    caller("gr", OrganisationKind::Network)
}

fn municipality(id: &str) -> Caller {
    caller(id, OrganisationKind::Municipality)
}

async fn region() -> Region {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("t.sqlite3")).unwrap());
    for q in builtin().unwrap() {
        store.publish_questionnaire(&q).await.unwrap();
    }
    store
        .put_organisation(&network().organisation)
        .await
        .unwrap();
    for (id, name) in MUNICIPALITIES {
        let organisation = Organisation {
            name: name.to_owned(),
            ..municipality(id).organisation
        };
        store.put_organisation(&organisation).await.unwrap();
        store
            .put_municipality(&Municipality {
                id: slug(id),
                name: name.to_owned(),
                contact: Localized::swedish("Kontakt"),
                privacy_notice: Localized::swedish("Integritet"),
            })
            .await
            .unwrap();
    }
    let key = HashKey::new(vec![3; 32]);
    let dyn_store: Arc<dyn Store> = store.clone();
    Region {
        workspace: Workspace::new(dyn_store.clone(), key.clone()),
        survey: SurveyService::new(dyn_store, key),
        store,
        _dir: dir,
    }
}

fn form(kind: &str, questionnaire: &str, municipalities: &[&str]) -> SendForm {
    SendForm {
        kind: kind.to_owned(),
        questionnaire: questionnaire.to_owned(),
        name: "Kartläggning våren 2026".to_owned(),
        start: "2026-03-01".to_owned(),
        end: "2026-05-31".to_owned(),
        municipalities: municipalities.iter().map(|m| (*m).to_owned()).collect(),
        answer_limit: String::new(),
    }
}

async fn send_mapping(
    region: &Region,
    municipalities: &[&str],
    limit: &str,
) -> crate::store::NetworkSend {
    let mut form = form("mapping", "civilsamhalle:1", municipalities);
    form.answer_limit = limit.to_owned();
    region
        .workspace
        .send_questionnaire(&network(), &form)
        .await
        .unwrap()
}

/// A staff member answering through the link: opens it, sends a response for the
/// invitation it made.
async fn answer_through(region: &Region, link: &Credential) -> MappingVisit {
    let client = region.survey.client(None);
    let visit = region
        .survey
        .open_mapping_link(link.path_segment(), &client, Workspace::now())
        .await
        .unwrap();
    if let MappingVisit::Invitation(own) = &visit {
        let invitation = region
            .store
            .invitation_by_credential(&own.hash(&region.workspace.hash_key))
            .await
            .unwrap()
            .unwrap();
        let response = Response {
            id: ResponseId::random(),
            round: invitation.round.clone(),
            municipality: invitation.municipality.clone(),
            questionnaire: invitation.questionnaire.clone(),
            submitted_on: Workspace::now().date(),
            answers: [(slug("kommun"), Answer::Choice(slug("ale")))].into(),
        };
        region
            .store
            .submit_response(&invitation.id, &response, None)
            .await
            .unwrap();
    }
    visit
}

fn round_of(send: &crate::store::NetworkSend, municipality: &str) -> RoundId {
    send.rounds
        .iter()
        .find(|(m, _)| m.as_str() == municipality)
        .unwrap()
        .1
        .clone()
}

#[tokio::test]
async fn the_mapping_goes_to_three_municipalities_and_the_report_to_all_thirteen() {
    let region = region().await;
    let mapping = send_mapping(&region, &["ale", "lerum", "tjorn"], "").await;
    assert_eq!(mapping.rounds.len(), 3);
    assert_eq!(mapping.answer_limit, 50);
    let all: Vec<&str> = MUNICIPALITIES.iter().map(|(id, _)| *id).collect();
    let report = region
        .workspace
        .send_questionnaire(&network(), &form("report", "nyckeltal:1", &all))
        .await
        .unwrap();
    assert_eq!(report.rounds.len(), 13);

    let sends = region.workspace.sends(&network()).await.unwrap();
    assert_eq!(sends.len(), 2);
    let overview = region
        .workspace
        .send_overview(&network(), &mapping.id)
        .await
        .unwrap();
    assert!(
        overview
            .municipalities
            .iter()
            .all(|m| m.progress == Progress::NotStarted && m.round.sent_by == Some(slug("gr")))
    );
    let ale = region
        .workspace
        .sent_rounds(&municipality("ale"))
        .await
        .unwrap();
    assert_eq!(ale.len(), 2);
    assert!(ale.iter().all(|r| r.round.status == RoundStatus::Open));
    assert_eq!(
        region
            .workspace
            .sent_rounds(&municipality("molndal"))
            .await
            .unwrap()
            .len(),
        1
    );

    let trail = region
        .store
        .audit_trail(&slug("gr"), None, 10)
        .await
        .unwrap();
    let actions: Vec<AuditAction> = trail.entries.iter().map(|e| e.action).collect();
    assert!(actions.contains(&AuditAction::MappingSent));
}

#[tokio::test]
async fn a_municipality_cannot_send_and_bad_sends_are_refused_by_field() {
    let region = region().await;
    let refused = region
        .workspace
        .send_questionnaire(
            &municipality("ale"),
            &form("mapping", "civilsamhalle:1", &["ale"]),
        )
        .await;
    assert!(matches!(refused, Err(WorkspaceError::NotAllowed(_))));
    let field_of = |result: Result<_, WorkspaceError>| match result {
        Err(WorkspaceError::Invalid { field, .. }) => field,
        other => panic!("expected invalid, got {other:?}"),
    };
    let cases = [
        (form("x", "civilsamhalle:1", &["ale"]), "kind"),
        (form("mapping", "okand:1", &["ale"]), "questionnaire"),
        (form("mapping", "civilsamhalle:1", &[]), "municipalities"),
        (
            form("mapping", "civilsamhalle:1", &["stockholm"]),
            "municipalities",
        ),
        (
            SendForm {
                end: "2026-01-01".to_owned(),
                ..form("mapping", "civilsamhalle:1", &["ale"])
            },
            "end",
        ),
        (
            SendForm {
                answer_limit: "0".to_owned(),
                ..form("mapping", "civilsamhalle:1", &["ale"])
            },
            "answer_limit",
        ),
    ];
    for (form, field) in cases {
        assert_eq!(
            field_of(region.workspace.send_questionnaire(&network(), &form).await),
            field
        );
    }
    assert!(region.workspace.sends(&network()).await.unwrap().is_empty());
}

#[tokio::test]
async fn staff_answer_through_the_link_and_the_status_follows_up_to_the_limit() {
    let region = region().await;
    let send = send_mapping(&region, &["ale", "lerum"], "2").await;
    let ale = round_of(&send, "ale");
    let link = region
        .workspace
        .create_mapping_link(&municipality("ale"), &ale)
        .await
        .unwrap();
    let progress = |overview: &SendOverview, id: &str| {
        let line = overview
            .municipalities
            .iter()
            .find(|m| m.municipality.id.as_str() == id)
            .unwrap();
        (line.progress, line.answers)
    };
    let overview = region
        .workspace
        .send_overview(&network(), &send.id)
        .await
        .unwrap();
    assert_eq!(progress(&overview, "ale"), (Progress::InProgress, 0));
    assert_eq!(progress(&overview, "lerum"), (Progress::NotStarted, 0));

    assert!(matches!(
        answer_through(&region, &link).await,
        MappingVisit::Invitation(_)
    ));
    assert!(matches!(
        answer_through(&region, &link).await,
        MappingVisit::Invitation(_)
    ));
    assert!(matches!(
        answer_through(&region, &link).await,
        MappingVisit::Full
    ));
    let overview = region
        .workspace
        .send_overview(&network(), &send.id)
        .await
        .unwrap();
    assert_eq!(progress(&overview, "ale"), (Progress::Sent, 2));

    // Re-creating the link revokes the old one.
    let again = region
        .workspace
        .create_mapping_link(&municipality("ale"), &ale)
        .await
        .unwrap();
    assert!(matches!(
        answer_through(&region, &link).await,
        MappingVisit::NotFound
    ));
    assert!(matches!(
        answer_through(&region, &again).await,
        MappingVisit::Full
    ));
}

#[tokio::test]
async fn answers_are_grouped_and_each_municipality_reads_only_its_own() {
    let region = region().await;
    let send = send_mapping(&region, &["ale", "lerum"], "").await;
    let (ale, lerum) = (round_of(&send, "ale"), round_of(&send, "lerum"));
    for (id, round) in [("ale", &ale), ("lerum", &lerum)] {
        let link = region
            .workspace
            .create_mapping_link(&municipality(id), round)
            .await
            .unwrap();
        answer_through(&region, &link).await;
    }
    let all = region
        .workspace
        .send_answers(&network(), &send.id)
        .await
        .unwrap();
    assert_eq!(all.responses, 2);
    let kommun = all
        .questions
        .iter()
        .find(|q| q.question.id.as_str() == "kommun")
        .unwrap();
    let groups: Vec<&str> = kommun
        .groups
        .iter()
        .map(|g| g.municipality.as_str())
        .collect();
    assert_eq!(groups, ["ale", "lerum"]);

    let own = region
        .workspace
        .own_mapping_answers(&municipality("ale"), &ale)
        .await
        .unwrap();
    assert_eq!(own.responses, 1);
    for refused in [
        region
            .workspace
            .own_mapping_answers(&municipality("ale"), &lerum)
            .await,
        region
            .workspace
            .own_mapping_answers(&municipality("molndal"), &ale)
            .await,
    ] {
        assert!(matches!(refused, Err(WorkspaceError::NotFound)));
    }
    assert!(matches!(
        region
            .workspace
            .create_mapping_link(&municipality("ale"), &lerum)
            .await,
        Err(WorkspaceError::NotFound)
    ));
    assert!(matches!(
        region
            .workspace
            .send_answers(&municipality("ale"), &send.id)
            .await,
        Err(WorkspaceError::NotFound)
    ));
}

#[tokio::test]
async fn the_network_never_reads_a_patient_rounds_answers() {
    let region = region().await;
    let patient = Round::open_patient_round(
        slug("ale"),
        "Hemsjukvård",
        QuestionnaireRef {
            id: slug("patientupplevelse"),
            version: 1,
        },
        Workspace::now(),
    );
    region.store.create_round(&patient).await.unwrap();
    for result in [
        region
            .workspace
            .send_answers(&network(), &patient.id)
            .await
            .err(),
        region
            .workspace
            .report_view(&network(), &patient.id)
            .await
            .err(),
        region
            .workspace
            .remind_municipality(&network(), &patient.id)
            .await
            .err(),
        region
            .workspace
            .send_overview(&network(), &patient.id)
            .await
            .err(),
    ] {
        assert!(
            matches!(result, Some(WorkspaceError::NotFound)),
            "{result:?}"
        );
    }
    // Nor through its own municipality's mapping view.
    assert!(matches!(
        region
            .workspace
            .own_mapping_answers(&municipality("ale"), &patient.id)
            .await,
        Err(WorkspaceError::NotFound)
    ));
}

mod report;
mod upload;
