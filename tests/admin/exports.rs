//! Exports in the workspace: asked for by the form and by the API, followed until ready,
//! listed, downloaded through the signed URL and read back; asking again while one
//! runs; progress and failures in plain words; bad values come back with what was
//! typed; all of it in the audit trail. Who may reach what: [`crate::exports_access`].

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use svar_shared::domain::*;
use svar_shared::export::{LocalExportFiles, SignedDownload};

use crate::helpers::*;

/// `count` responses to a new open round of `municipality`, written through the store's
/// own path with their export rows, as a Send stores them. Response `i` answers `who(i)` to "vem svarar"; the first one's free text is
/// `text`, if any.
pub(crate) async fn answered_round(
    app: &AdminApp,
    municipality: &str,
    name: &str,
    count: usize,
    who: impl Fn(usize) -> &'static str,
    text: Option<&str>,
) -> Round {
    answered_round_of_version(app, municipality, name, 1, count, who, text).await
}

/// As [`answered_round`], of version `version` of the patient survey (published first).
pub(crate) async fn answered_round_of_version(
    app: &AdminApp,
    municipality: &str,
    name: &str,
    version: u32,
    count: usize,
    who: impl Fn(usize) -> &'static str,
    text: Option<&str>,
) -> Round {
    let round = Round::open_patient_round(
        slug(municipality),
        name,
        QuestionnaireRef {
            id: slug("patientupplevelse"),
            version,
        },
        time::OffsetDateTime::now_utc(),
    );
    app.store.create_round(&round).await.unwrap();
    let questionnaire = app
        .store
        .questionnaire(&round.questionnaire.id, version)
        .await
        .unwrap()
        .expect("the version is published");
    let encoder = svar_shared::export::RowEncoder::new(&questionnaire).unwrap();
    for i in 0..count {
        let (new, _, _) = svar_tests::invitation(&round);
        app.store.create_invitation(&new).await.unwrap();
        let mut answers = Answers::new();
        answers.insert(slug("vem_svarar"), Answer::Choice(slug(who(i))));
        answers.insert(slug("alder"), Answer::Choice(slug("85_94")));
        answers.insert(slug("helhet_betyg"), Answer::Choice(slug("4")));
        if let (0, Some(text)) = (i, text) {
            answers.insert(slug("helhet_ovrigt"), Answer::Text(text.to_owned()));
        }
        let response = Response {
            id: ResponseId::random(),
            round: round.id.clone(),
            municipality: round.municipality.clone(),
            questionnaire: round.questionnaire.clone(),
            submitted_on: time::OffsetDateTime::now_utc().date(),
            answers,
        };
        app.store
            .submit_response(
                &new.invitation.id,
                &response,
                encoder.encode(&response).as_ref(),
            )
            .await
            .unwrap();
    }
    round
}

/// The built-in patient survey as version `version` (not published).
pub(crate) fn patient_survey_version(
    version: u32,
) -> svar_shared::domain::questionnaire::Questionnaire {
    let mut survey = svar_shared::domain::questionnaire::builtin()
        .unwrap()
        .into_iter()
        .find(|q| q.id.as_str() == "patientupplevelse")
        .unwrap();
    survey.version = version;
    survey
}

/// Whether `organisation` has no export jobs.
async fn no_jobs(app: &AdminApp, organisation: &str) -> bool {
    app.exports
        .jobs(&app.caller(organisation).await)
        .await
        .unwrap()
        .is_empty()
}

/// Posts the export form for every round of the patient survey this year, with `k`.
async fn ask_for_this_year(app: &AdminApp, session: &Session, k: &str) -> Reply {
    let year = time::OffsetDateTime::now_utc().year();
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    app.post_as(
        session,
        "/admin/exporter",
        &[
            ("questionnaire", "patientupplevelse"),
            ("from", &from),
            ("to", &to),
            ("k", k),
        ],
    )
    .await
}

pub(crate) fn patients(_: usize) -> &'static str {
    "patient"
}

