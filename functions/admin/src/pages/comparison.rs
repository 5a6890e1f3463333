//! The network's comparison of its municipalities (`/admin/jamforelse`): a questionnaire,
//! a period, k and perhaps a version (empty: the newest among the rounds; rounds of
//! other versions are said and linked) in a GET form (it only reads, so it is bookmarkable and needs no CSRF
//! token), and per question a table of municipalities × answer codes. Hidden cells are
//! shown as `×` with a spoken "dolt" and an explanation above the tables, never as empty
//! cells (an empty cell reads as "no answers"). Use case: `Exports::network_aggregates`,
//! which refuses a municipality. The same tables download as a CSV file for Excel
//! (`/admin/jamforelse.csv`, same query) for the network's own reports.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use svar_shared::domain::QuestionnaireRef;
use svar_shared::domain::questionnaire::{QuestionKind, Questionnaire, QuestionnaireId};
use svar_shared::export::{
    AggregateTable, DEFAULT_K, DONT_KNOW_CODE, NOT_APPLICABLE_CODE, NetworkAggregates, neutralise,
};
use svar_shared::service::workspace::{Caller, QuestionnaireChoice, WorkspaceError};

use super::layout::{
    FieldError, Input, error_summary, input_field, page, scroll_table, title_with_errors,
};
use crate::AdminState;
use crate::auth::SignedIn;
use crate::error::AdminError;
use crate::texts::{t, tf};

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/jamforelse"),
    ("GET", "/admin/jamforelse.csv"),
];

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/admin/jamforelse", get(comparison))
        .route("/admin/jamforelse.csv", get(comparison_csv))
}

/// The form's fields as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ComparisonQuery {
    #[serde(default)]
    pub questionnaire: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub k: String,
    /// Empty for the newest version among the rounds (and then left out of links).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

async fn comparison(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    query: Result<Query<ComparisonQuery>, QueryRejection>,
) -> Result<Response, AdminError> {
    let caller = &signed_in.caller;
    let names = member_names(&state, caller).await?;
    let questionnaires = state.workspace.questionnaire_choices(caller).await?;
    let typed = query.map(|Query(q)| q).unwrap_or_default();
    let mut view = View {
        signed_in: &signed_in,
        questionnaires: &questionnaires,
        names: &names,
        definition: None,
        query: query_string(&typed),
    };
    if typed.questionnaire.is_empty() && typed.from.is_empty() && typed.to.is_empty() {
        let typed = ComparisonQuery {
            k: DEFAULT_K.to_string(),
            ..typed
        };
        return Ok(view.render(&typed, None, None).into_response());
    }
    match compared(&state, caller, &typed).await {
        Ok((aggregates, definition)) => {
            view.definition = definition.as_ref();
            Ok(view.render(&typed, None, Some(&aggregates)).into_response())
        }
        Err(WorkspaceError::Invalid { field, message }) => {
            let error = FieldError {
                field,
                message: &message,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                view.render(&typed, Some(error), None),
            )
                .into_response())
        }
        Err(error) => Err(error.into()),
    }
}

/// The tables of the page as one CSV file for Excel with Swedish settings (a byte-order
/// mark, `;`), "long": one row per question, municipality and answer, so a filter or a
/// pivot table takes it apart. A hidden count is an empty cell with `dolt` = `ja`. A query
/// the page would refuse goes back to the page, which says what is wrong.
async fn comparison_csv(
    State(state): State<AdminState>,
    signed_in: SignedIn,
    query: Result<Query<ComparisonQuery>, QueryRejection>,
) -> Result<Response, AdminError> {
    let caller = &signed_in.caller;
    let names = member_names(&state, caller).await?;
    let typed = query.map(|Query(q)| q).unwrap_or_default();
    match compared(&state, caller, &typed).await {
        Ok((aggregates, definition)) => {
            // A version asked for by hand is in the name, so two files of one period
            // differ.
            let version = if typed.version.trim().is_empty() {
                String::new()
            } else {
                format!("-version-{}", aggregates.version)
            };
            let file = format!(
                "attachment; filename=\"jamforelse-{}-{}-{}{version}.csv\"",
                aggregates.questionnaire,
                plain(&typed.from),
                plain(&typed.to)
            );
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, file),
                ],
                comparison_table_csv(&aggregates, definition.as_ref(), &names),
            )
                .into_response())
        }
        Err(WorkspaceError::Invalid { .. }) => Ok(Redirect::to(&format!(
            "/admin/jamforelse?{}",
            query_string(&typed)
        ))
        .into_response()),
        Err(error) => Err(error.into()),
    }
}

