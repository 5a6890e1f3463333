//! The storage contract of the workspace: organisations, access keys, round lists and
//! counts, invitation batches and the audit trail.

use std::collections::HashSet;
use std::sync::Arc;

use svar_shared::domain::*;
use svar_shared::store::{
    AuditCursor, InvitationSummary, Store, StoreError, StoredBatch, SubmitOutcome,
};
use svar_tests::*;
use time::Duration;

/// The test municipality and a new round of it.
async fn new_round(store: &dyn Store) -> Round {
    store
        .put_municipality(&municipality())
        .await
        .expect("put municipality");
    let round = round("kontrakt");
    store.create_round(&round).await.expect("create round");
    round
}

/// A first batch of `round` for `numbers`, stored, with its invitations and secret.
async fn first_batch(
    store: &dyn Store,
    round: &Round,
    numbers: &[u32],
) -> (StoredBatch, BatchSecret, Vec<NewInvitation>) {
    let (batch, secret) = stored_batch(round, BatchKind::First, numbers);
    let invitations = batch_invitations(round, &secret, numbers);
    store
        .create_batch(&batch, &invitations)
        .await
        .expect("create batch");
    (batch, secret, invitations)
}

/// The invitation a credential opens, if any.
async fn opens(store: &dyn Store, credential: &Credential) -> Option<InvitationId> {
    store
        .invitation_by_credential(&credential.hash(&hash_key()))
        .await
        .expect("look up a credential")
        .map(|invitation| invitation.id)
}

async fn summaries(store: &dyn Store, round: &RoundId) -> Vec<InvitationSummary> {
    store
        .invitation_summaries(round, 0, 1000)
        .await
        .expect("invitation summaries")
}

fn ids(rounds: &[Round]) -> Vec<RoundId> {
    rounds.iter().map(|round| round.id.clone()).collect()
}

// --- Organisations and access keys ---

pub async fn an_organisation_reads_back_and_is_listed(store: Arc<dyn Store>) {
    let network = organisation("gr", OrganisationKind::Network, None);
    let member = organisation("kungalv", OrganisationKind::Municipality, Some("gr"));
    store.put_organisation(&member).await.expect("put");
    store.put_organisation(&network).await.expect("put");
    assert_eq!(
        store.organisation(&member.id).await.expect("read"),
        Some(member.clone())
    );
    assert_eq!(
        store.organisation(&slug("okand")).await.expect("read"),
        None
    );
    // Listed by id.
    assert_eq!(
        store.organisations().await.expect("list"),
        vec![network.clone(), member.clone()]
    );
    // Putting it again replaces its name.
    let renamed = Organisation {
        name: "Kungälvs kommun".to_owned(),
        ..member
    };
    store.put_organisation(&renamed).await.expect("put again");
    assert_eq!(
        store.organisations().await.expect("list"),
        vec![network, renamed]
    );
}

pub async fn an_access_key_is_found_by_hash_and_by_id(store: Arc<dyn Store>) {
    let (key, secret) = access_key("kungalv", "Anna, enhetschef", now());
    let hash = secret.hash(&hash_key());
    store.create_access_key(&key, &hash).await.expect("create");
    assert_eq!(
        store.access_key_by_hash(&hash).await.expect("by hash"),
        Some(key.clone())
    );
    assert_eq!(
        store.access_key(&key.id).await.expect("by id"),
        Some(key.clone())
    );
    let unknown = AccessSecret::generate().hash(&hash_key());
    assert_eq!(
        store.access_key_by_hash(&unknown).await.expect("read"),
        None
    );
    assert_eq!(
        store
            .access_key(&AccessKeyId::random())
            .await
            .expect("read"),
        None
    );
    // A second key under the same hash is refused and changes nothing.
    let (other, _) = access_key("annankommun", "Bertil", now());
    let result = store.create_access_key(&other, &hash).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );
    assert_eq!(
        store.access_key_by_hash(&hash).await.expect("by hash"),
        Some(key)
    );
    assert_eq!(store.access_key(&other.id).await.expect("read"), None);
}

