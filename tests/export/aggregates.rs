//! The network's aggregates from stored responses: counts per municipality, small cells
//! hidden with their complements, and nothing of a single row.

use svar_shared::domain::*;
use svar_shared::export::network_aggregates;
use svar_shared::store::SetupStore;
use svar_tests::slug;

use crate::*;

#[tokio::test]
async fn aggregates_count_per_municipality_and_hide_small_cells_with_partners() {
    let setup = Setup::new().await;
    for id in ["alekommun", "orust"] {
        let mut other = svar_tests::municipality();
        other.id = slug(id);
        setup.store.put_municipality(&other).await.unwrap();
    }
    let mut rounds = Vec::new();
    // testkommun: 20 "2" and 3 "1"; alekommun: 30 "2", 12 "1"; orust: 25 "2", 15 "1".
    for (municipality, good, poor) in [
        ("testkommun", 20, 3),
        ("alekommun", 30, 12),
        ("orust", 25, 15),
    ] {
        let round = setup.round(municipality, "Våren").await;
        for i in 0..good + poor {
            let mut a = answers(["gammal", "kvinna", "hemma", "sjalv"]);
            a.insert(
                slug("betyg"),
                Answer::Choice(slug(if i < good { "2" } else { "1" })),
            );
            setup.answer(&round, a).await;
        }
        rounds.push(round);
    }
    let result = network_aggregates(&setup.store, &questionnaire(), &rounds, 7, 10)
        .await
        .unwrap();
    assert_eq!(result.municipalities, ["alekommun", "orust", "testkommun"]);
    // Numbers, months and free text have no tables; each option of a multiple choice has one.
    let variables: Vec<&str> = result.tables.iter().map(|t| t.variable.as_str()).collect();
    assert_eq!(
        variables,
        [
            "alder",
            "kon",
            "vardform",
            "vem",
            "betyg",
            "forbattra_tid",
            "forbattra_info",
            "nojd"
        ]
    );
    let betyg = result
        .tables
        .iter()
        .find(|t| t.variable == "betyg")
        .unwrap();
    assert_eq!(betyg.codes, ["1", "2", "vet_ej", "ej_aktuellt"]);
    let row = |m: &str| betyg.rows.iter().find(|r| r.municipality == m).unwrap();
    assert_eq!(row("testkommun").n, 23);
    assert_eq!(row("testkommun").counts[0], None, "3 is under k");
    // Its partner in the same row is hidden too, or 23 - 3 would give it away …
    assert_eq!(row("testkommun").counts[1], None);
    // … and in each of those columns another municipality's cell, or the column total would.
    let hidden_in = |j: usize| betyg.rows.iter().filter(|r| r.counts[j].is_none()).count();
    assert!(hidden_in(0) >= 2 && hidden_in(1) >= 2);
    assert_eq!(betyg.totals[0], Some(30));
    assert_eq!(betyg.totals[1], Some(75));
    // Zero cells are shown: nobody answered "Vet ej".
    assert!(betyg.rows.iter().all(|r| r.counts[2] == Some(0)));
    // The background question every row shares is shown whole.
    let alder = result
        .tables
        .iter()
        .find(|t| t.variable == "alder")
        .unwrap();
    assert_eq!(
        alder.rows.iter().map(|r| r.counts[1]).collect::<Vec<_>>(),
        [Some(42), Some(40), Some(23)]
    );
}

#[tokio::test]
async fn aggregates_refuse_k_below_3_and_rounds_of_another_questionnaire() {
    let setup = Setup::new().await;
    let round = setup.round("testkommun", "Våren").await;
    let result = network_aggregates(
        &setup.store,
        &questionnaire(),
        std::slice::from_ref(&round),
        2,
        10,
    )
    .await;
    assert!(matches!(
        result,
        Err(svar_shared::export::ExportError::KTooSmall(2))
    ));
    let mut other = round.clone();
    other.questionnaire = QuestionnaireRef {
        id: slug("annan"),
        version: 1,
    };
    let result = network_aggregates(&setup.store, &questionnaire(), &[other], 7, 10).await;
    assert!(matches!(
        result,
        Err(svar_shared::export::ExportError::MixedQuestionnaires)
    ));
}
