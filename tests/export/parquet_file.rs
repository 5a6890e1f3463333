//! `responses.parquet`: the CSV's final cells in typed columns, read back with the
//! parquet crate's own reader.

use std::collections::BTreeMap;
use std::fs::File;

use parquet::basic::{LogicalType, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use sha2::{Digest, Sha256};
use svar_shared::domain::*;
use svar_shared::export::PARQUET_FILE;
use svar_tests::slug;

use crate::*;

/// Twelve responses: ten with one background, one of them with special answers and
/// questions left out, one with a formula-like text, and one with a background of its
/// own (which k-anonymity empties).
async fn twelve(setup: &Setup) -> Round {
    let round = setup.round("testkommun", "Hösten 2026").await;
    let common = ["gammal", "kvinna", "hemma", "sjalv"];
    for _ in 0..9 {
        setup.answer(&round, answers(common)).await;
    }
    let mut special = answers(common);
    special.insert(slug("betyg"), Answer::NotApplicable);
    special.insert(slug("forbattra"), Answer::DontKnow);
    special.insert(slug("nojd"), Answer::DontKnow);
    special.remove(&slug("sedan"));
    special.remove(&slug("temperatur"));
    special.remove(&slug("ovrigt"));
    setup.answer(&round, special).await;
    let mut formula = answers(common);
    formula.insert(slug("ovrigt"), Answer::Text("=1+1".into()));
    formula.insert(slug("temperatur"), Answer::Number(21.0));
    setup.answer(&round, formula).await;
    setup
        .answer(&round, answers(["ung", "man", "boende", "ombud"]))
        .await;
    round
}

/// Free text on, and pages of five, so the file is written across pages.
fn parquet_options(seed: u64) -> ExportOptions {
    let mut options = options(seed);
    options.free_text = true;
    options.page_size = 5;
    options
}

fn open(setup: &Setup, folder: &str) -> SerializedFileReader<File> {
    let file = File::open(setup.folder(folder).join(PARQUET_FILE)).expect("responses.parquet");
    SerializedFileReader::new(file).expect("a Parquet file")
}

#[tokio::test]
async fn the_parquet_file_has_typed_columns_in_the_csv_order() {
    let setup = Setup::new().await;
    let round = twelve(&setup).await;
    setup
        .export(&[round], &parquet_options(3), "out")
        .await
        .unwrap();
    let reader = open(&setup, "out");
    let schema = reader.metadata().file_metadata().schema_descr();
    // (physical type, a string?, optional?) by column.
    let types: BTreeMap<&str, (PhysicalType, bool, bool)> = schema
        .columns()
        .iter()
        .map(|c| {
            (
                c.name(),
                (
                    c.physical_type(),
                    c.logical_type_ref() == Some(&LogicalType::String),
                    c.max_def_level() == 1,
                ),
            )
        })
        .collect();
    let csv = setup.read("out", "responses.csv");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, header);
    use PhysicalType::*;
    for (name, expected) in [
        ("rad", (INT64, false, false)),
        ("omgang", (INT32, false, false)),
        ("svarsmanad", (BYTE_ARRAY, true, true)),
        // Letter codes.
        ("alder", (BYTE_ARRAY, true, true)),
        // Number codes, but "Vet ej" and "Ej aktuellt" are offered.
        ("betyg", (BYTE_ARRAY, true, true)),
        ("forbattra_tid", (INT32, false, true)),
        ("forbattra_vet_ej", (INT32, false, true)),
        ("temperatur", (DOUBLE, false, true)),
        // Yes/no with "Vet ej".
        ("nojd", (BYTE_ARRAY, true, true)),
        ("sedan", (BYTE_ARRAY, true, true)),
        ("ovrigt", (BYTE_ARRAY, true, true)),
    ] {
        assert_eq!(types[name], expected, "{name}");
    }
}

#[tokio::test]
async fn the_parquet_file_holds_the_csv_cells_with_null_for_empty_ones() {
    let setup = Setup::new().await;
    let round = twelve(&setup).await;
    let manifest = setup
        .export(&[round], &parquet_options(3), "out")
        .await
        .unwrap();
    let text = setup.read("out", "responses.csv");
    let mut csv = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12);

    let reader = open(&setup, "out");
    assert_eq!(reader.metadata().file_metadata().num_rows(), 12);
    let read: Vec<parquet::record::Row> = reader
        .get_row_iter(None)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(read.len(), rows.len());
    let (mut nulls, mut numbers) = (0, 0);
    for (number, (row, cells)) in read.iter().zip(&rows).enumerate() {
        assert_eq!(row.len(), header.len());
        for ((name, field), (column, cell)) in row.get_column_iter().zip(header.iter().zip(cells)) {
            assert_eq!(name, column);
            let same = match field {
                Field::Null => {
                    nulls += 1;
                    cell.is_empty()
                }
                Field::Int(value) => {
                    numbers += 1;
                    value.to_string() == cell
                }
                Field::Long(value) => {
                    numbers += 1;
                    value.to_string() == cell
                }
                Field::Double(value) => {
                    numbers += 1;
                    cell.parse::<f64>().ok() == Some(*value)
                }
                Field::Str(value) => !value.is_empty() && value == cell,
                other => panic!("{name}: unexpected {other:?}"),
            };
            assert!(
                same,
                "row {number}, {name}: {field:?} where the CSV has {cell:?}"
            );
        }
    }
    // The questions left out, the cells k-anonymity emptied, and numbers typed.
    assert!(nulls >= 4, "{nulls} NULLs");
    assert!(numbers > 12 * 5, "{numbers} numbers");

    let listed = manifest
        .files
        .iter()
        .find(|f| f.name == PARQUET_FILE)
        .expect("in the manifest");
    let bytes = std::fs::read(setup.folder("out").join(PARQUET_FILE)).unwrap();
    assert_eq!(listed.bytes, bytes.len() as u64);
    let hash: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(listed.sha256, hash);
}

#[tokio::test]
async fn a_retry_with_the_same_seed_writes_a_byte_identical_parquet_file() {
    let setup = Setup::new().await;
    let round = twelve(&setup).await;
    for folder in ["a", "b", "c"] {
        let seed = if folder == "c" { 4 } else { 3 };
        setup
            .export(std::slice::from_ref(&round), &parquet_options(seed), folder)
            .await
            .unwrap();
    }
    let bytes = |folder: &str| std::fs::read(setup.folder(folder).join(PARQUET_FILE)).unwrap();
    assert_eq!(bytes("a"), bytes("b"));
    assert_ne!(bytes("a"), bytes("c"), "another seed, other row numbers");
    assert_eq!(
        setup.read("a", "manifest.json"),
        setup.read("b", "manifest.json")
    );
}
