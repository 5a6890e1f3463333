//! `bound DB OUT`: the least an export could take if the store kept each response as its
//! row's bytes, already laid out and encoded (a positional stored form), instead of its
//! JSON answers. Issue #15 asks for an export at half the rows/s of a bare one-file
//! write; this step measures how close that form would come, so the choice between
//! building it and changing the goal rests on a figure, not a guess.
//!
//! What it does, timed from the store's first read to both files synced: one pass over
//! the stored rows counting the background combinations (the k-anonymity plan's input);
//! a second pass numbering each row by the export's own permutation and appending it to
//! `responses.csv` and, with `;` for `,`, to Excel's twin; a second thread hashes both
//! with SHA-256, writes and syncs them. What it leaves out, so the real thing would be
//! slower: no cell is ever emptied (rows in groups under k are only counted), no free
//! text, one questionnaire version, no codebook or manifest.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use svar_shared::export::Permutation;

use crate::{Failure, InMemory, in_memory};

const ROUND: &str = "bound";
const BACKGROUND: [&str; 4] = ["vem_svarar", "alder", "kon", "vardform"];
/// Bytes of each file gathered before they go to the writing thread.
const CHUNK: usize = 256 * 1024;

pub async fn run(db: &Path, out: &Path) -> Result<(), Failure> {
    let InMemory {
        layout,
        rows,
        strings,
    } = in_memory(db).await?;
    std::fs::create_dir_all(out)?;
    // Stored rows leave out the columns an export sets itself: its row number and round.
    let first_stored = 2;
    let background: Vec<usize> = BACKGROUND
        .iter()
        .map(|name| {
            layout.columns[first_stored..]
                .iter()
                .position(|c| c.name == *name)
                .ok_or_else(|| format!("no column {name}"))
        })
        .collect::<Result<_, _>>()?;
    let stored = out.join("positional.db");
    let stored_bytes = store_positional(&stored, &rows[..], &strings[..], first_stored)?;

    let connection = rusqlite::Connection::open(&stored)?;
    let started = Instant::now();
    let mut counts: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut n = 0u64;
    let last = background.iter().copied().max().unwrap_or(0);
    let mut key = Vec::with_capacity(32);
    for_each_row(&connection, |row| {
        key.clear();
        for (index, cell) in row.split(|b| *b == b',').take(last + 1).enumerate() {
            if background.contains(&index) {
                key.extend_from_slice(cell);
                key.push(b',');
            }
        }
        match counts.get_mut(&key) {
            Some(count) => *count += 1,
            None => {
                counts.insert(key.clone(), 1);
            }
        }
        n += 1;
    })?;
    let counted = started.elapsed().as_secs_f64();
    let rows_in_small_groups: u32 = counts.values().filter(|c| **c < 7).sum();

    let header = layout
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let (chunks, received) = mpsc::sync_channel::<(Vec<u8>, Vec<u8>)>(2);
    let folder = out.to_path_buf();
    let writer = std::thread::spawn(move || write_files(&folder, received));
    let permutation = Permutation::new(n, 1);
    let mut plain = Vec::with_capacity(CHUNK * 2);
    let mut excel = Vec::with_capacity(CHUNK * 2);
    plain.extend_from_slice(header.as_bytes());
    plain.extend_from_slice(b"\r\n");
    excel.extend_from_slice("\u{feff}".as_bytes());
    excel.extend_from_slice(header.replace(',', ";").as_bytes());
    excel.extend_from_slice(b"\r\n");
    let mut index = 0u64;
    let mut number: Vec<u8> = Vec::with_capacity(20);
    let mut sent = Ok(());
    for_each_row(&connection, |row| {
        number.clear();
        write!(number, "{}", permutation.apply(index) + 1).expect("a number fits a Vec");
        index += 1;
        for (file, separator) in [(&mut plain, b','), (&mut excel, b';')] {
            file.extend_from_slice(&number);
            file.push(separator);
            file.push(b'1');
            file.push(separator);
            let at = file.len();
            file.extend_from_slice(row);
            if separator == b';' {
                file[at..]
                    .iter_mut()
                    .filter(|b| **b == b',')
                    .for_each(|b| *b = b';');
            }
            file.extend_from_slice(b"\r\n");
        }
        if plain.len() > CHUNK && sent.is_ok() {
            let full = (
                std::mem::replace(&mut plain, Vec::with_capacity(CHUNK * 2)),
                std::mem::replace(&mut excel, Vec::with_capacity(CHUNK * 2)),
            );
            sent = chunks.send(full);
        }
    })?;
    sent?;
    chunks.send((plain, excel))?;
    drop(chunks);
    let (bytes, digests) = writer.join().map_err(|_| "the writing thread panicked")??;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"bound: positional store\",\"rows\":{n},\"seconds\":{seconds:.3},\"rows_per_s\":{:.0},\"counting_s\":{counted:.3},\"stored_bytes\":{stored_bytes},\"rows_in_groups_under_7\":{rows_in_small_groups},\"bytes\":{bytes},\"sha256_first_bytes\":\"{:02x}{:02x}\"}}",
        n as f64 / seconds,
        digests[0],
        digests[1],
    );
    Ok(())
}

