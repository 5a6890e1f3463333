//! Where export files go: a small trait, so the engine streams the same bytes to a local
//! folder here and to S3 multipart uploads later, and a local-folder implementation.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// A destination for the named files of one export. Bytes of several files may be
/// written interleaved (the two response files grow page by page together); each file is
/// finished once. On any failure the engine calls [`ExportSink::abort`], so a retry starts
/// clean (no half-written file is ever left looking complete).
#[async_trait]
pub trait ExportSink: Send {
    /// Appends bytes to `file`, creating it on the first write.
    async fn write(&mut self, file: &str, bytes: &[u8]) -> io::Result<()>;
    /// Completes `file`: after this it is visible and will not change.
    async fn finish(&mut self, file: &str) -> io::Result<()>;
    /// Drops every file of this export, finished or not.
    async fn abort(&mut self) -> io::Result<()>;
}

/// Files in one local folder. Each is written as `<name>.part` and renamed when finished,
/// so a reader never sees a half-written file under its real name. Plain blocking file
/// I/O: buffered writes to a local disk take microseconds, less than a hand-off to a
/// blocking thread.
pub struct FolderSink {
    folder: PathBuf,
    open: HashMap<String, OpenFile>,
    finished: Vec<String>,
}

/// Bytes written to a file between two syncs started in the background: the disk then
/// takes them while the export goes on, and the sync at the end waits only for the last
/// ones (as RocksDB's `bytes_per_sync`).
const SYNC_EVERY: u64 = 4 * 1024 * 1024;

struct OpenFile {
    writer: BufWriter<File>,
    unsynced: u64,
    /// Syncs started and not yet waited for; their errors are the file's errors (a
    /// cloned handle shares the file's error state, so the last sync would not see them).
    syncing: Vec<std::thread::JoinHandle<io::Result<()>>>,
}

impl OpenFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)?;
        self.unsynced += bytes.len() as u64;
        if self.unsynced >= SYNC_EVERY {
            self.writer.flush()?;
            let file = self.writer.get_ref().try_clone()?;
            self.syncing
                .push(std::thread::spawn(move || file.sync_data()));
            self.unsynced = 0;
        }
        Ok(())
    }

    /// Everything written, on the disk.
    fn sync(self) -> io::Result<()> {
        let file = self.writer.into_inner().map_err(|e| e.into_error())?;
        for sync in self.syncing {
            sync.join()
                .map_err(|_| io::Error::other("a background sync stopped"))??;
        }
        file.sync_all()
    }
}

impl FolderSink {
    /// Creates the folder (and its parents) if needed.
    pub fn create(folder: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(folder)?;
        Ok(Self {
            folder: folder.to_owned(),
            open: HashMap::new(),
            finished: Vec::new(),
        })
    }

    fn checked_name(file: &str) -> io::Result<&str> {
        let plain = !file.is_empty()
            && file
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !file.starts_with('.');
        if plain {
            Ok(file)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an export file name is a plain name",
            ))
        }
    }

    fn part_path(&self, file: &str) -> PathBuf {
        self.folder.join(format!("{file}.part"))
    }
}

#[async_trait]
impl ExportSink for FolderSink {
    async fn write(&mut self, file: &str, bytes: &[u8]) -> io::Result<()> {
        let file = Self::checked_name(file)?;
        if !self.open.contains_key(file) {
            let writer = BufWriter::with_capacity(256 * 1024, File::create(self.part_path(file))?);
            let open = OpenFile {
                writer,
                unsynced: 0,
                syncing: Vec::new(),
            };
            self.open.insert(file.to_owned(), open);
        }
        match self.open.get_mut(file) {
            Some(open) => open.write(bytes),
            None => Err(io::Error::other("the file was just opened")),
        }
    }

    async fn finish(&mut self, file: &str) -> io::Result<()> {
        let file = Self::checked_name(file)?;
        // A file never written to (an empty file) is created here.
        match self.open.remove(file) {
            Some(open) => open.sync()?,
            None => File::create(self.part_path(file))?.sync_all()?,
        }
        std::fs::rename(self.part_path(file), self.folder.join(file))?;
        self.finished.push(file.to_owned());
        Ok(())
    }