pub async fn revoking_another_organisations_key_is_refused(store: Arc<dyn Store>) {
    let (key, secret) = access_key("kungalv", "Anna", now());
    store
        .create_access_key(&key, &secret.hash(&hash_key()))
        .await
        .expect("create");
    let revoked = store
        .revoke_access_key(&slug("annankommun"), &key.id, now())
        .await
        .expect("revoke");
    assert!(!revoked);
    let stored = store
        .access_key(&key.id)
        .await
        .expect("read")
        .expect("kept");
    assert!(stored.is_active());
}

pub async fn revoking_twice_is_false_the_second_time(store: Arc<dyn Store>) {
    let (key, secret) = access_key("kungalv", "Anna", now() - Duration::days(1));
    let hash = secret.hash(&hash_key());
    store.create_access_key(&key, &hash).await.expect("create");
    let at = now();
    assert!(
        store
            .revoke_access_key(&key.organisation, &key.id, at)
            .await
            .expect("revoke")
    );
    assert!(
        !store
            .revoke_access_key(&key.organisation, &key.id, at + Duration::hours(1))
            .await
            .expect("revoke again")
    );
    // Still found by its hash, revoked at the first time.
    let stored = store
        .access_key_by_hash(&hash)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.revoked_at, Some(at));
    assert!(
        !store
            .revoke_access_key(&key.organisation, &AccessKeyId::random(), at)
            .await
            .expect("revoke an unknown key")
    );
}

pub async fn keys_are_listed_newest_first(store: Arc<dyn Store>) {
    let start = now() - Duration::days(3);
    let (oldest, s1) = access_key("kungalv", "Äldst", start);
    let (newest, s2) = access_key("kungalv", "Nyast", start + Duration::days(2));
    let (middle, s3) = access_key("kungalv", "Mitten", start + Duration::days(1));
    let (others, s4) = access_key("annankommun", "Annans", start + Duration::days(1));
    for (key, secret) in [(&oldest, s1), (&newest, s2), (&middle, s3), (&others, s4)] {
        store
            .create_access_key(key, &secret.hash(&hash_key()))
            .await
            .expect("create");
    }
    store
        .revoke_access_key(&middle.organisation, &middle.id, now())
        .await
        .expect("revoke");
    let listed = store.access_keys(&slug("kungalv")).await.expect("list");
    let labels: Vec<&str> = listed.iter().map(|key| key.label.as_str()).collect();
    assert_eq!(labels, ["Nyast", "Mitten", "Äldst"]);
    assert!(
        listed[1].revoked_at.is_some(),
        "revoked keys are listed too"
    );
    assert!(
        store
            .access_keys(&slug("okand"))
            .await
            .expect("list")
            .is_empty()
    );
}

// --- Rounds ---

pub async fn rounds_are_listed_per_municipality_newest_first_and_never_anothers(
    store: Arc<dyn Store>,
) {
    store
        .put_municipality(&municipality())
        .await
        .expect("municipality");
    store
        .put_municipality(&other_municipality())
        .await
        .expect("municipality");
    let start = now() - Duration::days(10);
    let at = |days| start + Duration::days(days);
    let older = Round {
        created_at: at(1),
        ..round("kontrakt")
    };
    let newer = Round {
        created_at: at(3),
        ..round("kontrakt")
    };
    let sent_to_it = sent_round("gr", &municipality().id, RoundKind::Mapping, at(2));
    let anothers = Round {
        municipality: other_municipality().id,
        created_at: at(4),
        ..round("kontrakt")
    };
    for round in [&older, &anothers, &newer, &sent_to_it] {
        store.create_round(round).await.expect("create round");
    }
    let listed = store
        .rounds_of_municipality(&municipality().id)
        .await
        .expect("list");
    assert_eq!(ids(&listed), ids(&[newer, sent_to_it, older.clone()]));
    assert_eq!(listed[2], older, "rounds read back whole");
    assert_eq!(
        ids(&store
            .rounds_of_municipality(&other_municipality().id)
            .await
            .expect("list")),
        ids(&[anothers])
    );
    assert!(
        store
            .rounds_of_municipality(&slug("okand"))
            .await
            .expect("list")
            .is_empty()
    );
}

