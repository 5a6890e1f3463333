//! The tables, the connection settings and the migrations that bring an older file up to date.

use rusqlite::Connection;

use crate::store::StoreResult;

/// Every connection's settings.
///
/// - WAL journal with `synchronous = FULL`: a committed transaction survives a crash or a
///   power cut, and readers never wait for the writer.
/// - `secure_delete`: deleted content (a draft after its Send, expired drafts, the rows a
///   migration moves) is overwritten with zeros instead of lingering in free space.
/// - 8 kB pages, for a new file only (a file's page size is fixed once it has tables and
///   is in WAL mode; an older file keeps its 4 kB until a `VACUUM` outside WAL mode). A
///   stored response (about 1.4 kB of JSON for the patient survey) is larger than the
///   1 kB a `WITHOUT ROWID` row keeps on a 4 kB page, so each took a leaf share plus a
///   4 kB overflow page of its own: 100,000 responses made a 468 MB file, read page by page
///   twice per export. With 8 kB pages the same rows fit their leaves (164 MB), and one
///   export read pass took 0.13 to 0.14 s instead of 0.33 to 0.50 s (BENCHMARKS.md,
///   "Export"). Other writes carry 8 kB frames to the log instead of 4 kB.
pub(super) const CONNECTION_SETTINGS: &str = "PRAGMA page_size = 8192; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

