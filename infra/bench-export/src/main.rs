//! The export benchmark (run by `infra/bench-export.sh`), one step per process so each
//! step's peak memory is its own:
//!
//! - `generate DB N`: N synthetic answers to `patientupplevelse` in a new embedded store.
//!   The store's own calls make the municipality, questionnaire and round; the responses
//!   go straight into its `responses` and `export_rows` tables in one transaction,
//!   exactly as `submit_response` stores them (the same JSON and export row, the round's
//!   count), but without invitations and per-day counts, which an export never reads.
//! - `drop-rows DB`: deletes the export rows, as if every response had been stored before
//!   they were kept: the next export reads the JSON. A million submits one
//!   by one would take longer than the export measured.
//! - `export DB OUT`: the export, store to files; prints rows, seconds and peak RSS.
//! - `row-at-send N`: what keeping the export row adds to each Send: N synthetic
//!   responses' rows made as the respondent service makes them (one `RowEncoder` per
//!   questionnaire version, kept), beside the encoding of their JSON that a Send did
//!   before; and the making of one encoder.
//! - `read DB`: one pass of reading every page from the store and nothing else, to tell
//!   the store's share of an export's time (an export reads twice): decoded
//!   (`responses_page`), then as the export reads it (`response_bodies_page`, undecoded).
//! - `pieces DB`: not run by the script; one pass per step of an export's work on each
//!   response (read, scan, cells, one CSV encoding), to tell where its time goes.
//! - `bare DB OUT`: the yardstick: the same rows' cells, held in memory (codes interned),
//!   written with the `csv` crate alone.
//! - `bound DB OUT`: the same rows as a store keeping each response's row already laid
//!   out would hold them, exported with nothing else to do (bound.rs).
//! - `dynamo-load PREFIX N` and `dynamo-s3-export PREFIX`: DynamoDB Local to the S3 test
//!   server (dynamo_s3.rs; infra/bench-export-s3.sh).

mod bound;
mod dynamo_s3;
mod synthetic;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use sha2::{Digest, Sha256};

use svar_shared::domain::*;
use svar_shared::export::{self, ExportOptions, FolderSink, Layout, StoredRow};
use svar_shared::store::RoundAdminStore as _;
use svar_shared::store::embedded::EmbeddedStore;

use synthetic::{drop_rows, generate, patient_survey, row_at_send, slug};

type Failure = Box<dyn std::error::Error>;

/// As in the local server (infra/local), whose background task runs exports.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match args.get(1..).unwrap_or_default() {
        [step, db, n] if step == "generate" => {
            runtime.block_on(generate(Path::new(db), n.parse()?))
        }
        [step, db, out] if step == "export" => {
            runtime.block_on(run_export(Path::new(db), Path::new(out)))
        }
        [step, db, out] if step == "bare" => runtime.block_on(bare(Path::new(db), Path::new(out))),
        [step, db, out] if step == "bound" => {
            runtime.block_on(bound::run(Path::new(db), Path::new(out)))
        }
        [step, db] if step == "read" => runtime.block_on(read(Path::new(db))),
        [step, db] if step == "drop-rows" => drop_rows(Path::new(db)),
        [step, n] if step == "row-at-send" => row_at_send(n.parse()?),
        [step, db] if step == "pieces" => runtime.block_on(pieces(Path::new(db))),
        [step, prefix, n] if step == "dynamo-load" => {
            runtime.block_on(dynamo_s3::load(prefix, n.parse()?))
        }
        [step, prefix] if step == "dynamo-s3-export" => {
            runtime.block_on(dynamo_s3::run_export(prefix))
        }
        _ => Err(
            "usage: bench-export generate DB N | export DB OUT | row-at-send N | bare DB OUT | bound DB OUT | drop-rows DB | read DB | pieces DB \
             | dynamo-load PREFIX N | dynamo-s3-export PREFIX"
                .into(),
        ),
    }
}

async fn the_round(store: &EmbeddedStore) -> Result<Round, Failure> {
    let rounds = store.rounds_of_municipality(&slug("benchkommun")).await?;
    rounds
        .into_iter()
        .next()
        .ok_or_else(|| "no round: run generate first".into())
}

/// Peak resident memory of this process, from the kernel (kB).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