/// The network's members' names by id; refuses a municipality.
async fn member_names(
    state: &AdminState,
    caller: &Caller,
) -> Result<BTreeMap<String, String>, WorkspaceError> {
    Ok(state
        .workspace
        .members(caller)
        .await?
        .into_iter()
        .map(|m| (m.id.as_str().to_owned(), m.name))
        .collect())
}

/// The tables `typed` asks for, with the compared version's definition (it names the
/// questions and codes; without it the ids show).
async fn compared(
    state: &AdminState,
    caller: &Caller,
    typed: &ComparisonQuery,
) -> Result<(NetworkAggregates, Option<Questionnaire>), WorkspaceError> {
    let aggregates = state
        .exports
        .network_aggregates(
            caller,
            &typed.questionnaire,
            &typed.from,
            &typed.to,
            &typed.k,
            &typed.version,
        )
        .await?;
    let definition = match QuestionnaireId::parse(&aggregates.questionnaire) {
        Ok(id) => {
            let version = aggregates.version;
            state
                .workspace
                .questionnaire(&QuestionnaireRef { id, version })
                .await?
        }
        Err(_) => None,
    };
    Ok((aggregates, definition))
}

fn query_string(typed: &ComparisonQuery) -> String {
    // Five strings always encode.
    serde_html_form::to_string(typed).unwrap_or_default()
}

/// A date as typed, kept to digits and `-` for a file name (the service has parsed it).
fn plain(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect()
}

/// See [`comparison_csv`]. Every text cell is neutralised against formulas, as in the
/// exports.
fn comparison_table_csv(
    aggregates: &NetworkAggregates,
    definition: Option<&Questionnaire>,
    names: &BTreeMap<String, String>,
) -> Vec<u8> {
    let bom = "\u{feff}".as_bytes().to_vec();
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(bom);
    let header = [
        "fraga", "variabel", "kommun", "svarande", "kod", "svar", "antal", "dolt",
    ];
    let mut records = vec![header.map(str::to_owned)];
    for table in &aggregates.tables {
        let labels = Labels::of(definition, table);
        let total = (
            t("comparison.col_total").to_owned(),
            table.rows.iter().map(|r| r.n).sum::<u64>(),
            &table.totals,
        );
        let rows = table.rows.iter().map(|row| {
            let name = names
                .get(&row.municipality)
                .cloned()
                .unwrap_or_else(|| row.municipality.clone());
            (name, row.n, &row.counts)
        });
        for (municipality, n, counts) in rows.chain(std::iter::once(total)) {
            for (code, count) in table.codes.iter().zip(counts) {
                records.push([
                    labels.caption.clone(),
                    table.variable.clone(),
                    municipality.clone(),
                    n.to_string(),
                    code.clone(),
                    labels.code(code),
                    count.map(|c| c.to_string()).unwrap_or_default(),
                    if count.is_none() { "ja" } else { "" }.to_owned(),
                ]);
            }
        }
    }
    for record in records {
        // Writing to a vector cannot fail.
        let _ = writer.write_record(record.iter().map(|cell| neutralise(cell).into_owned()));
    }
    writer.into_inner().unwrap_or_default()
}