pub async fn rounds_sent_by_a_network_are_listed_for_it(store: Arc<dyn Store>) {
    store
        .put_municipality(&municipality())
        .await
        .expect("municipality");
    store
        .put_municipality(&other_municipality())
        .await
        .expect("municipality");
    let start = now() - Duration::days(10);
    let at = |days| start + Duration::days(days);
    let mapping = sent_round("gr", &municipality().id, RoundKind::Mapping, at(1));
    let report = sent_round("gr", &other_municipality().id, RoundKind::Report, at(2));
    let other_network = sent_round("annat", &municipality().id, RoundKind::Mapping, at(3));
    let own = Round {
        created_at: at(4),
        ..round("kontrakt")
    };
    for round in [&mapping, &report, &other_network, &own] {
        store.create_round(round).await.expect("create round");
    }
    let listed = store.rounds_sent_by(&slug("gr")).await.expect("list");
    assert_eq!(listed, vec![report, mapping]);
    assert_eq!(
        store.rounds_sent_by(&slug("annat")).await.expect("list"),
        vec![other_network]
    );
    // A municipality sends no rounds, even though it has its own.
    assert!(
        store
            .rounds_sent_by(&municipality().id)
            .await
            .expect("list")
            .is_empty()
    );
}

pub async fn setting_the_status_of_an_unknown_round_is_false(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    assert!(
        !store
            .set_round_status(&RoundId::random(), RoundStatus::Closed)
            .await
            .expect("set status")
    );
    assert!(
        store
            .set_round_status(&round.id, RoundStatus::Closed)
            .await
            .expect("set status")
    );
    let stored = store.round(&round.id).await.expect("read").expect("exists");
    assert_eq!(stored.status, RoundStatus::Closed);
    assert_eq!(
        stored,
        Round {
            status: RoundStatus::Closed,
            ..round
        },
        "nothing else changed"
    );
}

pub async fn counts_follow_invitations_and_responses(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let counts = |issued, answered| RoundCounts { issued, answered };
    assert_eq!(
        store.round_counts(&round.id).await.expect("counts"),
        counts(0, 0)
    );
    assert_eq!(
        store
            .round_counts(&RoundId::random())
            .await
            .expect("counts"),
        counts(0, 0)
    );

    let (single, _, _) = invitation(&round);
    store.create_invitation(&single).await.expect("invitation");
    let (_, secret, made) = first_batch(&*store, &round, &[1, 2, 3]).await;
    assert_eq!(
        store.round_counts(&round.id).await.expect("counts"),
        counts(4, 0)
    );

    for new in [&single, &made[0]] {
        let outcome = store
            .submit_response(&new.invitation.id, &response(&round), None)
            .await
            .expect("submit");
        assert_eq!(outcome, SubmitOutcome::Stored);
    }
    // A reminder gives the same invitations new letters: none is issued twice.
    let (reminder, reminder_secret) = stored_batch(&round, BatchKind::Reminder, &[2, 3]);
    store
        .add_credentials(
            &reminder,
            None,
            &batch_credentials(&reminder_secret, &made[1..]),
        )
        .await
        .expect("reminder");
    assert_eq!(
        store.round_counts(&round.id).await.expect("counts"),
        counts(4, 2)
    );
    assert_eq!(store.count_responses(&round.id).await.expect("count"), 2);
    assert_ne!(secret.link(1), reminder_secret.link(1));
}

pub async fn answered_per_day_counts_each_day(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let today = now().date();
    let days = [
        today,
        today - Duration::days(2),
        today,
        today - Duration::days(1),
        today,
    ];
    for day in days {
        let (new, _, _) = invitation(&round);
        store.create_invitation(&new).await.expect("invitation");
        let response = Response {
            submitted_on: day,
            ..response(&round)
        };
        store
            .submit_response(&new.invitation.id, &response, None)
            .await
            .expect("submit");
    }
    // Another round's answers are its own.
    let other = new_round(&*store).await;
    let (new, _, _) = invitation(&other);
    store.create_invitation(&new).await.expect("invitation");
    store
        .submit_response(&new.invitation.id, &response(&other), None)
        .await
        .expect("submit");

    assert_eq!(
        store.answered_per_day(&round.id).await.expect("per day"),
        vec![
            (today - Duration::days(2), 1),
            (today - Duration::days(1), 1),
            (today, 3)
        ]
    );
    assert_eq!(
        store.answered_per_day(&other.id).await.expect("per day"),
        vec![(today, 1)]
    );
    assert!(
        store
            .answered_per_day(&RoundId::random())
            .await
            .expect("per day")
            .is_empty()
    );
}

// --- Batches ---

