//! Response rates of a round: invitations issued, answered, and answers per day.

use time::Date;

use super::{Caller, Workspace, WorkspaceResult};
use crate::domain::*;

/// What the rate page shows for one round.
#[derive(Debug, Clone)]
pub struct RoundRates {
    pub round: Round,
    pub counts: RoundCounts,
    /// Answers per day of submission, in date order; days without answers left out.
    pub per_day: Vec<(Date, u64)>,
}

impl RoundRates {
    /// Answered per issued in tenths of a percent, rounded half up; `None` before any
    /// invitation is issued (a rate of nothing is not 0 %).
    pub fn rate_permille(&self) -> Option<u64> {
        let RoundCounts { issued, answered } = self.counts;
        (issued > 0).then(|| (answered * 2000 + issued) / (issued * 2))
    }
}

impl Workspace {
    /// A round's counts and answers per day, for any round the caller may see.
    pub async fn round_rates(
        &self,
        caller: &Caller,
        round: &RoundId,
    ) -> WorkspaceResult<RoundRates> {
        let round = self.visible_round(caller, round).await?;
        let counts = self.store.round_counts(&round.id).await?;
        let per_day = self.store.answered_per_day(&round.id).await?;
        Ok(RoundRates {
            round,
            counts,
            per_day,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(issued: u64, answered: u64) -> RoundRates {
        let round = Round::open_patient_round(
            crate::domain::questionnaire::Slug::parse("ale").expect("valid"),
            "Våren",
            QuestionnaireRef {
                id: crate::domain::questionnaire::Slug::parse("q").expect("valid"),
                version: 1,
            },
            time::OffsetDateTime::UNIX_EPOCH,
        );
        RoundRates {
            round,
            counts: RoundCounts { issued, answered },
            per_day: Vec::new(),
        }
    }

    #[test]
    fn rates_are_tenths_of_a_percent_rounded_half_up() {
        assert_eq!(rates(0, 0).rate_permille(), None);
        assert_eq!(rates(100, 2).rate_permille(), Some(20));
        assert_eq!(rates(3, 1).rate_permille(), Some(333));
        assert_eq!(rates(3, 2).rate_permille(), Some(667));
        assert_eq!(rates(2000, 1).rate_permille(), Some(1));
        assert_eq!(rates(20_000, 20_000).rate_permille(), Some(1000));
    }
}
