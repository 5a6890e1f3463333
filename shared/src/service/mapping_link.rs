//! A mapping round's multi-use link (`/m/{token}`): the municipality forwards one link to
//! its staff, and each visitor gets a single-use invitation of their own, so no two staff
//! members ever share a draft. Only hashes are stored, of the link as of the invitations.
//!
//! The answer limit is checked when a visitor opens the link: once the round holds as many
//! responses as the limit, new visitors get a polite page. Visitors who opened the link
//! before may still send theirs, so a round can end a few answers over its limit; a
//! mature alternative (refusing a Send) would throw away answers already typed.

use time::{Duration, OffsetDateTime};

use super::{SurveyError, SurveyService};
use crate::domain::*;
use crate::service::guessing;
use crate::service::setup::issue_invitation;

/// How long a visitor's own invitation stays usable: long enough to come back to a
/// half-answered mapping within its period, and at least this long after opening.
const VISITOR_INVITATION_DAYS: i64 = 30;

/// What opening a mapping link gives.
#[derive(Debug)]
pub enum MappingVisit {
    /// A fresh single-use invitation for this visitor: redirect to `/s/{link}`.
    Invitation(Credential),
    /// The round has as many answers as the link takes.
    Full,
    /// The round is planned or closed.
    Closed,
    /// No such link (or one that was replaced).
    NotFound,
    TooManyAttempts,
}

impl SurveyService {
    /// `GET /m/{token}`. An unknown token counts towards the client's guessing limit, as
    /// an unknown `/s/` link does.
    pub async fn open_mapping_link(
        &self,
        path_segment: &str,
        client: &ClientKey,
        now: OffsetDateTime,
    ) -> Result<MappingVisit, SurveyError> {
        if guessing::is_blocked(&*self.store, client, now).await? {
            return Ok(MappingVisit::TooManyAttempts);
        }
        let link = match Credential::from_path(path_segment) {
            Some(token @ Credential::Link(_)) => {
                self.store
                    .mapping_link_by_hash(&token.hash(&self.hash_key))
                    .await?
            }
            _ => None,
        };
        let Some(link) = link else {
            guessing::record_failure(&*self.store, client, now).await?;
            return Ok(MappingVisit::NotFound);
        };
        let Some(round) = self.store.round(&link.round).await? else {
            return Ok(MappingVisit::NotFound);
        };
        if round.status != RoundStatus::Open {
            return Ok(MappingVisit::Closed);
        }
        if self.store.count_responses(&round.id).await? >= u64::from(link.answer_limit) {
            return Ok(MappingVisit::Full);
        }
        let number = self.store.next_mapping_visitor(&round.id).await?;
        let expires_at = now + Duration::days(VISITOR_INVITATION_DAYS);
        let issued =
            issue_invitation(&*self.store, &self.hash_key, &round, number, expires_at).await?;
        Ok(MappingVisit::Invitation(issued.link))
    }
}
