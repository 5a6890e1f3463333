//! The storage contract of the network's sends, mapping links, reports, reminders and
//! uploads ([`svar_shared::store::NetworkStore`], [`svar_shared::store::MappingLinkStore`]).

use std::sync::Arc;

use svar_shared::domain::*;
use svar_shared::store::*;
use svar_tests::*;
use time::Duration;

async fn mapping_round(store: &dyn Store) -> Round {
    store
        .put_municipality(&municipality())
        .await
        .expect("put municipality");
    let mut round = round("civilsamhalle");
    round.kind = RoundKind::Mapping;
    round.sent_by = Some(slug("gr"));
    store.create_round(&round).await.expect("create round");
    round
}

fn send(network: &str, at: time::OffsetDateTime, rounds: &[&Round]) -> NetworkSend {
    NetworkSend {
        id: RoundId::random(),
        network: slug(network),
        kind: RoundKind::Mapping,
        name: "Kartläggning 2026".to_owned(),
        questionnaire: QuestionnaireRef {
            id: slug("civilsamhalle"),
            version: 1,
        },
        period: rounds[0].period,
        answer_limit: 50,
        rounds: rounds
            .iter()
            .map(|r| (r.municipality.clone(), r.id.clone()))
            .collect(),
        created_at: at,
    }
}

fn link(round: &Round) -> (MappingLink, Credential) {
    let token = Credential::new_link();
    let link = MappingLink {
        round: round.id.clone(),
        hash: token.hash(&hash_key()),
        answer_limit: 3,
        created_at: now(),
    };
    (link, token)
}

pub async fn a_network_reads_its_sends_newest_first_and_not_anothers(store: Arc<dyn Store>) {
    let round = mapping_round(&*store).await;
    let older = send("gr", now() - Duration::days(1), &[&round]);
    let newer = send("gr", now(), &[&round]);
    let other = send("annat", now(), &[&round]);
    for s in [&older, &newer, &other] {
        store.put_send(s).await.expect("put send");
    }
    assert_eq!(
        store.sends(&slug("gr")).await.expect("sends"),
        vec![newer.clone(), older]
    );
    assert_eq!(
        store.send(&slug("gr"), &newer.id).await.expect("send"),
        Some(newer)
    );
    assert_eq!(
        store.send(&slug("gr"), &other.id).await.expect("send"),
        None
    );
    assert!(store.sends(&slug("ingen")).await.expect("sends").is_empty());
}

pub async fn a_replaced_mapping_link_stops_opening_and_keeps_the_visitor_count(
    store: Arc<dyn Store>,
) {
    let round = mapping_round(&*store).await;
    assert_eq!(
        store.mapping_link_of_round(&round.id).await.expect("read"),
        None
    );
    let (first, first_token) = link(&round);
    store.replace_mapping_link(&first).await.expect("link");
    let by_hash = |token: Credential| {
        let store = Arc::clone(&store);
        async move {
            store
                .mapping_link_by_hash(&token.hash(&hash_key()))
                .await
                .expect("read")
        }
    };
    assert_eq!(by_hash(first_token.clone()).await, Some(first.clone()));
    assert_eq!(store.next_mapping_visitor(&round.id).await.expect("n"), 1);
    assert_eq!(store.next_mapping_visitor(&round.id).await.expect("n"), 2);

    let (second, second_token) = link(&round);
    store.replace_mapping_link(&second).await.expect("relink");
    assert_eq!(by_hash(first_token).await, None);
    assert_eq!(by_hash(second_token).await, Some(second.clone()));
    assert_eq!(
        store.mapping_link_of_round(&round.id).await.expect("read"),
        Some(second)
    );
    assert_eq!(store.next_mapping_visitor(&round.id).await.expect("n"), 3);
    assert_eq!(by_hash(Credential::new_link()).await, None);
}

