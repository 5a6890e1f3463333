//! The disk's own limit for the store: how many SQLite commits per second it takes with
//! the store's settings (WAL, `synchronous = FULL`, so every commit waits for an fsync),
//! one row per commit and many rows per commit. A response costs the server one commit
//! per saved page plus one for the submission, so this bounds responses per second
//! unless the store commits several requests' writes together.
//!
//! Where the WAL file stands matters on this kind of disk: a commit that makes the file
//! longer also waits for the file system's own journal, while a commit into a WAL that
//! is being reused (after a checkpoint SQLite starts again at its beginning) writes in
//! place. A server that has run a while is in the second state, so that is measured
//! after a warm-up that fills and checkpoints the WAL once; a fresh file is measured too.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

/// A row about the size of a stored response (its JSON is some 700 bytes).
const ROW_BYTES: usize = 700;

/// Rows of the warm-up commit: more than the 1,000 pages after which SQLite checkpoints.
const WARM_UP_ROWS: usize = 6_000;

/// Whether the WAL file grows with every commit or is reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wal {
    Growing,
    Reused,
}

#[derive(Debug, Clone, Copy)]
pub struct CommitRate {
    /// Where in the run it was measured.
    pub when: &'static str,
    pub rows_per_commit: usize,
    pub wal: Wal,
    pub commits: u64,
    pub elapsed: Duration,
}

impl CommitRate {
    pub fn commits_per_second(&self) -> f64 {
        self.commits as f64 / self.elapsed.as_secs_f64()
    }

    pub fn rows_per_second(&self) -> f64 {
        self.commits_per_second() * self.rows_per_commit as f64
    }
}

/// Commits `rows_per_commit` rows at a time into a new database in `dir` for `duration`.
pub fn measure(
    dir: &Path,
    rows_per_commit: usize,
    wal: Wal,
    duration: Duration,
    when: &'static str,
) -> rusqlite::Result<CommitRate> {
    let path = dir.join(format!("raw-commits-{rows_per_commit}-{wal:?}.sqlite3"));
    let mut connection = Connection::open(&path)?;
    // `journal_mode` answers with a row, so it is read rather than executed.
    let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "journal_mode is {mode}, not wal"
        )));
    }
    connection.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
    )?;
    let body = "x".repeat(ROW_BYTES);
    if wal == Wal::Reused {
        insert_rows(&mut connection, &body, WARM_UP_ROWS)?;
        // A passive checkpoint, as SQLite's automatic one: the WAL file keeps its size
        // and the next commit starts writing at its beginning.
        connection.query_row("PRAGMA wal_checkpoint", [], |_| Ok(()))?;
    }
    let started = Instant::now();
    let mut commits = 0;
    while started.elapsed() < duration {
        insert_rows(&mut connection, &body, rows_per_commit)?;
        commits += 1;
    }
    let elapsed = started.elapsed();
    drop(connection);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(CommitRate {
        when,
        rows_per_commit,
        wal,
        commits,
        elapsed,
    })
}

/// Inserts `rows` rows in one transaction.
fn insert_rows(connection: &mut Connection, body: &str, rows: usize) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    {
        let mut insert = transaction.prepare_cached("INSERT INTO rows (body) VALUES (?1)")?;
        for _ in 0..rows {
            insert.execute(params![body])?;
        }
    }
    transaction.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_are_counted_and_the_file_is_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        for wal in [Wal::Growing, Wal::Reused] {
            let rate =
                measure(dir.path(), 10, wal, Duration::from_millis(50), "test").expect("measured");
            assert!(rate.commits > 0);
            assert_eq!(rate.rows_per_second(), rate.commits_per_second() * 10.0);
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
