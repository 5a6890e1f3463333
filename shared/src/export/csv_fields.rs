//! The export's CSV fields: encoded as the `csv` crate would (for the response files),
//! and split back from a row encoded so (for the rows spilled between the read of the
//! store and the writing, which carry their cells encoded: spill.rs).

use std::borrow::Cow;
use std::io;

use super::columns::{Column, excel_cell};
use super::spill::damaged;

/// The first columns of a row, which the writing sets (`rad`, its new number, and
/// `omgang`, its round): a spilled row holds the cells after them.
pub(super) const SET_WHEN_WRITTEN: usize = 2;

/// Appends a row's `cells` to `out` as `responses.csv` has them, `,` between, no line
/// end; whether Excel's row is the same with `;` for each `,`: no field held `,`, `;`, a
/// quote or a line break, and no decimal comma was due. Almost every row of a patient
/// survey is so, and is then encoded once for both files.
pub(super) fn encode_row<'c>(
    encoder: &FieldEncoder,
    out: &mut Vec<u8>,
    cells: impl Iterator<Item = (&'c Column, &'c str)>,
) -> bool {
    let mut same = true;
    for (index, (column, cell)) in cells.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let quoted = encoder.field(out, cell.as_bytes());
        same = same
            && !quoted
            && !cell.as_bytes().contains(&b';')
            && matches!(excel_cell(column, cell), Cow::Borrowed(_));
    }
    same
}

/// Appends a row's `cells` to `out` as Excel's file has them: `;` between, the decimal
/// comma, no line end.
pub(super) fn encode_excel_row<'c>(
    encoder: &FieldEncoder,
    out: &mut Vec<u8>,
    cells: impl Iterator<Item = (&'c Column, &'c str)>,
) {
    for (index, (column, cell)) in cells.enumerate() {
        if index > 0 {
            out.push(b';');
        }
        encoder.field(out, excel_cell(column, cell).as_bytes());
    }
}

/// Encodes fields as `csv::Writer` does (RFC 4180, quotes only where needed, `""` for a
/// quote), deciding and escaping with the rules of `csv_core`, which `csv` is built on,
/// but copying every other field as it is. Going through `csv::Writer` field by field
/// was a fifth of an export's time (BENCHMARKS.md); almost every cell is a short code
/// that needs no quotes. Tested to give `csv::Writer`'s bytes.
#[derive(Debug)]
pub(super) struct FieldEncoder {
    rules: csv_core::Writer,
}

impl FieldEncoder {
    pub(super) fn new(delimiter: u8) -> Self {
        let rules = csv_core::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv_core::Terminator::CRLF)
            .build();
        Self { rules }
    }

    /// Appends one field to `out`, quoted if it needs to be; whether it was. The caller
    /// puts the delimiters and line ends (`\r\n`) between; a record of one empty field,
    /// which `csv` writes as `""`, is not for this (an export has more columns).
    pub(super) fn field(&self, out: &mut Vec<u8>, field: &[u8]) -> bool {
        let quoted = self.rules.should_quote(field);
        if quoted {
            out.push(b'"');
            let start = out.len();
            // Each quote is doubled: never more than twice the field.
            out.resize(start + 2 * field.len(), 0);
            let (_, _, written) = csv_core::quote(field, &mut out[start..], b'"', b'"', true);
            out.truncate(start + written);
            out.push(b'"');
        } else {
            out.extend_from_slice(field);
        }
        quoted
    }
}

