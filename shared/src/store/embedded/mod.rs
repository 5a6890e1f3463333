//! The embedded store: SQLite in a file, the local default.
//!
//! WAL journal with `synchronous = FULL`, so an acknowledged write survives a crash or a
//! power cut. One writer thread commits concurrent writes together, one transaction and
//! one fsync for many ([`writer`]); reads run on a pool of their own connections and never
//! wait behind writes ([`readers`]). Deleted text is zeroed (`secure_delete`) and a sent
//! draft is erased from the write-ahead log too ([`writer::AfterCommit::Checkpoint`]).

mod audit;
mod batches;
mod export_jobs;
mod network;
mod organisations;
mod readers;
mod respond;
mod rounds;
mod schema;
mod setup;
#[cfg(test)]
mod tests;
mod writer;

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;

use self::readers::Readers;
use self::writer::{AfterCommit, Writer};
use super::{StoreError, StoreResult};

#[derive(Clone)]
pub struct EmbeddedStore {
    writer: Writer,
    readers: Arc<Readers>,
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::unavailable(error)
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut connection = Connection::open(path)?;
        connection.execute_batch(schema::CONNECTION_SETTINGS)?;
        // Room for every statement the writer runs, so none is parsed twice.
        connection.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut connection)?;
        Ok(Self {
            writer: Writer::start(connection)?,
            readers: Arc::new(Readers::new(path)),
        })
    }

    /// Write transactions committed since the store was opened. Fewer than the writes
    /// made means group commit at work: for diagnostics and tests.
    pub fn commits(&self) -> u64 {
        self.writer.commits()
    }

    /// Runs `work` on a reading connection, right where the request runs. The reads are
    /// indexed point look-ups that take tens of microseconds from the page cache (WAL
    /// readers never wait for the writer), less than a hand-off to Tokio's blocking pool
    /// costs: that hand-off (a thread woken and switched to per read) was most of the
    /// server's CPU per response at one client (BENCHMARKS.md, "Load").
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.readers.read(work)
    }

    /// Runs `work` on the writer; answers once it is committed (see [`writer`]).
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.writer.write(AfterCommit::Nothing, work).await
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Corrupt(format!("unencodable value ({:?})", e.classify())))
}

/// Decodes stored JSON. The error names the place, never the content: it may hold answers.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Corrupt(format!(
            "undecodable JSON ({:?}) at line {}, column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

fn parse_stored<T>(value: Option<T>, what: &str) -> StoreResult<T> {
    value.ok_or_else(|| StoreError::Corrupt(format!("invalid {what}")))
}
