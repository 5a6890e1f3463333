//! Uploads: parts, single puts, aborts, a failed export and its retry, removal.

use async_trait::async_trait;
use svar_shared::export::{self, ExportError, ExportFiles, ExportSink, MIN_PART_BYTES};

use super::{Bucket, folder, pattern};
use crate::{Setup, answers, options};

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn a_large_file_written_in_small_interleaved_writes_arrives_whole_in_several_parts() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let big = pattern(12 * 1024 * 1024 + 12_345);
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    let mut small = Vec::new();
    for (i, chunk) in big.chunks(7919).enumerate() {
        sink.write("responses.csv", chunk).await.unwrap();
        if i % 100 == 0 {
            let line = format!("{i};\n");
            sink.write("codebook.csv", line.as_bytes()).await.unwrap();
            small.extend_from_slice(line.as_bytes());
        }
    }
    sink.finish("codebook.csv").await.unwrap();
    sink.finish("responses.csv").await.unwrap();

    let prefix = folder.prefix();
    assert_eq!(
        bucket.keys(&prefix).await,
        [
            format!("{prefix}codebook.csv"),
            format!("{prefix}responses.csv")
        ]
    );
    let arrived = bucket.get(&format!("{prefix}responses.csv")).await;
    assert_eq!(arrived.len(), big.len());
    assert!(arrived == big, "the parts arrive in order, byte for byte");
    assert_eq!(bucket.get(&format!("{prefix}codebook.csv")).await, small);
    // Three parts of one upload: 5 MiB, 5 MiB and the rest; the small file in one put.
    let parts = bucket.sent_parts();
    let sizes: Vec<u64> = parts.iter().map(|p| p.bytes).collect();
    let five = MIN_PART_BYTES;
    assert_eq!(sizes, [five, five, big.len() as u64 - 2 * five]);
    assert!(parts.iter().all(|p| p.upload == parts[0].upload));
    let puts = bucket.requests.puts.lock().unwrap().clone();
    assert_eq!(
        puts.iter().filter(|u| u.contains("codebook.csv")).count(),
        1
    );
    assert!(
        !puts.iter().any(|u| u.contains("responses.csv")),
        "{puts:?}"
    );
    // Saved as a download under its own name, with its kind.
    let head = bucket
        .client
        .head_object()
        .bucket(&bucket.name)
        .key(format!("{prefix}responses.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.content_disposition(),
        Some("attachment; filename=\"responses.csv\"")
    );
    assert_eq!(head.content_type(), Some("text/csv; charset=utf-8"));
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn small_and_empty_files_are_sent_with_one_put_each() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    sink.write("manifest.json", b"{\"rows\":").await.unwrap();
    sink.write("manifest.json", b"1}").await.unwrap();
    sink.finish("manifest.json").await.unwrap();
    sink.finish("empty.csv").await.unwrap();
    let prefix = folder.prefix();
    assert_eq!(
        bucket.get(&format!("{prefix}manifest.json")).await,
        b"{\"rows\":1}"
    );
    assert!(bucket.get(&format!("{prefix}empty.csv")).await.is_empty());
    assert!(bucket.sent_parts().is_empty());
    let puts = bucket.requests.puts.lock().unwrap().clone();
    let file_puts = puts.iter().filter(|u| u.contains(&prefix)).count();
    assert_eq!(file_puts, 2, "{puts:?}");
}

/// A sink that fails on its n-th write, like a lost connection half-way.
struct FailingSink {
    inner: Box<dyn ExportSink>,
    writes_left: u32,
    aborted: bool,
}