/// Splits `row`, fields that [`FieldEncoder`] encoded with `,` between them (no line
/// end), back into the fields, replacing what `fields` held. A row without a quote is
/// split at its commas, as nothing in it was quoted; any other is read by `csv_core`'s
/// reader. Fields are borrowed from `row` where they were not quoted.
pub(super) fn split_fields<'r>(row: &'r str, fields: &mut Vec<Cow<'r, str>>) -> io::Result<()> {
    fields.clear();
    if !row.as_bytes().contains(&b'"') {
        fields.extend(row.split(',').map(Cow::Borrowed));
        return Ok(());
    }
    let mut reader = csv_core::ReaderBuilder::new().delimiter(b',').build();
    let mut input = row.as_bytes();
    // A field read back is never longer than it was encoded.
    let mut field = vec![0u8; row.len()];
    let mut filled = 0;
    loop {
        let (result, read, written) = reader.read_field(input, &mut field[filled..]);
        input = &input[read..];
        filled += written;
        match result {
            // The whole row was given; an empty input tells the reader it has ended.
            csv_core::ReadFieldResult::InputEmpty => {}
            csv_core::ReadFieldResult::OutputFull => {
                return Err(damaged("a field longer than its row"));
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                let text = std::str::from_utf8(&field[..filled])
                    .map_err(|_| damaged("a field split inside a character"))?;
                fields.push(Cow::Owned(text.to_owned()));
                filled = 0;
                if record_end {
                    break;
                }
            }
            csv_core::ReadFieldResult::End => break,
        }
    }
    if !input.is_empty() {
        return Err(damaged("a row of more than one record"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_writer(delimiter: u8) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new())
    }

    /// The export's encoder gives the bytes `csv::Writer` gives for the same records,
    /// whatever the fields hold, in both dialects.
    #[test]
    fn fields_are_encoded_as_the_csv_crate_encodes_them() {
        let long = "lång, \"citerad\"; text\r\n".repeat(300);
        let fields = [
            "",
            "4",
            "-1.5",
            "2,5",
            "a,b",
            "a;b",
            "säger \"hej\"",
            "\"",
            "\"\"",
            "rad\nbryt",
            "cr\rhär",
            "\r\n",
            " före",
            "efter ",
            "å ä ö",
            "=1+2",
            "'=SUMMA(A1)",
            "#",
            "\t",
            "\u{feff}",
            &long,
        ];
        // Every field once in each place of a record (`csv` wants records of one length).
        let records: Vec<Vec<&str>> = (0..fields.len())
            .map(|turn| {
                let mut record = fields.to_vec();
                record.rotate_left(turn);
                record
            })
            .collect();
        for delimiter in [b',', b';'] {
            let encoder = FieldEncoder::new(delimiter);
            let mut ours = Vec::new();
            let mut theirs = csv_writer(delimiter);
            for record in &records {
                for (index, field) in record.iter().enumerate() {
                    if index > 0 {
                        ours.push(delimiter);
                    }
                    encoder.field(&mut ours, field.as_bytes());
                }
                ours.extend_from_slice(b"\r\n");
                theirs.write_record(record).unwrap();
            }
            let theirs = theirs.into_inner().unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap(),
                "delimiter {}",
                delimiter as char
            );
        }
    }

    /// Whatever a field holds, a row encoded by [`FieldEncoder`] splits back into it.
    #[test]
    fn encoded_rows_split_back_into_their_fields() {
        let long = "lång, \"citerad\"; text\r\n".repeat(300);
        let rows: Vec<Vec<&str>> = vec![
            vec![""],
            vec!["", ""],
            vec!["4", "", "2026-05", "-1.5"],
            vec!["a,b", "säger \"hej\"", "rad\nbryt", "\r\n", ""],
            vec!["\"", "", "\"\"", " före", "efter ", "å ä ö"],
            vec![&long, "x", &long],
            vec!["'=SUMMA(A1)", "#", "\t", "\u{feff}"],
        ];
        let encoder = FieldEncoder::new(b',');
        for row in rows {
            let mut encoded = Vec::new();
            for (index, field) in row.iter().enumerate() {
                if index > 0 {
                    encoded.push(b',');
                }
                encoder.field(&mut encoded, field.as_bytes());
            }
            let encoded = String::from_utf8(encoded).unwrap();
            let mut fields = Vec::new();
            split_fields(&encoded, &mut fields).unwrap();
            assert_eq!(fields, row, "{encoded:?}");
        }
    }

    #[test]
    fn a_row_that_is_not_one_record_is_an_error() {
        let mut fields = Vec::new();
        for row in ["\"a\"\r\n\"b\"", "x,\"a\"\r\n,"] {
            let error = split_fields(row, &mut fields).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{row:?}");
        }
    }
}
