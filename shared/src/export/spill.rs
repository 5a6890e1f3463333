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
//! then its cells (a fixed number), each as its length in bytes (LEB128) and its UTF-8
//! bytes as they are, so any text comes back exactly. The reader trusts nothing it reads:
//! a damaged file is an `InvalidData` error, never a panic or a huge allocation.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};

/// Buffer size both ways: large enough that a row is rarely split between two system calls.
const BUFFER: usize = 256 * 1024;

/// Writes the rows of one export to the spill.
pub struct SpillWriter {
    out: BufWriter<File>,
    key_len: usize,
    columns: usize,
    bytes: u64,
}

impl SpillWriter {
    /// A new, empty spill for rows of `key_len` background values and `columns` cells.
    pub fn new(key_len: usize, columns: usize) -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::with_capacity(BUFFER, tempfile::tempfile()?),
            key_len,
            columns,
            bytes: 0,
        })
    }

    /// Appends one row: its background combination and its cells.
    pub fn push(&mut self, key: &[u16], cells: &[Cow<'_, str>]) -> io::Result<()> {
        if key.len() != self.key_len || cells.len() != self.columns {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a spilled row of the wrong shape",
            ));
        }
        for value in key {
            self.out.write_all(&value.to_le_bytes())?;
        }
        self.bytes += 2 * key.len() as u64;
        for cell in cells {
            self.write_len(cell.len() as u64)?;
            self.out.write_all(cell.as_bytes())?;
            self.bytes += cell.len() as u64;
        }
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
            columns: self.columns,
            remaining: self.bytes,
        })
    }
}

/// Reads the rows back in the order they were written, a page at a time.
pub struct SpillReader {
    input: BufReader<File>,
    key_len: usize,
    columns: usize,
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
        page.rows = 0;
        page.columns = self.columns;
        page.key_len = self.key_len;
        for _ in 0..rows {
            if self.read_buffered_row(&mut text, page)? {
                page.rows += 1;
                continue;
            }
            for _ in 0..self.key_len {
                let mut value = [0u8; 2];
                self.read_exact(&mut value)?;
                page.keys.push(u16::from_le_bytes(value));
            }
            for _ in 0..self.columns {
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
        let (key_len, columns) = (self.key_len, self.columns);
        let (keys_before, text_before, ends_before) =
            (page.keys.len(), text.len(), page.ends.len());
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
            for _ in 0..columns {
                let (len, used) = buffered_len(&bytes[at..])?;
                at += used;
                text.extend_from_slice(bytes.get(at..at.checked_add(len)?)?);
                page.ends.push(text.len());
                at += len;
            }
            Some(())
        })();
        if whole.is_none() {
            page.keys.truncate(keys_before);
            text.truncate(text_before);
            page.ends.truncate(ends_before);
            return Ok(false);
        }
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
                    return Err(damaged("a cell longer than the rest of the file"));
                }
                return usize::try_from(len).map_err(|_| damaged("a cell too long"));
            }
        }
        Err(damaged("a cell length that does not end"))
    }
}

/// A cell's length (LEB128) at the start of `bytes`, and the bytes it took; `None` when
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

/// One page of rows read back; its buffers keep their capacity from page to page.
#[derive(Debug, Default)]
pub struct SpillPage {
    /// The cells of every row, one after another.
    text: String,
    /// Where each cell ends in `text`.
    ends: Vec<usize>,
    keys: Vec<u16>,
    rows: usize,
    columns: usize,
    key_len: usize,
}

impl SpillPage {
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `row`'s cells in column order, borrowed one at a time: for an encoder that
    /// walks them without collecting them first.
    pub fn cells(&self, row: usize) -> io::Result<RowCells<'_>> {
        if row >= self.rows {
            return Err(damaged("a row past the page"));
        }
        let first = row * self.columns;
        let ends = self
            .ends
            .get(first..first + self.columns)
            .ok_or_else(|| damaged("a row past the page"))?;
        let start = match first.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        Ok(RowCells {
            text: &self.text,
            start,
            ends: ends.iter(),
        })
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

/// The cells of one row of a [`SpillPage`], in column order ([`SpillPage::cells`]).
pub struct RowCells<'p> {
    text: &'p str,
    start: usize,
    ends: std::slice::Iter<'p, usize>,
}

impl<'p> Iterator for RowCells<'p> {
    type Item = io::Result<&'p str>;