async fn run_export(db: &Path, out: &Path) -> Result<(), Failure> {
    let store = EmbeddedStore::open(db)?;
    let round = the_round(&store).await?;
    let mut sink = FolderSink::create(out)?;
    let options = ExportOptions::new(42, time::macros::date!(2026 - 11 - 25));
    let started = Instant::now();
    let manifest = export::export(
        &store,
        std::slice::from_ref(&round),
        &options,
        &mut sink,
        &mut |_| {},
    )
    .await?
    .manifest;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"export\",\"rows\":{},\"seconds\":{seconds:.3},\"rows_per_s\":{:.0},\"peak_rss_kb\":{},\"bytes\":{}}}",
        manifest.rows,
        manifest.rows as f64 / seconds,
        peak_rss_kb(),
        manifest.files[0].bytes
    );
    Ok(())
}

async fn read(db: &Path) -> Result<(), Failure> {
    let store = EmbeddedStore::open(db)?;
    let round = the_round(&store).await?;
    let started = Instant::now();
    let (mut rows, mut cursor) = (0u64, None);
    loop {
        let page = svar_shared::store::ResponseStore::responses_page(
            &store,
            &round.id,
            cursor.as_ref(),
            1000,
        )
        .await?;
        rows += page.responses.len() as u64;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"read (one pass, store only)\",\"rows\":{rows},\"seconds\":{seconds:.3},\"rows_per_s\":{:.0}}}",
        rows as f64 / seconds
    );
    // The same pass as the export reads it: the stored JSON, undecoded.
    let started = Instant::now();
    let (mut rows, mut bytes, mut cursor) = (0u64, 0usize, None);
    loop {
        let page = svar_shared::store::ResponseStore::response_bodies_page(
            &store,
            &round.id,
            cursor.as_ref(),
            1000,
        )
        .await?;
        rows += page.bodies.len() as u64;
        bytes += page.bodies.iter().map(String::len).sum::<usize>();
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"read bodies (one pass, store only, undecoded)\",\"rows\":{rows},\"seconds\":{seconds:.3},\"rows_per_s\":{:.0},\"json_bytes\":{bytes}}}",
        rows as f64 / seconds
    );
    Ok(())
}

/// The rows of the store's round, read and laid out as the export does, held in memory
/// with their cells interned (a row is one small number per column).
struct InMemory {
    layout: Layout,
    rows: Vec<Box<[u16]>>,
    strings: Vec<String>,
}

