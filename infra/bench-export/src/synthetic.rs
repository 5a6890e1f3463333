//! The benchmark's data: synthetic answers to the patient survey, stored as a Send
//! stores them (`generate`), what making their export rows costs a Send
//! (`row-at-send`), and the same store without its rows (`drop-rows`).

use std::path::Path;
use std::time::Instant;

use svar_shared::domain::questionnaire::{self, QuestionKind, Questionnaire, Slug};
use svar_shared::domain::text::Localized;
use svar_shared::domain::*;
use svar_shared::export;
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::{QuestionnaireStore, SetupStore};

use crate::Failure;

pub(crate) fn patient_survey() -> Result<Questionnaire, Failure> {
    questionnaire::builtin()?
        .into_iter()
        .find(|q| q.id.as_str() == questionnaire::PATIENT_SURVEY_ID)
        .ok_or_else(|| "no built-in patient survey".into())
}

/// The benchmark's one round of the patient survey, in `benchkommun`.
pub(crate) fn bench_round(questionnaire: &Questionnaire) -> Round {
    Round::open_patient_round(
        slug("benchkommun"),
        "Benchmark",
        QuestionnaireRef {
            id: questionnaire.id.clone(),
            version: questionnaire.version,
        },
        time::OffsetDateTime::now_utc(),
    )
}

/// SplitMix64: a fixed generator, so every run makes the same data.
pub(crate) struct Random(pub(crate) u64);

impl Random {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// An index drawn with the given weights.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut pick = self.below(total as usize) as u32;
        for (index, weight) in weights.iter().enumerate() {
            if pick < *weight {
                return index;
            }
            pick -= weight;
        }
        weights.len() - 1
    }
}

pub(crate) fn slug(value: &str) -> Slug {
    Slug::parse(value).unwrap_or_else(|e| panic!("{e}"))
}

/// One synthetic response: background skewed as in real rounds (most patients old and
/// answering themselves), scale answers leaning positive, a few "Vet ej" and blanks.
pub(crate) fn synthetic(
    questionnaire: &Questionnaire,
    round: &Round,
    random: &mut Random,
) -> Response {
    let mut answers = Answers::new();
    for (_, question) in questionnaire.questions() {
        let id = question.id.as_str();
        if id.starts_with("hjalp")
            && !matches!(answers.get(&slug("vem_svarar")), Some(Answer::Choice(c)) if c.as_str() != "patient")
        {
            continue;
        }
        if !question.required && random.below(100) < 3 {
            continue;
        }
        if question.dont_know && random.below(100) < 5 {
            answers.insert(question.id.clone(), Answer::DontKnow);
            continue;
        }
        let answer = match &question.kind {
            QuestionKind::SingleChoice { options } => {
                let weights: Vec<u32> = match id {
                    "vem_svarar" => vec![70, 20, 10],
                    "alder" => vec![5, 15, 35, 38, 7],
                    "kon" => vec![60, 39, 1],
                    "vardform" => vec![70, 20, 8, 2],
                    _ if options.len() == 5 => vec![3, 7, 20, 35, 35],
                    _ => vec![1; options.len()],
                };
                Answer::Choice(options[random.weighted(&weights)].code.clone())
            }
            QuestionKind::MultipleChoice { options, .. } => {
                let mut chosen: Vec<_> = (0..1 + random.below(3))
                    .map(|_| random.below(options.len()))
                    .collect();
                chosen.sort_unstable();
                chosen.dedup();
                Answer::Choices(
                    chosen
                        .into_iter()
                        .map(|i| options[i].code.clone())
                        .collect(),
                )
            }
            QuestionKind::YesNo => Answer::YesNo(random.below(4) != 0),
            QuestionKind::Text { .. } => {
                Answer::Text("Personalen är vänlig men har ont om tid.".to_owned())
            }
            QuestionKind::Number { .. } => Answer::Number(random.below(100) as f64),
            QuestionKind::Month => Answer::Month("2026-03".to_owned()),
        };
        answers.insert(question.id.clone(), answer);
    }
    let day = time::Date::from_ordinal_date(2026, 1 + random.below(300) as u16)
        .unwrap_or(time::macros::date!(2026 - 01 - 01));
    Response {
        id: ResponseId::random(),
        round: round.id.clone(),
        municipality: round.municipality.clone(),
        questionnaire: round.questionnaire.clone(),
        submitted_on: day,
        answers,
    }
}