/// Waits (at most 20 s) until the job is no longer queued or running; the background
/// task runs on the test's runtime while this sleeps.
pub(crate) async fn finished(app: &AdminApp, organisation: &str, id: &ExportJobId) -> ExportJob {
    let caller = app.caller(organisation).await;
    for _ in 0..1000 {
        let job = app.exports.job(&caller, id).await.unwrap();
        if !job.state.is_active() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("export {id} did not finish within 20 s");
}

/// The job id at the end of a `Location` like `/admin/exporter/<id>?pagar=1`.
fn job_of(location: &str) -> ExportJobId {
    let id = location
        .strip_prefix("/admin/exporter/")
        .unwrap_or_else(|| panic!("not an export page: {location}"));
    ExportJobId::parse(id.split('?').next().unwrap()).unwrap()
}

/// Follows a signed download URL the way the local server does, and reads the file.
fn follow(app: &AdminApp, url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    assert_eq!(parts[0], "exportfiler", "{url}");
    let mut download = SignedDownload {
        organisation: parts[1].to_owned(),
        job: parts[2].to_owned(),
        file: parts[3].to_owned(),
        name: String::new(),
        expires: 0,
        signature: String::new(),
    };
    for pair in query.split('&') {
        match pair.split_once('=').unwrap() {
            ("name", value) => download.name = value.to_owned(),
            ("expires", value) => download.expires = value.parse().unwrap(),
            ("signature", value) => download.signature = value.to_owned(),
            _ => {}
        }
    }
    let files = LocalExportFiles::new(&app.export_root, &SESSION_SECRET);
    let file = files
        .signed_file(&download, time::OffsetDateTime::now_utc())
        .expect("the signed URL is valid");
    std::fs::read_to_string(file).unwrap()
}

/// A JSON API call with `organisation`'s key: the status and the parsed body.
pub(crate) async fn api(
    app: &AdminApp,
    organisation: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path).header(
        header::AUTHORIZATION,
        format!("Bearer {}", app.key(organisation)),
    );
    let body = match body {
        Some(value) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    let reply = app.send(request.body(body).unwrap()).await;
    let json = serde_json::from_str(&reply.body)
        .unwrap_or_else(|_| panic!("JSON from {method} {path}: {}", reply.body));
    (reply.status, json)
}

pub(crate) fn actions(trail: &[AuditEntry]) -> Vec<AuditAction> {
    trail.iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn an_export_asked_for_in_the_form_becomes_ready_lists_and_downloads_its_csv() {
    let app = spawn_admin().await;
    let round = answered_round(
        &app,
        "ale",
        "Hemsjukvård våren",
        8,
        patients,
        Some("=SUMMA(A1) bra bemötande, åäö"),
    )
    .await;
    let session = app.sign_in("ale").await;

    let form = app.get_as(&session, "/admin/exporter").await;
    form.assert_status(StatusCode::OK);
    form.assert_contains(r#"href="/admin/exporter""#);
    form.assert_contains(r#"id="k" name="k" type="text" value="7""#);
    form.assert_contains(&format!(r#"value="{}""#, round.id));
    form.assert_contains("Inga exporter ännu.");
    assert!(
        !form
            .body
            .contains(r#"name="free_text" value="true" checked"#),
        "free text is off by default"
    );

    let asked = app
        .post_as(
            &session,
            "/admin/exporter",
            &[
                ("round", &round.id.to_string()),
                ("k", "7"),
                ("free_text", "true"),
            ],
        )
        .await;
    asked.assert_status(StatusCode::SEE_OTHER);
    let location = asked.location.clone().unwrap();
    assert!(!location.contains("pagar"), "a new export: {location}");
    let id = job_of(&location);
    let job = finished(&app, "ale", &id).await;
    let ExportState::Ready {
        rows,
        files,
        protection,
    } = &job.state
    else {
        panic!("ready: {:?}", job.state);
    };
    assert_eq!(*rows, 8);
    assert_eq!(
        protection.as_ref().map(|p| p.formula_cells_neutralised),
        Some(1),
        "the first response's text"
    );
    assert!(files.iter().any(|f| f.name == "responses.csv"));

    let list = app.get_as(&session, "/admin/exporter").await;
    list.assert_contains("Klar: 8 rader");
    list.assert_contains("Omgången Hemsjukvård våren");
    list.assert_contains(&format!(r#"href="/admin/exporter/{id}""#));
    list.assert_contains(" kB");

    let page = app.get_as(&session, &location).await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Klar: 8 rader");
    page.assert_contains(&format!(
        r#"action="/admin/exporter/{id}/filer/responses.csv""#
    ));
    page.assert_contains("Ladda ner responses_excel.csv");
    assert!(!page.body.contains("<script"));
    // What disclosure control changed, before the file is opened.
    page.assert_contains("<h2>Skydd mot igenkänning</h2>");
    page.assert_contains("tömda i små grupper, färre än 7: 0 st, i 0 rad(er).");
    page.assert_contains("ersattes med [borttaget]: 0 st.");
    page.assert_contains("inte läser dem som formler: 1 st.");

    let download = app
        .post_as(
            &session,
            &format!("/admin/exporter/{id}/filer/responses.csv"),
            &[],
        )
        .await;
    download.assert_status(StatusCode::SEE_OTHER);
    let location = download.location.unwrap();
    // Saved as whose export and when (Swedish time), then the file's own name.
    let name = location
        .split("name=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        name.starts_with("ale-export-") && name.ends_with("-responses.csv") && name.len() == 40,
        "{name}"
    );
    let csv = follow(&app, &location);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], "rad", "{header:?}");
    assert!(header.iter().any(|h| h == "vem_svarar"), "{header:?}");
    assert!(
        header.iter().any(|h| h == "helhet_ovrigt"),
        "free text asked for: {header:?}"
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 8);
    assert!(csv.contains("'=SUMMA(A1) bra bemötande, åäö"), "{csv}");
    for record in &records {
        for cell in record {
            assert!(!cell.starts_with('='), "a formula cell: {cell}");
        }
    }

    let trail = actions(&app.audit("ale").await);
    assert!(trail.contains(&AuditAction::ExportRequested), "{trail:?}");
    assert!(trail.contains(&AuditAction::ExportDownloaded), "{trail:?}");
}

#[tokio::test]
async fn the_api_asks_lists_follows_and_links_an_export_by_questionnaire_and_period() {
    let app = spawn_admin().await;
    answered_round(&app, "ale", "Våren", 4, patients, None).await;
    answered_round(&app, "ale", "Hösten", 3, patients, None).await;
    let year = time::OffsetDateTime::now_utc().year();
    let (status, job) = api(
        &app,
        "ale",
        "POST",
        "/api/exporter",
        Some(json!({
            "questionnaire": "patientupplevelse",
            "from": format!("{year}-01-01"),
            "to": format!("{year}-12-31"),
            "k": 3,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["questionnaire"], "patientupplevelse");
    assert_eq!(job["k"], 3);
    assert_eq!(job["free_text"], false);
    for internal in ["organisation", "rounds", "seed"] {
        assert!(
            job.get(internal).is_none(),
            "{internal} is not shown: {job}"
        );
    }
    let id = ExportJobId::parse(job["id"].as_str().unwrap()).unwrap();
    finished(&app, "ale", &id).await;

    let (status, got) = api(&app, "ale", "GET", &format!("/api/exporter/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["state"], "ready", "{got}");
    assert_eq!(got["rows"], 7);
    for count in [
        "background_cells_emptied",
        "rows_changed",
        "dependent_cells_emptied",
        "text_cells_scrubbed",
        "formula_cells_neutralised",
    ] {
        assert!(got["protection"][count].is_u64(), "{count} in {got}");
    }
    assert!(
        got["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "codebook.json" && f["bytes"].as_u64().unwrap() > 0)
    );
    let (status, list) = api(&app, "ale", "GET", "/api/exporter", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], id.to_string());

    let (status, link) = api(
        &app,
        "ale",
        "POST",
        &format!("/api/exporter/{id}/filer/responses.csv/lank"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert!(link["expires_at"].as_str().unwrap().ends_with('Z'));
    let csv = follow(&app, link["url"].as_str().unwrap());
    assert_eq!(csv.lines().count(), 1 + 7, "a header and seven rows");

    let (status, missing) = api(
        &app,
        "ale",
        "POST",
        &format!("/api/exporter/{id}/filer/nothing.csv/lank"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "not_found");
    let trail = actions(&app.audit("ale").await);
    assert_eq!(
        trail
            .iter()
            .filter(|a| **a == AuditAction::ExportDownloaded)
            .count(),
        1,
        "one download link given: {trail:?}"
    );
}

/// A period's round with fewer than k responses (a new one, say) is left out and said on
/// the job's page, in the API and in the manifest, instead of blocking the export of the
/// others; a period where no round has enough is refused.
#[tokio::test]
async fn a_periods_round_with_too_few_responses_is_left_out_and_said() {
    let app = spawn_admin().await;
    answered_round(&app, "ale", "Våren", 7, patients, None).await;
    let small = answered_round(&app, "ale", "Nystartad", 2, patients, None).await;
    let session = app.sign_in("ale").await;
    let reply = ask_for_this_year(&app, &session, "3").await;
    reply.assert_status(StatusCode::SEE_OTHER);
    let id = job_of(&reply.location.unwrap());
    let job = finished(&app, "ale", &id).await;
    assert!(
        matches!(job.state, ExportState::Ready { rows: 7, .. }),
        "{:?}",
        job.state
    );
    assert_eq!(job.rounds.len(), 1);
    assert_eq!(job.rounds_left_out.len(), 1);
    assert_eq!(job.rounds_left_out[0].round, small.id);

    let page = app.get_as(&session, &format!("/admin/exporter/{id}")).await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Inte med: de här omgångarna under perioden hade färre än 3 svar");
    page.assert_contains("<li>Nystartad (2 svar)</li>");
    let list = app.get_as(&session, "/admin/exporter").await;
    list.assert_contains("1 omgång(ar) med för få svar är inte med");

    let (status, body) = api(&app, "ale", "GET", &format!("/api/exporter/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["rounds_left_out"],
        json!([{"round": small.id.to_string(), "name": "Nystartad", "responses": 2}])
    );

    let (status, link) = api(
        &app,
        "ale",
        "POST",
        &format!("/api/exporter/{id}/filer/manifest.json/lank"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let manifest: Value =
        serde_json::from_str(&follow(&app, link["url"].as_str().unwrap())).unwrap();
    let rule = manifest["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "minimum_round_size")
        .unwrap()
        .clone();
    assert_eq!(
        rule,
        json!({"rule": "minimum_round_size", "k": 3, "rounds_left_out": [{"name": "Nystartad", "responses": 2}]})
    );
    assert!(
        !manifest.to_string().contains(&small.id.to_string()),
        "no round id in an export"
    );

    // Only small rounds: refused, in plain words.
    answered_round(&app, "lerum", "Liten", 2, patients, None).await;
    answered_round(&app, "lerum", "Mindre", 1, patients, None).await;
    let lerum = app.sign_in("lerum").await;
    let reply = ask_for_this_year(&app, &lerum, "3").await;
    reply.assert_status(StatusCode::CONFLICT);
    reply.assert_contains("Ingen av periodens 2 omgångar har minst 3 svar ännu.");
    assert!(no_jobs(&app, "lerum").await);
}

#[tokio::test]
async fn asking_again_while_one_is_queued_gives_the_same_job_on_the_page_and_in_the_api() {
    let app = spawn_admin().await;
    let round = answered_round(&app, "ale", "Våren", 7, patients, None).await;
    // A queued job, as if asked for a moment ago and not yet started.
    let queued = app.queued_export(&round).await;

    let session = app.sign_in("ale").await;
    let again = app
        .post_as(
            &session,
            "/admin/exporter",
            &[("round", &round.id.to_string()), ("k", "7")],
        )
        .await;
    again.assert_status(StatusCode::SEE_OTHER);
    let location = again.location.unwrap();
    assert_eq!(location, format!("/admin/exporter/{}?pagar=1", queued.id));
    let page = app.get_as(&session, &location).await;
    // Still active when the page is read, unless the relaunched job already finished.
    if app
        .exports
        .job(&app.caller("ale").await, &queued.id)
        .await
        .unwrap()
        .state
        .is_active()
    {
        page.assert_contains("En likadan export pågår redan");
        page.assert_contains("Uppdatera");
    }

    let (status, job) = api(
        &app,
        "ale",
        "POST",
        "/api/exporter",
        Some(json!({"round": round.id.to_string(), "k": 7})),
    )
    .await;
    if status == StatusCode::OK {
        assert_eq!(job["id"], queued.id.to_string(), "the same job: {job}");
    } else {
        // The relaunched job finished in between: then this is a new export.
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        assert!(!finished(&app, "ale", &queued.id).await.state.is_active());
    }
    let jobs = app.exports.jobs(&app.caller("ale").await).await.unwrap();
    assert!(jobs.iter().any(|j| j.id == queued.id));
}

#[tokio::test]
async fn bad_values_come_back_in_plain_words_with_what_was_typed() {
    let app = spawn_admin().await;
    let small = answered_round(&app, "ale", "Liten omgång", 2, patients, None).await;
    let session = app.sign_in("ale").await;
    let round = small.id.to_string();

    for k in ["2", "101", "sju"] {
        let reply = app
            .post_as(&session, "/admin/exporter", &[("round", &round), ("k", k)])
            .await;
        reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        reply.assert_contains("Minsta gruppstorlek ska vara ett heltal från 3 till 100");
        reply.assert_contains(&format!(r#"id="k" name="k" type="text" value="{k}""#));
        reply.assert_contains(r#"aria-invalid="true""#);
        reply.assert_contains("<title>Fel: ");
    }
    let reply = app
        .post_as(
            &session,
            "/admin/exporter",
            &[("round", &round), ("k", "3"), ("free_text", "true")],
        )
        .await;
    reply.assert_status(StatusCode::CONFLICT);
    reply.assert_contains("har 2 svar. Minst 3 svar behövs");
    reply.assert_contains(r#"id="round-error""#);
    reply.assert_contains(&format!(r#"value="{round}" selected"#));
    reply.assert_contains(r#"value="true" checked"#);

    let reply = app
        .post_as(
            &session,
            "/admin/exporter",
            &[
                ("questionnaire", "patientupplevelse"),
                ("from", "2026-13-01"),
                ("to", "2026-12-31"),
            ],
        )
        .await;
    reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    reply.assert_contains("Skriv startdatum som ÅÅÅÅ-MM-DD");
    reply.assert_contains(r#"value="2026-13-01""#);
    reply.assert_contains(r#"value="patientupplevelse" selected"#);

    // A value no form of ours sends (a page from before a change, or a hand-made post):
    // plain words, not the decoder's.
    let reply = app
        .post_as(
            &session,
            "/admin/exporter",
            &[("round", &round), ("k", "7"), ("free_text", "kanske")],
        )
        .await;
    reply.assert_status(StatusCode::BAD_REQUEST);
    reply.assert_contains("Formuläret kunde inte läsas");
    reply.assert_contains("ladda om sidan");
    assert!(!reply.body.contains("provided string"), "{}", reply.body);

    let (status, body) = api(
        &app,
        "ale",
        "POST",
        "/api/exporter",
        Some(json!({"round": round, "k": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid");
    assert_eq!(body["field"], "k");
    let (status, body) = api(
        &app,
        "ale",
        "POST",
        "/api/exporter",
        Some(json!({"round": round, "k": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "conflict");
    assert!(no_jobs(&app, "ale").await);
}

/// Rounds of two versions of a questionnaire are exported together (tests/export/versions.rs),
/// unless a question changed kind: then the form says which, before any job is made.
#[tokio::test]
async fn versions_whose_question_changed_kind_are_refused_by_the_form_by_name() {
    let app = spawn_admin().await;
    let mut second = patient_survey_version(2);
    let question = second
        .sections
        .iter_mut()
        .flat_map(|s| s.questions.iter_mut())
        .find(|q| q.id.as_str() == "helhet_betyg")
        .unwrap();
    let svar_shared::domain::questionnaire::QuestionKind::SingleChoice { options } =
        question.kind.clone()
    else {
        panic!("helhet_betyg is a single choice");
    };
    question.kind = svar_shared::domain::questionnaire::QuestionKind::MultipleChoice {
        options,
        max_choices: None,
    };
    app.store.publish_questionnaire(&second).await.unwrap();
    answered_round(&app, "ale", "Förra året", 7, patients, None).await;
    answered_round_of_version(&app, "ale", "I år", 2, 7, patients, None).await;
    let session = app.sign_in("ale").await;
    let reply = ask_for_this_year(&app, &session, "").await;
    reply.assert_status(StatusCode::CONFLICT);
    reply.assert_contains(
        "Frågan ”Vad tycker du om den hälso- och sjukvård du får av kommunen, som helhet?” (helhet_betyg) har en annan svarstyp i version 1 av enkäten än i version 2",
    );
    reply.assert_contains(r#"id="questionnaire-error""#);
    assert!(no_jobs(&app, "ale").await);
}

#[tokio::test]
async fn progress_and_failure_are_shown_in_plain_words_and_block_downloads() {
    let app = spawn_admin().await;
    let round = answered_round(&app, "ale", "Våren", 7, patients, None).await;
    let job = app.queued_export(&round).await;
    let (ale, now) = (slug("ale"), time::OffsetDateTime::now_utc());
    let stalled = now - time::Duration::minutes(2);
    assert!(
        app.store
            .claim_export_job(&ale, &job.id, now, stalled)
            .await
            .unwrap()
    );
    assert!(
        app.store
            .record_export_progress(&ale, &job.id, 1234, now)
            .await
            .unwrap()
    );
    let session = app.sign_in("ale").await;
    let uri = format!("/admin/exporter/{}", job.id);

    let page = app.get_as(&session, &uri).await;
    page.assert_status(StatusCode::OK);
    page.assert_contains("Pågår: 1\u{a0}234 rader klara");
    page.assert_contains(&format!(r#"<a href="{uri}">Uppdatera</a>"#));
    page.assert_contains("Sidan uppdateras inte av sig själv");
    assert!(!page.body.contains("http-equiv"), "no automatic refresh");
    assert!(!page.body.contains("Ladda ner "));
    let (_, body) = api(
        &app,
        "ale",
        "GET",
        &format!("/api/exporter/{}", job.id),
        None,
    )
    .await;
    assert_eq!(body["state"], "running");
    assert_eq!(body["rows_done"], 1234);
    let early = app
        .post_as(&session, &format!("{uri}/filer/responses.csv"), &[])
        .await;
    early.assert_status(StatusCode::CONFLICT);
    early.assert_contains("Exporten är inte klar än");

    let failed = ExportState::Failed {
        failure: ExportFailure::ChangedDuringExport,
    };
    assert!(
        app.store
            .finish_export_job(&ale, &job.id, &failed, now)
            .await
            .unwrap()
    );
    let page = app.get_as(&session, &uri).await;
    page.assert_contains("Misslyckades: Nya svar kom in medan exporten pågick");
    assert!(!page.body.contains("Uppdatera"), "nothing more will happen");
    let list = app.get_as(&session, "/admin/exporter").await;
    list.assert_contains("Misslyckades: Nya svar kom in medan exporten pågick");
    let (_, body) = api(
        &app,
        "ale",
        "GET",
        &format!("/api/exporter/{}", job.id),
        None,
    )
    .await;
    assert_eq!(body["state"], "failed");
    assert_eq!(body["failure"]["code"], "changed_during_export");
    assert!(
        body["failure"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Nya svar kom in")
    );
}