#[async_trait]
impl ExportSink for FailingSink {
    async fn write(&mut self, file: &str, bytes: &[u8]) -> std::io::Result<()> {
        if self.writes_left == 0 {
            return Err(std::io::Error::other("the connection was lost"));
        }
        self.writes_left -= 1;
        self.inner.write(file, bytes).await
    }
    async fn finish(&mut self, file: &str) -> std::io::Result<()> {
        self.inner.finish(file).await
    }
    async fn abort(&mut self) -> std::io::Result<()> {
        self.aborted = true;
        self.inner.abort().await
    }
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn an_abort_ends_every_open_upload_and_deletes_every_finished_file() {
    let bucket = Bucket::new().await;
    let folder = folder("ale");
    let prefix = folder.prefix();
    let mut sink = bucket.files().sink(&folder).await.unwrap();
    sink.write("codebook.json", b"{}").await.unwrap();
    sink.finish("codebook.json").await.unwrap();
    // Two open uploads with a part sent each, one more file still in memory.
    sink.write("responses.csv", &pattern(6 * 1024 * 1024))
        .await
        .unwrap();
    sink.write("responses_excel.csv", &pattern(5 * 1024 * 1024 + 1))
        .await
        .unwrap();
    sink.write("codebook.csv", b"a;b\n").await.unwrap();
    let parts = bucket.sent_parts();
    assert_eq!(parts.len(), 2);
    let uploads = [
        (format!("{prefix}responses.csv"), parts[0].upload.clone()),
        (
            format!("{prefix}responses_excel.csv"),
            parts[1].upload.clone(),
        ),
    ];
    for (key, upload) in &uploads {
        assert_eq!(bucket.parts_held(key, upload).await, 1, "{key}");
    }
    assert_eq!(bucket.keys(&prefix).await.len(), 1);

    sink.abort().await.unwrap();
    assert!(bucket.keys(&prefix).await.is_empty());
    for (key, upload) in &uploads {
        assert_eq!(bucket.parts_held(key, upload).await, 0, "{key}");
    }
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn an_export_that_fails_half_way_leaves_nothing_and_its_retry_starts_clean() {
    let bucket = Bucket::new().await;
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Stor").await;
    for i in 0..25 {
        let who = if i % 2 == 0 { "sjalv" } else { "ombud" };
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", who]))
            .await;
    }
    let mut opts = options(3);
    opts.page_size = 4;
    let folder = folder("testkommun");
    let prefix = folder.prefix();
    let files = bucket.files();
    let mut sink = FailingSink {
        inner: files.sink(&folder).await.unwrap(),
        writes_left: 4,
        aborted: false,
    };
    let error = export::export(
        &setup.store,
        std::slice::from_ref(&round),
        &opts,
        &mut sink,
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ExportError::Write(_)), "{error:?}");
    assert!(sink.aborted);
    assert!(bucket.keys(&prefix).await.is_empty());

    // A file left by an attempt that was stopped before it could abort is replaced.
    bucket
        .client
        .put_object()
        .bucket(&bucket.name)
        .key(format!("{prefix}responses.csv"))
        .body(b"half".to_vec().into())
        .send()
        .await
        .unwrap();
    let mut sink = files.sink(&folder).await.unwrap();
    assert!(
        bucket.keys(&prefix).await.is_empty(),
        "a retry starts clean"
    );
    export::export(
        &setup.store,
        std::slice::from_ref(&round),
        &opts,
        &mut *sink,
        &mut |_| {},
    )
    .await
    .unwrap();
    setup
        .export(std::slice::from_ref(&round), &opts, "local")
        .await
        .unwrap();
    for file in ["responses.csv", "codebook.json", "manifest.json"] {
        let local = std::fs::read(setup.folder("local").join(file)).unwrap();
        assert_eq!(
            bucket.get(&format!("{prefix}{file}")).await,
            local,
            "{file}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the S3 test server: run tests/run-all"]
async fn remove_deletes_its_folder_and_nothing_else() {
    let bucket = Bucket::new().await;
    let files = bucket.files();
    let gone = folder("ale");
    let kept = folder("ale");
    for folder in [&gone, &kept] {
        let mut sink = files.sink(folder).await.unwrap();
        for name in ["responses.csv", "codebook.csv", "manifest.json"] {
            sink.write(name, b"x").await.unwrap();
            sink.finish(name).await.unwrap();
        }
    }
    // Keys that share the beginning of the removed prefix stay too.
    let near = format!("{}x/responses.csv", gone.prefix().trim_end_matches('/'));
    bucket
        .client
        .put_object()
        .bucket(&bucket.name)
        .key(&near)
        .body(b"y".to_vec().into())
        .send()
        .await
        .unwrap();
    files.remove(&gone).await.unwrap();
    assert!(bucket.keys(&gone.prefix()).await.is_empty());
    assert_eq!(bucket.keys(&kept.prefix()).await.len(), 3);
    assert_eq!(bucket.keys(&near).await, std::slice::from_ref(&near));
    // Removing again is no error.
    files.remove(&gone).await.unwrap();
}
