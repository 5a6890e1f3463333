//! The writer's group commit and failure paths, and the migration of an older file: what
//! the storage contract (tests/contract) cannot see from outside.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use rusqlite::Connection;

use super::writer::AfterCommit;
use super::*;
use crate::domain::questionnaire::Slug;
use crate::domain::*;
use crate::store::{ResponseStore, RoundAdminStore, SetupStore};

fn open(dir: &tempfile::TempDir) -> EmbeddedStore {
    EmbeddedStore::open(&dir.path().join("svar.sqlite3")).unwrap()
}

/// A write job that counts one failed look-up for `client`.
fn count_client(client: String) -> impl FnOnce(&Connection) -> StoreResult<()> + Send {
    move |conn| {
        conn.prepare_cached(
            "INSERT INTO failed_lookups (client, minute, count) VALUES (?1, 0, 1)",
        )?
        .execute([client])?;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_queued_together_share_one_commit_and_a_failing_one_is_rolled_back_alone() {
    const WRITES: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);

    // Hold the writer in a job of its own until every other write is queued, so that what
    // the writer finds next is exactly those writes.
    let (started, writer_busy) = std::sync::mpsc::channel();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let gate = store.writer.write(AfterCommit::Nothing, move |_| {
        started.send(()).unwrap();
        held.recv().unwrap();
        Ok(())
    });
    tokio::task::spawn_blocking(move || writer_busy.recv())
        .await
        .unwrap()
        .unwrap();
    let before = store.commits();

    let writes: Vec<_> = (0..WRITES)
        .map(|i| {
            store
                .writer
                .write(AfterCommit::Nothing, count_client(format!("klient-{i}")))
        })
        .collect();
    // Writes a row of its own, then breaks the primary key: all of it must go.
    let failing = store.writer.write(AfterCommit::Nothing, |conn| {
        count_client("doomed".to_owned())(conn)?;
        count_client("klient-0".to_owned())(conn)
    });
    release.send(()).unwrap();

    gate.await.unwrap();
    for write in writes {
        write.await.expect("each write is committed");
    }
    assert!(
        failing.await.is_err(),
        "the failing write gets its own error"
    );
    assert_eq!(
        store.commits() - before,
        2,
        "one commit for the holding job, one for all {WRITES} writes queued behind it"
    );
    let (rows, doomed): (i64, i64) = store
        .readers
        .read(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE client = 'doomed') FROM failed_lookups",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!(rows, WRITES as i64);
    assert_eq!(doomed, 0, "the failing write left nothing behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_a_full_disk_is_unavailable_and_the_store_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    // A full disk, as SQLite meets it: the file may not grow by a single page.
    store
        .writer
        .write(AfterCommit::Nothing, |conn| {
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |row| row.get(0))?;
            conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |row| {
                row.get::<_, i64>(0)
            })?;
            Ok(())
        })
        .await
        .unwrap();

    let big = store
        .writer
        .write(AfterCommit::Nothing, count_client("x".repeat(1 << 20)));
    let result = tokio::time::timeout(Duration::from_secs(30), big)
        .await
        .expect("a failed write is answered, never left waiting");
    assert!(
        matches!(result, Err(StoreError::Unavailable(_))),
        "got {result:?}"
    );
    let round = RoundId::random();
    assert_eq!(store.count_responses(&round).await.unwrap(), 0);
}

/// The schema as the previous version (`user_version` 1) made it: responses with a rowid.
const VERSION_1_SCHEMA: &str = "
CREATE TABLE questionnaires (id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL,
    PRIMARY KEY (id, version));
CREATE TABLE municipalities (id TEXT PRIMARY KEY, name TEXT NOT NULL, contact TEXT NOT NULL,
    privacy_notice TEXT NOT NULL);
CREATE TABLE rounds (id TEXT PRIMARY KEY, municipality TEXT NOT NULL REFERENCES municipalities (id),
    name TEXT NOT NULL, questionnaire_id TEXT NOT NULL, questionnaire_version INTEGER NOT NULL,
    response_count INTEGER NOT NULL DEFAULT 0);