pub(crate) fn row_at_send(n: u32) -> Result<(), Failure> {
    let questionnaire = patient_survey()?;
    let round = bench_round(&questionnaire);
    let mut random = Random(2026);
    let responses: Vec<Response> = (0..n)
        .map(|_| synthetic(&questionnaire, &round, &mut random))
        .collect();
    let started = Instant::now();
    let mut json_bytes = 0;
    for response in &responses {
        json_bytes += svar_shared::store::response_body::encode(response)?.len();
    }
    let json = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let encoders = 100;
    for _ in 0..encoders {
        std::hint::black_box(export::RowEncoder::new(&questionnaire)?);
    }
    let encoder_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(encoders);
    let encoder = export::RowEncoder::new(&questionnaire)?;
    let started = Instant::now();
    let mut row_bytes = 0;
    for response in &responses {
        row_bytes += encoder
            .encode(response)
            .ok_or("a synthetic response without an export row")?
            .cells
            .len();
    }
    let rows = started.elapsed().as_secs_f64();
    let per = |seconds: f64| seconds * 1e6 / f64::from(n.max(1));
    println!(
        "{{\"step\":\"row at Send\",\"responses\":{n},\"json_us_each\":{:.1},\"row_us_each\":{:.1},\"encoder_us\":{encoder_us:.1},\"json_bytes_each\":{},\"row_bytes_each\":{}}}",
        per(json),
        per(rows),
        json_bytes / n.max(1) as usize,
        row_bytes / n.max(1) as usize
    );
    Ok(())
}

pub(crate) async fn generate(db: &Path, n: u64) -> Result<(), Failure> {
    let started = Instant::now();
    let questionnaire = patient_survey()?;
    let round = {
        let store = EmbeddedStore::open(db)?;
        store.publish_questionnaire(&questionnaire).await?;
        store
            .put_municipality(&Municipality {
                id: slug("benchkommun"),
                name: "Benchkommun".into(),
                contact: Localized::swedish("-"),
                privacy_notice: Localized::swedish("-"),
            })
            .await?;
        let round = bench_round(&questionnaire);
        store.create_round(&round).await?;
        round
    };
    let mut connection = rusqlite::Connection::open(db)?;
    connection.execute_batch("PRAGMA synchronous = OFF;")?;
    let transaction = connection.transaction()?;
    {
        let mut insert =
            transaction.prepare("INSERT INTO responses (round, id, body) VALUES (?1, ?2, ?3)")?;
        let mut insert_row = transaction.prepare(
            "INSERT INTO export_rows (round, id, format, excel_same, cells)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let encoder = export::RowEncoder::new(&questionnaire)?;
        let mut random = Random(2026);
        let round_id = round.id.to_string();
        // Inserted in id order, so the tables grow at their end (ids are random).
        let mut ids: Vec<ResponseId> = (0..n).map(|_| ResponseId::random()).collect();
        ids.sort();
        for id in ids {
            let mut response = synthetic(&questionnaire, &round, &mut random);
            response.id = id;
            let id = response.id.to_string();
            let body = svar_shared::store::response_body::encode(&response)?;
            insert.execute((&round_id, &id, body))?;
            let row = encoder
                .encode(&response)
                .ok_or("a synthetic response without an export row")?;
            insert_row.execute((&round_id, &id, row.format, row.excel_same, row.cells))?;
        }
        transaction.execute(
            "UPDATE rounds SET response_count = ?1 WHERE id = ?2",
            (n as i64, &round_id),
        )?;
    }
    transaction.commit()?;
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    println!(
        "{{\"step\":\"generate\",\"rows\":{n},\"seconds\":{:.2}}}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(crate) fn drop_rows(db: &Path) -> Result<(), Failure> {
    let connection = rusqlite::Connection::open(db)?;
    let dropped = connection.execute("DELETE FROM export_rows", [])?;
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    println!("{{\"step\":\"drop export rows\",\"rows\":{dropped}}}");
    Ok(())
}
