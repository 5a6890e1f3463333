//! The export engine against the embedded store: the files, every anonymisation rule,
//! the k threshold, a sink that fails half-way, the network's aggregates and
//! `responses.parquet`; the export function's handler (`lambda`); and the export files in
//! S3 (`s3`, ignored unless the S3 test server runs: tests/services.sh); rounds of two
//! questionnaire versions in one export (`versions`); properties over generated input
//! (`properties`); the export rows stored at Send, read instead of the JSON
//! (`stored_rows`).

mod aggregates;
mod dependent;
mod files;
mod lambda;
mod parquet_file;
mod properties;
mod rules;
mod s3;
mod stored_rows;
mod versions;

use std::collections::BTreeMap;
use std::path::Path;

use svar_shared::domain::questionnaire::{Questionnaire, parse_definition};
use svar_shared::domain::*;
use svar_shared::export::{self, ExportError, ExportOptions, FolderSink, Manifest};
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::{ExportRow, QuestionnaireStore, ResponseStore, SetupStore};
use svar_tests::{invitation, municipality, slug};

/// A questionnaire with every kind of question and four background questions.
pub const DEFINITION: &str = r#"
id = "exporttest"
version = 1
title = { sv = "Exporttest", en = "Export test" }

[[sections]]
id = "bakgrund"
title = { sv = "Bakgrund" }

[[sections.questions]]
id = "alder"
kind = "single_choice"
text = { sv = "Ålder?", en = "Age?" }
options = [
  { code = "ung", label = { sv = "Ung", en = "Young" } },
  { code = "gammal", label = { sv = "Gammal", en = "Old" } },
]

[[sections.questions]]
id = "kon"
kind = "single_choice"
text = { sv = "Kön?", en = "Gender?" }
options = [
  { code = "kvinna", label = { sv = "Kvinna", en = "Woman" } },
  { code = "man", label = { sv = "Man", en = "Man" } },
]

[[sections.questions]]
id = "vardform"
kind = "single_choice"
text = { sv = "Vårdform?", en = "Form of care?" }
options = [
  { code = "hemma", label = { sv = "Hemma", en = "At home" } },
  { code = "boende", label = { sv = "Boende", en = "Nursing home" } },
]

[[sections.questions]]
id = "vem"
kind = "single_choice"
text = { sv = "Vem svarar?", en = "Who answers?" }
options = [
  { code = "sjalv", label = { sv = "Själv", en = "Myself" } },
  { code = "ombud", label = { sv = "Ombud", en = "Proxy" } },
]

[[sections]]
id = "fragor"
title = { sv = "Frågor" }

[[sections.questions]]
id = "betyg"
kind = "single_choice"
dont_know = true
not_applicable = true
text = { sv = "Betyg?", en = "Rating?" }
options = [
  { code = "1", label = { sv = "Dåligt", en = "Poor" } },
  { code = "2", label = { sv = "Bra", en = "Good" } },
]

[[sections.questions]]
id = "forbattra"
kind = "multiple_choice"
dont_know = true
text = { sv = "Vad kan bli bättre?", en = "What could be better?" }
options = [
  { code = "tid", label = { sv = "Tid", en = "Time" } },
  { code = "info", label = { sv = "Information", en = "Information" } },
]

[[sections.questions]]
id = "temperatur"
kind = "number"
decimals = 1
min = -50
text = { sv = "Temperatur?", en = "Temperature?" }

[[sections.questions]]
id = "nojd"
kind = "yes_no"
dont_know = true
text = { sv = "Nöjd?", en = "Satisfied?" }

[[sections.questions]]
id = "sedan"
kind = "month"
text = { sv = "Sedan när?", en = "Since when?" }

[[sections.questions]]
id = "ovrigt"
kind = "text"
max_length = 500
text = { sv = "Övrigt?", en = "Anything else?" }
"#;

pub fn questionnaire() -> Questionnaire {
    parse_definition("exporttest.toml", DEFINITION).expect("the test questionnaire is valid")
}

pub const BACKGROUND: [&str; 4] = ["alder", "kon", "vardform", "vem"];

