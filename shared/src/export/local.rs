//! Export files in a local folder, for `cargo run`: the same flow as S3, with downloads
//! by a signed URL that the local server checks (HMAC-SHA-256 over the path and the
//! expiry, like a presigned S3 URL), so a URL works for a short time and for one file.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use super::files::{DownloadLinks, ExportFiles};
use super::sink::{ExportSink, FolderSink};
use crate::domain::{ExportFolder, ExportJobId, OrganisationId};

/// Where the local server serves export files: `/exportfiler/<organisation>/<job>/<file>`,
/// with `?name=<saved as>&expires=<unix seconds>&signature=<hex>`.
pub const LOCAL_DOWNLOAD_PATH: &str = "/exportfiler";

/// Export files in folders under `root` (`<root>/exports/<organisation>/<job>/`).
pub struct LocalExportFiles {
    root: PathBuf,
    signing_key: Vec<u8>,
}

/// What a signed download URL holds: its path's parts and its query, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDownload {
    pub organisation: String,
    pub job: String,
    pub file: String,
    /// The name the file is saved under (`Content-Disposition`): signed too.
    pub name: String,
    pub expires: i64,
    pub signature: String,
}

/// Why a signed URL was refused. One answer for every kind, so a guesser learns nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the download link is not valid or has expired")]
pub struct InvalidDownload;

