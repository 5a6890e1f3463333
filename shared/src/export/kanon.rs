//! k-anonymity over the background variables.
//!
//! The first pass over the responses counts each combination of background values (per
//! round); memory grows with the number of combinations, never with the rows. From the
//! counts a plan is made, and the second pass applies it while writing.
//!
//! The rule (local suppression, as statistics offices do it): while some combination is
//! shared by fewer than k rows, the smallest such group (ties: the first in order) loses
//! one more background value, the one whose value is rarest in the whole export (ties:
//! the variable listed first), emptied; then the groups are counted again. Smallest
//! first, so a small group can join a bigger one before that one is broken up.
//! An emptied value joins the rows that left the question blank: both print as an empty
//! cell, so they form one group. Rows whose background values are all empty cannot be
//! singled out by them and are left as they are, however few. Every decision depends only
//! on the counts, so the same data gives the same plan.

use std::collections::{BTreeMap, HashMap};

use crate::domain::questionnaire::{Question, QuestionId, QuestionKind, Questionnaire};

use super::columns::{DONT_KNOW_CODE, NOT_APPLICABLE_CODE};
use super::stored::StoredAnswer;
use super::versions::Versions;

/// The smallest group published by default: the minimum group size of the national
/// elderly-care survey.
pub const DEFAULT_K: u32 = 7;
/// Below this, an export is refused whatever is asked.
pub const MIN_K: u32 = 3;

/// The background variables of a questionnaire: the questions a neighbour or a relative
/// could know about a patient, and so could use to find the patient's row. The
/// questionnaire file format has no marker for them yet, so the built-in questionnaires
/// list theirs here; others have none (only the round-size rule protects them) until the
/// format gets a `background = true` marker.
pub fn background_questions(questionnaire: &str) -> &'static [&'static str] {
    match questionnaire {
        crate::domain::questionnaire::PATIENT_SURVEY_ID => {
            &["alder", "kon", "vardform", "vem_svarar"]
        }
        _ => &[],
    }
}

/// One combination: the round's number, then one value per background variable
/// (0 for empty, 1.. for the question's codes in order, then the specials).
pub type Combination = Vec<u16>;

/// The background questions of one export and how to read their values.
#[derive(Debug, Clone)]
pub struct Background {
    /// Question id and its codes, in the order of [`background_questions`].
    questions: Vec<(QuestionId, Vec<String>)>,
    /// Whether each is a yes/no question, whose cells are `1` and `0`, not its codes.
    yes_no: Vec<bool>,
}

impl Background {
    /// Only single-choice and yes/no questions can be background variables.
    pub fn new(questionnaire: &Questionnaire, ids: &[&str]) -> Result<Self, String> {
        let mut questions = Vec::new();
        let mut yes_no = Vec::new();
        for id in ids {
            let question: &Question = questionnaire
                .question(id)
                .ok_or_else(|| format!("background question '{id}' is not in the questionnaire"))?;
            let codes = match question.kind {
                QuestionKind::SingleChoice { .. } | QuestionKind::YesNo => question
                    .choice_codes()
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                _ => {
                    return Err(format!(
                        "background question '{id}' is not a single choice or yes/no question"
                    ));
                }
            };
            questions.push((question.id.clone(), codes));
            yes_no.push(matches!(question.kind, QuestionKind::YesNo));
        }
        Ok(Self { questions, yes_no })
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.questions.iter().map(|(id, _)| id.as_str())
    }

    /// Writes the combination of a response in round number `round` into `key`;
    /// `answers` are the response's answers to [`Background::ids`], in that order.
    pub fn combination<'x, 'a: 'x>(
        &self,
        round: u16,
        answers: impl IntoIterator<Item = Option<&'x StoredAnswer<'a>>>,
        key: &mut Combination,
    ) {
        key.clear();
        key.push(round);
        for ((_, codes), answer) in self.questions.iter().zip(answers) {
            let value = match answer {
                None => 0,
                Some(StoredAnswer::Choice(code)) => codes
                    .iter()
                    .position(|c| *c == code.0)
                    .map_or(u16::MAX, |i| i as u16 + 1),
                Some(StoredAnswer::YesNo(yes)) => {
                    if *yes {
                        1
                    } else {
                        2
                    }
                }
                Some(StoredAnswer::DontKnow) => codes.len() as u16 + 1,
                Some(StoredAnswer::NotApplicable) => codes.len() as u16 + 2,
                Some(_) => u16::MAX,
            };
            key.push(value);
        }
    }

    /// [`Background::combination`] from the rows' cells instead of their answers (an
    /// export row stored at Send): `cells` are the response's cells of the background
    /// columns, in the order of [`Background::ids`].
    pub fn combination_of_cells<'c>(
        &self,
        round: u16,
        cells: impl IntoIterator<Item = &'c str>,
        key: &mut Combination,
    ) {
        key.clear();
        key.push(round);
        for (variable, cell) in cells.into_iter().enumerate().take(self.questions.len()) {
            key.push(self.value_of_cell(variable, cell));
        }
    }

    /// Background variable `variable`'s value in [`Combination`]s, from its cell: the
    /// same value [`Background::combination`] gives its answer, for every answer the
    /// question accepts, and for none. The row encoder checks it for each row it stores
    /// (stored_rows.rs), so any other answer keeps a row from being stored.
    pub fn value_of_cell(&self, variable: usize, cell: &str) -> u16 {
        let (Some((_, codes)), Some(yes_no)) =
            (self.questions.get(variable), self.yes_no.get(variable))
        else {
            return u16::MAX;
        };
        match cell {
            "" => 0,
            DONT_KNOW_CODE => codes.len() as u16 + 1,
            NOT_APPLICABLE_CODE => codes.len() as u16 + 2,
            "1" if *yes_no => 1,
            "0" if *yes_no => 2,
            _ if *yes_no => u16::MAX,
            code => codes
                .iter()
                .position(|c| c == code)
                .map_or(u16::MAX, |i| i as u16 + 1),
        }
    }
}