/// The current schema, which a new database gets as a whole.
///
/// `responses` has no rowid: rows are kept in the order of their random ids, so neither a
/// rowid nor the physical order of the file tells in which order responses arrived.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS questionnaires (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE IF NOT EXISTS municipalities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    contact TEXT NOT NULL,
    privacy_notice TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rounds (
    id TEXT PRIMARY KEY,
    municipality TEXT NOT NULL REFERENCES municipalities (id),
    name TEXT NOT NULL,
    questionnaire_id TEXT NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    response_count INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL DEFAULT 'patient',
    status TEXT NOT NULL DEFAULT 'open',
    period_start TEXT NOT NULL DEFAULT '2026-01-01',
    period_end TEXT NOT NULL DEFAULT '2026-12-31',
    unit TEXT NOT NULL DEFAULT '',
    sent_by TEXT,
    created_at INTEGER NOT NULL DEFAULT 0,
    issued INTEGER NOT NULL DEFAULT 0,
    next_number INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS rounds_by_municipality ON rounds (municipality, created_at);
CREATE INDEX IF NOT EXISTS rounds_by_sender ON rounds (sent_by, created_at) WHERE sent_by IS NOT NULL;
CREATE TABLE IF NOT EXISTS invitations (
    id TEXT PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds (id),
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    number INTEGER NOT NULL DEFAULT 0,
    reminders INTEGER NOT NULL DEFAULT 0,
    batch TEXT
);
CREATE INDEX IF NOT EXISTS invitations_by_number ON invitations (round, number);
CREATE INDEX IF NOT EXISTS invitations_by_batch ON invitations (batch) WHERE batch IS NOT NULL;
CREATE TABLE IF NOT EXISTS credentials (
    hash TEXT PRIMARY KEY,
    invitation TEXT NOT NULL REFERENCES invitations (id),
    batch TEXT
);
-- A reissue revokes one batch's credentials of an invitation; deleting a batch, all of its.
CREATE INDEX IF NOT EXISTS credentials_by_batch ON credentials (batch, invitation)
    WHERE batch IS NOT NULL;
CREATE INDEX IF NOT EXISTS credentials_by_invitation ON credentials (invitation);
CREATE TABLE IF NOT EXISTS drafts (
    invitation TEXT PRIMARY KEY REFERENCES invitations (id),
    answers TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
-- Saving a draft deletes the expired ones: found by this index, not a scan.
CREATE INDEX IF NOT EXISTS drafts_by_expiry ON drafts (expires_at);
CREATE TABLE IF NOT EXISTS responses (
    round TEXT NOT NULL REFERENCES rounds (id),
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (round, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS failed_lookups (
    client TEXT NOT NULL,
    minute INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (client, minute)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS answered_per_day (
    round TEXT NOT NULL REFERENCES rounds (id),
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (round, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    network TEXT
);
CREATE TABLE IF NOT EXISTS access_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    organisation TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS access_keys_by_organisation ON access_keys (organisation, created_at);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    round TEXT NOT NULL REFERENCES rounds (id),
    kind TEXT NOT NULL,
    numbers TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    code_attempts TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_by_round ON batches (round, created_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation TEXT NOT NULL,
    key_label TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    at INTEGER NOT NULL,
    refused TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_organisation ON audit (organisation, at, seq);
-- The trail is append-only: not even a bug in this program can change or remove a line.
CREATE TRIGGER IF NOT EXISTS audit_is_never_updated BEFORE UPDATE ON audit
BEGIN SELECT RAISE (ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_is_never_deleted BEFORE DELETE ON audit
BEGIN SELECT RAISE (ABORT, 'the audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS network_sends (
    id TEXT PRIMARY KEY,
    network TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS network_sends_by_network ON network_sends (network, created_at);
CREATE TABLE IF NOT EXISTS mapping_links (
    round TEXT PRIMARY KEY REFERENCES rounds (id),
    hash TEXT NOT NULL UNIQUE,
    answer_limit INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    visitors INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reports (
    round TEXT PRIMARY KEY REFERENCES rounds (id),
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS network_reminders (
    round TEXT PRIMARY KEY REFERENCES rounds (id),
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploaded_questionnaires (
    network TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    uploaded_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (network, id, version)
);
-- Export jobs (store/embedded/export_jobs.rs): the state and times in columns of their
-- own, the parts that never change (scope, rounds, settings, seed, who asked) as JSON.
CREATE TABLE IF NOT EXISTS export_jobs (
    id TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    active INTEGER,
    phase TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS export_jobs_by_organisation
    ON export_jobs (organisation, created_at);
CREATE INDEX IF NOT EXISTS export_jobs_by_expiry ON export_jobs (expires_at);
-- At most one active (queued or running) job per organisation and dedupe key: `active`
-- is 1 while a job is active and NULL after.
CREATE UNIQUE INDEX IF NOT EXISTS export_jobs_active
    ON export_jobs (organisation, dedupe_key) WHERE active = 1;
-- Each response's export row (`ExportRow`), stored with it at Send, in a table of its
-- own: an export reads these rows of about 100 bytes instead of the responses' JSON
-- (BENCHMARKS.md, \"Export rows stored at Send\"). Responses stored before have none.
CREATE TABLE IF NOT EXISTS export_rows (
    round TEXT NOT NULL REFERENCES rounds (id),
    id TEXT NOT NULL,
    format INTEGER NOT NULL,
    excel_same INTEGER NOT NULL,
    cells TEXT NOT NULL,
    PRIMARY KEY (round, id)
) WITHOUT ROWID;
";

/// Changes to tables made by an earlier version, applied in order; `PRAGMA user_version`
/// counts those already applied. A new database gets the current schema from [`SCHEMA`]
/// and skips them all.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: a municipality's contact and privacy notice.
    "ALTER TABLE municipalities ADD COLUMN contact TEXT NOT NULL DEFAULT '{\"sv\":\"\"}';
     ALTER TABLE municipalities ADD COLUMN privacy_notice TEXT NOT NULL DEFAULT '{\"sv\":\"\"}';",
    // 2: responses without a rowid (see SCHEMA). The old table's pages are zeroed as they
    // are freed (`secure_delete`).
    "CREATE TABLE responses_without_rowid (
         round TEXT NOT NULL REFERENCES rounds (id),
         id TEXT NOT NULL,
         body TEXT NOT NULL,
         PRIMARY KEY (round, id)
     ) WITHOUT ROWID;
     INSERT INTO responses_without_rowid (round, id, body) SELECT round, id, body FROM responses;
     DROP TABLE responses;
     ALTER TABLE responses_without_rowid RENAME TO responses;",
    // 3: a round's kind, status, period, unit, sender and creation time. Rounds made
    // before are open patient rounds of 2026.
    "ALTER TABLE rounds ADD COLUMN kind TEXT NOT NULL DEFAULT 'patient';
     ALTER TABLE rounds ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
     ALTER TABLE rounds ADD COLUMN period_start TEXT NOT NULL DEFAULT '2026-01-01';
     ALTER TABLE rounds ADD COLUMN period_end TEXT NOT NULL DEFAULT '2026-12-31';
     ALTER TABLE rounds ADD COLUMN unit TEXT NOT NULL DEFAULT '';
     ALTER TABLE rounds ADD COLUMN sent_by TEXT;
     ALTER TABLE rounds ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;",
    // 4: the workspace. Invitations get their running number, reminder count and batch,
    // credentials their batch; rounds count what they issued and the next free number;
    // answers are counted per day (from the responses already stored). The workspace's
    // new tables come from SCHEMA.
    "ALTER TABLE invitations ADD COLUMN number INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE invitations ADD COLUMN reminders INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE invitations ADD COLUMN batch TEXT;
     ALTER TABLE credentials ADD COLUMN batch TEXT;
     ALTER TABLE rounds ADD COLUMN issued INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE rounds ADD COLUMN next_number INTEGER NOT NULL DEFAULT 1;
     UPDATE rounds SET issued = (SELECT COUNT(*) FROM invitations WHERE invitations.round = rounds.id);
     CREATE TABLE answered_per_day (
         round TEXT NOT NULL REFERENCES rounds (id),
         day TEXT NOT NULL,
         count INTEGER NOT NULL,
         PRIMARY KEY (round, day)
     ) WITHOUT ROWID;
     INSERT INTO answered_per_day (round, day, count)
         SELECT round, json_extract(body, '$.submitted_on'), COUNT(*) FROM responses
         GROUP BY 1, 2;",
    // 5 (network): the network's sends, mapping links, reports, reminders and uploads.
    // New tables only; [`SCHEMA`] (run after the migrations) creates them.
    "SELECT 1;",
    // 6 (exports): export jobs, with their indexes. Written out here (not only in SCHEMA)
    // so that this migration says what it adds.
    "CREATE TABLE IF NOT EXISTS export_jobs (
    id TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    active INTEGER,
    phase TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS export_jobs_by_organisation
    ON export_jobs (organisation, created_at);
CREATE INDEX IF NOT EXISTS export_jobs_by_expiry ON export_jobs (expires_at);
-- At most one active (queued or running) job per organisation and dedupe key: `active`
-- is 1 while a job is active and NULL after.
CREATE UNIQUE INDEX IF NOT EXISTS export_jobs_active
    ON export_jobs (organisation, dedupe_key) WHERE active = 1;
",
    // 7 (export rows): a new table only; [`SCHEMA`] (run after the migrations) creates
    // it. Responses stored before get no row: their exports read the JSON.
    "SELECT 1;",
];

/// Brings the schema up to date in one transaction: a new file gets [`SCHEMA`], an older
/// one its [`MIGRATIONS`]. A crash half-way leaves the file as it was.
pub(super) fn migrate(connection: &mut Connection) -> StoreResult<()> {
    let current = MIGRATIONS.len() as i64;
    let transaction =
        connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let is_new: bool = transaction.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'municipalities')",
        [],
        |row| row.get(0),
    )?;
    if is_new {
        transaction.execute_batch(SCHEMA)?;
    } else {
        for migration in MIGRATIONS.iter().skip(version.max(0) as usize) {
            transaction.execute_batch(migration)?;
        }
        // Tables added since (without data to migrate) come with `IF NOT EXISTS`.
        transaction.execute_batch(SCHEMA)?;
    }
    transaction.execute_batch(&format!("PRAGMA user_version = {current}"))?;
    transaction.commit()?;
    Ok(())
}
