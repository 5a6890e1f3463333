//! Export rows stored at Send (`export::RowEncoder`): an export of one questionnaire
//! version without free text reads them instead of the responses' JSON and writes the
//! same files, byte for byte; a round where a response has no row, or a row of another
//! format, and an export with free text, are read from the JSON.
//!
//! Which way an export read is told by two wrappers of the store: one whose JSON cannot
//! be read (an export through it succeeds only from the stored rows), one without
//! export rows (an export through it reads the JSON).

use async_trait::async_trait;

use svar_shared::domain::questionnaire::{self, QuestionnaireId};
use svar_shared::domain::*;
use svar_shared::export::{self, ExportError, ExportOptions, FolderSink, ROW_FORMAT};
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::{
    ExportRow, ExportRowPage, PageCursor, QuestionnaireStore, ResponseBodyPage, ResponsePage,
    ResponseStore, StoreError, StoreResult, SubmitOutcome,
};
use svar_tests::slug;

use crate::*;

/// What a wrapped store hides.
#[derive(Clone, Copy)]
enum Hidden {
    /// The responses' JSON: an export must read the stored rows.
    Json,
    /// The export rows: an export must read the JSON.
    Rows,
}

struct Hiding<'s> {
    inner: &'s EmbeddedStore,
    hidden: Hidden,
}

#[async_trait]
impl QuestionnaireStore for Hiding<'_> {
    async fn publish_questionnaire(&self, q: &questionnaire::Questionnaire) -> StoreResult<()> {
        self.inner.publish_questionnaire(q).await
    }
    async fn questionnaire(
        &self,
        id: &QuestionnaireId,
        version: u32,
    ) -> StoreResult<Option<questionnaire::Questionnaire>> {
        self.inner.questionnaire(id, version).await
    }
}

#[async_trait]
impl ResponseStore for Hiding<'_> {
    async fn submit_response(
        &self,
        invitation: &InvitationId,
        response: &Response,
        export_row: Option<&ExportRow>,
    ) -> StoreResult<SubmitOutcome> {
        self.inner
            .submit_response(invitation, response, export_row)
            .await
    }
    async fn count_responses(&self, round: &RoundId) -> StoreResult<u64> {
        self.inner.count_responses(round).await
    }
    async fn responses_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponsePage> {
        match self.hidden {
            Hidden::Json => Err(StoreError::Corrupt("the JSON was read".into())),
            Hidden::Rows => self.inner.responses_page(round, after, limit).await,
        }
    }
    async fn response_bodies_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ResponseBodyPage> {
        match self.hidden {
            Hidden::Json => Err(StoreError::Corrupt("the JSON was read".into())),
            Hidden::Rows => self.inner.response_bodies_page(round, after, limit).await,
        }
    }
    async fn export_rows_page(
        &self,
        round: &RoundId,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> StoreResult<ExportRowPage> {
        match self.hidden {
            Hidden::Json => self.inner.export_rows_page(round, after, limit).await,
            Hidden::Rows => Ok(ExportRowPage::default()),
        }
    }
}

impl Setup {
    async fn export_hiding(
        &self,
        hidden: Hidden,
        rounds: &[Round],
        options: &ExportOptions,
        folder: &str,
    ) -> Result<(), ExportError> {
        let store = Hiding {
            inner: &self.store,
            hidden,
        };
        let mut sink = FolderSink::create(&self.folder(folder)).expect("folder");
        export::export(&store, rounds, options, &mut sink, &mut |_| {})
            .await
            .map(|_| ())
    }
}

const FILES: [&str; 6] = [
    "responses.csv",
    "responses_excel.csv",
    "codebook.csv",
    "codebook_excel.csv",
    "codebook.json",
    "manifest.json",
];

/// Answers of every kind and special value, spread over background groups of sizes
/// from 1 to 14, some rows with a decimal (Excel's row then differs) and some without.
async fn varied_round(setup: &Setup) -> Round {
    let round = setup.round("testkommun", "Hösten").await;
    let ages = ["ung", "gammal", ""];
    let ratings = [
        Some(Answer::Choice(slug("1"))),
        Some(Answer::Choice(slug("2"))),
        Some(Answer::DontKnow),
        Some(Answer::NotApplicable),
        None,
    ];
    let satisfied = [
        Some(Answer::YesNo(true)),
        Some(Answer::YesNo(false)),
        Some(Answer::DontKnow),
        None,
    ];
    for n in 0..40usize {
        let gender = if n % 7 == 0 { "man" } else { "kvinna" };
        let who = if n == 39 { "ombud" } else { "sjalv" };
        let mut answers = answers([ages[n % 3], gender, "hemma", who]);
        answers.remove(&slug("ovrigt"));
        match &ratings[n % 5] {
            Some(answer) => answers.insert(slug("betyg"), answer.clone()),
            None => answers.remove(&slug("betyg")),
        };
        match &satisfied[n % 4] {
            Some(answer) => answers.insert(slug("nojd"), answer.clone()),
            None => answers.remove(&slug("nojd")),
        };
        if n % 2 == 0 {
            answers.insert(slug("temperatur"), Answer::Number(n as f64));
        } else if n % 3 == 0 {
            answers.remove(&slug("temperatur"));
        }
        setup.answer(&round, answers).await;
    }
    round
}