/// The questions that are asked only for some values of a background variable, directly
/// or through other such questions, each with the plan's bits of those variables (bit i:
/// variable i). Whether such a question was answered tells what an emptied background
/// value was: the patient survey asks its last page only of those who helped or answered
/// for the patient, so an answer there says `vem_svarar` was not "patient". Their cells
/// are emptied with the variable.
pub fn dependent_questions(versions: &Versions, background: &Background) -> BTreeMap<String, u32> {
    let own: HashMap<&str, u32> = background
        .ids()
        .enumerate()
        .map(|(bit, id)| (id, 1 << bit))
        .collect();
    let ids: Vec<&str> = versions
        .questionnaire
        .questions()
        .map(|(_, q)| q.id.as_str())
        .collect();
    let mut bits: BTreeMap<String, u32> = BTreeMap::new();
    // Until nothing changes: a condition may name a question listed later (a question
    // that only an older version asked is listed after the newest's).
    loop {
        let mut changed = false;
        for id in &ids {
            let follows = versions.shown_by(id).fold(0, |follows, by| {
                follows | own.get(by).copied().unwrap_or(0) | bits.get(by).copied().unwrap_or(0)
            });
            if follows != 0 && bits.get(*id) != Some(&follows) {
                bits.insert((*id).to_owned(), follows);
                changed = true;
            }
        }
        if !changed {
            return bits;
        }
    }
}

/// A map keyed by combinations, hashed fast: looked up once per row when counting and
/// once when writing. No need to resist flooding: the export makes its keys.
pub type CombinationMap<V> = HashMap<Combination, V, foldhash::fast::FixedState>;

/// Rows per combination, from the first pass.
#[derive(Debug, Default, Clone)]
pub struct Counts(pub CombinationMap<u64>);

impl Counts {
    pub fn add(&mut self, key: &Combination) {
        match self.0.get_mut(key.as_slice()) {
            Some(count) => *count += 1,
            None => {
                self.0.insert(key.clone(), 1);
            }
        }
    }

    /// Adds counts made elsewhere (by another scanner of the same export).
    pub fn merge(&mut self, other: Counts) {
        for (key, count) in other.0 {
            *self.0.entry(key).or_default() += count;
        }
    }
}

/// Which background values each combination loses (bit i: variable i).
#[derive(Debug, Default, Clone)]
pub struct Plan {
    masks: CombinationMap<u32>,
    /// Cells emptied in all.
    pub cells_suppressed: u64,
    /// Rows with at least one emptied cell.
    pub rows_changed: u64,
}

impl Plan {
    /// The mask for a combination; `None` if it was not counted (the data changed).
    pub fn mask(&self, key: &[u16]) -> Option<u32> {
        self.masks.get(key).copied()
    }
}

/// The suppression plan for `counts` so that every published combination (other than
/// all-empty) is shared by at least `k` rows.
pub fn plan(counts: &Counts, k: u64) -> Plan {
    // How often each value of each variable occurs: "rarest" is measured on these.
    let mut marginal: HashMap<(usize, u16), u64> = HashMap::new();
    for (key, count) in &counts.0 {
        for (i, value) in key.iter().enumerate().skip(1) {
            *marginal.entry((i, *value)).or_default() += count;
        }
    }
    // Each combination with its count and mask. The order of iteration decides nothing:
    // the smallest group is chosen by size, then by its values.
    let mut masks: Vec<(&Combination, u64, u32)> = counts
        .0
        .iter()
        .map(|(key, count)| (key, *count, 0))
        .collect();
    let mut groups: CombinationMap<u64> = CombinationMap::default();
    let mut scratch = Combination::new();
    loop {
        groups.clear();
        for (key, count, mask) in &masks {
            generalise_into(key, *mask, &mut scratch);
            match groups.get_mut(&scratch) {
                Some(size) => *size += count,
                None => {
                    groups.insert(scratch.clone(), *count);
                }
            }
        }
        let smallest = groups
            .iter()
            .filter(|(group, size)| **size < k && group.iter().skip(1).any(|v| *v != 0))
            .min_by(|(a, a_size), (b, b_size)| a_size.cmp(b_size).then_with(|| a.cmp(b)));
        let Some((group, _)) = smallest else {
            break;
        };
        let rarest = group
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, value)| **value != 0)
            .min_by_key(|(i, value)| (marginal[&(*i, **value)], *i))
            .map(|(i, _)| i);
        let Some(variable) = rarest else {
            break;
        };
        let group = group.clone();
        for (key, _, mask) in masks.iter_mut() {
            generalise_into(key, *mask, &mut scratch);
            if scratch == group {
                *mask |= 1 << (variable - 1);
            }
        }
    }
    let mut result = Plan::default();
    for (key, count, mask) in masks {
        if mask != 0 {
            result.rows_changed += count;
            result.cells_suppressed += count * u64::from(mask.count_ones());
        }
        result.masks.insert(key.clone(), mask);
    }
    result
}

