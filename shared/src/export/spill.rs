//! The rows of an export between its one read of the store and its writing: an anonymous
//! temporary file (one per scanner of the store's pages, rows.rs), so that the store is read once (the k-anonymity plan needs every row
//! counted before the first row can be written) in memory that does not grow with the
//! number of rows.
//!
//! The file is made by [`tempfile::tempfile`]: it has no name in the file system and goes
//! when it is closed, also when the export fails or the process dies. In Lambda it lives in
//! `/tmp` (512 MB by default); its size is in BENCHMARKS.md.
//!
//! One row: its combination of background values (a fixed number of `u16`, little-endian),
//! one byte saying whether Excel's row is the plain one with `;` for `,` (1) or not (0),
//! then its cells as `responses.csv` has them (encoded by the scanner, csv_fields.rs, all
//! but the two the writing sets): their length in bytes (LEB128) and their UTF-8 bytes.
//! Cells travel encoded so that the writing copies a row instead of encoding each cell
//! again: with two cores the scanners encode side by side, and the writing, one thread,
//! is no longer the longer half (BENCHMARKS.md). The reader trusts nothing it reads: a
//! damaged file is an `InvalidData` error, never a panic or a huge allocation.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};

/// Buffer size both ways: large enough that a row is rarely split between two system calls.
const BUFFER: usize = 256 * 1024;

/// Writes the rows of one export to the spill.
pub struct SpillWriter {
    out: BufWriter<File>,
    key_len: usize,
    bytes: u64,
}

impl SpillWriter {
    /// A new, empty spill for rows of `key_len` background values.
    pub fn new(key_len: usize) -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::with_capacity(BUFFER, tempfile::tempfile()?),
            key_len,
            bytes: 0,
        })
    }

    /// Appends one row: its background combination, whether Excel's row is the plain one
    /// with `;` for `,`, and its encoded cells.
    pub fn push(&mut self, key: &[u16], excel_same: bool, cells: &[u8]) -> io::Result<()> {
        if key.len() != self.key_len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a spilled row of the wrong shape",
            ));
        }
        for value in key {
            self.out.write_all(&value.to_le_bytes())?;
        }
        self.out.write_all(&[u8::from(excel_same)])?;
        self.bytes += 2 * key.len() as u64 + 1;
        self.write_len(cells.len() as u64)?;
        self.out.write_all(cells)?;
        self.bytes += cells.len() as u64;
        Ok(())
    }

    fn write_len(&mut self, mut len: u64) -> io::Result<()> {
        let mut encoded = [0u8; 10];
        let mut used = 0;
        loop {
            let low = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                encoded[used] = low;
                used += 1;
                break;
            }
            encoded[used] = low | 0x80;
            used += 1;
        }
        self.out.write_all(&encoded[..used])?;
        self.bytes += used as u64;
        Ok(())
    }

    /// The spill's size so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Ends writing; the reader starts at the first row.
    pub fn into_reader(self) -> io::Result<SpillReader> {
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok(SpillReader {
            input: BufReader::with_capacity(BUFFER, file),
            key_len: self.key_len,
            remaining: self.bytes,
        })
    }
}

/// Reads the rows back in the order they were written, a page at a time.
pub struct SpillReader {
    input: BufReader<File>,
    key_len: usize,
    /// Bytes not yet read: no length read from the file may claim more.
    remaining: u64,
}

/// A spill that does not read back as written: an `InvalidData` error, for
/// [`ExportError::Write`](super::ExportError::Write).
pub fn damaged(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the export's spill is damaged: {what}"),
    )
}

impl SpillReader {
    /// Reads the next `rows` rows into `page`, replacing what it held. Fewer rows left
    /// than asked for is a damaged spill: the writer counted them.
    pub fn read_page(&mut self, rows: usize, page: &mut SpillPage) -> io::Result<()> {
        let mut text = std::mem::take(&mut page.text).into_bytes();
        text.clear();
        page.ends.clear();
        page.keys.clear();
        page.excel_same.clear();
        page.rows = 0;
        page.key_len = self.key_len;
        for _ in 0..rows {
            if !self.read_buffered_row(&mut text, page)? {
                for _ in 0..self.key_len {
                    let mut value = [0u8; 2];
                    self.read_exact(&mut value)?;
                    page.keys.push(u16::from_le_bytes(value));
                }
                let mut same = [0u8; 1];
                self.read_exact(&mut same)?;
                page.excel_same.push(excel_same(same[0])?);
                let len = self.read_len()?;
                let start = text.len();
                text.resize(start + len, 0);
                self.read_exact(&mut text[start..])?;
                page.ends.push(text.len());
            }
            page.rows += 1;
        }
        page.text = String::from_utf8(text).map_err(|_| damaged("a cell is not UTF-8"))?;
        Ok(())
    }

