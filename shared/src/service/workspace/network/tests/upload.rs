//! Questionnaires the network uploads: checked, published, listed.

use super::*;

#[tokio::test]
async fn an_uploaded_questionnaire_is_checked_published_and_listed() {
    let region = region().await;
    let broken = region
        .workspace
        .upload_questionnaire(&network(), "id = \"egen\"\nversion = 1\n")
        .await;
    match broken {
        Err(WorkspaceError::Invalid { field, message }) => {
            assert_eq!(field, "definition");
            assert!(message.starts_with("enkät"), "{message}");
        }
        other => panic!("expected the loader's problems, got {other:?}"),
    }
    let source = include_str!("../../../../../questionnaires/civilsamhalle.toml").replacen(
        "id = \"civilsamhalle\"",
        "id = \"egen_kartlaggning\"",
        1,
    );
    let uploaded = region
        .workspace
        .upload_questionnaire(&network(), &source)
        .await
        .unwrap();
    assert_eq!(uploaded.id.as_str(), "egen_kartlaggning");
    let listed = |caller: Caller| {
        let workspace = &region.workspace;
        async move {
            workspace
                .questionnaire_choices(&caller)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.value())
                .collect::<Vec<_>>()
        }
    };
    assert!(
        listed(network())
            .await
            .contains(&"egen_kartlaggning:1".to_owned())
    );
    assert!(
        listed(municipality("ale"))
            .await
            .contains(&"egen_kartlaggning:1".to_owned())
    );
    let send = region
        .workspace
        .send_questionnaire(
            &network(),
            &form("mapping", "egen_kartlaggning:1", &["ale"]),
        )
        .await
        .unwrap();
    assert_eq!(send.questionnaire.id.as_str(), "egen_kartlaggning");
    // A built-in id, and a changed file under a published version, are refused.
    for source in [
        include_str!("../../../../../questionnaires/nyckeltal.toml").to_owned(),
        source.replacen("Vilken kommun arbetar du i?", "Vilken kommun?", 1),
    ] {
        let result = region
            .workspace
            .upload_questionnaire(&network(), &source)
            .await;
        assert!(
            matches!(
                result,
                Err(WorkspaceError::Invalid {
                    field: "definition",
                    ..
                })
            ),
            "{result:?}"
        );
    }
    assert!(matches!(
        region
            .workspace
            .upload_questionnaire(&municipality("ale"), &source)
            .await,
        Err(WorkspaceError::NotAllowed(_))
    ));
    let trail = region
        .store
        .audit_trail(&slug("gr"), None, 10)
        .await
        .unwrap();
    assert!(
        trail
            .entries
            .iter()
            .any(|e| e.action == AuditAction::QuestionnaireUploaded)
    );
}