/// `key` with the values `mask` empties set to 0, into a buffer of the caller's (which
/// keeps its capacity).
fn generalise_into(key: &[u16], mask: u32, into: &mut Combination) {
    into.clear();
    into.extend(key.iter().enumerate().map(|(i, v)| {
        if i > 0 && mask & (1 << (i - 1)) != 0 {
            0
        } else {
            *v
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(rows: &[(&[u16], u64)]) -> Counts {
        Counts(rows.iter().map(|(k, c)| (k.to_vec(), *c)).collect())
    }

    /// The published groups after the plan, each with its size.
    fn published(counts: &Counts, plan: &Plan) -> HashMap<Combination, u64> {
        let mut groups = HashMap::new();
        for (key, count) in &counts.0 {
            *groups
                .entry({
                    let mut group = Combination::new();
                    generalise_into(key, plan.mask(key).unwrap(), &mut group);
                    group
                })
                .or_default() += count;
        }
        groups
    }

    #[test]
    fn groups_of_at_least_k_are_left_alone() {
        let c = counts(&[(&[1, 1, 1], 7), (&[1, 2, 1], 9)]);
        let plan = plan(&c, 7);
        assert_eq!(plan.cells_suppressed, 0);
        assert_eq!(plan.mask(&[1, 1, 1]), Some(0));
    }

    #[test]
    fn a_small_group_loses_its_rarest_value_first() {
        // Variable 1's value 2 is the rarest value (3 rows), so [2, 1] loses it first;
        // [_, 1] is still only those 3 rows, so it loses variable 2 as well.
        let c = counts(&[(&[1, 1, 1], 20), (&[1, 2, 1], 3), (&[1, 1, 2], 10)]);
        let plan = plan(&c, 7);
        assert_eq!(plan.mask(&[1, 2, 1]), Some(0b11));
        assert_eq!(plan.mask(&[1, 1, 1]), Some(0));
        assert_eq!(plan.cells_suppressed, 6);
        assert_eq!(plan.rows_changed, 3);
    }

    #[test]
    fn suppressing_one_value_is_enough_when_the_wider_group_is_big() {
        // [1, 9, 1] is rare (2 rows); emptying variable 1 puts it with 10 rows that left
        // variable 1 blank and share variable 2's value.
        let c = counts(&[(&[1, 0, 1], 10), (&[1, 9, 1], 2), (&[1, 1, 1], 8)]);
        let plan = plan(&c, 7);
        assert_eq!(plan.mask(&[1, 9, 1]), Some(0b01));
        assert_eq!(plan.cells_suppressed, 2);
    }

    #[test]
    fn every_published_group_has_k_rows_or_no_background_at_all() {
        // A made-up spread of 500 rows over 4 variables.
        let mut c = Counts::default();
        let mut x: u64 = 12345;
        for _ in 0..500 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = vec![
                1,
                (x >> 33) as u16 % 5,
                (x >> 40) as u16 % 3,
                (x >> 50) as u16 % 4 + 1,
                (x >> 20) as u16 % 2,
            ];
            c.add(&key);
        }
        for k in [3, 7, 20] {
            let plan = plan(&c, k);
            for (group, size) in published(&c, &plan) {
                assert!(
                    size >= k || group[1..].iter().all(|v| *v == 0),
                    "k={k}: {group:?} has {size}"
                );
            }
            assert!(plan.cells_suppressed > 0);
        }
    }

    #[test]
    fn rounds_are_never_merged() {
        let c = counts(&[(&[1, 1], 3), (&[2, 1], 5)]);
        let plan = plan(&c, 7);
        // Each round's only group is too small: both lose their value, and stay apart.
        assert_eq!(plan.mask(&[1, 1]), Some(1));
        assert_eq!(plan.mask(&[2, 1]), Some(1));
        assert_eq!(published(&c, &plan).len(), 2);
    }
}