async fn in_memory(db: &Path) -> Result<InMemory, Failure> {
    let store = EmbeddedStore::open(db)?;
    let round = the_round(&store).await?;
    let questionnaire = patient_survey()?;
    let layout = Layout::new(&questionnaire, false)?;
    let mut interned: HashMap<String, u16> = HashMap::new();
    let mut strings: Vec<String> = Vec::new();
    let mut rows: Vec<Box<[u16]>> = Vec::new();
    let reader = layout.reader(|_| true);
    let mut cursor = None;
    loop {
        let page = svar_shared::store::ResponseStore::response_bodies_page(
            &store,
            &round.id,
            cursor.as_ref(),
            1000,
        )
        .await?;
        for body in &page.bodies {
            let mut row = StoredRow::default();
            reader.read(body, &mut row)?;
            let mut cells = Vec::new();
            layout.fill(&row, &mut cells, &mut Default::default());
            let row: Box<[u16]> = cells
                .iter()
                .map(|cell| {
                    *interned.entry(cell.to_string()).or_insert_with(|| {
                        strings.push(cell.to_string());
                        (strings.len() - 1) as u16
                    })
                })
                .collect();
            rows.push(row);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(InMemory {
        layout,
        rows,
        strings,
    })
}

async fn bare(db: &Path, out: &Path) -> Result<(), Failure> {
    let InMemory {
        layout,
        rows,
        strings,
    } = in_memory(db).await?;
    std::fs::create_dir_all(out)?;
    let started = Instant::now();
    let file =
        std::io::BufWriter::with_capacity(256 * 1024, std::fs::File::create(out.join("bare.csv"))?);
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(file);
    write_bare(&mut writer, &layout, &rows, &strings)?;
    writer.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"bare\",\"rows\":{},\"seconds\":{seconds:.3},\"rows_per_s\":{:.0},\"peak_rss_kb\":{}}}",
        rows.len(),
        rows.len() as f64 / seconds,
        peak_rss_kb()
    );

    // The same rows as both response files an export writes (the plain one, and Excel's
    // twin: byte-order mark, `;`; this questionnaire has no decimals to turn into commas),
    // each hashed with SHA-256 and synced to disk as the export's folder does, on one
    // thread: a bare write of what an export writes.
    let started = Instant::now();
    let mut bytes = 0;
    for (name, delimiter, start) in [
        ("bare.csv", b',', &b""[..]),
        ("bare_excel.csv", b';', "\u{feff}".as_bytes()),
    ] {
        let file = std::fs::File::create(out.join(name))?;
        let mut hashed = Hashed {
            out: std::io::BufWriter::with_capacity(256 * 1024, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        std::io::Write::write_all(&mut hashed, start)?;
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .from_writer(hashed);
        write_bare(&mut writer, &layout, &rows, &strings)?;
        let hashed = writer.into_inner().map_err(|e| e.into_error())?;
        let digest = hashed.hasher.finalize();
        bytes += hashed.bytes;
        let file = hashed.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::hint::black_box(digest);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"bare, both files, hashed and synced\",\"rows\":{},\"seconds\":{seconds:.3},\"rows_per_s\":{:.0},\"bytes\":{bytes}}}",
        rows.len(),
        rows.len() as f64 / seconds,
    );
    Ok(())
}

/// The header and the rows of a bare write, numbered in order, cells from `strings`.
fn write_bare<W: std::io::Write>(
    writer: &mut csv::Writer<W>,
    layout: &Layout,
    rows: &[Box<[u16]>],
    strings: &[String],
) -> csv::Result<()> {
    writer.write_record(layout.columns.iter().map(|c| c.name.as_str()))?;
    for (number, row) in rows.iter().enumerate() {
        writer.write_field((number + 1).to_string())?;
        for cell in &row[1..] {
            writer.write_field(&strings[usize::from(*cell)])?;
        }
        writer.write_record(None::<&[u8]>)?;
    }
    Ok(())
}

/// A file being written, hashed and counted on the way.
struct Hashed {
    out: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
    bytes: u64,
}

impl std::io::Write for Hashed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// One pass over the store per line, each doing one more of an export's steps per
/// response than the one before, to tell where an export's time goes.
async fn pieces(db: &Path) -> Result<(), Failure> {
    let store = EmbeddedStore::open(db)?;
    let round = the_round(&store).await?;
    let questionnaire = patient_survey()?;
    let layout = Layout::new(&questionnaire, false)?;
    let background: Vec<usize> = ["alder", "kon", "vardform", "vem_svarar"]
        .iter()
        .filter_map(|id| layout.questions.iter().position(|q| q.id.as_str() == *id))
        .collect();
    let counting = layout.reader(|q| background.contains(&q));
    let writing = layout.reader(|_| true);
    for step in [
        "bodies",
        "counting read",
        "counting scan",
        "full read",
        "full scan",
        "full scan + cells",
        "+ csv",
    ] {
        let started = Instant::now();
        let (mut rows, mut cursor, mut sum) = (0u64, None, 0usize);
        let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
        loop {
            let page = svar_shared::store::ResponseStore::response_bodies_page(
                &store,
                &round.id,
                cursor.as_ref(),
                1000,
            )
            .await?;
            let mut row = StoredRow::default();
            let mut cells = Vec::new();
            for body in &page.bodies {
                rows += 1;
                match step {
                    "bodies" => sum += body.len(),
                    "counting read" => counting.read(body, &mut row)?,
                    "counting scan" => counting.scan(body, &mut row)?,
                    "full read" => writing.read(body, &mut row)?,
                    _ => writing.scan(body, &mut row)?,
                }
                if step.contains("cells") || step == "+ csv" {
                    layout.fill(&row, &mut cells, &mut Default::default());
                    sum += cells.len();
                }
                if step == "+ csv" {
                    let mut writer = csv::WriterBuilder::new().from_writer(&mut out);
                    for cell in &cells {
                        writer.write_field(cell.as_bytes())?;
                    }
                    writer.write_record(None::<&[u8]>)?;
                    writer.flush()?;
                    drop(writer);
                    out.clear();
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        println!(
            "{{\"step\":\"pieces: {step}\",\"rows\":{rows},\"seconds\":{:.3},\"check\":{sum}}}",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
