use super::*;
use crate::domain::Answer;
use crate::domain::questionnaire::Slug;

/// `answer` in both forms a store keeps: as stored now (bare where it can be), and
/// tagged (every answer stored before).
fn stored(answer: &Answer) -> [String; 2] {
    let response = crate::domain::Response {
        id: crate::domain::ResponseId::random(),
        round: crate::domain::RoundId::random(),
        municipality: Slug::parse("kungalv").unwrap(),
        questionnaire: crate::domain::QuestionnaireRef {
            id: Slug::parse("q").unwrap(),
            version: 1,
        },
        submitted_on: time::macros::date!(2026 - 03 - 04),
        answers: [(Slug::parse("a").unwrap(), answer.clone())].into(),
    };
    [
        crate::store::response_body::encode(&response).unwrap(),
        serde_json::to_string(&response).unwrap(),
    ]
}

#[test]
fn every_kind_of_answer_reads_back_as_stored() {
    let cases = [
        (
            Answer::Choice(Slug::parse("b").unwrap()),
            StoredAnswer::Choice(Text("b".into())),
        ),
        (
            Answer::Choices(vec![Slug::parse("a").unwrap(), Slug::parse("c").unwrap()]),
            StoredAnswer::Choices(vec![Text("a".into()), Text("c".into())]),
        ),
        (
            Answer::Text("\"Hej\"\n".into()),
            StoredAnswer::Text(Text("\"Hej\"\n".into())),
        ),
        (Answer::Number(2.5), StoredAnswer::Number(2.5)),
        (Answer::YesNo(false), StoredAnswer::YesNo(false)),
        (
            Answer::Month("2026-03".into()),
            StoredAnswer::Month(Text("2026-03".into())),
        ),
        (Answer::DontKnow, StoredAnswer::DontKnow),
        (Answer::NotApplicable, StoredAnswer::NotApplicable),
    ];
    let reader = Reader::new(["a"], vec![true]);
    for (answer, expected) in cases {
        for body in stored(&answer) {
            let (mut read, mut scanned) = (StoredRow::default(), StoredRow::default());
            reader.read(&body, &mut read).unwrap();
            reader.scan(&body, &mut scanned).unwrap();
            assert_eq!(read.answers, [Some(expected.clone())], "{body}");
            assert_eq!(scanned.answers, [Some(expected.clone())], "{body}");
        }
    }
}

#[test]
fn only_wanted_questions_are_read_and_any_key_order_is_found() {
    let reader = Reader::new(["b", "a", "c"], vec![true, true, false]);
    let body = r#"{"id":"x","submitted_on":"2026-03-04","answers":{
        "c":{"type":"yes_no","value":true},"zz":{"type":"dont_know"},
        "a":{"type":"choice","value":"1"},"b":{"type":"number","value":3.0}}}"#;
    let mut row = StoredRow::default();
    reader.read(body, &mut row).unwrap();
    assert_eq!(row.month, "2026-03");
    assert!(matches!(row.month, Cow::Borrowed(_)));
    assert_eq!(
        row.answers,
        vec![
            Some(StoredAnswer::Number(3.0)),
            Some(StoredAnswer::Choice(Text("1".into()))),
            None,
        ]
    );
}

#[test]
fn a_scan_finds_what_a_full_read_finds() {
    let reader = Reader::new(["b", "a", "c", "d"], vec![true, true, false, true]);
    let bodies = [
        r#"{"id":"x","submitted_on":"2026-03-04","answers":{
        "c":{"type":"yes_no","value":true},"zz":{"type":"dont_know"},
        "a":{"type":"choice","value":"1"},"b":{"type":"number","value":3.0}}}"#,
        r#" { "answers" : { "a" : { "value" : "2" , "type" : "choice" } ,
        "b":{"type":"choices","value":["x","y"]}, "c":{"type":"text","value":"{\"a\":[}\\"},
        "d" : {"type":"text","value":"\"d\":{\u00e5]"} } , "submitted_on":"2026-11-30",
        "questionnaire":{"id":"q","version":2,"deep":[[{"a":"}"}]]}, "n": -1.5e3 } "#,
        r#"{"submitted_on":"2026-01-01","answers":{}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"dont_know"},
        "b":{"type":"choices","value":[]},"d":{"type":"month","value":"2026-02"}}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"not_applicable"},
        "b":{"type":"number","value":12},"d":{"type":"yes_no","value":false}}}"#,
        r#"{"submitted_on":"\u0032026-01-01","answers":{"a":{"type": "choice","value":"1"},
        "b":{"type":"choices","value":["x" ,"y"]},"d":{"type":"text","value":"\ud83d\ude00"}}}"#,
        r#"{"answers":{"a":{"type":"choice","value":"a\"b"}},"submitted_on":"2026-12-31"}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":"1","b":["x","y"],"c":"z","d":true}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":"a\"b","b":[ "x" ],"d":false}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":-1.5e3,"b":[],"d":{"type":"dont_know"}}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a" : "1" , "b":12,"d":"\u00e5"}}"#,
    ];
    for body in bodies {
        let (mut read, mut scanned) = (StoredRow::default(), StoredRow::default());
        reader.read(body, &mut read).unwrap();
        reader.scan(body, &mut scanned).unwrap();
        assert_eq!(read.answers, scanned.answers, "{body}");
        assert_eq!(read.month, scanned.month, "{body}");
    }
}

#[test]
fn a_damaged_body_fails_a_scan_too() {
    let reader = Reader::new(["a"], vec![true]);
    let mut row = StoredRow::default();
    for body in [
        r#"{"answers":{"a":{"type":"choice","value":"hemligt"}"#,
        r#"{"answers":{"a":{"type":"choice","value":"x}}}"#,
        r#"{"answers":{"a":{"type":"choice","value":"x"}}} x"#,
        r#"{"answers":{"a":{"type":"choice"  "value":"x"}}}"#,
        r#"{"answers":{"a":{"type":"valfritt","value":"x"}}}"#,
        r#"{"answers" {}}"#,
        r#"{"answers":{"a":{"type":"choice","value":"x"}}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"choice","value":"x"}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"choices","value":["x",]}}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":{"type":"yes_no","value":tru}}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":"hemligt}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":["hemligt",]}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":tru}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":falsey}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":{"hemligt":1}}}"#,
        r#"{"submitted_on":"2026-01-01","answers":{"a":null}}"#,
        "",
    ] {
        let error = reader.scan(body, &mut row).unwrap_err().to_string();
        assert!(!error.contains("hemligt"), "{error}");
    }
}

#[test]
fn a_damaged_body_is_an_error_that_shows_no_content() {
    let reader = Reader::new(["a"], vec![true]);
    let mut row = StoredRow::default();
    for body in [
        r#"{"submitted_on":"2026-03-04","answers":{"a":{"type":"choice","value":"hemligt"}"#,
        r#"{"answers":{}}"#,
        r#"{"submitted_on":"igår","answers":{}}"#,
    ] {
        let error = reader.read(body, &mut row).unwrap_err().to_string();
        assert!(!error.contains("hemligt"), "{error}");
    }
}