impl LocalExportFiles {
    /// `secret` (64+ random bytes, e.g. the session secret) keys the URL signatures: a
    /// key of its own is derived from it, so a signature is never valid as anything else.
    pub fn new(root: impl Into<PathBuf>, secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
        mac.update(b"svar export download v1");
        Self {
            root: root.into(),
            signing_key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn folder_path(&self, folder: &ExportFolder) -> PathBuf {
        self.root.join(folder.prefix())
    }

    /// Over the folder, the file, the name it is saved as and the expiry. Neither name
    /// can hold a line break, so the parts cannot be shifted into one another.
    fn mac(&self, folder: &ExportFolder, file: &str, name: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.signing_key).expect("HMAC takes any key");
        mac.update(folder.prefix().as_bytes());
        mac.update(file.as_bytes());
        mac.update(b"\n");
        mac.update(name.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The file a signed URL names, if the signature is right, it has not expired at
    /// `now`, and the file exists. Its `name` is then a plain file name too.
    pub fn signed_file(
        &self,
        download: &SignedDownload,
        now: OffsetDateTime,
    ) -> Result<PathBuf, InvalidDownload> {
        let organisation =
            OrganisationId::parse(&download.organisation).map_err(|_| InvalidDownload)?;
        let job = ExportJobId::parse(&download.job).ok_or(InvalidDownload)?;
        let (file, name) = (download.file.as_str(), download.name.as_str());
        if !plain_file_name(file)
            || !plain_file_name(name)
            || now.unix_timestamp() >= download.expires
        {
            return Err(InvalidDownload);
        }
        let folder = ExportFolder { organisation, job };
        let signature = data_encoding::HEXLOWER_PERMISSIVE
            .decode(download.signature.as_bytes())
            .map_err(|_| InvalidDownload)?;
        self.mac(&folder, file, name, download.expires)
            .verify_slice(&signature)
            .map_err(|_| InvalidDownload)?;
        let path = self.folder_path(&folder).join(file);
        if path.is_file() {
            Ok(path)
        } else {
            Err(InvalidDownload)
        }
    }
}

/// A file name of one export: letters, digits, `_`, `-` and `.`, not starting with `.`.
pub(super) fn plain_file_name(file: &str) -> bool {
    !file.is_empty()
        && !file.starts_with('.')
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn remove_folder(path: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[async_trait]
impl ExportFiles for LocalExportFiles {
    async fn sink(&self, folder: &ExportFolder) -> io::Result<Box<dyn ExportSink>> {
        let path = self.folder_path(folder);
        remove_folder(&path)?;
        Ok(Box::new(FolderSink::create(&path)?))
    }

    async fn remove(&self, folder: &ExportFolder) -> io::Result<()> {
        remove_folder(&self.folder_path(folder))
    }
}

#[async_trait]
impl DownloadLinks for LocalExportFiles {
    async fn download_url(
        &self,
        folder: &ExportFolder,
        file: &str,
        saved_as: &str,
        valid_for: Duration,
    ) -> io::Result<String> {
        if !plain_file_name(file) || !plain_file_name(saved_as) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an export file name is a plain name",
            ));
        }
        let expires = (OffsetDateTime::now_utc() + valid_for).unix_timestamp();
        let signature = data_encoding::HEXLOWER.encode(
            &self
                .mac(folder, file, saved_as, expires)
                .finalize()
                .into_bytes(),
        );
        // Both names are plain (letters, digits, `_`, `-`, `.`): nothing to escape.
        Ok(format!(
            "{LOCAL_DOWNLOAD_PATH}/{}/{}/{file}?name={saved_as}&expires={expires}&signature={signature}",
            folder.organisation, folder.job
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::Slug;

    fn folder() -> ExportFolder {
        ExportFolder {
            organisation: Slug::parse("ale").unwrap(),
            job: ExportJobId::random(),
        }
    }

    /// Splits a URL made by `download_url` into what the local server's route gets.
    fn parts(url: &str) -> SignedDownload {
        let (path, query) = url.split_once('?').unwrap();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut download = SignedDownload {
            organisation: segments[1].to_owned(),
            job: segments[2].to_owned(),
            file: segments[3].to_owned(),
            name: String::new(),
            expires: 0,
            signature: String::new(),
        };
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap();
            match key {
                "name" => download.name = value.to_owned(),
                "expires" => download.expires = value.parse().unwrap(),
                "signature" => download.signature = value.to_owned(),
                _ => panic!("unexpected {key}"),
            }
        }
        download
    }

    async fn written(files: &LocalExportFiles, folder: &ExportFolder) {
        let mut sink = files.sink(folder).await.unwrap();
        sink.write("a.csv", b"x").await.unwrap();
        sink.finish("a.csv").await.unwrap();
    }

    #[tokio::test]
    async fn a_signed_url_opens_its_file_until_it_expires_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let files = LocalExportFiles::new(dir.path(), &[7u8; 64]);
        let folder = folder();
        written(&files, &folder).await;
        let url = files
            .download_url(&folder, "a.csv", "ale-export-a.csv", Duration::minutes(15))
            .await
            .unwrap();
        assert!(url.starts_with("/exportfiler/ale/"), "{url}");
        let signed = parts(&url);
        assert_eq!(signed.name, "ale-export-a.csv");
        let now = OffsetDateTime::now_utc();
        let path = files.signed_file(&signed, now).unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"x");
        // Expired; another organisation, file, name, expiry; a changed signature.
        let later = now + Duration::minutes(16);
        assert!(files.signed_file(&signed, later).is_err());
        let changed: [fn(&mut SignedDownload); 5] = [
            |d| d.organisation = "lerum".into(),
            |d| d.file = "b.csv".into(),
            |d| d.name = "other.csv".into(),
            |d| d.expires += 60,
            |d| {
                let mut forged = std::mem::take(&mut d.signature).into_bytes();
                forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
                d.signature = String::from_utf8(forged).unwrap();
            },
        ];
        for change in changed {
            let mut other = signed.clone();
            change(&mut other);
            assert!(files.signed_file(&other, now).is_err(), "{other:?}");
        }
        // Another secret's URL does not open it.
        let other = LocalExportFiles::new(dir.path(), &[8u8; 64]);
        assert!(other.signed_file(&signed, now).is_err());
    }

    #[tokio::test]
    async fn names_that_leave_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let files = LocalExportFiles::new(dir.path(), &[7u8; 64]);
        let folder = folder();
        for bad in ["../a.csv", ".a", "a/b", "a\".csv", ""] {
            for (file, saved_as) in [(bad, "a.csv"), ("a.csv", bad)] {
                assert!(
                    files
                        .download_url(&folder, file, saved_as, Duration::minutes(1))
                        .await
                        .is_err(),
                    "{file} as {saved_as}"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_new_sink_starts_clean_and_remove_deletes_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let files = LocalExportFiles::new(dir.path(), &[7u8; 64]);
        let folder = folder();
        written(&files, &folder).await;
        let path = dir.path().join(folder.prefix());
        std::fs::write(path.join("left.csv.part"), b"half").unwrap();
        let _sink = files.sink(&folder).await.unwrap();
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 0);
        files.remove(&folder).await.unwrap();
        assert!(!path.exists());
        files.remove(&folder).await.unwrap();
    }
}
