//! The organisations every deployment starts with: the 13 municipalities of the
//! Gothenburg region and their network, GR. Seeding is idempotent (each record is
//! created or replaced), so the local server and a deployment's first start can run it
//! every time.
//!
//! A municipality is two records: the [`Organisation`] that signs in to the workspace,
//! and the [`Municipality`] whose contact and privacy notice respondents see. Their
//! texts here are generic starting points; a municipality's own can replace them.

use crate::domain::questionnaire::Slug;
use crate::domain::text::Localized;
use crate::domain::*;
use crate::store::{Store, StoreResult};

/// The network's organisation id.
pub const NETWORK_ID: &str = "gr";
pub const NETWORK_NAME: &str = "Göteborgsregionen (GR), FoU i Väst";

/// One seeded municipality: id, name, and the name in the genitive for the texts.
pub struct SeedMunicipality {
    pub id: &'static str,
    pub name: &'static str,
    genitive: &'static str,
}

const fn m(id: &'static str, name: &'static str, genitive: &'static str) -> SeedMunicipality {
    SeedMunicipality { id, name, genitive }
}

/// The member municipalities of GR, by name.
pub const MUNICIPALITIES: [SeedMunicipality; 13] = [
    m("ale", "Ale kommun", "Ale kommuns"),
    m("alingsas", "Alingsås kommun", "Alingsås kommuns"),
    m("goteborg", "Göteborgs Stad", "Göteborgs Stads"),
    m("harryda", "Härryda kommun", "Härryda kommuns"),
    m("kungsbacka", "Kungsbacka kommun", "Kungsbacka kommuns"),
    m("kungalv", "Kungälvs kommun", "Kungälvs kommuns"),
    m("lerum", "Lerums kommun", "Lerums kommuns"),
    m("lilla_edet", "Lilla Edets kommun", "Lilla Edets kommuns"),
    m("molndal", "Mölndals stad", "Mölndals stads"),
    m("partille", "Partille kommun", "Partille kommuns"),
    m("stenungsund", "Stenungsunds kommun", "Stenungsunds kommuns"),
    m("tjorn", "Tjörns kommun", "Tjörns kommuns"),
    m("ockero", "Öckerö kommun", "Öckerö kommuns"),
];

/// The seeded organisations: the network first, then its municipalities.
pub fn organisations() -> Vec<Organisation> {
    let network = slug(NETWORK_ID);
    let mut all = vec![Organisation {
        id: network.clone(),
        name: NETWORK_NAME.to_owned(),
        kind: OrganisationKind::Network,
        network: None,
    }];
    all.extend(MUNICIPALITIES.iter().map(|seed| Organisation {
        id: slug(seed.id),
        name: seed.name.to_owned(),
        kind: OrganisationKind::Municipality,
        network: Some(network.clone()),
    }));
    all
}

/// The respondent-facing record of a seeded municipality.
pub fn municipality(seed: &SeedMunicipality) -> Municipality {
    let (name, of) = (seed.name, seed.genitive);
    Municipality {
        id: slug(seed.id),
        name: name.to_owned(),
        contact: Localized::swedish(format!("Frågor om enkäten: kontakta {of} kontaktcenter."))
            .with(
                "en",
                format!("Questions about the survey: contact the contact centre of {name}."),
            ),
        privacy_notice: Localized::swedish(format!(
            "{name} ansvarar för enkäten. Dina svar sparas utan namn, personnummer, \
             IP-adress eller klockslag, och de kan inte kopplas till dig. Svar du inte har \
             skickat sparas i högst 30 dagar. Kommunen får bara se sammanställda svar."
        ))
        .with(
            "en",
            format!(
                "{name} is responsible for the survey. Your answers are stored without your \
                 name, personal identity number, IP address or time of day, and cannot be \
                 linked to you. Answers you have not sent are kept for at most 30 days. The \
                 municipality sees only compiled answers."
            ),
        ),
    }
}

/// Creates or updates the network, the municipalities' organisations and their
/// municipality records.
pub async fn seed(store: &dyn Store) -> StoreResult<()> {
    for organisation in organisations() {
        store.put_organisation(&organisation).await?;
    }
    for seed in &MUNICIPALITIES {
        store.put_municipality(&municipality(seed)).await?;
    }
    Ok(())
}

fn slug(id: &str) -> Slug {
    // The ids above are constants, checked by `every_seeded_id_is_a_valid_slug`.
    Slug::parse(id).unwrap_or_else(|_| unreachable!("seed id {id} is a valid slug"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seeded_id_is_a_valid_slug() {
        assert!(Slug::parse(NETWORK_ID).is_ok());
        for seed in &MUNICIPALITIES {
            assert!(Slug::parse(seed.id).is_ok(), "{}", seed.id);
        }
    }

    #[test]
    fn the_network_and_13_municipalities_belong_together() {
        let all = organisations();
        assert_eq!(all.len(), 14);
        assert_eq!(all[0].kind, OrganisationKind::Network);
        assert!(all[1..].iter().all(|o| {
            o.kind == OrganisationKind::Municipality && o.network.as_ref() == Some(&all[0].id)
        }));
        let ids: std::collections::BTreeSet<_> = all.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids.len(), 14, "ids are unique");
        for expected in ["ale", "alingsas", "goteborg", "lilla_edet", "ockero"] {
            assert!(ids.contains(expected), "{expected}");
        }
    }

    #[test]
    fn a_municipality_has_contact_and_privacy_texts_in_swedish_and_english() {
        let ale = municipality(&MUNICIPALITIES[0]);
        assert_eq!(
            ale.contact.sv(),
            "Frågor om enkäten: kontakta Ale kommuns kontaktcenter."
        );
        assert!(ale.contact.in_code("en").is_some());
        assert!(ale.privacy_notice.sv().starts_with("Ale kommun ansvarar"));
        assert!(ale.privacy_notice.in_code("en").is_some());
    }
}