CREATE TABLE invitations (id TEXT PRIMARY KEY, round TEXT NOT NULL REFERENCES rounds (id),
    status TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE credentials (hash TEXT PRIMARY KEY, invitation TEXT NOT NULL REFERENCES invitations (id));
CREATE TABLE drafts (invitation TEXT PRIMARY KEY REFERENCES invitations (id), answers TEXT NOT NULL,
    expires_at INTEGER NOT NULL);
CREATE TABLE responses (round TEXT NOT NULL REFERENCES rounds (id), id TEXT NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (round, id));
CREATE TABLE failed_lookups (client TEXT NOT NULL, minute INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (client, minute)) WITHOUT ROWID;
PRAGMA user_version = 1;
";

#[tokio::test]
async fn a_database_of_the_previous_version_opens_with_its_data_and_responses_without_rowid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svar.sqlite3");
    let municipality = Slug::parse("gammalkommun").unwrap();
    let round = Round::open_patient_round(
        municipality.clone(),
        "Våren",
        QuestionnaireRef {
            id: Slug::parse("gammal").unwrap(),
            version: 1,
        },
        time::OffsetDateTime::now_utc(),
    );
    let responses: Vec<Response> = (0..3)
        .map(|_| Response {
            id: ResponseId::random(),
            round: round.id.clone(),
            municipality: municipality.clone(),
            questionnaire: round.questionnaire.clone(),
            submitted_on: time::macros::date!(2026 - 03 - 01),
            answers: BTreeMap::new(),
        })
        .collect();
    {
        let old = Connection::open(&path).unwrap();
        old.execute_batch(VERSION_1_SCHEMA).unwrap();
        old.execute(
            "INSERT INTO municipalities VALUES ('gammalkommun', 'Gammal kommun', '{\"sv\":\"\"}', '{\"sv\":\"\"}')",
            [],
        )
        .unwrap();
        old.execute(
            "INSERT INTO rounds VALUES (?1, 'gammalkommun', 'Våren', 'gammal', 1, 3)",
            [round.id.to_string()],
        )
        .unwrap();
        old.execute(
            "INSERT INTO invitations VALUES (?1, ?2, 'answered', 0)",
            [InvitationId::random().to_string(), round.id.to_string()],
        )
        .unwrap();
        // Stored as then, with every answer tagged (before store::response_body).
        for response in &responses {
            old.execute(
                "INSERT INTO responses (round, id, body) VALUES (?1, ?2, ?3)",
                [
                    round.id.to_string(),
                    response.id.to_string(),
                    to_json(response).unwrap(),
                ],
            )
            .unwrap();
        }
    }

    let store = EmbeddedStore::open(&path).unwrap();
    // Rounds made before migration 3 are open patient rounds of 2026, made at time 0.
    let migrated = Round {
        period: Period::new(
            time::macros::date!(2026 - 01 - 01),
            time::macros::date!(2026 - 12 - 31),
        )
        .unwrap(),
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        ..round.clone()
    };
    assert_eq!(store.round(&round.id).await.unwrap(), Some(migrated));
    assert_eq!(store.count_responses(&round.id).await.unwrap(), 3);
    // Migration 4 counted the invitation made before as issued, and the answers per day.
    let counts = store.round_counts(&round.id).await.unwrap();
    assert_eq!((counts.issued, counts.answered), (1, 3));
    assert_eq!(
        store.answered_per_day(&round.id).await.unwrap(),
        vec![(time::macros::date!(2026 - 03 - 01), 3)]
    );
    let page = store.responses_page(&round.id, None, 10).await.unwrap();
    let mut expected = responses.clone();
    expected.sort_by_key(|response| response.id.to_string());
    assert_eq!(page.responses, expected);
    let (definition, version): (String, i64) = store
        .readers
        .read(|conn| {
            let definition = conn.query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'responses'",
                [],
                |row| row.get(0),
            )?;
            let version = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
            Ok((definition, version))
        })
        .unwrap();
    assert!(definition.contains("WITHOUT ROWID"), "{definition}");
    assert_eq!(version, schema::MIGRATIONS.len() as i64);

    // And the migrated file opens again as it is.
    drop(store);
    let store = EmbeddedStore::open(&path).unwrap();
    assert_eq!(store.count_responses(&round.id).await.unwrap(), 3);
}

#[tokio::test]
async fn the_audit_trail_refuses_any_change_or_removal_of_a_line() {
    use crate::store::AuditStore;

    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let entry = AuditEntry {
        organisation: Slug::parse("kungalv").unwrap(),
        key_label: "Anna".into(),
        action: AuditAction::SignIn,
        object: String::new(),
        at: time::OffsetDateTime::UNIX_EPOCH,
        result: AuditResult::Done,
    };
    store.append_audit(&entry).await.unwrap();
    for sql in ["UPDATE audit SET object = 'ändrad'", "DELETE FROM audit"] {
        let result = store.write(move |conn| Ok(conn.execute(sql, [])?)).await;
        assert!(result.is_err(), "{sql} was allowed");
    }
    let page = store
        .audit_trail(&entry.organisation, None, 10)
        .await
        .unwrap();
    assert_eq!(page.entries, vec![entry]);
}

