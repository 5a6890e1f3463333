//! The single writer: group commit.
//!
//! One thread owns the only writing connection. Writes arrive as jobs on a channel; the
//! writer takes every job waiting, runs them all in one `BEGIN IMMEDIATE … COMMIT`, each
//! inside its own savepoint, and answers each caller only after `COMMIT` has returned, so
//! with `synchronous = FULL` every acknowledged write is on disk. Many concurrent writes
//! thus share one transaction and one fsync instead of queueing for one each.
//!
//! A job that fails (a constraint, a refused round) is rolled back to its savepoint and
//! gets its own error; the others in its batch still commit. A failure of the batch itself
//! (a full disk, an I/O error, a failed `COMMIT`) reaches every caller in it as
//! [`StoreError::Unavailable`]. If the thread is gone, the channel or the reply is closed
//! and the caller gets `Unavailable` too: no caller ever waits forever.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::store::{StoreError, StoreResult};

/// The most jobs in one transaction: bounds how long the first job of a batch waits for
/// the last one, and how much one failed batch takes down with it.
const MAX_BATCH: usize = 256;

/// How long after a submission its draft may still be readable in the log: see
/// [`AfterCommit::Checkpoint`].
pub(super) const CHECKPOINT_DELAY: Duration = Duration::from_secs(1);

/// What a write needs once its batch is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterCommit {
    /// Nothing: the commit made it durable.
    Nothing,
    /// The write deleted text that must not stay readable in the files (a sent draft).
    ///
    /// SQLite keeps old page images in the `-wal` file until a checkpoint copies the pages
    /// back and the log is reset, and `secure_delete` only zeroes the database's own pages.
    /// So within [`CHECKPOINT_DELAY`] of such a commit the writer runs
    /// `PRAGMA wal_checkpoint(TRUNCATE)`: the zeroed pages reach the main file and the log
    /// with the old images is cut to nothing. The caller is answered at the commit (its
    /// data is durable then); the checkpoint's fsyncs are paid once for every submission
    /// of that second, not once per batch, which measured 3 times slower. A checkpoint
    /// that cannot finish (a reader still on old pages) is tried again after the delay.
    Checkpoint,
}

/// The sending side of the writer's channel; cheap to clone.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
    commits: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer thread on `connection`. It ends when the last [`Writer`] is dropped.
    pub(super) fn start(connection: Connection) -> StoreResult<Self> {
        let (jobs, queue) = mpsc::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&commits);
        std::thread::Builder::new()
            .name("svar-sqlite-writer".into())
            .spawn(move || write_batches(&connection, &queue, &counter))
            .map_err(StoreError::unavailable)?;
        Ok(Self { jobs, commits })
    }

    /// Queues `work` at once (not when the future is first polled) and resolves to its
    /// result once its batch is committed.
    pub(super) fn write<T, F>(
        &self,
        after_commit: AfterCommit,
        work: F,
    ) -> impl Future<Output = StoreResult<T>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work: Some(work),
            outcome: None,
            after_commit,
            reply,
        });
        let queued = self.jobs.send(job).map_err(|_| writer_gone());
        async move {
            queued?;
            answer.await.map_err(|_| writer_gone())?
        }
    }

    /// Transactions committed since the store was opened.
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable("the database writer has stopped".into())
}

