//! The storage contract test suite: every case in `cases` runs against both stores.
//!
//! `cargo test -p svar-tests --test contract` runs the embedded store's tests. The
//! DynamoDB tests need DynamoDB Local and are ignored unless asked for: tests/run-all
//! starts it (tests/services.sh) and runs them with `--include-ignored`. They fail, never
//! skip, when `SVAR_TEST_DYNAMODB_ENDPOINT` is missing or does not answer.

mod cases;
mod dynamodb_conflicts;
mod dynamodb_workspace;
mod embedded_at_rest;
mod export_job_cases;
mod network_cases;
mod workspace_cases;

/// Every case, the respondent path's and the workspace's, by name.
mod every_case {
    pub use crate::cases::*;
    pub use crate::workspace_cases::*;
}

/// Generates one test per case per store, plus each store's own extra tests.
/// Without `module:`, the cases are those of `every_case`.
macro_rules! contract_tests {
    (
        cases: [$($case:ident),* $(,)?],
        embedded: { $($embedded_extra:item)* },
        dynamodb: { $($dynamodb_extra:item)* } $(,)?
    ) => {
        contract_tests! {
            module: every_case,
            cases: [$($case),*],
            embedded: { $($embedded_extra)* },
            dynamodb: { $($dynamodb_extra)* },
        }
    };
    (
        module: $module:ident,
        cases: [$($case:ident),* $(,)?],
        embedded: { $($embedded_extra:item)* },
        dynamodb: { $($dynamodb_extra:item)* } $(,)?
    ) => {
        /// The SQLite store, each test on its own database file.
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let backend = svar_tests::backend::Embedded::new();
                    crate::$module::$case(std::sync::Arc::clone(&backend.store)).await;
                }
            )*
            $($embedded_extra)*
        }

        /// The DynamoDB store on DynamoDB Local, each test on its own new table.
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[ignore = "needs DynamoDB Local: run tests/run-all"]
                async fn $case() {
                    let backend = svar_tests::backend::Dynamo::new().await;
                    crate::$module::$case(std::sync::Arc::clone(&backend.store)).await;
                }
            )*
            $($dynamodb_extra)*
        }
    };
}

