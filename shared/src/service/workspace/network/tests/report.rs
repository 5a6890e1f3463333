//! The indicator report: saved, sent, reopened, sent again; reminders.

use super::*;

async fn progress_of(region: &Region, send: &RoundId) -> Progress {
    let overview = region
        .workspace
        .send_overview(&network(), send)
        .await
        .unwrap();
    overview.municipalities[0].progress
}

fn nyckeltal_answers() -> RawAnswers {
    let questionnaire = builtin()
        .unwrap()
        .into_iter()
        .find(|q| q.id.as_str() == "nyckeltal")
        .unwrap();
    // Every question answered with the first acceptable value of its kind.
    questionnaire
        .sections
        .iter()
        .flat_map(|s| &s.questions)
        .map(|q| {
            let value = match &q.kind {
                questionnaire::QuestionKind::SingleChoice { options }
                | questionnaire::QuestionKind::MultipleChoice { options, .. } => {
                    options[0].code.to_string()
                }
                questionnaire::QuestionKind::Number { min, .. } => {
                    min.unwrap_or(0.0).max(0.0).to_string()
                }
                questionnaire::QuestionKind::YesNo => "ja".to_owned(),
                questionnaire::QuestionKind::Month => "2026-03".to_owned(),
                questionnaire::QuestionKind::Text { .. } => "Inget att tillägga".to_owned(),
            };
            (q.id.to_string(), vec![value])
        })
        .collect()
}

#[tokio::test]
async fn a_report_is_saved_sent_reopened_and_sent_again() {
    let region = region().await;
    let send = region
        .workspace
        .send_questionnaire(
            &network(),
            &form("report", "nyckeltal:1", &["ale", "lerum"]),
        )
        .await
        .unwrap();
    let ale = round_of(&send, "ale");
    let me = municipality("ale");
    let saved = region
        .workspace
        .save_report(&me, &ale, RawAnswers::new(), false)
        .await
        .unwrap();
    assert_eq!(saved, ReportSending::Problems(Vec::new()));
    let missing = region
        .workspace
        .save_report(&me, &ale, RawAnswers::new(), true)
        .await
        .unwrap();
    assert!(matches!(missing, ReportSending::Problems(p) if !p.is_empty()));
    assert_eq!(progress_of(&region, &send.id).await, Progress::InProgress);

    let sent = region
        .workspace
        .save_report(&me, &ale, nyckeltal_answers(), true)
        .await
        .unwrap();
    assert_eq!(sent, ReportSending::Sent);
    assert_eq!(progress_of(&region, &send.id).await, Progress::Sent);
    assert!(matches!(
        region
            .workspace
            .save_report(&me, &ale, nyckeltal_answers(), true)
            .await,
        Err(WorkspaceError::Conflict(_))
    ));
    // Another municipality sees nothing of it; the municipality cannot reopen.
    assert!(matches!(
        region
            .workspace
            .report_view(&municipality("lerum"), &ale)
            .await,
        Err(WorkspaceError::NotFound)
    ));
    assert!(matches!(
        region.workspace.reopen_report(&me, &ale).await,
        Err(WorkspaceError::NotAllowed(_))
    ));

    region
        .workspace
        .reopen_report(&network(), &ale)
        .await
        .unwrap();
    assert_eq!(progress_of(&region, &send.id).await, Progress::InProgress);
    let view = region.workspace.report_view(&me, &ale).await.unwrap();
    assert_eq!(view.report.unwrap().answers, nyckeltal_answers());
    assert_eq!(
        region
            .workspace
            .save_report(&me, &ale, nyckeltal_answers(), true)
            .await
            .unwrap(),
        ReportSending::Sent
    );
    assert_eq!(progress_of(&region, &send.id).await, Progress::Sent);

    let network_trail = region
        .store
        .audit_trail(&slug("gr"), None, 10)
        .await
        .unwrap();
    assert!(
        network_trail
            .entries
            .iter()
            .any(|e| e.action == AuditAction::ReportReopened)
    );
    let ale_trail = region
        .store
        .audit_trail(&slug("ale"), None, 10)
        .await
        .unwrap();
    let sent_count = ale_trail
        .entries
        .iter()
        .filter(|e| e.action == AuditAction::ReportSent)
        .count();
    assert_eq!(sent_count, 2);
}

#[tokio::test]
async fn reminding_shows_on_the_municipalitys_round() {
    let region = region().await;
    let send = send_mapping(&region, &["ale"], "").await;
    let ale = round_of(&send, "ale");
    assert_eq!(
        region
            .workspace
            .sent_round_of(&municipality("ale"), &ale)
            .await
            .unwrap()
            .reminded_at,
        None
    );
    region
        .workspace
        .remind_municipality(&network(), &ale)
        .await
        .unwrap();
    assert!(
        region
            .workspace
            .sent_round_of(&municipality("ale"), &ale)
            .await
            .unwrap()
            .reminded_at
            .is_some()
    );
    assert!(matches!(
        region
            .workspace
            .remind_municipality(&municipality("ale"), &ale)
            .await,
        Err(WorkspaceError::NotAllowed(_))
    ));
}
