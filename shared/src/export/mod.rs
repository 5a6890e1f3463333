//! Anonymised exports: a round's (or several rounds') responses streamed page by page to
//! `responses.csv`, its Excel-for-Sweden twin, a codebook and a manifest, in memory that
//! does not grow with the number of rows; and the network's aggregate tables.
//!
//! The rules (safe by default; each in the manifest with its parameters):
//! - no tokens, invitation or response ids or exact times: rows get fresh numbers 1..n in
//!   a seeded random order ([`permute`]), dates are months;
//! - free text is left out unless asked for, and then scrubbed ([`scrub`]);
//! - k-anonymity over the background variables ([`kanon`]); a round with fewer than k
//!   responses is not exported;
//! - every text cell is neutralised against spreadsheet formulas.
//!
//! Rounds of several versions of the questionnaire are written by the newest with what
//! only older ones asked added ([`Versions`]); a cell the row's version did not ask is
//! empty.
//!
//! One read of the store: each row is counted (background combinations) and spilled to
//! an anonymous temporary file (spill.rs); the rows are then written from the spill with
//! the k-anonymity plan the counts gave. With the `parquet` feature, `responses.parquet` holds the same cells in
//! typed columns (parquet.rs). Files go to an [`ExportSink`]: a local folder, or S3 multipart
//! uploads (s3_files.rs, with the `s3` feature); downloads are signed local URLs or presigned
//! S3 URLs (s3_links.rs, without the S3 client).

mod aggregates;
mod codebook;
mod columns;
mod csv_fields;
mod engine;
mod files;
mod kanon;
mod local;
mod manifest;
#[cfg(feature = "parquet")]
mod parquet;
mod permute;
mod response_files;
mod rows;
#[cfg(feature = "s3")]
mod s3_files;
mod s3_links;
mod scrub;
mod sink;
mod spill;
mod stored;
mod stored_rows;
mod suppression;
mod versions;

#[cfg(feature = "parquet")]
pub use self::parquet::{PARQUET_FILE, ROW_GROUP_BYTES, ROW_GROUP_ROWS};
pub use aggregates::{AggregateRow, AggregateTable, NetworkAggregates, network_aggregates};
pub use codebook::Codebook;
pub use columns::{ColumnKind, DONT_KNOW_CODE, Layout, NOT_APPLICABLE_CODE};
pub use engine::{
    CODEBOOK_CSV, CODEBOOK_EXCEL, CODEBOOK_JSON, EXCEL_FILE, ExportError, ExportOptions, Exported,
    MANIFEST_FILE, RESPONSES_FILE, check_versions, export,
};
pub use files::{DownloadLinks, ExportFiles};
pub use kanon::{DEFAULT_K, MIN_K, background_questions};
pub use local::{InvalidDownload, LOCAL_DOWNLOAD_PATH, LocalExportFiles, SignedDownload};
pub use manifest::{
    Manifest, ManifestFile, ManifestQuestionnaire, ManifestRound, ManifestRoundLeftOut, Rule,
};
pub use permute::Permutation;
#[cfg(feature = "s3")]
pub use s3_files::{MAX_PARTS, MIN_PART_BYTES, PARTS_PER_SIZE, S3ExportFiles, part_size};
pub use s3_links::S3DownloadLinks;
pub use scrub::{REMOVED, neutralise, scrub};
pub use sink::{ExportSink, FolderSink};
pub use stored::{Reader, StoredAnswer, StoredRow, Text};
pub use stored_rows::{ROW_FORMAT, RowEncoder};
pub use suppression::{Suppression, suppress};
pub use versions::{KindChanged, MAX_VERSIONS, VersionSet, Versions, VersionsError};