    fn next(&mut self) -> Option<Self::Item> {
        let end = *self.ends.next()?;
        let cell = self
            .text
            .get(self.start..end)
            .ok_or_else(|| damaged("a cell split inside a character"));
        self.start = end;
        Some(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(texts: &[&str]) -> Vec<Cow<'static, str>> {
        texts.iter().map(|t| Cow::Owned((*t).to_owned())).collect()
    }

    /// Writes `rows`, reads them back in pages of `page_rows` and returns what came back.
    fn round_trip(
        rows: &[(Vec<u16>, Vec<Cow<'_, str>>)],
        page_rows: usize,
    ) -> Vec<(Vec<u16>, Vec<String>)> {
        let key_len = rows[0].0.len();
        let columns = rows[0].1.len();
        let mut writer = SpillWriter::new(key_len, columns).unwrap();
        for (key, row) in rows {
            writer.push(key, row).unwrap();
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
                let key = page.key(row).unwrap().to_vec();
                let cells = page
                    .cells(row)
                    .unwrap()
                    .map(|cell| cell.unwrap().to_owned());
                back.push((key, cells.collect()));
            }
            left -= n;
        }
        reader.finish().unwrap();
        back
    }

    #[test]
    fn every_kind_of_text_comes_back_exactly() {
        let long = "å,\"x\"\n".repeat(100_000);
        let rows = vec![
            (vec![1, 0, 3], cells(&["", "", ""])),
            (
                vec![2, u16::MAX, 0],
                cells(&["Göteborg", "ÅÄÖ åäö é ß 日本 🙂", "\u{feff}"]),
            ),
            (
                vec![1, 2, 3],
                cells(&["a,b", "\"quoted\" \"\"", "line\r\nnext\nlast\r"]),
            ),
            (vec![65535, 1, 1], cells(&[&long, "\0nul", "=1+1"])),
        ];
        for page_rows in [1, 2, 3, 10] {
            let back = round_trip(&rows, page_rows);
            assert_eq!(back.len(), rows.len());
            for ((key, row), (key_back, row_back)) in rows.iter().zip(&back) {
                assert_eq!(key, key_back);
                assert_eq!(
                    row.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                    *row_back
                );
            }
        }
    }

    #[test]
    fn rows_across_the_read_buffer_come_back_in_order() {
        // About 600 KB of rows of varying length: some straddle the end of the reader's
        // buffer, and are read the careful way; the rest straight from the buffer.
        let rows: Vec<_> = (0..6_000u16)
            .map(|n| {
                let cell = format!("{n}:{}", "å".repeat(usize::from(n % 97)));
                (vec![n, n / 7], cells(&[&cell, "", &n.to_string()]))
            })
            .collect();
        for page_rows in [1, 999, 6_000] {
            let back = round_trip(&rows, page_rows);
            assert_eq!(back.len(), rows.len());
            for ((key, row), (key_back, row_back)) in rows.iter().zip(&back) {
                assert_eq!(key, key_back);
                assert_eq!(row[0], row_back[0]);
                assert_eq!(row[2], row_back[2]);
            }
        }
    }

    #[test]
    fn lengths_at_the_edges_of_a_byte_come_back() {
        let rows: Vec<_> = [0usize, 1, 127, 128, 16_383, 16_384, 2_097_152]
            .iter()
            .map(|n| (vec![7], cells(&["x".repeat(*n).as_str()])))
            .collect();
        let back = round_trip(&rows, 4);
        for ((_, row), (_, row_back)) in rows.iter().zip(&back) {
            assert_eq!(row[0].len(), row_back[0].len());
        }
        // 0..=127 take one length byte, 128 two: 2 key bytes + 1 + 0, 2 + 1 + 1, ...
        let mut writer = SpillWriter::new(1, 1).unwrap();
        writer.push(&[1], &cells(&[""])).unwrap();
        assert_eq!(writer.bytes(), 3);
        writer.push(&[1], &cells(&[&"x".repeat(128)])).unwrap();
        assert_eq!(writer.bytes(), 3 + 2 + 2 + 128);
    }

    #[test]
    fn a_row_of_the_wrong_shape_is_refused() {
        let mut writer = SpillWriter::new(2, 2).unwrap();
        assert!(writer.push(&[1], &cells(&["a", "b"])).is_err());
        assert!(writer.push(&[1, 2], &cells(&["a"])).is_err());
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
            columns: 1,
            remaining: bytes.len() as u64,
        };
        let mut page = SpillPage::default();
        reader.read_page(rows, &mut page)?;
        for row in 0..rows {
            page.key(row)?;
            for cell in page.cells(row)? {
                cell?;
            }
        }
        reader.finish()
    }

    #[test]
    fn a_damaged_spill_is_an_error_not_a_panic() {
        assert!(read_raw(&[1, 0, 2, b'o', b'k'], 1).is_ok());
        for (bytes, rows) in [
            (&[1, 0, 2, b'o', b'k'][..], 2),    // too short
            (&[1, 0, 2, b'o'][..], 1),          // ends inside a cell
            (&[1, 0, 2, b'o', b'k', 9][..], 1), // bytes after the end
            (&[1, 0, 2, 0xff, 0xfe][..], 1),    // not UTF-8
            (
                &[1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f][..],
                1,
            ), // huge length
            (
                &[
                    1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                ][..],
                1,
            ),
        ] {
            let error = read_raw(bytes, rows).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{bytes:?}");
        }
        // A character split between two cells: each half alone is not a whole character.
        let mut writer = Vec::new();
        writer.extend_from_slice(&[1, 0, 1, 0xc3, 1, 0, 1, 0xa5]);
        assert!(read_raw(&writer, 2).is_err());
    }

    #[test]
    fn a_page_asked_for_a_row_it_does_not_hold_says_so() {
        let page = SpillPage::default();
        assert!(page.cells(0).is_err());
        assert!(page.key(0).is_err());
    }
}