struct View<'a> {
    signed_in: &'a SignedIn,
    questionnaires: &'a [QuestionnaireChoice],
    /// Municipality id -> name.
    names: &'a BTreeMap<String, String>,
    /// The compared questionnaire version, for question texts and code labels.
    definition: Option<&'a Questionnaire>,
    /// The query shown, for the link to the same tables as a CSV file.
    query: String,
}

impl View<'_> {
    fn render(
        &self,
        typed: &ComparisonQuery,
        error: Option<FieldError<'_>>,
        aggregates: Option<&NetworkAggregates>,
    ) -> Markup {
        let errors: Vec<_> = error.into_iter().collect();
        let error = error.as_ref();
        let questionnaire_error = error.filter(|e| e.field == "questionnaire");
        let date_hint = Some(t("comparison.date_hint"));
        page(
            &title_with_errors(t("comparison.title"), error.is_some()),
            Some(self.signed_in),
            html! {
                h1 { (t("comparison.title")) }
                (error_summary(&errors))
                p { (t("comparison.intro")) }
                h2 { (t("comparison.form_title")) }
                form method="get" action="/admin/jamforelse" novalidate {
                    div class=(if questionnaire_error.is_some() { "question has-error" } else { "question" }) {
                        label for="questionnaire" { (t("comparison.questionnaire_label")) }
                        @if let Some(error) = questionnaire_error {
                            p.error-message #questionnaire-error { (error.message) }
                        }
                        select #questionnaire name="questionnaire"
                            aria-describedby=[questionnaire_error.map(|_| "questionnaire-error")]
                            aria-invalid=[questionnaire_error.map(|_| "true")] {
                            option value="" { (t("comparison.questionnaire_choose")) }
                            @for choice in self.questionnaires {
                                @let value = choice.questionnaire.id.as_str();
                                option value=(value) selected[typed.questionnaire.trim() == value] { (choice.title) }
                            }
                        }
                    }
                    (input_field("from", t("comparison.from_label"), &typed.from, Input {
                        hint: date_hint, short: true, autocomplete: Some("off"), ..Input::default()
                    }, error))
                    (input_field("to", t("comparison.to_label"), &typed.to, Input {
                        hint: date_hint, short: true, autocomplete: Some("off"), ..Input::default()
                    }, error))
                    (input_field("k", t("comparison.k_label"), &typed.k, Input {
                        hint: Some(t("comparison.k_hint")), short: true, autocomplete: Some("off"), ..Input::default()
                    }, error))
                    (input_field("version", t("comparison.version_label"), &typed.version, Input {
                        hint: Some(t("comparison.version_hint")), short: true, autocomplete: Some("off"), ..Input::default()
                    }, error))
                    div.buttons { button.primary type="submit" { (t("comparison.show_button")) } }
                }
                @if let Some(aggregates) = aggregates {
                    (self.result(typed, aggregates))
                }
            },
        )
    }

    fn result(&self, typed: &ComparisonQuery, aggregates: &NetworkAggregates) -> Markup {
        // The same query for another version: the links to the rounds left out.
        let for_version = |version: u32| {
            query_string(&ComparisonQuery {
                version: version.to_string(),
                ..typed.clone()
            })
        };
        let title = self
            .questionnaires
            .iter()
            .find(|c| c.questionnaire.id.as_str() == aggregates.questionnaire)
            .map_or(aggregates.questionnaire.as_str(), |c| c.title.as_str());
        html! {
            h2 #result { (tf("comparison.result_title", &[("questionnaire", &title), ("version", &aggregates.version)])) }
            p { a href={ "/admin/jamforelse.csv?" (self.query) } { (t("comparison.download_csv")) } }
            @if aggregates.rounds_left_out > 0 {
                @let versions = aggregates.versions_left_out.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                div.notice {
                    p { (tf("comparison.left_out", &[("rounds", &aggregates.rounds_left_out), ("versions", &versions), ("version", &aggregates.version)])) }
                    ul {
                        @for version in &aggregates.versions_left_out {
                            li { a href={ "/admin/jamforelse?" (for_version(*version)) } { (tf("comparison.compare_version", &[("version", version)])) } }
                        }
                    }
                }
            }
            p { (tf("comparison.suppressed_explain", &[("k", &aggregates.k)])) }
            @if aggregates.tables.is_empty() {
                p { (t("comparison.no_tables")) }
            }
            @for table in &aggregates.tables {
                (self.table(table))
            }
        }
    }

    fn table(&self, table: &AggregateTable) -> Markup {
        let labels = Labels::of(self.definition, table);
        let caption = labels.caption.clone();
        let name = |id: &str| self.names.get(id).cloned().unwrap_or_else(|| id.to_owned());
        scroll_table(
            &caption,
            html! { table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (t("comparison.col_municipality")) }
                    th scope="col" { (t("comparison.col_n")) }
                    @for code in &table.codes {
                        th scope="col" { (labels.code(code)) }
                    }
                } }
                tbody {
                    @for row in &table.rows {
                        tr {
                            th scope="row" { (name(&row.municipality)) }
                            td { (row.n) }
                            @for count in &row.counts { (cell(*count)) }
                        }
                    }
                    tr {
                        th scope="row" { (t("comparison.col_total")) }
                        td { (table.rows.iter().map(|r| r.n).sum::<u64>()) }
                        @for total in &table.totals { (cell(*total)) }
                    }
                }
            } },
        )
    }
}

