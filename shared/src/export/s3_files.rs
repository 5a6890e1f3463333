//! Export files in an S3 bucket, written by the export function: every file streams out
//! as a multipart upload while the engine writes it, so memory holds one part per open
//! file whatever the export's size.
//!
//! Part sizes ([`part_size`]): S3 wants every part but the last to be at least 5 MiB and
//! allows at most 10,000 parts of at most 5 GiB. Parts start at 5 MiB (the smallest
//! allowed, so memory stays small for every realistic export: 1,000 parts of 5 MiB carry
//! 5 GiB) and double after every 1,000 parts. Part 10,000 is then 5 MiB x 2^9 = 2.5 GiB,
//! and 10,000 parts carry 5 MiB x 1,000 x (2^10 - 1), about 4.9 TiB, close to S3's limit
//! for one object (5 TiB). A file that would need part 10,001 fails with an error.
//!
//! A file smaller than its first part is sent with one PutObject when it is finished.
//! Every object says `Content-Disposition: attachment; filename="<file>"` (the presigned
//! URL asks for the same). An upload left behind by a process that was stopped (a Lambda
//! time-out) is never visible as an object; the bucket's lifecycle rule for incomplete
//! multipart uploads removes its parts.

use std::collections::HashMap;
use std::io;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};

use super::files::ExportFiles;
use super::local::plain_file_name;
use super::s3_links::attachment;
use super::sink::ExportSink;
use crate::domain::ExportFolder;

/// The first parts' size, S3's smallest part.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;
/// Parts of one size before the size doubles.
pub const PARTS_PER_SIZE: u32 = 1_000;
/// S3's largest part number.
pub const MAX_PARTS: u32 = 10_000;

/// The size of part `number` (1-based) of an upload: 5 MiB for parts 1 to 1,000, 10 MiB
/// for 1,001 to 2,000, and so on. `None` beyond [`MAX_PARTS`].
pub fn part_size(number: u32) -> Option<u64> {
    if number == 0 || number > MAX_PARTS {
        return None;
    }
    Some(MIN_PART_BYTES << ((number - 1) / PARTS_PER_SIZE))
}

/// Export files in one bucket, under `exports/<organisation>/<job>/`.
pub struct S3ExportFiles {
    client: Client,
    bucket: String,
}

impl S3ExportFiles {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl ExportFiles for S3ExportFiles {
    async fn sink(&self, folder: &ExportFolder) -> io::Result<Box<dyn ExportSink>> {
        self.remove(folder).await?;
        Ok(Box::new(S3Sink {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            prefix: folder.prefix(),
            open: HashMap::new(),
            finished: Vec::new(),
        }))
    }

    /// Deletes the folder's objects, a page (at most 1,000 keys) at a time. Unfinished
    /// uploads are not listed: they are no objects (nobody sees them), an aborted sink
    /// has aborted its own, and the bucket's lifecycle rule ends those of a stopped
    /// process (ListMultipartUploads is also missing from the S3 server the tests use).
    async fn remove(&self, folder: &ExportFolder) -> io::Result<()> {
        let prefix = folder.prefix();
        let (client, bucket) = (&self.client, self.bucket.as_str());
        let mut pages = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed("ListObjectsV2", &prefix, e))?;
            let keys: Vec<String> = page
                .contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_owned))
                .collect();
            delete_objects(client, bucket, keys).await?;
        }
        Ok(())
    }
}

/// One file on its way: the bytes of the part being filled, and once the first part is
/// sent, the upload and its sent parts.
#[derive(Default)]
struct Upload {
    buffer: Vec<u8>,
    id: Option<String>,
    parts: Vec<CompletedPart>,
}

impl Upload {
    fn next_part(&self) -> u32 {
        self.parts.len() as u32 + 1
    }
}

struct S3Sink {
    client: Client,
    bucket: String,
    prefix: String,
    open: HashMap<String, Upload>,
    /// Keys of finished files, deleted again by an abort.
    finished: Vec<String>,
}

