//! Where finished export files are kept and how they are handed out: S3 in AWS
//! ([`super::S3ExportFiles`]), a folder beside the embedded store for `cargo run`
//! ([`super::LocalExportFiles`]). Both keep one job's files under
//! [`ExportFolder::prefix`] (`exports/<organisation>/<job>/`), so an organisation's
//! exports share one prefix and nothing else.

use std::io;

use async_trait::async_trait;
use time::Duration;

use super::sink::ExportSink;
use crate::domain::ExportFolder;

#[async_trait]
pub trait ExportFiles: Send + Sync {
    /// A sink that writes the files of one job into `folder`. Whatever an earlier,
    /// interrupted attempt left there is replaced: a retry starts clean.
    async fn sink(&self, folder: &ExportFolder) -> io::Result<Box<dyn ExportSink>>;
    /// A URL that downloads `file` of `folder` (as an attachment named `file`) until
    /// `valid_for` has passed, and not after: a presigned S3 GET, or locally a signed URL
    /// served by the local server.
    async fn download_url(
        &self,
        folder: &ExportFolder,
        file: &str,
        valid_for: Duration,
    ) -> io::Result<String>;
    /// Removes every file of `folder` (retention; in S3 a lifecycle rule does it too).
    async fn remove(&self, folder: &ExportFolder) -> io::Result<()>;
}