contract_tests! {
    cases: [
        publishing_the_same_version_twice_is_a_no_op,
        publishing_changed_content_under_a_published_version_is_refused,
        every_built_in_questionnaire_reads_back_equal,
        an_unknown_questionnaire_or_version_is_none,
        a_created_round_reads_back_equal,
        creating_the_same_round_again_is_a_no_op,
        an_unknown_round_is_none,
        a_round_of_an_unknown_municipality_is_refused,
        putting_a_municipality_again_renames_it,
        an_invitation_opens_by_link_and_by_code_with_the_rounds_data,
        an_unknown_credential_hash_opens_nothing,
        a_credential_hash_already_in_use_is_a_duplicate,
        creating_the_same_invitation_twice_is_a_duplicate,
        an_invitation_to_an_unknown_round_is_refused,
        a_saved_draft_reads_back_and_saving_again_replaces_it,
        an_expired_draft_is_not_returned,
        an_invitation_without_a_draft_has_none,
        a_draft_for_an_unknown_invitation_is_refused,
        a_draft_after_the_response_was_sent_is_refused,
        failed_look_ups_are_counted_per_client_within_the_window,
        concurrent_failed_look_ups_are_all_counted,
        a_response_is_stored_once_and_a_second_submission_is_already_answered,
        submitting_deletes_the_draft,
        submitting_marks_the_invitation_answered,
        submitting_for_an_unknown_invitation_stores_nothing,
        a_response_to_an_unknown_round_is_refused_and_the_invitation_stays_open,
        a_response_id_already_stored_is_refused_and_the_invitation_stays_open,
        an_unknown_round_has_no_responses,
        responses_are_counted_and_listed_per_round,
        seven_responses_page_as_three_three_and_one,
        response_bodies_page_as_the_decoded_pages_do,
        an_exactly_full_last_page_has_no_next_cursor,
        fifty_concurrent_submissions_of_one_invitation_store_exactly_one,
        // The workspace (workspace_cases.rs).
        an_organisation_reads_back_and_is_listed,
        an_access_key_is_found_by_hash_and_by_id,
        revoking_another_organisations_key_is_refused,
        revoking_twice_is_false_the_second_time,
        keys_are_listed_newest_first,
        rounds_are_listed_per_municipality_newest_first_and_never_anothers,
        rounds_sent_by_a_network_are_listed_for_it,
        setting_the_status_of_an_unknown_round_is_false,
        counts_follow_invitations_and_responses,
        answered_per_day_counts_each_day,
        fifty_concurrent_reservations_never_share_a_number,
        a_batch_of_twenty_thousand_is_stored_and_counted,
        a_batch_with_a_credential_in_use_is_a_duplicate_and_leaves_nothing_usable,
        a_reminder_adds_credentials_and_the_first_still_open,
        a_reissue_revokes_the_lost_batchs_credentials,
        deleting_a_batch_removes_its_invitations_and_credentials,
        invitation_summaries_page_by_number_and_show_status,
        audit_entries_are_newest_first_paged_and_per_organisation,
    ],
    embedded: {
        #[tokio::test]
        async fn export_rows_come_back_as_stored_in_the_order_of_the_bodies() {
            let backend = svar_tests::backend::Embedded::new();
            crate::cases::export_rows_as_stored(std::sync::Arc::clone(&backend.store), true)
                .await;
        }

        #[tokio::test]
        async fn stored_data_survives_reopening_the_database_file() {
            use svar_shared::domain::*;
            use svar_shared::store::embedded::EmbeddedStore;
            use svar_shared::store::*;
            use svar_tests::*;

            let dir = tempfile::TempDir::new().expect("a temporary directory");
            let path = dir.path().join("svar.db");
            let questionnaire = questionnaire("kontrakt", 1, "Kontrakt");
            let round = round("kontrakt");
            let (answered, link, _) = invitation(&round);
            let (drafting, _, _) = invitation(&round);
            let response = response(&round);
            let draft = Draft {
                answers: [("nojd".to_owned(), vec!["ja".to_owned()])].into(),
                expires_at: now() + time::Duration::days(1),
            };
            {
                let store = EmbeddedStore::open(&path).expect("open");
                store.publish_questionnaire(&questionnaire).await.expect("publish");
                store.put_municipality(&municipality()).await.expect("municipality");
                store.create_round(&round).await.expect("round");
                store.create_invitation(&answered).await.expect("invitation");
                store.create_invitation(&drafting).await.expect("invitation");
                store
                    .submit_response(&answered.invitation.id, &response, None)
                    .await
                    .expect("submit");
                store
                    .save_draft(&drafting.invitation.id, &draft)
                    .await
                    .expect("draft");
            }

            let store = EmbeddedStore::open(&path).expect("reopen");
            assert_eq!(
                store.questionnaire(&questionnaire.id, 1).await.expect("read"),
                Some(questionnaire)
            );
            assert_eq!(store.round(&round.id).await.expect("read"), Some(round.clone()));
            let invitation = store
                .invitation_by_credential(&link.hash(&hash_key()))
                .await
                .expect("read")
                .expect("the invitation is still there");
            assert_eq!(invitation.status, InvitationStatus::Answered);
            assert_eq!(store.count_responses(&round.id).await.expect("count"), 1);
            let page = store.responses_page(&round.id, None, 10).await.expect("page");
            assert_eq!(page.responses, vec![response]);
            assert_eq!(
                store.draft(&drafting.invitation.id, now()).await.expect("read"),
                Some(draft)
            );
        }
    },
    dynamodb: {
        #[tokio::test]
        #[ignore = "needs DynamoDB Local: run tests/run-all"]
        async fn no_export_rows_are_kept_and_the_responses_are_stored_all_the_same() {
            let backend = svar_tests::backend::Dynamo::new().await;
            crate::cases::export_rows_as_stored(std::sync::Arc::clone(&backend.store), false)
                .await;
        }

        #[tokio::test]
        #[ignore = "needs DynamoDB Local: run tests/run-all"]
        async fn expiring_items_carry_the_time_to_live_and_responses_no_link_to_invitations() {
            use std::collections::HashMap;

            use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
            use svar_shared::domain::*;
            use svar_shared::store::dynamo::{TTL_ATTRIBUTE, keys};
            use svar_tests::*;

            let backend = svar_tests::backend::Dynamo::new().await;
            let (client, tables, store) = (&backend.client, &backend.tables, &backend.store);
            let ttl = client
                .describe_time_to_live()
                .table_name(&tables.invitations)
                .send()
                .await
                .expect("describe time to live");
            let ttl = ttl.time_to_live_description().expect("a description");
            assert_eq!(ttl.attribute_name(), Some(TTL_ATTRIBUTE));
            assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));

            store.put_municipality(&municipality()).await.expect("municipality");
            let round = round("kontrakt");
            store.create_round(&round).await.expect("round");
            let (answered, link, code) = invitation(&round);
            let (drafting, _, _) = invitation(&round);
            store.create_invitation(&answered).await.expect("invitation");
            store.create_invitation(&drafting).await.expect("invitation");
            let draft = Draft {
                answers: [("nojd".to_owned(), vec!["ja".to_owned()])].into(),
                expires_at: now() + time::Duration::days(1),
            };
            store.save_draft(&drafting.invitation.id, &draft).await.expect("draft");
            store
                .submit_response(&answered.invitation.id, &response(&round), None)
                .await
                .expect("submit");

            let get = |table: &str, pk: String, sk: &'static str| {
                let table = table.to_owned();
                async move {
                    client
                        .get_item()
                        .table_name(table)
                        .key("pk", AttributeValue::S(pk))
                        .key("sk", AttributeValue::S(sk.to_owned()))
                        .consistent_read(true)
                        .send()
                        .await
                        .expect("get item")
                        .item
                }
            };
            let ttl_of = |item: &HashMap<String, AttributeValue>| -> i64 {
                match item.get(TTL_ATTRIBUTE) {
                    Some(AttributeValue::N(n)) => n.parse().expect("a number"),
                    other => panic!("{TTL_ATTRIBUTE} is {other:?}"),
                }
            };
            let invitations = &tables.invitations;
            let draft_pk = format!("{}{}", keys::INVITATION_PREFIX, drafting.invitation.id);
            let draft_item = get(invitations, draft_pk, "DRAFT").await.expect("the draft");
            assert_eq!(ttl_of(&draft_item), draft.expires_at.unix_timestamp());
            let expiry = answered.invitation.expires_at.unix_timestamp();
            let invitation_pk = format!("{}{}", keys::INVITATION_PREFIX, answered.invitation.id);
            let invitation_item = get(invitations, invitation_pk.clone(), "META")
                .await
                .expect("the invitation");
            assert!(ttl_of(&invitation_item) >= expiry);
            for hash in [&answered.link_hash, &answered.code_hash] {
                let pk = format!("{}{}", keys::CREDENTIAL_PREFIX, hash.as_str());
                let credential_item = get(invitations, pk, "C").await.expect("the credential");
                assert!(ttl_of(&credential_item) >= expiry);
            }
            // Invitations live only in the table without backups.
            assert!(get(&tables.responses, invitation_pk, "META").await.is_none());

            // The response is in the responses table, with nothing that leads back to
            // the invitation.
            let responses = client
                .query()
                .table_name(&tables.responses)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(format!("{}{}", keys::RESPONSES_PREFIX, round.id)),
                )
                .consistent_read(true)
                .send()
                .await
                .expect("query")
                .items
                .unwrap_or_default();
            assert_eq!(responses.len(), 1);
            let stored = format!("{:?}", responses[0]);
            let secrets = [
                answered.invitation.id.to_string(),
                answered.link_hash.as_str().to_owned(),
                answered.code_hash.as_str().to_owned(),
                link.reveal(),
                code.path_segment().to_owned(),
            ];
            for secret in secrets {
                assert!(!stored.contains(&secret), "a response item holds {secret}");
            }
            assert!(!responses[0].contains_key(TTL_ATTRIBUTE), "responses never expire");
        }

        #[tokio::test]
        #[ignore = "needs DynamoDB Local: run tests/run-all"]
        async fn the_response_count_is_split_over_shards_that_add_up() {
            use aws_sdk_dynamodb::types::AttributeValue;
            use svar_shared::store::dynamo::keys;
            use svar_tests::*;

            let backend = svar_tests::backend::Dynamo::new().await;
            let (client, tables, store) = (&backend.client, &backend.tables, &backend.store);
            store.put_municipality(&municipality()).await.expect("municipality");
            let round = round("kontrakt");
            store.create_round(&round).await.expect("round");
            let submissions = 40;
            for _ in 0..submissions {
                let (new, _, _) = invitation(&round);
                store.create_invitation(&new).await.expect("invitation");
                store
                    .submit_response(&new.invitation.id, &response(&round), None)
                    .await
                    .expect("submit");
            }
            assert_eq!(store.count_responses(&round.id).await.expect("count"), submissions);

            let mut shards_used = 0;
            let mut total = 0;
            for shard in 0..keys::COUNTER_SHARDS {
                let item = client
                    .get_item()
                    .table_name(&tables.responses)
                    .key(
                        "pk",
                        AttributeValue::S(format!("{}{}#{shard:02}", keys::COUNTER_PREFIX, round.id)),
                    )
                    .key("sk", AttributeValue::S("COUNT".to_owned()))
                    .consistent_read(true)
                    .send()
                    .await
                    .expect("get item")
                    .item
                    .unwrap_or_else(|| panic!("shard {shard} was made with the round"));
                let Some(AttributeValue::N(count)) = item.get("count") else {
                    panic!("shard {shard} has no count");
                };
                let count: u64 = count.parse().expect("a number");
                total += count;
                shards_used += usize::from(count > 0);
            }
            assert_eq!(total, submissions);
            // 40 submissions over 16 shards at random: all in one or two shards would
            // mean the shard is not picked at random (chance far below one in 10^30).
            assert!(shards_used > 2, "only {shards_used} shards were used");
        }
    },
}