pub async fn concurrent_mapping_visitors_get_distinct_numbers(store: Arc<dyn Store>) {
    let round = mapping_round(&*store).await;
    store
        .replace_mapping_link(&link(&round).0)
        .await
        .expect("link");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, round) = (Arc::clone(&store), round.id.clone());
            tokio::spawn(async move { store.next_mapping_visitor(&round).await })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.expect("joined").expect("number"));
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<u32>>());
}

pub async fn a_round_without_a_link_has_no_visitors(store: Arc<dyn Store>) {
    let round = mapping_round(&*store).await;
    assert!(matches!(
        store.next_mapping_visitor(&round.id).await,
        Err(StoreError::UnknownRound)
    ));
}

pub async fn a_report_is_saved_sent_once_reopened_and_sent_again(store: Arc<dyn Store>) {
    let round = mapping_round(&*store).await;
    let answers = |value: &str| RawAnswers::from([("antal".to_owned(), vec![value.to_owned()])]);
    assert_eq!(store.report(&round.id).await.expect("read"), None);
    assert!(
        store
            .save_report_draft(&round.id, &answers("1"), now())
            .await
            .expect("save")
    );
    let saved = store.report(&round.id).await.expect("read").expect("saved");
    assert_eq!(
        (saved.status, saved.answers, saved.sent_at),
        (ReportStatus::InProgress, answers("1"), None)
    );
    assert!(!store.reopen_report(&round.id, now()).await.expect("reopen"));

    let sent_at = now() + Duration::minutes(1);
    assert!(
        store
            .send_report(&round.id, &answers("2"), sent_at)
            .await
            .expect("send")
    );
    assert!(
        !store
            .send_report(&round.id, &answers("3"), now())
            .await
            .expect("send")
    );
    assert!(
        !store
            .save_report_draft(&round.id, &answers("4"), now())
            .await
            .expect("save")
    );
    let sent = store.report(&round.id).await.expect("read").expect("sent");
    assert_eq!(
        (sent.status, sent.answers, sent.sent_at),
        (ReportStatus::Sent, answers("2"), Some(sent_at))
    );

    assert!(store.reopen_report(&round.id, now()).await.expect("reopen"));
    let reopened = store.report(&round.id).await.expect("read").expect("there");
    assert_eq!(
        (reopened.status, reopened.answers),
        (ReportStatus::InProgress, answers("2"))
    );
    assert!(
        store
            .send_report(&round.id, &answers("5"), now())
            .await
            .expect("send again")
    );
    let resent = store.report(&round.id).await.expect("read").expect("there");
    assert_eq!(
        (resent.status, resent.answers),
        (ReportStatus::Sent, answers("5"))
    );
}

pub async fn a_reminder_time_reads_back_and_is_replaced(store: Arc<dyn Store>) {
    let round = mapping_round(&*store).await;
    assert_eq!(store.reminded_at(&round.id).await.expect("read"), None);
    store.set_reminded(&round.id, now()).await.expect("remind");
    let later = now() + Duration::hours(1);
    store.set_reminded(&round.id, later).await.expect("remind");
    assert_eq!(
        store.reminded_at(&round.id).await.expect("read"),
        Some(later)
    );
}

pub async fn uploaded_questionnaires_are_listed_per_network(store: Arc<dyn Store>) {
    let upload = |network: &str, version: u32, at| UploadedQuestionnaire {
        network: slug(network),
        questionnaire: QuestionnaireRef {
            id: slug("egen"),
            version,
        },
        title: "Egen enkät".to_owned(),
        uploaded_at: at,
    };
    let first = upload("gr", 1, now() - Duration::days(1));
    let second = upload("gr", 2, now());
    for u in [&first, &second, &upload("annat", 1, now())] {
        store.add_uploaded_questionnaire(u).await.expect("add");
    }
    let renamed = UploadedQuestionnaire {
        title: "Nytt namn".to_owned(),
        ..second.clone()
    };
    store
        .add_uploaded_questionnaire(&renamed)
        .await
        .expect("again");
    assert_eq!(
        store
            .uploaded_questionnaires(&slug("gr"))
            .await
            .expect("list"),
        vec![renamed, first]
    );
}