/// A store in a temporary folder with the test questionnaire published.
pub struct Setup {
    pub store: EmbeddedStore,
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = EmbeddedStore::open(&dir.path().join("svar.db")).expect("the store opens");
        store
            .publish_questionnaire(&questionnaire())
            .await
            .expect("published");
        store
            .put_municipality(&municipality())
            .await
            .expect("municipality");
        Self { store, dir }
    }

    /// Publishes another version of the test questionnaire.
    pub async fn publish(&self, questionnaire: &Questionnaire) {
        self.store
            .publish_questionnaire(questionnaire)
            .await
            .expect("the version is published");
    }

    /// A new round of `municipality` using the test questionnaire.
    pub async fn round(&self, municipality: &str, name: &str) -> Round {
        self.round_of_version(municipality, name, 1).await
    }

    /// A new round of `municipality` using `version` of the test questionnaire (published
    /// by the test).
    pub async fn round_of_version(&self, municipality: &str, name: &str, version: u32) -> Round {
        let mut round = Round::open_patient_round(
            slug(municipality),
            name,
            QuestionnaireRef {
                id: slug("exporttest"),
                version,
            },
            svar_tests::now(),
        );
        round.unit = "Hemsjukvård".into();
        self.store.create_round(&round).await.expect("round");
        round
    }

    /// Submits a response through the store's own path (an invitation, then the answer),
    /// with its export row as the respondent service makes it.
    pub async fn answer(&self, round: &Round, answers: Answers) -> Response {
        let questionnaire = self
            .store
            .questionnaire(&round.questionnaire.id, round.questionnaire.version)
            .await
            .expect("read")
            .expect("the round's version is published");
        // As a Send stores it: none for a questionnaire an export cannot lay out.
        let encoder = export::RowEncoder::new(&questionnaire).ok();
        self.answer_with_row(round, answers, |response| encoder?.encode(response))
            .await
    }

    /// As [`Setup::answer`], storing the export row `row` makes of the response.
    pub async fn answer_with_row(
        &self,
        round: &Round,
        answers: Answers,
        row: impl FnOnce(&Response) -> Option<ExportRow>,
    ) -> Response {
        let (new, _, _) = invitation(round);
        self.store
            .create_invitation(&new)
            .await
            .expect("invitation");
        let response = Response {
            id: ResponseId::random(),
            round: round.id.clone(),
            municipality: round.municipality.clone(),
            questionnaire: round.questionnaire.clone(),
            submitted_on: time::macros::date!(2026 - 03 - 17),
            answers,
        };
        let row = row(&response);
        self.store
            .submit_response(&new.invitation.id, &response, row.as_ref())
            .await
            .expect("stored");
        response
    }

    /// Exports to a new folder under the temporary one.
    pub async fn export(
        &self,
        rounds: &[Round],
        options: &ExportOptions,
        folder: &str,
    ) -> Result<Manifest, ExportError> {
        let mut sink = FolderSink::create(&self.dir.path().join(folder)).expect("folder");
        export::export(&self.store, rounds, options, &mut sink, &mut |_| {})
            .await
            .map(|exported| exported.manifest)
    }

    pub fn read(&self, folder: &str, file: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(folder).join(file)).expect("the file exists")
    }

    pub fn folder(&self, folder: &str) -> std::path::PathBuf {
        self.dir.path().join(folder)
    }
}

/// Answers with a background combination and ordinary answers.
pub fn answers(background: [&str; 4]) -> Answers {
    let mut answers: Answers = BACKGROUND
        .iter()
        .zip(background)
        .filter(|(_, code)| !code.is_empty())
        .map(|(id, code)| (slug(id), Answer::Choice(slug(code))))
        .collect();
    answers.insert(slug("betyg"), Answer::Choice(slug("2")));
    answers.insert(slug("forbattra"), Answer::Choices(vec![slug("info")]));
    answers.insert(slug("temperatur"), Answer::Number(-3.5));
    answers.insert(slug("nojd"), Answer::YesNo(true));
    answers.insert(slug("sedan"), Answer::Month("2025-11".into()));
    answers.insert(slug("ovrigt"), Answer::Text("Bra vård, åäö".into()));
    answers
}

/// The test's options: the test questionnaire's background questions.
pub fn options(seed: u64) -> ExportOptions {
    let mut options = ExportOptions::new(seed, time::macros::date!(2026 - 11 - 25));
    options.background = Some(BACKGROUND.iter().map(|s| (*s).to_owned()).collect());
    options
}

/// A CSV file as rows of cells keyed by column name.
pub fn parse(text: &str, delimiter: u8) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.expect("a record").iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// The codebook's variable `name` (codebook.json, parsed).
pub fn codebook_variable<'c>(codebook: &'c serde_json::Value, name: &str) -> &'c serde_json::Value {
    codebook["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no variable {name}"))
}

pub fn file_exists(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false)
}
