//! The files: columns, codes, the Excel variant, codebook, manifest and hashes, and a
//! sink that fails half-way.

use std::io;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use svar_shared::domain::questionnaire;
use svar_shared::domain::*;
use svar_shared::export::{self, ExportError, ExportSink, FolderSink};
use svar_shared::store::ResponseStore as _;
use svar_tests::slug;

use crate::*;

/// A round of ten identical-background responses, one of them with special answers.
async fn ten(setup: &Setup) -> Round {
    let round = setup.round("testkommun", "Våren 2026").await;
    for _ in 0..9 {
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", "sjalv"]))
            .await;
    }
    let mut special = answers(["gammal", "kvinna", "hemma", "sjalv"]);
    special.insert(slug("betyg"), Answer::NotApplicable);
    special.insert(slug("forbattra"), Answer::DontKnow);
    special.insert(slug("nojd"), Answer::YesNo(false));
    special.remove(&slug("sedan"));
    setup.answer(&round, special).await;
    round
}

#[tokio::test]
async fn every_file_is_written_and_the_manifest_holds_their_hashes() {
    let setup = Setup::new().await;
    let round = ten(&setup).await;
    let manifest = setup.export(&[round], &options(1), "out").await.unwrap();
    let names: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "responses.csv",
            "responses_excel.csv",
            "responses.parquet",
            "codebook.csv",
            "codebook_excel.csv",
            "codebook.json"
        ]
    );
    for file in &manifest.files {
        let bytes = std::fs::read(setup.folder("out").join(&file.name)).unwrap();
        assert_eq!(bytes.len() as u64, file.bytes, "{}", file.name);
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hash, file.sha256, "{}", file.name);
    }
    let written: serde_json::Value =
        serde_json::from_str(&setup.read("out", "manifest.json")).unwrap();
    assert_eq!(written["rows"], 10);
    assert_eq!(written["created_month"], "2026-11");
    assert_eq!(written["seed"], "1");
    assert_eq!(written["questionnaire"]["versions"], serde_json::json!([1]));
    assert_eq!(written["rounds"][0]["name"], "Våren 2026");
    assert_eq!(written["rounds"][0]["rows"], 10);
    let rules: Vec<&str> = written["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "no_identifiers",
        "shuffled_row_numbers",
        "dates_to_month",
        "minimum_round_size",
        "k_anonymity",
        "free_text",
        "formula_neutralisation",
    ] {
        assert!(rules.contains(&rule), "{rule}");
    }
    // No half-written files are left beside them.
    let leftovers = std::fs::read_dir(setup.folder("out"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "part")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn answers_become_codes_flags_numbers_and_months() {
    let setup = Setup::new().await;
    let round = ten(&setup).await;
    setup.export(&[round], &options(1), "out").await.unwrap();
    let text = setup.read("out", "responses.csv");
    let header = text.lines().next().unwrap();
    assert_eq!(
        header,
        "rad,omgang,svarsmanad,alder,kon,vardform,vem,betyg,forbattra_tid,forbattra_info,forbattra_vet_ej,temperatur,nojd,sedan"
    );
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let rows = parse(&text, b',');
    assert_eq!(rows.len(), 10);
    let ordinary = rows.iter().find(|r| r["betyg"] == "2").unwrap();
    assert_eq!(ordinary["omgang"], "1");
    assert_eq!(ordinary["svarsmanad"], "2026-03");
    assert_eq!(ordinary["forbattra_tid"], "0");
    assert_eq!(ordinary["forbattra_info"], "1");
    assert_eq!(ordinary["forbattra_vet_ej"], "0");
    assert_eq!(
        ordinary["temperatur"], "-3.5",
        "a negative number stays a number"
    );
    assert_eq!(ordinary["nojd"], "1");
    assert_eq!(ordinary["sedan"], "2025-11");
    let special = rows.iter().find(|r| r["betyg"] != "2").unwrap();
    assert_eq!(special["betyg"], "ej_aktuellt");
    assert_eq!(special["forbattra_tid"], "0");
    assert_eq!(special["forbattra_vet_ej"], "1");
    assert_eq!(special["nojd"], "0");
    assert_eq!(
        special["sedan"], "",
        "an unanswered question is an empty cell"
    );
}

#[tokio::test]
async fn the_excel_file_has_a_bom_semicolons_and_decimal_commas() {
    let setup = Setup::new().await;
    let round = ten(&setup).await;
    setup.export(&[round], &options(1), "out").await.unwrap();
    let bytes = std::fs::read(setup.folder("out").join("responses_excel.csv")).unwrap();
    assert_eq!(&bytes[..3], b"\xef\xbb\xbf");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("rad;omgang;svarsmanad;"));
    let rows = parse(text, b';');
    assert!(rows.iter().all(|r| r["temperatur"] == "-3,5"));
    // Apart from the separators and the decimal comma, the same rows.
    let plain = parse(&setup.read("out", "responses.csv"), b',');
    for (a, b) in plain.iter().zip(&rows) {
        assert_eq!(a["rad"], b["rad"]);
        assert_eq!(a["betyg"], b["betyg"]);
    }
}

