//! The codebook: what each column means, in every language of the questionnaire.
//!
//! `codebook.csv` is long: one row per variable and code (one row with an empty code for
//! variables without codes), so it filters and joins in any tool. `codebook.json` holds
//! the same as one document. Each variable and code says which versions of the
//! questionnaire asked it ([`Versions`]): an export over several years may span versions.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::domain::questionnaire::QuestionKind;
use crate::domain::text::Localized;
use crate::domain::text::SWEDISH as SWEDISH_FIRST;

use super::columns::{
    ColumnKind, DONT_KNOW_CODE, Layout, MONTH_COLUMN, NOT_APPLICABLE_CODE, ROUND_COLUMN, ROW_COLUMN,
};
use super::scrub::neutralise;
use super::versions::{VersionSet, Versions};

/// The labels of the reserved codes, as respondents saw them (`shared/ui/*.toml`); kept
/// here so the export does not depend on the web layer's strings.
fn special_label(code: &str) -> Localized {
    if code == DONT_KNOW_CODE {
        Localized::swedish("Vet ej").with("en", "Don't know")
    } else {
        Localized::swedish("Ej aktuellt").with("en", "Not applicable")
    }
}

#[derive(Debug, Serialize)]
pub struct Codebook {
    pub questionnaire: String,
    /// The newest version: the texts are its own where it asked the question.
    pub version: u32,
    /// Every version among the exported rounds, oldest first.
    pub versions: Vec<u32>,
    pub title: Localized,
    pub languages: Vec<String>,
    pub variables: Vec<Variable>,
}

#[derive(Debug, Serialize)]
pub struct Variable {
    pub name: String,
    /// The question the column comes from; empty for `rad`, `omgang`, `svarsmanad`.
    pub question: String,
    pub kind: &'static str,
    pub text: Localized,
    pub codes: Vec<Code>,
    /// The versions that asked it; a row of another version has an empty cell.
    pub versions: Vec<u32>,
    /// When the question was asked (its own condition and its page's, as the newest
    /// version asks it; all must hold): where they do not hold the cell is empty because
    /// the question was not asked, which matters for a share's denominator.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub asked_if: Vec<AskedIf>,
}

/// One condition: the answer to `question` was one of `any_of`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskedIf {
    pub question: String,
    pub any_of: Vec<String>,
}

