//! Questionnaire definitions: the model, the file format and the built-in set.

mod file;
mod model;

pub use file::{
    DefinitionError, DefinitionProblem, MAX_TEXT_LENGTH, RESERVED_CODES, parse_definition,
};
pub use model::*;

/// The built-in questionnaire files, compiled into every binary so a Lambda
/// function needs no files beside it. Each is checked at start by [`builtin`].
const BUILTIN_FILES: [(&str, &str); 3] = [
    (
        "questionnaires/patientupplevelse.toml",
        include_str!("../../questionnaires/patientupplevelse.toml"),
    ),
    (
        "questionnaires/civilsamhalle.toml",
        include_str!("../../questionnaires/civilsamhalle.toml"),
    ),
    (
        "questionnaires/nyckeltal.toml",
        include_str!("../../questionnaires/nyckeltal.toml"),
    ),
];

/// Id of the built-in patient experience questionnaire, used by the demo round.
pub const PATIENT_SURVEY_ID: &str = "patientupplevelse";

/// Parses and checks every built-in questionnaire; a broken one stops start-up.
pub fn builtin() -> Result<Vec<Questionnaire>, DefinitionError> {
    let mut all = Vec::new();
    let mut problems = Vec::new();
    for (file, source) in BUILTIN_FILES {
        match parse_definition(file, source) {
            Ok(q) => all.push(q),
            Err(e) => problems.extend(e.problems),
        }
    }
    if problems.is_empty() {
        Ok(all)
    } else {
        Err(DefinitionError { problems })
    }
}