/// Excel's file is the plain file's records written again with `;` and the decimal
/// comma, byte for byte: both for rows it is made from by swapping the separators (no
/// field with `,`, `;`, a quote or a line break, no decimal comma due) and for rows it
/// encodes again.
#[tokio::test]
async fn the_excel_file_is_the_plain_files_records_written_again() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    let texts = [
        "Bra",
        "Bra, men dyrt",
        "Bra; men dyrt",
        "Hon sa \"bra\"",
        "Rad ett\nrad två",
        "Rad ett\r\nrad två",
        "å ä ö",
    ];
    for (index, text) in texts.iter().cycle().take(3 * texts.len()).enumerate() {
        let mut answers = answers(["ung", "man", "hemma", "sjalv"]);
        answers.insert(slug("ovrigt"), Answer::Text((*text).into()));
        if index % 2 == 0 {
            answers.remove(&slug("temperatur"));
        }
        setup.answer(&round, answers).await;
    }
    let mut with_text = options(1);
    with_text.free_text = true;
    setup.export(&[round], &with_text, "out").await.unwrap();
    let plain = setup.read("out", "responses.csv");
    let excel = setup.read("out", "responses_excel.csv");
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(plain.as_bytes());
    let mut again = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut columns = None;
    let mut swapped = 0;
    for record in records.records() {
        let record = record.unwrap();
        let Some((temperatur, ovrigt)) = columns else {
            let column = |name| record.iter().position(|cell| cell == name).unwrap();
            columns = Some((column("temperatur"), column("ovrigt")));
            again.write_record(&record).unwrap();
            continue;
        };
        swapped += usize::from(
            record[temperatur].is_empty() && ["Bra", "å ä ö"].contains(&&record[ovrigt]),
        );
        let cells = record.iter().enumerate().map(|(index, cell)| {
            if index == temperatur {
                cell.replace('.', ",")
            } else {
                cell.to_owned()
            }
        });
        again.write_record(cells).unwrap();
    }
    assert!(swapped >= 2, "rows made by swapping separators: {swapped}");
    let again = String::from_utf8(again.into_inner().unwrap()).unwrap();
    assert_eq!(excel, format!("\u{feff}{again}"));
    assert!(excel.contains("-3,5") && excel.contains("\"Bra; men dyrt\""));
    assert!(plain.contains("\"Bra, men dyrt\"") && plain.contains("Bra; men dyrt"));
}