    /// Reads one row straight from the read buffer when all of it is there, as it almost
    /// always is (the buffer holds thousands of rows): a byte-by-byte read of the
    /// lengths through `read_exact` took a third of the writing's time. `false`, with
    /// nothing read, when the row runs past the buffer or looks damaged: then
    /// [`SpillReader::read_page`] reads it the careful way, which also names the damage.
    fn read_buffered_row(&mut self, text: &mut Vec<u8>, page: &mut SpillPage) -> io::Result<bool> {
        let key_len = self.key_len;
        let (keys_before, text_before) = (page.keys.len(), text.len());
        let buffered = self.input.fill_buf()?;
        let bytes = &buffered[..buffered
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX))];
        let mut at = 0;
        let whole = (|| {
            for _ in 0..key_len {
                let value = bytes.get(at..at + 2)?;
                page.keys.push(u16::from_le_bytes([value[0], value[1]]));
                at += 2;
            }
            let same = excel_same(*bytes.get(at)?).ok()?;
            at += 1;
            let (len, used) = buffered_len(bytes.get(at..)?)?;
            at += used;
            text.extend_from_slice(bytes.get(at..at.checked_add(len)?)?);
            at += len;
            Some(same)
        })();
        let Some(same) = whole else {
            page.keys.truncate(keys_before);
            text.truncate(text_before);
            return Ok(false);
        };
        page.excel_same.push(same);
        page.ends.push(text.len());
        self.input.consume(at);
        self.remaining -= at as u64;
        Ok(true)
    }

    /// Checks that every row was read: a longer spill is a damaged one.
    pub fn finish(self) -> io::Result<()> {
        if self.remaining == 0 {
            Ok(())
        } else {
            Err(damaged("bytes after the last row"))
        }
    }

    fn read_exact(&mut self, buffer: &mut [u8]) -> io::Result<()> {
        let len = buffer.len() as u64;
        if len > self.remaining {
            return Err(damaged("it ends inside a row"));
        }
        self.input.read_exact(buffer)?;
        self.remaining -= len;
        Ok(())
    }

    fn read_len(&mut self) -> io::Result<usize> {
        let mut len: u64 = 0;
        for shift in (0..64).step_by(7) {
            let mut byte = [0u8; 1];
            self.read_exact(&mut byte)?;
            len |= u64::from(byte[0] & 0x7f) << shift;
            if byte[0] & 0x80 == 0 {
                if len > self.remaining {
                    return Err(damaged("a row longer than the rest of the file"));
                }
                return usize::try_from(len).map_err(|_| damaged("a row too long"));
            }
        }
        Err(damaged("a row length that does not end"))
    }
}

/// A row's length (LEB128) at the start of `bytes`, and the bytes it took; `None` when
/// it does not end within them (or within ten bytes).
fn buffered_len(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut len: u64 = 0;
    for (index, byte) in bytes.iter().take(10).enumerate() {
        len |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((usize::try_from(len).ok()?, index + 1));
        }
    }
    None
}

fn excel_same(byte: u8) -> io::Result<bool> {
    match byte {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(damaged("a row neither like Excel's nor unlike it")),
    }
}

/// One page of rows read back; its buffers keep their capacity from page to page.
#[derive(Debug, Default)]
pub struct SpillPage {
    /// The encoded cells of every row, one row after another.
    text: String,
    /// Where each row ends in `text`.
    ends: Vec<usize>,
    keys: Vec<u16>,
    excel_same: Vec<bool>,
    rows: usize,
    key_len: usize,
}

impl SpillPage {
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `row`'s cells, encoded as `responses.csv` has them (csv_fields.rs splits them).
    pub fn cells(&self, row: usize) -> io::Result<&str> {
        let end = *self
            .ends
            .get(row)
            .filter(|_| row < self.rows)
            .ok_or_else(|| damaged("a row past the page"))?;
        let start = row.checked_sub(1).map_or(0, |previous| self.ends[previous]);
        self.text
            .get(start..end)
            .ok_or_else(|| damaged("a row split inside a character"))
    }

    /// Whether Excel's row is row `row` with `;` for each `,`.
    pub fn excel_same(&self, row: usize) -> io::Result<bool> {
        self.excel_same
            .get(row)
            .copied()
            .filter(|_| row < self.rows)
            .ok_or_else(|| damaged("a row past the page"))
    }