impl S3Sink {
    fn key(&self, file: &str) -> io::Result<String> {
        if plain_file_name(file) {
            Ok(format!("{}{file}", self.prefix))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "an export file name is a plain name",
            ))
        }
    }
}

#[async_trait]
impl ExportSink for S3Sink {
    async fn write(&mut self, file: &str, mut bytes: &[u8]) -> io::Result<()> {
        let key = self.key(file)?;
        let upload = self.open.entry(file.to_owned()).or_default();
        while !bytes.is_empty() {
            let size = part_size(upload.next_part()).ok_or_else(too_large)? as usize;
            if upload.buffer.capacity() == 0 {
                upload.buffer.reserve_exact(size);
            }
            let take = bytes.len().min(size - upload.buffer.len());
            upload.buffer.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if upload.buffer.len() == size {
                send_part(&self.client, &self.bucket, &key, upload).await?;
            }
        }
        Ok(())
    }

    async fn finish(&mut self, file: &str) -> io::Result<()> {
        let key = self.key(file)?;
        let upload = self.open.entry(file.to_owned()).or_default();
        let (client, bucket) = (&self.client, self.bucket.as_str());
        match upload.id.clone() {
            None => {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(&key)
                    .content_type(content_type(file))
                    .content_disposition(attachment(file))
                    .body(ByteStream::from(std::mem::take(&mut upload.buffer)))
                    .send()
                    .await
                    .map_err(|e| failed("PutObject", &key, e))?;
            }
            Some(id) => {
                if !upload.buffer.is_empty() {
                    send_part(client, bucket, &key, upload).await?;
                }
                client
                    .complete_multipart_upload()
                    .bucket(bucket)
                    .key(&key)
                    .upload_id(id)
                    .multipart_upload(
                        CompletedMultipartUpload::builder()
                            .set_parts(Some(std::mem::take(&mut upload.parts)))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| failed("CompleteMultipartUpload", &key, e))?;
            }
        }
        self.open.remove(file);
        self.finished.push(key);
        Ok(())
    }

    /// Tries every abort and delete, and returns the first error.
    async fn abort(&mut self) -> io::Result<()> {
        let mut first_error = None;
        for (file, upload) in std::mem::take(&mut self.open) {
            if let Some(id) = upload.id {
                let key = format!("{}{file}", self.prefix);
                if let Err(error) = abort_upload(&self.client, &self.bucket, &key, &id).await {
                    first_error.get_or_insert(error);
                }
            }
        }
        let finished = std::mem::take(&mut self.finished);
        if let Err(error) = delete_objects(&self.client, &self.bucket, finished).await {
            first_error.get_or_insert(error);
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Sends the buffer as the upload's next part, starting the upload first if needed.
async fn send_part(
    client: &Client,
    bucket: &str,
    key: &str,
    upload: &mut Upload,
) -> io::Result<()> {
    let id = match &upload.id {
        Some(id) => id.clone(),
        None => {
            let created = client
                .create_multipart_upload()
                .bucket(bucket)
                .key(key)
                .content_type(content_type(key))
                .content_disposition(attachment(key.rsplit('/').next().unwrap_or(key)))
                .send()
                .await
                .map_err(|e| failed("CreateMultipartUpload", key, e))?;
            let id = created
                .upload_id()
                .ok_or_else(|| io::Error::other(format!("S3 gave no upload id for {key}")))?
                .to_owned();
            upload.id = Some(id.clone());
            id
        }
    };
    let number = upload.next_part();
    let sent = client
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .part_number(number as i32)
        .body(ByteStream::from(std::mem::take(&mut upload.buffer)))
        .send()
        .await
        .map_err(|e| failed("UploadPart", key, e))?;
    upload.parts.push(
        CompletedPart::builder()
            .part_number(number as i32)
            .set_e_tag(sent.e_tag().map(str::to_owned))
            .build(),
    );
    Ok(())
}

async fn abort_upload(client: &Client, bucket: &str, key: &str, id: &str) -> io::Result<()> {
    client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .send()
        .await
        .map_err(|e| failed("AbortMultipartUpload", key, e))?;
    Ok(())
}

/// Deletes `keys` (DeleteObjects takes at most 1,000 a call); a key that is gone already
/// counts as deleted.
async fn delete_objects(client: &Client, bucket: &str, keys: Vec<String>) -> io::Result<()> {
    for chunk in keys.chunks(1000) {
        let objects = chunk
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(io::Error::other)?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(io::Error::other)?;
        let output = client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| failed("DeleteObjects", &chunk[0], e))?;
        if let Some(error) = output.errors().first() {
            return Err(io::Error::other(format!(
                "S3 DeleteObjects did not delete {}: {}",
                error.key().unwrap_or("?"),
                error.message().unwrap_or("no reason given")
            )));
        }
    }
    Ok(())
}

/// What a browser or a program is told a file is (by its extension).
fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("parquet") => "application/vnd.apache.parquet",
        _ => "application/octet-stream",
    }
}