#[tokio::test]
async fn the_codebook_names_every_column_in_every_language_with_its_special_codes() {
    let setup = Setup::new().await;
    let round = ten(&setup).await;
    setup.export(&[round], &options(1), "out").await.unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&setup.read("out", "codebook.json")).unwrap();
    assert_eq!(json["questionnaire"], "exporttest");
    assert_eq!(json["version"], 1);
    assert_eq!(json["versions"], serde_json::json!([1]));
    assert_eq!(json["languages"], serde_json::json!(["sv", "en"]));
    let variables = json["variables"].as_array().unwrap();
    let header = setup
        .read("out", "responses.csv")
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let names: Vec<&str> = variables
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.join(","), header, "one variable per column, in order");
    let betyg = variables.iter().find(|v| v["name"] == "betyg").unwrap();
    assert_eq!(betyg["text"]["en"], "Rating?");
    let codes: Vec<(&str, Option<&str>)> = betyg["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap(), c["special"].as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("1", None),
            ("2", None),
            ("vet_ej", Some("dont_know")),
            ("ej_aktuellt", Some("not_applicable"))
        ]
    );
    let flag = variables
        .iter()
        .find(|v| v["name"] == "forbattra_info")
        .unwrap();
    assert_eq!(flag["text"]["sv"], "Vad kan bli bättre?: Information");

    let csv_rows = parse(&setup.read("out", "codebook.csv"), b',');
    let vet_ej = csv_rows
        .iter()
        .find(|r| r["variable"] == "betyg" && r["code"] == "vet_ej")
        .unwrap();
    assert_eq!(vet_ej["label_sv"], "Vet ej");
    assert_eq!(vet_ej["special"], "dont_know");
    assert_eq!(vet_ej["text_en"], "Rating?");
    assert_eq!(vet_ej["questionnaire"], "exporttest");
    assert_eq!(vet_ej["versions"], "1");

    // Excel's codebook: a byte-order mark, then the same records with `;`.
    let excel = setup.read("out", "codebook_excel.csv");
    let excel = excel
        .strip_prefix('\u{feff}')
        .expect("Excel's codebook starts with a byte-order mark");
    assert!(excel.starts_with("variable;question;kind;"), "{excel}");
    assert_eq!(parse(excel, b';'), csv_rows);
}

