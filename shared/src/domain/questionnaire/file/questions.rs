//! The checks of one question (its options, its condition) and of the questionnaire as
//! a whole, for the parent module's `check`.

use super::*;

pub(super) fn check_options(
    c: &mut Checker<'_>,
    place: &str,
    raw: &[RawOption],
) -> Option<Vec<ChoiceOption>> {
    let mut seen = HashSet::new();
    let mut options = Vec::new();
    let before = c.problems.len();
    for option in raw {
        let code = c.slug(place, &option.code);
        if RESERVED_CODES.contains(&option.code.as_str()) {
            c.report(
                place,
                format!(
                    "option code '{}' is reserved: use dont_know = true or not_applicable = true",
                    option.code
                ),
            );
        }
        if !seen.insert(option.code.clone()) {
            c.report(place, format!("duplicate option code '{}'", option.code));
        }
        match &option.label {
            Some(label) if !label.is_blank() => {
                if let Some(code) = code {
                    options.push(ChoiceOption {
                        code,
                        label: label.clone(),
                    });
                }
            }
            _ => c.report(place, format!("option '{}' has no label", option.code)),
        }
    }
    (c.problems.len() == before).then_some(options)
}

pub(super) fn check_condition(
    c: &mut Checker<'_>,
    place: &str,
    cond: &RawCondition,
    current_section: usize,
    earlier: &HashMap<String, Earlier>,
) -> Option<Condition> {
    let Some(target) = earlier.get(&cond.question) else {
        c.report(
            place,
            format!(
                "show_if refers to question '{}', which is missing or comes later; a condition must refer to an earlier question",
                cond.question
            ),
        );
        return None;
    };
    if target.section == current_section {
        c.report(
            place,
            format!(
                "show_if refers to question '{}' on the same page; pages work without JavaScript, so a condition must refer to a question on an earlier page",
                cond.question
            ),
        );
        return None;
    }
    if target.codes.is_empty() {
        c.report(
            place,
            format!(
                "show_if refers to question '{}', which is not a choice or yes/no question",
                cond.question
            ),
        );
        return None;
    }
    if cond.any_of.is_empty() {
        c.report(place, "show_if needs at least one value in any_of");
    }
    for value in &cond.any_of {
        if !target.codes.contains(value) {
            c.report(
                place,
                format!(
                    "show_if value '{value}' is not an option of question '{}'",
                    cond.question
                ),
            );
        }
    }
    let question = Slug::parse(&cond.question).ok()?;
    let any_of = cond
        .any_of
        .iter()
        .map(|v| Slug::parse(v))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(Condition { question, any_of })
}

