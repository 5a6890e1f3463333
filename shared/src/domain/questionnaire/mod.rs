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
        include_str!("../../../questionnaires/patientupplevelse.toml"),
    ),
    (
        "questionnaires/civilsamhalle.toml",
        include_str!("../../../questionnaires/civilsamhalle.toml"),
    ),
    (
        "questionnaires/nyckeltal.toml",
        include_str!("../../../questionnaires/nyckeltal.toml"),
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

/// The `*.toml` files in a folder, in name order: how definitions kept outside the binary
/// (questionnaires here, UI strings in `web::strings`) are found.
pub fn toml_files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Parses and checks every `*.toml` file in a folder (in name order), for questionnaires
/// kept outside the binary. All problems of all files are reported together.
pub fn load_dir(dir: &std::path::Path) -> Result<Vec<Questionnaire>, DefinitionError> {
    let unreadable = |problem: String| DefinitionError {
        problems: vec![DefinitionProblem {
            file: dir.display().to_string(),
            place: String::new(),
            problem,
        }],
    };
    let paths = toml_files(dir).map_err(|e| unreadable(format!("cannot read the folder: {e}")))?;
    let mut all = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let file = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(source) => match parse_definition(&file, &source) {
                Ok(q) => all.push(q),
                Err(e) => problems.extend(e.problems),
            },
            Err(e) => problems.push(DefinitionProblem {
                file,
                place: String::new(),
                problem: format!("cannot read the file: {e}"),
            }),
        }
    }
    if problems.is_empty() {
        Ok(all)
    } else {
        Err(DefinitionError { problems })
    }
}
