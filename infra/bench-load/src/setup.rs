//! Preparing a data folder for the server with the library itself, as the local server
//! would find it: the hash key file, the built-in questionnaires, a municipality, a
//! round of the patient survey and fresh invitations whose links only the benchmark knows.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use svar_shared::domain::questionnaire::{self, PATIENT_SURVEY_ID, Questionnaire};
use svar_shared::domain::{HashKey, Municipality, QuestionnaireRef, Round, RoundId};
use svar_shared::service::setup::issue_invitation;
use svar_shared::store::embedded::EmbeddedStore;
use svar_shared::store::{QuestionnaireStore, ResponseStore, SetupStore};
use time::OffsetDateTime;
use tokio::task::JoinSet;

/// The demo municipality's texts: every page shows them, so pages are as large as the
/// demo's.
const MUNICIPALITY: &str = include_str!("../../local/demo/municipality.toml");

/// Invitations issued at once: the store may commit concurrent writes together.
const ISSUE_CONCURRENCY: usize = 16;

/// The database file and key file the server opens in `SVAR_DATA_DIR`.
pub const DATABASE_FILE: &str = "svar.sqlite3";
pub const KEY_FILE: &str = "hash.key";

/// A prepared data folder.
pub struct Prepared {
    pub round: RoundId,
    pub questionnaire: Arc<Questionnaire>,
    /// `/s/TOKEN` for every invitation issued, in issue order.
    pub links: Vec<String>,
    pub issue_time: Duration,
}

/// Writes the key, publishes the built-in questionnaires and issues `invitations` links
/// to a new round of the patient survey.
pub async fn prepare(dir: &Path, invitations: usize) -> Result<Prepared, Box<dyn Error>> {
    let key = HashKey::generate();
    std::fs::write(dir.join(KEY_FILE), key.as_bytes())?;
    let store = Arc::new(EmbeddedStore::open(&dir.join(DATABASE_FILE))?);
    let builtin = questionnaire::builtin()?;
    for questionnaire in &builtin {
        store.publish_questionnaire(questionnaire).await?;
    }
    let survey = builtin
        .into_iter()
        .find(|q| q.id.as_str() == PATIENT_SURVEY_ID)
        .ok_or("the patient survey is not built in")?;
    let municipality: Municipality = toml::from_str(MUNICIPALITY)?;
    store.put_municipality(&municipality).await?;
    let round = Round::open_patient_round(
        municipality.id,
        "Lastmätning",
        QuestionnaireRef {
            id: survey.id.clone(),
            version: survey.version,
        },
        OffsetDateTime::now_utc(),
    );
    store.create_round(&round).await?;

    let started = Instant::now();
    let expires_at = OffsetDateTime::now_utc() + time::Duration::days(1);
    let round = Arc::new(round);
    let key = Arc::new(key);
    let mut links = Vec::with_capacity(invitations);
    let mut pending = JoinSet::new();
    for issued in 0..invitations {
        let (store, key, round) = (Arc::clone(&store), Arc::clone(&key), Arc::clone(&round));
        pending.spawn(async move {
            issue_invitation(&*store, &key, &round, issued as u32 + 1, expires_at)
                .await
                .map(|i| format!("/s/{}", i.link.path_segment()))
        });
        if pending.len() == ISSUE_CONCURRENCY || issued + 1 == invitations {
            while let Some(link) = pending.join_next().await {
                links.push(link??);
            }
        }
    }
    Ok(Prepared {
        round: round.id.clone(),
        questionnaire: Arc::new(survey),
        links,
        issue_time: started.elapsed(),
    })
}

/// Responses stored for the round, read with a new connection (after the server ended).
pub async fn stored_responses(dir: &Path, round: &RoundId) -> Result<u64, Box<dyn Error>> {
    let store = EmbeddedStore::open(&dir.join(DATABASE_FILE))?;
    Ok(store.count_responses(round).await?)
}
