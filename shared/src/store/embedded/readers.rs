//! Reading connections: a small pool, so reads never wait behind the writer.
//!
//! In WAL mode a reader sees the last committed state and neither blocks the writer nor
//! waits for it. Each read takes a connection from the pool (or opens one), runs where
//! the request runs (see `EmbeddedStore::read`) and puts the connection back.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::store::{StoreError, StoreResult};

/// Idle connections kept open; more are opened when reads run at the same time and
/// closed again afterwards.
const IDLE_CONNECTIONS: usize = 8;

pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on a reading connection.
    pub(super) fn read<T>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let connection = match self.lock()?.pop() {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = work(&connection);
        let mut idle = self.lock()?;
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(connection);
        }
        result
    }

    fn lock(&self) -> StoreResult<std::sync::MutexGuard<'_, Vec<Connection>>> {
        self.idle
            .lock()
            .map_err(|_| StoreError::Unavailable("the reader pool's lock was poisoned".into()))
    }

    /// A connection that cannot write, so a bug in a read cannot bypass the writer.
    fn open(&self) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags)?;
        connection.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")?;
        Ok(connection)
    }
}