    async fn abort(&mut self) -> io::Result<()> {
        let open: Vec<String> = self.open.drain().map(|(name, _)| name).collect();
        for name in open {
            remove_if_there(&self.part_path(&name))?;
        }
        for name in std::mem::take(&mut self.finished) {
            remove_if_there(&self.folder.join(name))?;
        }
        Ok(())
    }
}

fn remove_if_there(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// One file on its way to a sink, hashed and counted as it streams, so the manifest gets
/// every SHA-256 without reading a file back.
pub(crate) struct HashedFile {
    pub name: &'static str,
    hasher: Sha256,
    pub bytes: u64,
}

impl HashedFile {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    pub async fn write(&mut self, sink: &mut dyn ExportSink, bytes: &[u8]) -> io::Result<()> {
        self.record(bytes);
        self.send(sink, bytes).await
    }

    /// Hashes and counts `bytes`, the next ones of the file, without sending them: so the
    /// hashing can run on the thread that encoded them. [`HashedFile::send`] follows.
    pub fn record(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    /// Sends `bytes` already given to [`HashedFile::record`] to the sink.
    pub async fn send(&self, sink: &mut dyn ExportSink, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        sink.write(self.name, bytes).await
    }

    /// Finishes the file in the sink; returns its size and hex SHA-256.
    pub async fn finish(self, sink: &mut dyn ExportSink) -> io::Result<(u64, String)> {
        sink.finish(self.name).await?;
        let digest = self.hasher.finalize();
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok((self.bytes, hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_folder_sink_shows_a_file_only_once_finished_and_abort_removes_everything() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FolderSink::create(dir.path()).unwrap();
        sink.write("a.csv", b"x,").await.unwrap();
        sink.write("b.csv", b"1").await.unwrap();
        sink.write("a.csv", b"y\n").await.unwrap();
        assert!(!dir.path().join("a.csv").exists());
        sink.finish("a.csv").await.unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), b"x,y\n");
        sink.abort().await.unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn large_files_synced_in_the_background_keep_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FolderSink::create(dir.path()).unwrap();
        let chunk: Vec<u8> = (0..=250u8).cycle().take(1024 * 1024 + 7).collect();
        let mut expected = Vec::new();
        for _ in 0..9 {
            sink.write("a.csv", &chunk).await.unwrap();
            sink.write("b.csv", b"b").await.unwrap();
            expected.extend_from_slice(&chunk);
        }
        // Two syncs started on the way for the large file, none for the small one.
        assert_eq!(sink.open["a.csv"].syncing.len(), 2);
        assert!(sink.open["b.csv"].syncing.is_empty());
        sink.finish("a.csv").await.unwrap();
        sink.finish("b.csv").await.unwrap();
        assert!(std::fs::read(dir.path().join("a.csv")).unwrap() == expected);
        assert_eq!(
            std::fs::read(dir.path().join("b.csv")).unwrap(),
            b"bbbbbbbbb"
        );
        // An abort with syncs under way removes the file all the same.
        for _ in 0..5 {
            sink.write("c.csv", &chunk).await.unwrap();
        }
        assert_eq!(sink.open["c.csv"].syncing.len(), 1);
        sink.abort().await.unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_folder_sink_refuses_names_that_leave_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FolderSink::create(dir.path()).unwrap();
        for bad in ["../x.csv", "a/b.csv", ".hidden", ""] {
            assert!(sink.write(bad, b"1").await.is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn hashes_are_of_the_bytes_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FolderSink::create(dir.path()).unwrap();
        let mut file = HashedFile::new("abc.txt");
        file.write(&mut sink, b"a").await.unwrap();
        file.write(&mut sink, b"bc").await.unwrap();
        let (size, hash) = file.finish(&mut sink).await.unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
