//! Where finished export files are kept ([`ExportFiles`], used by the export runner) and
//! how they are handed out ([`DownloadLinks`], used by the workspace): S3 in AWS, a folder
//! beside the embedded store for `cargo run` ([`super::LocalExportFiles`], both traits).
//! Both keep one job's files under [`ExportFolder::prefix`]
//! (`exports/<organisation>/<job>/`), so an organisation's exports share one prefix and
//! nothing else.
//!
//! Two traits, not one, because they live in different functions: the workspace (admin)
//! only signs download links and must stay small (its zip is near the 5 MB limit), while
//! the export function writes and removes files with the full S3 client.

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
    /// Removes every file of `folder` (retention; in S3 a lifecycle rule does it too).
    async fn remove(&self, folder: &ExportFolder) -> io::Result<()>;
}

/// Short-lived download links to finished export files.
#[async_trait]
pub trait DownloadLinks: Send + Sync {
    /// A URL that downloads `file` of `folder` (as an attachment saved as `saved_as`, a
    /// plain file name like `file`) until `valid_for` has passed, and not after: a
    /// presigned S3 GET, or locally a signed URL served by the local server.
    async fn download_url(
        &self,
        folder: &ExportFolder,
        file: &str,
        saved_as: &str,
        valid_for: Duration,
    ) -> io::Result<String>;
}