pub async fn fifty_concurrent_reservations_never_share_a_number(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            let round = round.id.clone();
            tokio::spawn(async move { store.reserve_numbers(&round, 3).await })
        })
        .collect();
    let mut numbers = HashSet::new();
    for task in tasks {
        let first = task.await.expect("the task ran").expect("reserve");
        assert!(first >= 1, "running numbers start at 1");
        for number in first..first + 3 {
            assert!(numbers.insert(number), "{number} was given twice");
        }
    }
    assert_eq!(numbers.len(), 150);
    // Numbers once given stay given.
    let next = store.reserve_numbers(&round.id, 1).await.expect("reserve");
    assert!(!numbers.contains(&next));
    let result = store.reserve_numbers(&RoundId::random(), 1).await;
    assert!(
        matches!(result, Err(StoreError::UnknownRound)),
        "got {result:?}"
    );
}

pub async fn a_batch_of_twenty_thousand_is_stored_and_counted(store: Arc<dyn Store>) {
    const SIZE: u32 = 20_000;
    let round = new_round(&*store).await;
    let first = store
        .reserve_numbers(&round.id, SIZE)
        .await
        .expect("reserve");
    let numbers: Vec<u32> = (first..first + SIZE).collect();
    let (batch, secret, made) = first_batch(&*store, &round, &numbers).await;

    assert_eq!(
        store.round_counts(&round.id).await.expect("counts").issued,
        u64::from(SIZE)
    );
    assert_eq!(
        store.batch(&round.id, &batch.id).await.expect("read"),
        Some(batch.clone())
    );
    // The batch is the round's only, and not another round's.
    assert_eq!(
        store.batches(&round.id).await.expect("list"),
        vec![batch.clone()]
    );
    assert_eq!(
        store
            .batch(&RoundId::random(), &batch.id)
            .await
            .expect("read"),
        None
    );
    let last = made.last().expect("made");
    assert_eq!(
        opens(&*store, &secret.link(last.number)).await,
        Some(last.invitation.id.clone())
    );
    assert_eq!(
        opens(&*store, &secret.code(first, 0)).await,
        Some(made[0].invitation.id.clone())
    );
    let page = store
        .invitation_summaries(&round.id, first + SIZE - 3, 10)
        .await
        .expect("summaries");
    let listed: Vec<u32> = page.iter().map(|summary| summary.number).collect();
    assert_eq!(listed, [first + SIZE - 2, first + SIZE - 1]);
    // Numbers in a batch are never reserved again.
    assert!(store.reserve_numbers(&round.id, 1).await.expect("reserve") >= first + SIZE);
}

pub async fn a_batch_with_a_credential_in_use_is_a_duplicate_and_leaves_nothing_usable(
    store: Arc<dyn Store>,
) {
    let round = new_round(&*store).await;
    let (existing, existing_link, existing_code) = invitation(&round);
    store
        .create_invitation(&existing)
        .await
        .expect("invitation");
    let before = store.round_counts(&round.id).await.expect("counts");

    let numbers = [1, 2, 3, 4, 5];
    let (batch, secret) = stored_batch(&round, BatchKind::First, &numbers);
    let mut invitations = batch_invitations(&round, &secret, &numbers);
    // The last invitation's code is already taken.
    invitations[4].code_hash = existing_code.hash(&hash_key());
    let result = store.create_batch(&batch, &invitations).await;
    assert!(
        matches!(result, Err(StoreError::DuplicateCredential)),
        "got {result:?}"
    );

    for &number in &numbers {
        assert_eq!(opens(&*store, &secret.link(number)).await, None);
        assert_eq!(opens(&*store, &secret.code(number, 0)).await, None);
    }
    assert_eq!(store.batch(&round.id, &batch.id).await.expect("read"), None);
    assert!(store.batches(&round.id).await.expect("list").is_empty());
    assert_eq!(store.round_counts(&round.id).await.expect("counts"), before);
    let listed = summaries(&*store, &round.id).await;
    assert!(
        listed
            .iter()
            .all(|summary| summary.id == existing.invitation.id),
        "{listed:?}"
    );
    // The invitation that had the code keeps it.
    assert_eq!(
        opens(&*store, &existing_code).await,
        Some(existing.invitation.id.clone())
    );
    assert_eq!(
        opens(&*store, &existing_link).await,
        Some(existing.invitation.id)
    );
}