impl AskedIf {
    fn all_of(conditions: &[AskedIf]) -> String {
        conditions
            .iter()
            .map(|c| format!("{} = {}", c.question, c.any_of.join(" | ")))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[derive(Debug, Serialize)]
pub struct Code {
    pub code: String,
    pub label: Localized,
    /// `dont_know` or `not_applicable` for the reserved codes, else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special: Option<&'static str>,
    /// The versions that offered it.
    pub versions: Vec<u32>,
}

fn fixed_text(name: &str) -> Localized {
    match name {
        ROW_COLUMN => Localized::swedish("Radnummer, nytt för varje export och i slumpad ordning")
            .with("en", "Row number, new in every export and in random order"),
        ROUND_COLUMN => Localized::swedish("Omgångens nummer i manifestets lista över omgångar")
            .with("en", "The round's number in the manifest's list of rounds"),
        MONTH_COLUMN => Localized::swedish("Månaden svaret skickades (ÅÅÅÅ-MM)")
            .with("en", "The month the response was sent (YYYY-MM)"),
        _ => Localized::swedish(""),
    }
}

/// The reserved codes question `id` offered, with the versions that offered them.
fn specials(versions: &Versions, id: &str) -> Vec<Code> {
    [
        (true, DONT_KNOW_CODE, "dont_know"),
        (false, NOT_APPLICABLE_CODE, "not_applicable"),
    ]
    .into_iter()
    .map(|(dont_know, code, special)| (versions.offering_special(id, dont_know), code, special))
    .filter(|(offered, _, _)| *offered != VersionSet::default())
    .map(|(offered, code, special)| Code {
        code: code.to_owned(),
        label: special_label(code),
        special: Some(special),
        versions: versions.numbers_in(offered),
    })
    .collect()
}

impl Codebook {
    /// The codebook of `layout`, made from `versions.questionnaire`.
    pub fn new(versions: &Versions, layout: &Layout) -> Self {
        let questionnaire = &versions.questionnaire;
        let all = versions.numbers.clone();
        let mut languages = BTreeSet::new();
        let mut variables = Vec::new();
        languages.extend(questionnaire.title.codes().map(str::to_owned));
        let asked_if = |id: &str| -> Vec<AskedIf> {
            let Some((section, question)) =
                questionnaire.questions().find(|(_, q)| q.id.as_str() == id)
            else {
                return Vec::new();
            };
            [&questionnaire.sections[section].show_if, &question.show_if]
                .into_iter()
                .flatten()
                .map(|condition| AskedIf {
                    question: condition.question.to_string(),
                    any_of: condition.any_of.iter().map(ToString::to_string).collect(),
                })
                .collect()
        };
        for column in &layout.columns {
            let Some(index) = column.question else {
                variables.push(Variable {
                    name: column.name.clone(),
                    question: String::new(),
                    kind: column.kind.as_str(),
                    text: fixed_text(&column.name),
                    codes: Vec::new(),
                    versions: all.clone(),
                    asked_if: Vec::new(),
                });
                continue;
            };
            let question = &layout.questions[index];
            let id = question.id.as_str();
            let asked = column
                .asked_in
                .map_or_else(|| all.clone(), |set| versions.numbers_in(set));
            languages.extend(question.text.codes().map(str::to_owned));
            let flag = || {
                vec![
                    Code {
                        code: "1".into(),
                        label: Localized::swedish("Valt").with("en", "Chosen"),
                        special: None,
                        versions: asked.clone(),
                    },
                    Code {
                        code: "0".into(),
                        label: Localized::swedish("Inte valt").with("en", "Not chosen"),
                        special: None,
                        versions: asked.clone(),
                    },
                ]
            };
            let (text, codes) = match (&column.kind, &question.kind) {
                (ColumnKind::Flag, QuestionKind::MultipleChoice { options, .. }) => {
                    // The option's (or special answer's) label joined to the question.
                    let code = column
                        .name
                        .rsplit_once(&format!("{}_", question.id))
                        .map(|(_, c)| c)
                        .unwrap_or("");
                    let label = options
                        .iter()
                        .find(|o| o.code.as_str() == code)
                        .map(|o| o.label.clone())
                        .unwrap_or_else(|| special_label(code));
                    (joined(&question.text, &label), flag())
                }
                (_, QuestionKind::SingleChoice { options }) => {
                    let mut codes: Vec<Code> = options
                        .iter()
                        .map(|o| Code {
                            code: o.code.to_string(),
                            label: o.label.clone(),
                            special: None,
                            versions: versions.numbers_in(versions.offering(id, o.code.as_str())),
                        })
                        .collect();
                    codes.extend(specials(versions, id));
                    (question.text.clone(), codes)
                }
                (_, QuestionKind::YesNo) => {
                    let mut codes = vec![
                        Code {
                            code: "1".into(),
                            label: Localized::swedish("Ja").with("en", "Yes"),
                            special: None,
                            versions: asked.clone(),
                        },
                        Code {
                            code: "0".into(),
                            label: Localized::swedish("Nej").with("en", "No"),
                            special: None,
                            versions: asked.clone(),
                        },
                    ];
                    codes.extend(specials(versions, id));
                    (question.text.clone(), codes)
                }
                _ => (question.text.clone(), specials(versions, id)),
            };
            variables.push(Variable {
                name: column.name.clone(),
                question: question.id.to_string(),
                kind: column.kind.as_str(),
                text,
                codes,
                versions: asked,
                asked_if: asked_if(id),
            });
        }
        let mut languages: Vec<String> = languages.into_iter().collect();
        languages.sort_by_key(|code| (code != SWEDISH_FIRST, code.clone()));
        Self {
            questionnaire: questionnaire.id.to_string(),
            version: questionnaire.version,
            versions: all,
            title: questionnaire.title.clone(),
            languages,
            variables,
        }
    }

    /// `codebook.csv`: RFC 4180, UTF-8. Every text cell neutralised against formulas.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        self.write(csv::Writer::from_writer(Vec::new()))
    }

    /// `codebook_excel.csv`: the same records for Excel with Swedish settings, as
    /// `responses_excel.csv` is (a byte-order mark, `;`; no cell holds a decimal number),
    /// so staff can read the codebook with a double click too. Without the mark Excel
    /// reads UTF-8 as Windows-1252 (å, ä and ö garbled), and with `,` it puts each row in
    /// one cell.
    pub fn to_excel_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let bom = "\u{feff}".as_bytes().to_vec();
        self.write(csv::WriterBuilder::new().delimiter(b';').from_writer(bom))
    }

    fn write(&self, mut writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
        let mut header = vec![
            "variable".to_owned(),
            "question".to_owned(),
            "kind".to_owned(),
        ];
        header.extend(self.languages.iter().map(|l| format!("text_{l}")));
        header.push("code".to_owned());
        header.extend(self.languages.iter().map(|l| format!("label_{l}")));
        header.extend(["special", "questionnaire", "versions", "asked_if"].map(str::to_owned));
        writer.write_record(&header)?;
        for variable in &self.variables {
            let no_code = [Code {
                code: String::new(),
                label: Localized::swedish(""),
                special: None,
                versions: variable.versions.clone(),
            }];
            let codes = if variable.codes.is_empty() {
                &no_code[..]
            } else {
                &variable.codes
            };
            for code in codes {
                let mut row: Vec<String> = vec![
                    variable.name.clone(),
                    variable.question.clone(),
                    variable.kind.to_owned(),
                ];
                row.extend(
                    self.languages
                        .iter()
                        .map(|l| in_language(&variable.text, l)),
                );
                row.push(code.code.clone());
                row.extend(self.languages.iter().map(|l| in_language(&code.label, l)));
                row.push(code.special.unwrap_or("").to_owned());
                row.push(self.questionnaire.clone());
                // Space-separated, so a spreadsheet never reads "1 2" as a number.
                row.push(
                    code.versions
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                row.push(AskedIf::all_of(&variable.asked_if));
                writer.write_record(row.iter().map(|c| neutralise(c).into_owned()))?;
            }
        }
        writer
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

fn in_language(text: &Localized, code: &str) -> String {
    text.in_code(code).unwrap_or_default().to_owned()
}

fn joined(question: &Localized, option: &Localized) -> Localized {
    let mut result = Localized::swedish(format!("{}: {}", question.sv(), option.sv()));
    for code in question.codes() {
        if code != SWEDISH_FIRST {
            let (q, o) = (
                question.in_code(code).unwrap_or(question.sv()),
                option.in_code(code).unwrap_or(option.sv()),
            );
            result = result.with(code, format!("{q}: {o}"));
        }
    }
    result
}
