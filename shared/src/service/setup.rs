//! Setting up rounds and invitations. The municipality workspace grows from here; the
//! local server uses it for its demo round.

use time::OffsetDateTime;

use crate::domain::*;
use crate::store::{SetupStore, StoreResult};

/// A freshly made invitation's two credentials, to print on a letter or send as a link.
/// They exist only here: the store keeps their hashes.
pub struct IssuedInvitation {
    pub link: Credential,
    pub code: Credential,
}

/// Makes a single-use invitation to `round`, with running number `number` (0 for one made
/// outside the workspace: the demo and tests), a new link
/// token and short code.
pub async fn issue_invitation(
    store: &dyn SetupStore,
    hash_key: &HashKey,
    round: &Round,
    number: u32,
    expires_at: OffsetDateTime,
) -> StoreResult<IssuedInvitation> {
    let link = Credential::new_link();
    let code = Credential::new_code();
    let invitation = NewInvitation {
        invitation: Invitation {
            id: InvitationId::random(),
            round: round.id.clone(),
            municipality: round.municipality.clone(),
            questionnaire: round.questionnaire.clone(),
            status: InvitationStatus::Open,
            expires_at,
        },
        number,
        link_hash: link.hash(hash_key),
        code_hash: code.hash(hash_key),
    };
    store.create_invitation(&invitation).await?;
    Ok(IssuedInvitation { link, code })
}