/// Writes each row's cells after the first `skip`, encoded as `responses.csv` has them,
/// into a new SQLite file laid out as the embedded store's `responses` table, in
/// the rows' order. Returns the bytes stored.
fn store_positional(
    path: &Path,
    rows: &[Box<[u16]>],
    strings: &[String],
    skip: usize,
) -> Result<u64, Failure> {
    let mut connection = rusqlite::Connection::open(path)?;
    connection.execute_batch(
        "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL;
         CREATE TABLE responses (round TEXT NOT NULL, id TEXT NOT NULL, row BLOB NOT NULL,
             PRIMARY KEY (round, id)) WITHOUT ROWID;",
    )?;
    let transaction = connection.transaction()?;
    let mut stored_bytes = 0;
    {
        let mut insert = transaction.prepare("INSERT INTO responses VALUES (?1, ?2, ?3)")?;
        let mut encoded = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            encoded.clear();
            let mut writer = csv::WriterBuilder::new().from_writer(&mut encoded);
            for cell in &row[skip..] {
                writer.write_field(&strings[usize::from(*cell)])?;
            }
            writer.flush()?;
            drop(writer);
            if encoded.contains(&b'"') {
                return Err("a quoted cell: the bound assumes cells without quotes".into());
            }
            // Ids as long as the store's, in the rows' order.
            let id = format!("{index:036}");
            insert.execute(rusqlite::params![ROUND, id, &encoded[..]])?;
            stored_bytes += encoded.len() as u64;
        }
    }
    transaction.commit()?;
    Ok(stored_bytes)
}

fn for_each_row(
    connection: &rusqlite::Connection,
    mut each: impl FnMut(&[u8]),
) -> Result<(), Failure> {
    let mut statement = connection.prepare_cached("SELECT row FROM responses WHERE round = ?1")?;
    let mut rows = statement.query([ROUND])?;
    while let Some(row) = rows.next()? {
        each(row.get_ref(0)?.as_blob()?);
    }
    Ok(())
}

type Written = (u64, [u8; 2]);

/// The writing thread: hashes, writes and syncs both files; their bytes and the first
/// byte of each digest, so the hashing cannot be left out by the compiler.
fn write_files(
    folder: &Path,
    chunks: mpsc::Receiver<(Vec<u8>, Vec<u8>)>,
) -> Result<Written, std::io::Error> {
    let mut files = [
        std::fs::File::create(folder.join("responses.csv"))?,
        std::fs::File::create(folder.join("responses_excel.csv"))?,
    ];
    let mut hashers = [Sha256::new(), Sha256::new()];
    let mut bytes = 0;
    for (plain, excel) in chunks {
        for (index, chunk) in [plain, excel].iter().enumerate() {
            hashers[index].update(chunk);
            files[index].write_all(chunk)?;
            bytes += chunk.len() as u64;
        }
    }
    for file in &files {
        file.sync_all()?;
    }
    let [plain, excel] = hashers.map(|h| h.finalize()[0]);
    Ok((bytes, [plain, excel]))
}