/// Why a batch was not committed: shared by every caller in it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the write batch could not be committed")]
struct BatchNotCommitted(#[source] Option<Arc<rusqlite::Error>>);

impl From<rusqlite::Error> for BatchNotCommitted {
    fn from(error: rusqlite::Error) -> Self {
        BatchNotCommitted(Some(Arc::new(error)))
    }
}

/// One caller's write, with its result type erased so that all can share a queue.
trait Job: Send {
    /// Runs the work; `true` if it succeeded and its changes are to be kept.
    fn run(&mut self, connection: &Connection) -> bool;
    fn after_commit(&self) -> AfterCommit;
    /// Answers the caller once the batch's fate is known.
    fn reply(self: Box<Self>, batch: Result<(), BatchNotCommitted>);
}

struct TypedJob<T, F> {
    work: Option<F>,
    outcome: Option<StoreResult<T>>,
    after_commit: AfterCommit,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for TypedJob<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, connection: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let outcome = work(connection);
        let succeeded = outcome.is_ok();
        self.outcome = Some(outcome);
        succeeded
    }

    fn after_commit(&self) -> AfterCommit {
        self.after_commit
    }

    fn reply(self: Box<Self>, batch: Result<(), BatchNotCommitted>) {
        let answer = match (self.outcome, batch) {
            // Its own failure: rolled back whatever became of the batch.
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(error)) => Err(StoreError::unavailable(error)),
            (None, Ok(())) => Err(StoreError::Unavailable("the write was not run".into())),
        };
        // The caller may have gone (a cancelled request); its write stands all the same.
        let _ = self.reply.send(answer);
    }
}

/// The writer thread's loop: one batch per round, and a checkpoint when one is due,
/// until every sender is gone.
fn write_batches(
    connection: &Connection,
    queue: &mpsc::Receiver<Box<dyn Job>>,
    commits: &AtomicU64,
) {
    let mut checkpoint_due: Option<Instant> = None;
    loop {
        let first = match checkpoint_due {
            None => match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Some(due) => match queue.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(job) => job,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    checkpoint_due = checkpoint(connection);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    checkpoint(connection);
                    return;
                }
            },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = commit(connection, &mut batch);
        if committed.is_ok() {
            commits.fetch_add(1, Ordering::Relaxed);
            if checkpoint_due.is_none()
                && batch
                    .iter()
                    .any(|job| job.after_commit() == AfterCommit::Checkpoint)
            {
                checkpoint_due = Some(Instant::now() + CHECKPOINT_DELAY);
            }
        }
        for job in batch {
            job.reply(committed.clone());
        }
        // A writer busy without pause still checkpoints on time.
        if checkpoint_due.is_some_and(|due| due <= Instant::now()) {
            checkpoint_due = checkpoint(connection);
        }
    }
}

/// Runs the batch in one transaction; rolls all of it back if the batch itself fails.
fn commit(connection: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), BatchNotCommitted> {
    let result = run_in_transaction(connection, batch);
    if result.is_err() && !connection.is_autocommit() {
        // Nothing more can be done about a failed rollback: the connection reports it
        // on the next batch's BEGIN.
        let _ = connection.execute_batch("ROLLBACK");
    }
    result
}

fn run_in_transaction(
    connection: &Connection,
    batch: &mut [Box<dyn Job>],
) -> Result<(), BatchNotCommitted> {
    execute(connection, "BEGIN IMMEDIATE")?;
    for job in batch.iter_mut() {
        execute(connection, "SAVEPOINT job")?;
        let succeeded = job.run(connection);
        if connection.is_autocommit() {
            // SQLite rolled the whole transaction back (a full disk, an I/O error):
            // nothing of this batch is kept, and every caller in it must hear so.
            return Err(BatchNotCommitted(None));
        }
        if !succeeded {
            execute(connection, "ROLLBACK TO job")?;
        }
        execute(connection, "RELEASE job")?;
    }
    execute(connection, "COMMIT")?;
    Ok(())
}

fn execute(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// See [`AfterCommit::Checkpoint`]. Returns when to try again if it could not finish.
fn checkpoint(connection: &Connection) -> Option<Instant> {
    let result = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
        row.get::<_, i64>(0)
    });
    let retry = Some(Instant::now() + CHECKPOINT_DELAY);
    match result {
        Ok(0) => None,
        Ok(_) => {
            tracing::warn!("a checkpoint could not finish while a reader held old pages");
            retry
        }
        Err(error) => {
            tracing::warn!(error = %error, "a checkpoint failed; it is tried again");
            retry
        }
    }
}