fn failed<E: std::error::Error + 'static>(operation: &str, key: &str, error: E) -> io::Error {
    io::Error::other(format!(
        "S3 {operation} of {key} failed: {}",
        DisplayErrorContext(error)
    ))
}

fn too_large() -> io::Error {
    io::Error::other(format!(
        "an export file is larger than {MAX_PARTS} parts can carry (about 4.9 TiB)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number of parts a file of `bytes` is sent in, by the rule the sink follows,
    /// or `None` when it does not fit in [`MAX_PARTS`].
    fn parts_for(bytes: u64) -> Option<u32> {
        let mut left = bytes;
        let mut number = 0;
        loop {
            number += 1;
            let size = part_size(number)?;
            if left <= size {
                return Some(number);
            }
            left -= size;
        }
    }

    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;
    const TIB: u64 = 1024 * GIB;

    #[test]
    fn parts_start_at_five_mib_and_double_every_thousand() {
        assert_eq!(part_size(0), None);
        assert_eq!(part_size(1), Some(5 * MIB));
        assert_eq!(part_size(1000), Some(5 * MIB));
        assert_eq!(part_size(1001), Some(10 * MIB));
        assert_eq!(part_size(2001), Some(20 * MIB));
        assert_eq!(part_size(10_000), Some(5 * MIB * 512));
        assert_eq!(part_size(10_001), None);
        // Never above S3's largest part, never below its smallest.
        for number in 1..=MAX_PARTS {
            let size = part_size(number).unwrap();
            assert!((5 * MIB..=5 * GIB).contains(&size), "part {number}");
        }
    }

    #[test]
    fn files_up_to_almost_five_tib_fit_in_ten_thousand_parts() {
        assert_eq!(parts_for(1), Some(1));
        assert_eq!(parts_for(5 * MIB), Some(1));
        assert_eq!(parts_for(5 * MIB + 1), Some(2));
        assert_eq!(parts_for(12 * MIB), Some(3));
        // 5 GiB in 5 MiB parts, then 10 MiB parts.
        assert_eq!(parts_for(5000 * MIB), Some(1000));
        assert_eq!(parts_for(5000 * MIB + 1), Some(1001));
        // 100 GiB = 102,400 MiB: 5,000 + 10,000 + 20,000 + 40,000 MiB in the first 4,000
        // parts, the remaining 27,400 MiB in 343 parts of 80 MiB (the last one partly full).
        assert_eq!(parts_for(100 * GIB), Some(4343));
        let capacity: u64 = (1..=MAX_PARTS).map(|n| part_size(n).unwrap()).sum();
        assert_eq!(capacity, 5 * MIB * 1000 * 1023);
        assert!(capacity > 4 * TIB + 800 * GIB, "{capacity}");
        assert_eq!(parts_for(capacity), Some(MAX_PARTS));
        assert_eq!(parts_for(capacity + 1), None);
        assert_eq!(parts_for(5 * TIB), None);
    }

    #[test]
    fn files_get_the_content_type_of_their_kind() {
        assert_eq!(
            content_type("exports/a/b/responses.csv"),
            "text/csv; charset=utf-8"
        );
        assert_eq!(content_type("manifest.json"), "application/json");
        assert_eq!(
            content_type("responses.parquet"),
            "application/vnd.apache.parquet"
        );
    }
}