#[tokio::test]
async fn the_same_data_and_seed_give_byte_identical_files_and_another_seed_other_numbers() {
    let setup = Setup::new().await;
    let round = ten(&setup).await;
    let first = setup
        .export(std::slice::from_ref(&round), &options(7), "a")
        .await
        .unwrap();
    let again = setup
        .export(std::slice::from_ref(&round), &options(7), "b")
        .await
        .unwrap();
    assert_eq!(first, again);
    for file in [
        "responses.csv",
        "responses_excel.csv",
        "codebook.csv",
        "codebook_excel.csv",
        "codebook.json",
        "manifest.json",
    ] {
        assert_eq!(setup.read("a", file), setup.read("b", file), "{file}");
    }
    setup
        .export(std::slice::from_ref(&round), &options(8), "c")
        .await
        .unwrap();
    let numbers = |folder| {
        parse(&setup.read(folder, "responses.csv"), b',')
            .into_iter()
            .map(|r| r["rad"].clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(numbers("a"), numbers("c"));
}

/// A sink that fails on its n-th write, to show a failure leaves nothing behind.
struct FailingSink {
    inner: FolderSink,
    writes_left: u32,
    aborted: bool,
}

#[async_trait]
impl ExportSink for FailingSink {
    async fn write(&mut self, file: &str, bytes: &[u8]) -> io::Result<()> {
        if self.writes_left == 0 {
            return Err(io::Error::other("the disk is full"));
        }
        self.writes_left -= 1;
        self.inner.write(file, bytes).await
    }
    async fn finish(&mut self, file: &str) -> io::Result<()> {
        self.inner.finish(file).await
    }
    async fn abort(&mut self) -> io::Result<()> {
        self.aborted = true;
        self.inner.abort().await
    }
}

#[tokio::test]
async fn a_write_that_fails_half_way_aborts_every_file_and_a_retry_starts_clean() {
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
    // Pages of 16 (stored rows are read four pages at a time): the two response files are
    // written after every page; fail on the third write, the second page's.
    let mut sink = FailingSink {
        inner: FolderSink::create(&setup.folder("failed")).unwrap(),
        writes_left: 2,
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
    assert!(
        !file_exists(&setup.folder("failed")),
        "nothing is left after an abort"
    );
    // A retry with the same seed gives the same files as an export that never failed.
    let mut progress = Vec::new();
    let mut sink = FolderSink::create(&setup.folder("failed")).unwrap();
    export::export(
        &setup.store,
        std::slice::from_ref(&round),
        &opts,
        &mut sink,
        &mut |rows| progress.push(rows),
    )
    .await
    .unwrap();
    // The rows stored at Send are read, and written, in pages four times the JSON's.
    assert_eq!(progress, [16, 25]);
    setup
        .export(std::slice::from_ref(&round), &opts, "clean")
        .await
        .unwrap();
    assert_eq!(
        setup.read("failed", "responses.csv"),
        setup.read("clean", "responses.csv")
    );
}

#[tokio::test]
async fn the_files_are_the_same_whatever_the_size_of_the_stores_pages() {
    // Pages of one row go to the store's scanners in turn (two on a machine with two
    // cores): the rows must still come out in the order the store gave them.
    let setup = Setup::new().await;
    let spring = setup.round("testkommun", "Våren").await;
    let autumn = setup.round("testkommun", "Hösten").await;
    for (i, round) in [&spring, &autumn, &spring]
        .into_iter()
        .cycle()
        .take(30)
        .enumerate()
    {
        let who = if i % 3 == 0 { "sjalv" } else { "ombud" };
        let gender = if i % 2 == 0 { "kvinna" } else { "man" };
        setup
            .answer(round, answers(["gammal", gender, "hemma", who]))
            .await;
    }
    let rounds = [spring, autumn];
    let mut written = Vec::new();
    for page_size in [1, 3, 1000] {
        let mut opts = options(3);
        opts.page_size = page_size;
        let folder = format!("pages-{page_size}");
        setup.export(&rounds, &opts, &folder).await.unwrap();
        written.push(
            ["responses.csv", "responses_excel.csv", "manifest.json"]
                .map(|file| setup.read(&folder, file)),
        );
    }
    assert_eq!(written[0], written[1]);
    assert_eq!(written[0], written[2]);
    assert_eq!(written[0][0].lines().count(), 31, "{}", written[0][0]);
}

/// What [`TwistedStore`] does to the pages of bodies the export reads.
#[derive(Debug)]
enum Twist {
    /// One more response on the last page of a read that has begun, as if a respondent
    /// sent it while the export read the round.
    Grows(Box<Response>),
    /// The third page's read fails, as when DynamoDB stops answering.
    Unavailable,
    /// One body on the third page is not a response.
    DamagedBody,
}

/// A store whose pages of bodies are twisted as [`Twist`] says; it counts the reads that
/// start at the first page.
struct TwistedStore {
    inner: svar_shared::store::embedded::EmbeddedStore,
    twist: Twist,
    reads: std::sync::Mutex<u32>,
    pages: std::sync::Mutex<u32>,
}

impl TwistedStore {
    fn new(inner: &svar_shared::store::embedded::EmbeddedStore, twist: Twist) -> Self {
        Self {
            inner: inner.clone(),
            twist,
            reads: std::sync::Mutex::new(0),
            pages: std::sync::Mutex::new(0),
        }
    }
}

#[async_trait]
impl svar_shared::store::QuestionnaireStore for TwistedStore {
    async fn publish_questionnaire(
        &self,
        q: &questionnaire::Questionnaire,
    ) -> svar_shared::store::StoreResult<()> {
        self.inner.publish_questionnaire(q).await
    }
    async fn questionnaire(
        &self,
        id: &questionnaire::QuestionnaireId,
        version: u32,
    ) -> svar_shared::store::StoreResult<Option<questionnaire::Questionnaire>> {
        self.inner.questionnaire(id, version).await
    }
}

#[async_trait]
impl svar_shared::store::ResponseStore for TwistedStore {
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
        export_row: Option<&svar_shared::store::ExportRow>,
    ) -> svar_shared::store::StoreResult<svar_shared::store::SubmitOutcome> {
        self.inner
            .submit_response(invitation, response, export_row)
            .await
    }
    async fn count_responses(&self, round: &RoundId) -> svar_shared::store::StoreResult<u64> {
        self.inner.count_responses(round).await
    }
    async fn responses_page(
        &self,
        round: &RoundId,
        after: Option<&svar_shared::store::PageCursor>,
        limit: u32,
    ) -> svar_shared::store::StoreResult<svar_shared::store::ResponsePage> {
        self.inner.responses_page(round, after, limit).await
    }
    async fn response_bodies_page(
        &self,
        round: &RoundId,
        after: Option<&svar_shared::store::PageCursor>,
        limit: u32,
    ) -> svar_shared::store::StoreResult<svar_shared::store::ResponseBodyPage> {
        let mut page = self.inner.response_bodies_page(round, after, limit).await?;
        if after.is_none() {
            *self.reads.lock().expect("not poisoned") += 1;
        }
        let number = {
            let mut pages = self.pages.lock().expect("not poisoned");
            *pages += 1;
            *pages
        };
        match &self.twist {
            Twist::Grows(extra) if after.is_some() && page.next.is_none() => {
                page.bodies
                    .push(serde_json::to_string(extra).expect("encodable"));
            }
            Twist::Unavailable if number == 3 => {
                return Err(svar_shared::store::StoreError::unavailable(
                    io::Error::other("no answer"),
                ));
            }
            Twist::DamagedBody if number == 3 => page.bodies[1] = "{\"answers\":".to_owned(),
            _ => {}
        }
        Ok(page)
    }
}

#[tokio::test]
async fn a_response_arriving_during_the_export_is_wholly_in_it_from_one_read() {
    let setup = Setup::new().await;
    let round = ten(&setup).await;
    let mut extra = setup
        .store
        .responses_page(&round.id, None, 1)
        .await
        .unwrap()
        .responses
        .remove(0);
    extra.id = ResponseId::random();
    let store = TwistedStore::new(&setup.store, Twist::Grows(Box::new(extra)));
    let mut opts = options(1);
    opts.page_size = 4;
    let mut sink = FolderSink::create(&setup.folder("grown")).unwrap();
    let exported = export::export(
        &store,
        std::slice::from_ref(&round),
        &opts,
        &mut sink,
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(*store.reads.lock().unwrap(), 1, "the store is read once");
    // The plan and the rows come from that one read: the newcomer is counted and written.
    assert_eq!(exported.manifest.rows, 11);
    assert_eq!(exported.manifest.rounds[0].rows, 11);
    let rows = parse(&setup.read("grown", "responses.csv"), b',');
    let mut numbers: Vec<u64> = rows.iter().map(|r| r["rad"].parse().unwrap()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=11).collect::<Vec<u64>>());
    let excel = setup.read("grown", "responses_excel.csv");
    assert_eq!(parse(excel.trim_start_matches('\u{feff}'), b';').len(), 11);
}

#[tokio::test]
async fn a_store_that_breaks_during_the_read_fails_the_export_and_leaves_nothing() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Trasig").await;
    for i in 0..25 {
        let who = if i % 2 == 0 { "sjalv" } else { "ombud" };
        setup
            .answer(&round, answers(["gammal", "kvinna", "hemma", who]))
            .await;
    }
    let mut opts = options(3);
    opts.page_size = 4;
    for twist in [Twist::Unavailable, Twist::DamagedBody] {
        let name = format!("{twist:?}");
        let store = TwistedStore::new(&setup.store, twist);
        let folder = setup.folder(&name);
        let mut sink = FolderSink::create(&folder).unwrap();
        let error = export::export(
            &store,
            std::slice::from_ref(&round),
            &opts,
            &mut sink,
            &mut |_| {},
        )
        .await
        .unwrap_err();
        let store_error = match &error {
            ExportError::Store(store_error) => store_error,
            other => panic!("{name}: {other:?}"),
        };
        match store.twist {
            Twist::Unavailable => assert!(
                matches!(store_error, svar_shared::store::StoreError::Unavailable(_)),
                "{store_error:?}"
            ),
            _ => assert!(
                matches!(store_error, svar_shared::store::StoreError::Corrupt(_)),
                "{store_error:?}"
            ),
        }
        assert!(!file_exists(&folder), "{name}: nothing is left");
    }
}