async fn assert_same_files(setup: &Setup, one: &str, other: &str) {
    for file in FILES {
        assert_eq!(
            setup.read(one, file),
            setup.read(other, file),
            "{file} of {one} and {other}"
        );
    }
}

#[tokio::test]
async fn files_from_the_stored_rows_are_the_files_from_the_json() {
    let setup = Setup::new().await;
    let round = varied_round(&setup).await;
    let mut by_ratings = options(5);
    by_ratings.background = Some(
        ["alder", "betyg", "nojd", "kon"]
            .map(str::to_owned)
            .to_vec(),
    );
    for (name, options) in [("default", options(5)), ("ratings", by_ratings)] {
        let rows = format!("{name}-rows");
        let json = format!("{name}-json");
        setup
            .export_hiding(Hidden::Json, std::slice::from_ref(&round), &options, &rows)
            .await
            .expect("exported from the stored rows alone");
        setup
            .export_hiding(Hidden::Rows, std::slice::from_ref(&round), &options, &json)
            .await
            .expect("exported from the JSON");
        assert_same_files(&setup, &rows, &json).await;
        // Groups under k were there to suppress, and rows of both kinds for Excel.
        let manifest: serde_json::Value =
            serde_json::from_str(&setup.read(&rows, "manifest.json")).expect("JSON");
        let rule = manifest["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .find(|rule| rule["rule"] == "k_anonymity")
            .expect("the k-anonymity rule");
        assert!(
            rule["rows_changed"].as_u64().expect("a count") > 0,
            "{name}"
        );
        let excel = setup.read(&rows, "responses_excel.csv");
        let mut lines = excel.lines().skip(1);
        assert!(lines.clone().any(|line| line.contains(',')), "{name}");
        assert!(lines.any(|line| !line.contains(',')), "{name}");
    }
}

#[tokio::test]
async fn a_response_without_its_row_sends_the_export_to_the_json() {
    let setup = Setup::new().await;
    let round = varied_round(&setup).await;
    // Stored before export rows were kept, say.
    setup
        .answer_with_row(&round, answers(["ung", "kvinna", "hemma", "sjalv"]), |_| {
            None
        })
        .await;
    let rounds = std::slice::from_ref(&round);
    let error = setup
        .export_hiding(Hidden::Json, rounds, &options(2), "rows")
        .await
        .expect_err("the JSON is needed");
    assert!(matches!(error, ExportError::Store(_)), "{error:?}");
    setup
        .export(rounds, &options(2), "both")
        .await
        .expect("exported");
    setup
        .export_hiding(Hidden::Rows, rounds, &options(2), "json")
        .await
        .expect("exported");
    assert_same_files(&setup, "both", "json").await;
    assert_eq!(
        parse(&setup.read("both", "responses.csv"), b',').len(),
        41,
        "every response, the one without a row too"
    );
}

#[tokio::test]
async fn a_row_of_another_format_sends_the_export_to_the_json() {
    let setup = Setup::new().await;
    let round = varied_round(&setup).await;
    let answers = answers(["gammal", "kvinna", "hemma", "sjalv"]);
    let encoder = export::RowEncoder::new(&questionnaire()).expect("laid out");
    setup
        .answer_with_row(&round, answers, |response| {
            let mut row = encoder.encode(response).expect("a row");
            row.format = ROW_FORMAT + 1;
            row.cells = "laid out some other way".into();
            Some(row)
        })
        .await;
    let rounds = std::slice::from_ref(&round);
    setup
        .export_hiding(Hidden::Json, rounds, &options(3), "rows")
        .await
        .expect_err("the JSON is needed");
    setup
        .export(rounds, &options(3), "both")
        .await
        .expect("exported");
    setup
        .export_hiding(Hidden::Rows, rounds, &options(3), "json")
        .await
        .expect("exported");
    assert_same_files(&setup, "both", "json").await;
    assert!(
        !setup
            .read("both", "responses.csv")
            .contains("some other way")
    );
}

#[tokio::test]
async fn an_export_with_free_text_reads_the_json() {
    let setup = Setup::new().await;
    let round = varied_round(&setup).await;
    let mut with_text = options(4);
    with_text.free_text = true;
    setup
        .export_hiding(
            Hidden::Json,
            std::slice::from_ref(&round),
            &with_text,
            "rows",
        )
        .await
        .expect_err("free text is only in the JSON");
    setup
        .export(std::slice::from_ref(&round), &with_text, "text")
        .await
        .expect("exported from the JSON");
}
