//! `manifest.json`: what an export holds and which rules made it, so a reader (or an
//! auditor) can tell without opening the data.

use std::collections::BTreeMap;

use serde::Serialize;

/// Which format of export this is; raised when files or columns change meaning. 2: the
/// codebook's `version` became `versions` (the versions that asked each variable and
/// offered each code), for exports across versions.
pub const FORMAT: &str = "svar-export/2";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    /// `YYYY-MM`: the month only, like every date in an export.
    pub created_month: String,
    pub questionnaire: ManifestQuestionnaire,
    pub rounds: Vec<ManifestRound>,
    pub rows: u64,
    /// The seed of the row numbers, as a decimal string (JSON numbers lose digits past
    /// 2^53 in many readers). The same data and seed give byte-identical files.
    pub seed: String,
    pub rules: Vec<Rule>,
    /// Every other file, in the order written, with its size and SHA-256.
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestQuestionnaire {
    pub id: String,
    /// The version whose columns and codebook the export uses (the newest).
    pub version: u32,
    /// Every version the exported rounds used.
    pub versions: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestRound {
    /// The value of `omgang` in the response files.
    pub number: u16,
    pub name: String,
    pub municipality: String,
    pub unit: String,
    pub questionnaire_version: u32,
    /// `YYYY-MM`.
    pub period_start: String,
    pub period_end: String,
    pub rows: u64,
}

/// A round of the period not exported, by name (no ids in an export), with its count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestRoundLeftOut {
    pub name: String,
    pub responses: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestFile {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One rule applied, with its parameters and what it changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// No tokens, invitation ids, response ids, round ids or times of day.
    NoIdentifiers,
    /// Fresh row numbers 1..n in a seeded random order.
    ShuffledRowNumbers { seed: String },
    /// Every date as `YYYY-MM`.
    DatesToMonth,
    /// A round with fewer than `k` responses is not exported: a period's such rounds are
    /// left out, named here (a round asked for alone is refused).
    MinimumRoundSize {
        k: u32,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        rounds_left_out: Vec<ManifestRoundLeftOut>,
    },
    KAnonymity {
        k: u32,
        background: Vec<String>,
        method: &'static str,
        cells_suppressed: u64,
        rows_changed: u64,
        /// The questions asked only for some values of a background variable, each with
        /// the variables it follows: their cells are emptied with the variable's, as an
        /// answer to them would tell it.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        dependent_questions: BTreeMap<String, Vec<String>>,
        /// Their cells emptied that held something.
        dependent_cells_emptied: u64,
    },
    FreeText {
        included: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        removed: Option<Vec<&'static str>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        replacement: Option<&'static str>,
        cells_scrubbed: u64,
    },
    FormulaNeutralisation {
        prefix: &'static str,
        cells_changed: u64,
    },
}