pub async fn a_reminder_adds_credentials_and_the_first_still_open(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (first, first_secret, made) = first_batch(&*store, &round, &[1, 2, 3]).await;
    let (reminder, secret) = stored_batch(&round, BatchKind::Reminder, &[1, 3]);
    let reminded = [made[0].clone(), made[2].clone()];
    store
        .add_credentials(&reminder, None, &batch_credentials(&secret, &reminded))
        .await
        .expect("reminder");

    for new in &reminded {
        let id = Some(new.invitation.id.clone());
        assert_eq!(opens(&*store, &secret.link(new.number)).await, id);
        assert_eq!(opens(&*store, &secret.code(new.number, 0)).await, id);
        assert_eq!(opens(&*store, &first_secret.link(new.number)).await, id);
        assert_eq!(opens(&*store, &first_secret.code(new.number, 0)).await, id);
    }
    let reminders: Vec<(u32, u8)> = summaries(&*store, &round.id)
        .await
        .iter()
        .map(|summary| (summary.number, summary.reminders))
        .collect();
    assert_eq!(reminders, [(1, 1), (2, 0), (3, 1)]);
    assert_eq!(
        store.batches(&round.id).await.expect("list"),
        vec![first, reminder],
        "oldest first"
    );
}

pub async fn a_reissue_revokes_the_lost_batchs_credentials(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (lost, lost_secret, made) = first_batch(&*store, &round, &[1, 2]).await;
    let (reminder, reminder_secret) = stored_batch(&round, BatchKind::Reminder, &[1, 2]);
    store
        .add_credentials(&reminder, None, &batch_credentials(&reminder_secret, &made))
        .await
        .expect("reminder");
    // Only number 1's letter was lost.
    let (reissue, secret) = stored_batch(&round, BatchKind::Reissue, &[1]);
    store
        .add_credentials(
            &reissue,
            Some(&lost.id),
            &batch_credentials(&secret, &made[..1]),
        )
        .await
        .expect("reissue");

    let one = Some(made[0].invitation.id.clone());
    assert_eq!(opens(&*store, &lost_secret.link(1)).await, None);
    assert_eq!(opens(&*store, &lost_secret.code(1, 0)).await, None);
    assert_eq!(opens(&*store, &secret.link(1)).await, one);
    assert_eq!(opens(&*store, &secret.code(1, 0)).await, one);
    // Other batches' credentials, and the lost batch's for invitations not reissued, work.
    assert_eq!(opens(&*store, &reminder_secret.link(1)).await, one);
    assert_eq!(
        opens(&*store, &lost_secret.link(2)).await,
        Some(made[1].invitation.id.clone())
    );
    let reminders: Vec<u8> = summaries(&*store, &round.id)
        .await
        .iter()
        .map(|summary| summary.reminders)
        .collect();
    assert_eq!(reminders, [1, 1], "a reissue is no reminder");
}

pub async fn deleting_a_batch_removes_its_invitations_and_credentials(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (kept, kept_secret, kept_made) = first_batch(&*store, &round, &[1]).await;
    let (doomed, secret, made) = first_batch(&*store, &round, &[2, 3]).await;
    let (reminder, reminder_secret) = stored_batch(&round, BatchKind::Reminder, &[1]);
    store
        .add_credentials(
            &reminder,
            None,
            &batch_credentials(&reminder_secret, &kept_made),
        )
        .await
        .expect("reminder");
    assert_eq!(
        store.round_counts(&round.id).await.expect("counts").issued,
        3
    );

    store
        .delete_batch(&round.id, &reminder.id)
        .await
        .expect("delete the reminder");
    assert_eq!(opens(&*store, &reminder_secret.link(1)).await, None);
    assert_eq!(opens(&*store, &reminder_secret.code(1, 0)).await, None);
    let kept_id = Some(kept_made[0].invitation.id.clone());
    assert_eq!(opens(&*store, &kept_secret.link(1)).await, kept_id);

    store
        .delete_batch(&round.id, &doomed.id)
        .await
        .expect("delete the batch");
    for new in &made {
        assert_eq!(opens(&*store, &secret.link(new.number)).await, None);
        assert_eq!(opens(&*store, &secret.code(new.number, 0)).await, None);
    }
    let numbers: Vec<u32> = summaries(&*store, &round.id)
        .await
        .iter()
        .map(|summary| summary.number)
        .collect();
    assert_eq!(numbers, [1]);
    assert_eq!(
        store.batch(&round.id, &doomed.id).await.expect("read"),
        None
    );
    assert_eq!(store.batches(&round.id).await.expect("list"), vec![kept]);
    assert_eq!(
        store.round_counts(&round.id).await.expect("counts").issued,
        1
    );
    assert_eq!(opens(&*store, &kept_secret.code(1, 0)).await, kept_id);
    // Deleting what is gone (or never was) is no error.
    store
        .delete_batch(&round.id, &doomed.id)
        .await
        .expect("delete again");
    store
        .delete_batch(&round.id, &BatchId::random())
        .await
        .expect("delete an unknown batch");
}

