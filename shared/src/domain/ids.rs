//! Ids of rounds, invitations and responses: random UUIDs that say nothing about who or when.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4())
            }

            pub fn parse(value: &str) -> Option<Self> {
                uuid::Uuid::parse_str(value).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A survey round: one questionnaire version sent out by one municipality.
    RoundId
);
uuid_id!(
    /// An invitation: one single-use link and short code. Never stored with a response.
    InvitationId
);
uuid_id!(
    /// A response's own random id; it says nothing about who answered or when.
    ResponseId
);
uuid_id!(
    /// A batch of invitation credentials: first letters, a reissue or a reminder.
    BatchId
);
uuid_id!(
    /// An export job: one request for an anonymised dataset, and the files it made.
    ExportJobId
);