/// What a table's caption and columns say: the question's text and the codes' labels
/// from the definition, or the ids when it is not at hand.
struct Labels {
    caption: String,
    /// Code -> label.
    codes: BTreeMap<String, String>,
}

impl Labels {
    fn of(definition: Option<&Questionnaire>, table: &AggregateTable) -> Self {
        let mut codes = BTreeMap::from([
            (
                DONT_KNOW_CODE.to_owned(),
                t("comparison.dont_know").to_owned(),
            ),
            (
                NOT_APPLICABLE_CODE.to_owned(),
                t("comparison.not_applicable").to_owned(),
            ),
        ]);
        let question = definition.and_then(|d| d.question(&table.question));
        let Some(question) = question else {
            return Self {
                caption: table.variable.clone(),
                codes,
            };
        };
        let text = question.text.sv().to_owned();
        let caption = match &question.kind {
            QuestionKind::SingleChoice { options } => {
                for option in options {
                    codes.insert(option.code.to_string(), option.label.sv().to_owned());
                }
                text
            }
            QuestionKind::YesNo => {
                codes.insert("1".into(), t("comparison.yes").to_owned());
                codes.insert("0".into(), t("comparison.no").to_owned());
                text
            }
            QuestionKind::MultipleChoice { options, .. } => {
                codes.insert("1".into(), t("comparison.chosen").to_owned());
                codes.insert("0".into(), t("comparison.not_chosen").to_owned());
                // The variable is `<question>_<code>`: one option of the question.
                let option = table
                    .variable
                    .strip_prefix(&format!("{}_", table.question))
                    .and_then(|code| options.iter().find(|o| o.code.as_str() == code));
                match option {
                    Some(option) => tf(
                        "comparison.option_caption",
                        &[("question", &text), ("option", &option.label.sv())],
                    ),
                    None => text,
                }
            }
            _ => text,
        };
        Self { caption, codes }
    }

    fn code(&self, code: &str) -> String {
        self.codes
            .get(code)
            .cloned()
            .unwrap_or_else(|| tf("comparison.code_heading", &[("code", &code)]))
    }
}

/// A count, or the hidden mark: `×` for the eye, "dolt" for a screen reader.
fn cell(count: Option<u64>) -> Markup {
    html! {
        @match count {
            Some(count) => td { (count) },
            None => td {
                span aria-hidden="true" { "×" }
                span.visually-hidden { (t("comparison.suppressed")) }
            },
        }
    }
}