/// A batch is one write job: one transaction, whatever its size. (Its time is measured
/// here but not asserted: debug builds on a shared machine vary too much.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_twenty_thousand_invitations_is_one_commit() {
    use crate::store::{InvitationAdminStore, StoredBatch};

    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let municipality = Municipality {
        id: Slug::parse("kungalv").unwrap(),
        name: "Kungälv".into(),
        contact: crate::domain::text::Localized::swedish("Kontakt"),
        privacy_notice: crate::domain::text::Localized::swedish("Integritet"),
    };
    store.put_municipality(&municipality).await.unwrap();
    let round = Round::open_patient_round(
        municipality.id.clone(),
        "Våren",
        QuestionnaireRef {
            id: Slug::parse("enkat").unwrap(),
            version: 1,
        },
        time::OffsetDateTime::now_utc(),
    );
    store.create_round(&round).await.unwrap();
    let key = HashKey::new(b"test".to_vec());
    let secret = BatchSecret::generate();
    let numbers: Vec<u32> = (1..=20_000).collect();
    let invitations: Vec<NewInvitation> = numbers
        .iter()
        .map(|&number| NewInvitation {
            invitation: Invitation {
                id: InvitationId::random(),
                round: round.id.clone(),
                municipality: municipality.id.clone(),
                questionnaire: round.questionnaire.clone(),
                status: InvitationStatus::Open,
                expires_at: time::OffsetDateTime::now_utc(),
            },
            number,
            link_hash: secret.link(number).hash(&key),
            code_hash: secret.code(number, 0).hash(&key),
        })
        .collect();
    let batch = StoredBatch {
        id: BatchId::random(),
        round: round.id.clone(),
        kind: BatchKind::First,
        numbers,
        secret_hash: secret.hash(&key),
        code_attempts: Vec::new(),
        created_at: time::OffsetDateTime::now_utc(),
    };
    let before = store.commits();
    let started = std::time::Instant::now();
    store.create_batch(&batch, &invitations).await.unwrap();
    let took = started.elapsed();
    assert_eq!(store.commits(), before + 1);
    println!("20 000 invitations stored in {took:?}");
}

#[tokio::test]
async fn a_database_of_version_5_gets_export_jobs_with_one_active_job_per_dedupe_key() {
    use crate::store::{CreatedExport, ExportJobStore};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svar.sqlite3");
    drop(EmbeddedStore::open(&path).unwrap());
    {
        // The file as version 5 left it: no export jobs yet.
        let old = Connection::open(&path).unwrap();
        old.execute_batch("DROP TABLE export_jobs; PRAGMA user_version = 5;")
            .unwrap();
    }
    let store = EmbeddedStore::open(&path).unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
    let job = ExportJob {
        id: ExportJobId::random(),
        organisation: Slug::parse("gammalkommun").unwrap(),
        scope: ExportScope::Round {
            round: RoundId::random(),
        },
        rounds: Vec::new(),
        rounds_left_out: Vec::new(),
        settings: ExportSettings {
            k: 5,
            free_text: false,
        },
        seed: 1,
        requested_by: "Anna".to_owned(),
        state: ExportState::Queued,
        created_at: now,
        updated_at: now,
        expires_at: now + time::Duration::days(30),
    };
    let created = store.create_export_job(&job, now).await.unwrap();
    assert_eq!(created, CreatedExport::Created);
    assert_eq!(
        store.export_job(&job.organisation, &job.id).await.unwrap(),
        Some(job)
    );
    // The index refuses a second active job of the same key, even one written past
    // the store's own check.
    let copy = store
        .write(|conn| {
            conn.execute(
                "INSERT INTO export_jobs SELECT ?1, organisation, dedupe_key, active, phase, spec,
                     state, created_at, updated_at, expires_at FROM export_jobs",
                [ExportJobId::random().to_string()],
            )?;
            Ok(())
        })
        .await;
    assert!(copy.is_err(), "a second active job was stored");
    let version: i64 = store
        .readers
        .read(|conn| Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?))
        .unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn a_database_of_version_6_gets_the_export_rows_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("svar.sqlite3");
    drop(EmbeddedStore::open(&path).unwrap());
    {
        // The file as version 6 left it: no export rows yet.
        let old = Connection::open(&path).unwrap();
        old.execute_batch("DROP TABLE export_rows; PRAGMA user_version = 6;")
            .unwrap();
    }
    let store = EmbeddedStore::open(&path).unwrap();
    let page = store
        .export_rows_page(&RoundId::random(), None, 10)
        .await
        .expect("the table is there");
    assert!(page.rows.is_empty() && page.next.is_none());
    let version: i64 = store
        .readers
        .read(|conn| Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?))
        .unwrap();
    assert_eq!(version, schema::MIGRATIONS.len() as i64);
}