pub(super) fn check_question(
    c: &mut Checker<'_>,
    place: &str,
    raw: RawQuestion,
    scales: &HashMap<String, Vec<ChoiceOption>>,
    show_if: Option<Condition>,
) -> Option<Question> {
    let id = c.slug(place, &raw.id);
    c.text(place, "text", &raw.text);
    if let Some(help) = &raw.help {
        c.text(place, "help", help);
    }
    if let Some(unit) = &raw.unit {
        c.text(place, "unit", unit);
    }
    let not_for = |c: &mut Checker<'_>, set: bool, field: &str| {
        if set {
            c.report(
                place,
                format!("'{field}' does not apply to this kind of question"),
            );
        }
    };
    let choice_kind = matches!(raw.kind, RawKind::SingleChoice | RawKind::MultipleChoice);
    not_for(c, !choice_kind && raw.options.is_some(), "options");
    not_for(c, !choice_kind && raw.scale.is_some(), "scale");
    not_for(
        c,
        raw.kind != RawKind::MultipleChoice && raw.max_choices.is_some(),
        "max_choices",
    );
    not_for(
        c,
        raw.kind != RawKind::Text && raw.max_length.is_some(),
        "max_length",
    );
    not_for(
        c,
        raw.kind != RawKind::Text && raw.multiline.is_some(),
        "multiline",
    );
    let number = raw.kind == RawKind::Number;
    not_for(c, !number && raw.decimals.is_some(), "decimals");
    not_for(c, !number && raw.min.is_some(), "min");
    not_for(c, !number && raw.max.is_some(), "max");
    not_for(c, !number && raw.unit.is_some(), "unit");

    let choice_options = |c: &mut Checker<'_>| -> Option<Vec<ChoiceOption>> {
        match (&raw.options, &raw.scale) {
            (Some(_), Some(_)) => {
                c.report(place, "give either options or scale, not both");
                None
            }
            (Some(options), None) => {
                if options.len() < 2 {
                    c.report(place, "a choice question needs at least two options");
                }
                check_options(c, place, options)
            }
            (None, Some(name)) => {
                let found = scales.get(name).cloned();
                if found.is_none() {
                    c.report(
                        place,
                        format!("scale '{name}' is not defined (or has problems of its own)"),
                    );
                }
                found
            }
            (None, None) => {
                c.report(place, "a choice question needs options or a scale");
                None
            }
        }
    };

    let kind = match raw.kind {
        RawKind::SingleChoice => QuestionKind::SingleChoice {
            options: choice_options(c)?,
        },
        RawKind::MultipleChoice => {
            let options = choice_options(c)?;
            if let Some(max) = raw.max_choices
                && (max == 0 || max as usize > options.len())
            {
                c.report(
                    place,
                    format!(
                        "max_choices must be between 1 and the number of options ({})",
                        options.len()
                    ),
                );
            }
            QuestionKind::MultipleChoice {
                options,
                max_choices: raw.max_choices,
            }
        }
        RawKind::Text => {
            let max_length = raw.max_length.unwrap_or(1000);
            if max_length == 0 || max_length > MAX_TEXT_LENGTH {
                c.report(
                    place,
                    format!("max_length must be between 1 and {MAX_TEXT_LENGTH}"),
                );
            }
            QuestionKind::Text {
                max_length,
                multiline: raw.multiline.unwrap_or(true),
            }
        }
        RawKind::Number => {
            let decimals = raw.decimals.unwrap_or(0);
            if decimals > 4 {
                c.report(place, "decimals must be between 0 and 4");
            }
            for (name, value) in [("min", raw.min), ("max", raw.max)] {
                if value.is_some_and(|v| !v.is_finite()) {
                    c.report(place, format!("{name} must be a finite number"));
                }
            }
            if let (Some(min), Some(max)) = (raw.min, raw.max)
                && min > max
            {
                c.report(place, "min is greater than max");
            }
            QuestionKind::Number {
                decimals,
                min: raw.min,
                max: raw.max,
                unit: raw.unit,
            }
        }
        RawKind::YesNo => QuestionKind::YesNo,
        RawKind::Month => QuestionKind::Month,
    };
    Some(Question {
        id: id?,
        text: raw.text,
        help: raw.help,
        required: raw.required,
        dont_know: raw.dont_know,
        not_applicable: raw.not_applicable,
        show_if,
        kind,
    })
}

pub(super) fn check_consistency(
    c: &mut Checker<'_>,
    raw: &RawCheck,
    sections: &[Section],
) -> Option<ConsistencyCheck> {
    let RawCheckKind::PartsWithinWhole = raw.kind;
    let place = format!("check on '{}'", raw.whole);
    let find = |id: &str| {
        sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .find(|q| q.id.as_str() == id)
    };
    let before = c.problems.len();
    for id in std::iter::once(&raw.whole).chain(raw.parts.iter()) {
        match find(id) {
            Some(q) if matches!(q.kind, QuestionKind::Number { .. }) => {}
            Some(_) => c.report(&place, format!("question '{id}' is not a number question")),
            None => c.report(&place, format!("question '{id}' does not exist")),
        }
    }
    if raw.parts.is_empty() {
        c.report(&place, "parts_within_whole needs at least one part");
    }
    if raw.parts.contains(&raw.whole) {
        c.report(
            &place,
            format!("'{}' is listed as a part of itself", raw.whole),
        );
    }
    let mut seen = HashSet::new();
    for part in &raw.parts {
        if !seen.insert(part) {
            c.report(&place, format!("part '{part}' is listed twice"));
        }
    }
    if c.problems.len() != before {
        return None;
    }
    let section_of = |id: &str| {
        sections
            .iter()
            .position(|s| s.questions.iter().any(|q| q.id.as_str() == id))
    };
    let whole_section = section_of(&raw.whole);
    if raw.parts.iter().any(|p| section_of(p) != whole_section) {
        c.report(
            &place,
            "the whole and its parts must be on the same page, where the check is made",
        );
    }
    Some(ConsistencyCheck::PartsWithinWhole {
        whole: Slug::parse(&raw.whole).ok()?,
        parts: raw
            .parts
            .iter()
            .map(|p| Slug::parse(p))
            .collect::<Result<_, _>>()
            .ok()?,
    })
}