    /// Row `row`'s combination of background values.
    pub fn key(&self, row: usize) -> io::Result<&[u16]> {
        if row >= self.rows {
            return Err(damaged("a row past the page"));
        }
        self.keys
            .get(row * self.key_len..(row + 1) * self.key_len)
            .ok_or_else(|| damaged("a row past the page"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (Vec<u16>, bool, String);

    /// Writes `rows`, reads them back in pages of `page_rows` and returns what came back.
    fn round_trip(rows: &[Row], page_rows: usize) -> Vec<Row> {
        let mut writer = SpillWriter::new(rows[0].0.len()).unwrap();
        for (key, same, cells) in rows {
            writer.push(key, *same, cells.as_bytes()).unwrap();
        }
        let mut reader = writer.into_reader().unwrap();
        let mut page = SpillPage::default();
        let mut back = Vec::new();
        let mut left = rows.len();
        while left > 0 {
            let n = left.min(page_rows);
            reader.read_page(n, &mut page).unwrap();
            assert_eq!(page.rows(), n);
            for row in 0..n {
                back.push((
                    page.key(row).unwrap().to_vec(),
                    page.excel_same(row).unwrap(),
                    page.cells(row).unwrap().to_owned(),
                ));
            }
            left -= n;
        }
        reader.finish().unwrap();
        back
    }

    #[test]
    fn every_kind_of_text_comes_back_exactly() {
        let long = "å,\"x\"\n".repeat(100_000);
        let rows: Vec<Row> = vec![
            (vec![1, 0, 3], true, String::new()),
            (
                vec![2, u16::MAX, 0],
                false,
                "Göteborg,ÅÄÖ åäö é ß 日本 🙂,\u{feff}".into(),
            ),
            (
                vec![1, 2, 3],
                true,
                "\"a,b\",\"\"\"quoted\"\"\",\"line\r\nnext\"".into(),
            ),
            (vec![65535, 1, 1], false, format!("{long}\0nul=1+1")),
        ];
        for page_rows in [1, 2, 3, 10] {
            assert_eq!(round_trip(&rows, page_rows), rows);
        }
    }

    #[test]
    fn rows_across_the_read_buffer_come_back_in_order() {
        // About 600 KB of rows of varying length: some straddle the end of the reader's
        // buffer, and are read the careful way; the rest straight from the buffer.
        let rows: Vec<Row> = (0..6_000u16)
            .map(|n| {
                let cells = format!("{n}:{},,{n}", "å".repeat(usize::from(n % 97)));
                (vec![n, n / 7], n % 3 == 0, cells)
            })
            .collect();
        for page_rows in [1, 999, 6_000] {
            assert_eq!(round_trip(&rows, page_rows), rows);
        }
    }

    #[test]
    fn lengths_at_the_edges_of_a_byte_come_back() {
        let rows: Vec<Row> = [0usize, 1, 127, 128, 16_383, 16_384, 2_097_152]
            .iter()
            .map(|n| (vec![7], true, "x".repeat(*n)))
            .collect();
        assert_eq!(round_trip(&rows, 4), rows);
        // 0..=127 take one length byte, 128 two: 2 key bytes + 1 + 1 + 0, 2 + 1 + 2 + 128.
        let mut writer = SpillWriter::new(1).unwrap();
        writer.push(&[1], true, b"").unwrap();
        assert_eq!(writer.bytes(), 4);
        writer
            .push(&[1], false, "x".repeat(128).as_bytes())
            .unwrap();
        assert_eq!(writer.bytes(), 4 + 2 + 1 + 2 + 128);
    }

    #[test]
    fn a_row_of_the_wrong_shape_is_refused() {
        let mut writer = SpillWriter::new(2).unwrap();
        assert!(writer.push(&[1], true, b"a,b").is_err());
        assert!(writer.push(&[1, 2, 3], true, b"a").is_err());
        assert_eq!(writer.bytes(), 0);
    }

    /// A spill written by hand: each damage is an `InvalidData` error.
    fn read_raw(bytes: &[u8], rows: usize) -> io::Result<()> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file.rewind().unwrap();
        let mut reader = SpillReader {
            input: BufReader::new(file),
            key_len: 1,
            remaining: bytes.len() as u64,
        };
        let mut page = SpillPage::default();
        reader.read_page(rows, &mut page)?;
        for row in 0..rows {
            page.key(row)?;
            page.excel_same(row)?;
            page.cells(row)?;
        }
        reader.finish()
    }

    #[test]
    fn a_damaged_spill_is_an_error_not_a_panic() {
        assert!(read_raw(&[1, 0, 1, 2, b'o', b'k'], 1).is_ok());
        for (bytes, rows) in [
            (&[1, 0, 1, 2, b'o', b'k'][..], 2),    // too short
            (&[1, 0, 1, 2, b'o'][..], 1),          // ends inside a row
            (&[1, 0, 1, 2, b'o', b'k', 9][..], 1), // bytes after the end
            (&[1, 0, 1, 2, 0xff, 0xfe][..], 1),    // not UTF-8
            (&[1, 0, 2, 2, b'o', b'k'][..], 1),    // neither like Excel's nor unlike
            (
                &[1, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f][..],
                1,
            ), // huge length
            (
                &[
                    1, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                ][..],
                1,
            ),
        ] {
            let error = read_raw(bytes, rows).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{bytes:?}");
        }
        // A character split between two rows: each half alone is not a whole character.
        let split = [1, 0, 1, 1, 0xc3, 1, 0, 1, 1, 0xa5];
        assert!(read_raw(&split, 2).is_err());
    }

    #[test]
    fn a_page_asked_for_a_row_it_does_not_hold_says_so() {
        let page = SpillPage::default();
        assert!(page.cells(0).is_err());
        assert!(page.key(0).is_err());
        assert!(page.excel_same(0).is_err());
    }
}