pub async fn invitation_summaries_page_by_number_and_show_status(store: Arc<dyn Store>) {
    let round = new_round(&*store).await;
    let (_, _, made) = first_batch(&*store, &round, &[1, 2, 3, 4, 5]).await;
    store
        .submit_response(&made[1].invitation.id, &response(&round), None)
        .await
        .expect("submit");
    // Another round's invitations are never listed.
    let other = new_round(&*store).await;
    first_batch(&*store, &other, &[1, 2, 3]).await;

    let page = |after, limit| {
        let store = Arc::clone(&store);
        let round = round.id.clone();
        async move {
            store
                .invitation_summaries(&round, after, limit)
                .await
                .expect("summaries")
        }
    };
    let first = page(0, 2).await;
    assert_eq!(
        first,
        vec![
            InvitationSummary {
                id: made[0].invitation.id.clone(),
                number: 1,
                status: InvitationStatus::Open,
                reminders: 0,
            },
            InvitationSummary {
                id: made[1].invitation.id.clone(),
                number: 2,
                status: InvitationStatus::Answered,
                reminders: 0,
            },
        ]
    );
    let numbers = |summaries: Vec<InvitationSummary>| -> Vec<u32> {
        summaries.iter().map(|summary| summary.number).collect()
    };
    assert_eq!(numbers(page(2, 2).await), [3, 4]);
    assert_eq!(numbers(page(4, 2).await), [5]);
    assert!(page(5, 2).await.is_empty());
    assert_eq!(numbers(page(0, 100).await), [1, 2, 3, 4, 5]);
}

// --- The audit trail ---

pub async fn audit_entries_are_newest_first_paged_and_per_organisation(store: Arc<dyn Store>) {
    let start = now() - Duration::hours(1);
    let at = |minutes| start + Duration::minutes(minutes);
    let mut refused = audit_entry("kungalv", AuditAction::KeyRevoked, at(3));
    refused.result = AuditResult::Refused("Nyckeln finns inte".to_owned());
    let entries = [
        audit_entry("kungalv", AuditAction::SignIn, at(0)),
        audit_entry("kungalv", AuditAction::RoundCreated, at(2)),
        audit_entry("kungalv", AuditAction::KeyCreated, at(1)),
        refused,
        audit_entry("kungalv", AuditAction::SignOut, at(4)),
    ];
    let others = [
        audit_entry("annankommun", AuditAction::SignIn, at(1)),
        audit_entry("annankommun", AuditAction::SignOut, at(5)),
    ];
    for entry in entries.iter().chain(&others) {
        store.append_audit(entry).await.expect("append");
    }

    let mut newest_first: Vec<AuditEntry> = entries.to_vec();
    newest_first.sort_by_key(|entry| std::cmp::Reverse(entry.at));
    let mut read = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<AuditCursor> = None;
    loop {
        let page = store
            .audit_trail(&slug("kungalv"), cursor.as_ref(), 2)
            .await
            .expect("a page");
        sizes.push(page.entries.len());
        read.extend(page.entries);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(read, newest_first);

    let theirs = store
        .audit_trail(&slug("annankommun"), None, 10)
        .await
        .expect("a page");
    assert_eq!(theirs.entries, vec![others[1].clone(), others[0].clone()]);
    assert_eq!(theirs.next, None);
    let none = store
        .audit_trail(&slug("okand"), None, 10)
        .await
        .expect("a page");
    assert!(none.entries.is_empty() && none.next.is_none());
}