/// The network's store: the same cases on both stores, as `network::embedded::...` and
/// `network::dynamodb::...`.
mod network {
    contract_tests! {
        module: network_cases,
        cases: [
            a_network_reads_its_sends_newest_first_and_not_anothers,
            a_replaced_mapping_link_stops_opening_and_keeps_the_visitor_count,
            concurrent_mapping_visitors_get_distinct_numbers,
            a_round_without_a_link_has_no_visitors,
            a_report_is_saved_sent_once_reopened_and_sent_again,
            a_reminder_time_reads_back_and_is_replaced,
            uploaded_questionnaires_are_listed_per_network,
        ],
        embedded: {},
        dynamodb: {},
    }
}

/// Export jobs: the same cases on both stores, as `exports::embedded::...` and
/// `exports::dynamodb::...`.
mod exports {
    contract_tests! {
        module: export_job_cases,
        cases: [
            a_created_export_job_reads_back_equal,
            a_second_request_while_one_is_active_returns_it_and_stores_nothing,
            another_k_or_scope_or_free_text_setting_makes_a_new_job,
            a_stalled_active_job_is_marked_interrupted_and_the_new_one_stored,
            a_job_is_claimed_once_and_a_stalled_running_job_again,
            progress_is_recorded_while_running_and_refused_once_finished,
            a_finished_job_frees_its_dedupe_key,
            another_organisation_neither_sees_nor_changes_a_job,
            jobs_are_listed_newest_first_and_only_the_organisations,
            expired_jobs_of_every_organisation_are_removed_and_returned,
            two_concurrent_requests_for_the_same_export_make_one_job,
        ],
        embedded: {},
        dynamodb: {},
    }
}
