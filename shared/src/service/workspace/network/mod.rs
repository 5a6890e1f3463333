//! The network's mapping and report rounds, end to end.
//!
//! A network (e.g. Göteborgsregionen) sends a questionnaire to chosen member
//! municipalities: one [`Round`] per municipality (`sent_by` the network) and one
//! [`NetworkSend`] that groups them. A **mapping** round is answered by the municipality's
//! staff through one multi-use link (made in the municipality's workspace, see
//! [`Workspace::create_mapping_link`]); a **report** round is filled in inside the
//! workspace by the municipality ([`report`]).
//!
//! Who sees what: a network its sends, their status and the mapping answers; a
//! municipality the rounds sent to it and its own answers. A network never reads patient
//! rounds (they are not sent by it, so [`Workspace::visible_round`] refuses them).
//!
//! - `send`: sending, the sends and their status per municipality, reminding.
//! - `mapping`: the multi-use link and the mapping answers.
//! - `report`: the report, saved, sent and reopened.
//! - `upload`: questionnaires uploaded by the network, and the choice of questionnaires.

mod mapping;
mod report;
mod send;
mod upload;

pub use mapping::{AnswerGroup, MappingAnswers, QuestionAnswers};
pub use report::{ReportSending, ReportView};
pub use send::{
    DEFAULT_ANSWER_LIMIT, MAX_ANSWER_LIMIT, MunicipalityProgress, Progress, SendChoices, SendForm,
    SendOverview, SentRound,
};
pub use upload::QuestionnaireChoice;

use super::{Caller, WorkspaceError, WorkspaceResult};
use crate::domain::*;

/// A network's own use case: a municipality is refused with this.
fn network_only(caller: &Caller) -> WorkspaceResult<()> {
    match caller.organisation.kind {
        OrganisationKind::Network => Ok(()),
        OrganisationKind::Municipality => Err(WorkspaceError::NotAllowed(
            "Det här kan bara nätverket göra.".to_owned(),
        )),
    }
}

/// A municipality's own use case: a network is refused with this.
fn municipality_only(caller: &Caller) -> WorkspaceResult<()> {
    match caller.organisation.kind {
        OrganisationKind::Municipality => Ok(()),
        OrganisationKind::Network => Err(WorkspaceError::NotAllowed(
            "Det här gör kommunen själv.".to_owned(),
        )),
    }
}

// These tests run on the embedded store.
#[cfg(all(test, feature = "embedded"))]
mod tests;
