//! Invitations in batches: generating them, downloading a batch's links and codes (CSV and
//! letters), reissuing a lost batch and reminding those who have not answered.
//!
//! Credentials are never stored. A batch gets a random [`BatchSecret`]; invitation `n`'s
//! link token and short code are derived from it (`secret.link(n)`, `secret.code(n, _)`),
//! and the store keeps only their keyed hashes and the secret's hash. The secret is handed
//! out once, in the page right after the batch is made, so the downloads can be made then
//! and never again; a lost file is replaced by [`Workspace::reissue`].

use std::collections::BTreeSet;

use time::{Duration, OffsetDateTime, PrimitiveDateTime, Time};

use super::{Caller, Workspace, WorkspaceError, WorkspaceResult};
use crate::domain::*;
use crate::store::{InvitationSummary, StoreError, StoredBatch};

mod values;

pub use values::{BatchSize, InvitationRow, PublicUrl, csv, csv_field, thousands};

/// The most invitations one batch may hold.
pub const MAX_BATCH: u32 = 20_000;
/// The most reminders one invitation gets.
pub const MAX_REMINDERS: u8 = 2;
/// How long after its round's last day an invitation still opens: letters arrive late and
/// are answered late, and a round's period is when it is sent out, not a hard deadline.
pub const VALID_AFTER_PERIOD: Duration = Duration::days(30);
/// How many fresh secrets are tried when a derived credential is already taken (about
/// never: codes have 50 bits) before giving up with a store error.
const SECRET_ATTEMPTS: usize = 3;
/// Invitations read per store call when walking a round's invitations.
const SUMMARY_PAGE: u32 = 1_000;

/// A batch just made: the only moment its secret exists outside the caller's downloads.
#[derive(Debug, Clone)]
pub struct MadeBatch {
    pub round: Round,
    pub batch: StoredBatch,
    pub secret: BatchSecret,
}

/// A round's invitations page: its batches and how many a reminder would reach.
#[derive(Debug, Clone)]
pub struct InvitationsOverview {
    pub round: Round,
    pub batches: Vec<StoredBatch>,
    pub counts: RoundCounts,
    /// Invitations still open with fewer than [`MAX_REMINDERS`] reminders.
    pub remindable: u64,
}

impl Workspace {
    /// The round's batches and reminder count, for its invitations page.
    pub async fn invitations_overview(
        &self,
        caller: &Caller,
        round: &RoundId,
    ) -> WorkspaceResult<InvitationsOverview> {
        let round = self.patient_round(caller, round).await?;
        let batches = self.store.batches(&round.id).await?;
        let counts = self.store.round_counts(&round.id).await?;
        let remindable = self.remindable(&round.id).await?.len() as u64;
        Ok(InvitationsOverview {
            round,
            batches,
            counts,
            remindable,
        })
    }

    /// Makes `size` new invitations in the caller's open or planned patient round.
    pub async fn generate(
        &self,
        caller: &Caller,
        round: &RoundId,
        size: BatchSize,
    ) -> WorkspaceResult<MadeBatch> {
        let round = self.patient_round(caller, round).await?;
        if round.status == RoundStatus::Closed {
            return Err(closed());
        }
        let first = self.store.reserve_numbers(&round.id, size.get()).await?;
        let numbers: Vec<u32> = (first..first.saturating_add(size.get())).collect();
        let made = self
            .store_batch(&round, BatchKind::First, numbers, Contents::New)
            .await?;
        self.record(
            caller,
            AuditAction::InvitationsGenerated,
            batch_object(&made.batch),
            AuditResult::Done,
        )
        .await?;
        Ok(made)
    }

    /// New credentials for every invitation of a batch whose file was lost; that batch's
    /// credentials stop working (those of other batches, e.g. a reminder, go on working).
    pub async fn reissue(
        &self,
        caller: &Caller,
        round: &RoundId,
        lost: &BatchId,
    ) -> WorkspaceResult<MadeBatch> {
        let round = self.patient_round(caller, round).await?;
        let lost = self
            .store
            .batch(&round.id, lost)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        if round.status == RoundStatus::Closed {
            return Err(closed());
        }
        let wanted: BTreeSet<u32> = lost.numbers.iter().copied().collect();
        let mut invitations = Vec::with_capacity(wanted.len());
        self.each_invitation(&round.id, |summary| {
            if wanted.contains(&summary.number) {
                invitations.push(summary.clone());
            }
        })
        .await?;
        let made = self
            .add_batch(&round, BatchKind::Reissue, Some(&lost.id), &invitations)
            .await?;
        self.record(
            caller,
            AuditAction::InvitationsReissued,
            format!("{} (ersätter {})", batch_object(&made.batch), lost.id),
            AuditResult::Done,
        )
        .await?;
        Ok(made)
    }

    /// Reminders for an open round: new credentials, added beside the old ones, for every
    /// invitation not yet answered that has had fewer than [`MAX_REMINDERS`]. Answered
    /// invitations get nothing, and nothing links a response to an invitation: the store
    /// only knows that an invitation was answered, not by which response.
    pub async fn remind(&self, caller: &Caller, round: &RoundId) -> WorkspaceResult<MadeBatch> {
        let round = self.patient_round(caller, round).await?;
        if round.status != RoundStatus::Open {
            return Err(WorkspaceError::Conflict(
                "Påminnelser kan bara skrivas ut medan omgången är öppen.".into(),
            ));
        }
        let invitations = self.remindable(&round.id).await?;
        if invitations.is_empty() {
            return Err(WorkspaceError::Conflict(format!(
                "Ingen inbjudan kan få en påminnelse: alla har svarat eller redan fått {MAX_REMINDERS} påminnelser."
            )));
        }
        let made = self
            .add_batch(&round, BatchKind::Reminder, None, &invitations)
            .await?;
        self.record(
            caller,
            AuditAction::RemindersMade,
            batch_object(&made.batch),
            AuditResult::Done,
        )
        .await?;
        Ok(made)
    }

    /// The batch just made, again, for a download brought back with a wrong form (e.g. a
    /// letter text too long): needs the secret like a download does.
    pub async fn made_batch(
        &self,
        caller: &Caller,
        round: &RoundId,
        batch: &BatchId,
        secret: &str,
    ) -> WorkspaceResult<MadeBatch> {
        let (round, batch, secret) = self.unlocked_batch(caller, round, batch, secret).await?;
        Ok(MadeBatch {
            round,
            batch,
            secret,
        })
    }

    /// Every row of a batch (the CSV download), or those at `positions` (0-based, for a
    /// part of the letters). The secret must be the batch's; otherwise `NotFound`, and the
    /// refusal is recorded.
    pub async fn download(
        &self,
        caller: &Caller,
        round: &RoundId,
        batch: &BatchId,
        secret: &str,
        base: &PublicUrl,
        part: Option<std::ops::Range<usize>>,
    ) -> WorkspaceResult<(MadeBatch, Vec<InvitationRow>)> {
        let (round, batch, secret) = self.unlocked_batch(caller, round, batch, secret).await?;
        let numbers = match &part {
            Some(range) => batch
                .numbers
                .get(range.clone())
                .ok_or_else(|| WorkspaceError::invalid("del", "Den delen finns inte i satsen."))?,
            None => &batch.numbers[..],
        };
        let rows = numbers
            .iter()
            .map(|&number| {
                let attempt = batch
                    .code_attempts
                    .iter()
                    .find(|(n, _)| *n == number)
                    .map_or(0, |(_, attempt)| *attempt);
                InvitationRow {
                    number,
                    link: base.link(&secret.link(number)),
                    code: secret.code(number, attempt).reveal(),
                }
            })
            .collect();
        let what = match part {
            Some(range) => format!("brev {}–{}", range.start + 1, range.end),
            None => "csv".to_owned(),
        };
        self.record(
            caller,
            AuditAction::InvitationsDownloaded,
            format!("{}: {what}", batch_object(&batch)),
            AuditResult::Done,
        )
        .await?;
        Ok((
            MadeBatch {
                round,
                batch,
                secret,
            },
            rows,
        ))
    }

    async fn unlocked_batch(
        &self,
        caller: &Caller,
        round: &RoundId,
        batch: &BatchId,
        secret: &str,
    ) -> WorkspaceResult<(Round, StoredBatch, BatchSecret)> {
        let round = self.patient_round(caller, round).await?;
        let batch = self
            .store
            .batch(&round.id, batch)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        match BatchSecret::parse(secret) {
            Some(secret) if secret.hash(&self.hash_key) == batch.secret_hash => {
                Ok((round, batch, secret))
            }
            _ => {
                self.record(
                    caller,
                    AuditAction::InvitationsDownloaded,
                    batch_object(&batch),
                    AuditResult::Refused("fel eller saknad nedladdningsnyckel".into()),
                )
                .await?;
                Err(WorkspaceError::NotFound)
            }
        }
    }

    /// A patient round the caller's municipality runs.
    async fn patient_round(&self, caller: &Caller, round: &RoundId) -> WorkspaceResult<Round> {
        let round = self.visible_round(caller, round).await?;
        if caller.organisation.kind != OrganisationKind::Municipality
            || round.kind != RoundKind::Patient
        {
            return Err(WorkspaceError::NotAllowed(
                "Inbjudningar och brev görs bara för en kommuns egna patientenkäter.".into(),
            ));
        }
        Ok(round)
    }

    async fn remindable(&self, round: &RoundId) -> WorkspaceResult<Vec<InvitationSummary>> {
        let mut found = Vec::new();
        self.each_invitation(round, |summary| {
            if summary.status == InvitationStatus::Open && summary.reminders < MAX_REMINDERS {
                found.push(summary.clone());
            }
        })
        .await?;
        Ok(found)
    }

    async fn each_invitation(
        &self,
        round: &RoundId,
        mut visit: impl FnMut(&InvitationSummary),
    ) -> WorkspaceResult<()> {
        let mut after = 0;
        loop {
            let page = self
                .store
                .invitation_summaries(round, after, SUMMARY_PAGE)
                .await?;
            page.iter().for_each(&mut visit);
            match page.last() {
                Some(last) if page.len() == SUMMARY_PAGE as usize => after = last.number,
                _ => return Ok(()),
            }
        }
    }

    /// A reissue or reminder batch: new credentials for existing invitations.
    async fn add_batch(
        &self,
        round: &Round,
        kind: BatchKind,
        replaces: Option<&BatchId>,
        invitations: &[InvitationSummary],
    ) -> WorkspaceResult<MadeBatch> {
        let numbers = invitations.iter().map(|summary| summary.number).collect();
        let contents = Contents::Added {
            replaces,
            invitations,
        };
        self.store_batch(round, kind, numbers, contents).await
    }

    /// Stores a batch with a new secret; when a derived credential is already taken,
    /// removes what was written and tries again with another secret. (A new secret rather
    /// than another attempt per code keeps every code at attempt 0, so `code_attempts`
    /// stays empty; the store keeps it for a store that retries per code.)
    async fn store_batch(
        &self,
        round: &Round,
        kind: BatchKind,
        numbers: Vec<u32>,
        contents: Contents<'_>,
    ) -> WorkspaceResult<MadeBatch> {
        let mut last_error = StoreError::DuplicateCredential;
        for _ in 0..SECRET_ATTEMPTS {
            let secret = BatchSecret::generate();
            let batch = StoredBatch {
                id: BatchId::random(),
                round: round.id.clone(),
                kind,
                numbers: numbers.clone(),
                secret_hash: secret.hash(&self.hash_key),
                code_attempts: Vec::new(),
                created_at: Self::now(),
            };
            let outcome = match contents {
                Contents::New => {
                    let invitations = self.new_invitations(round, &batch, &secret);
                    self.store.create_batch(&batch, &invitations).await
                }
                Contents::Added {
                    replaces,
                    invitations,
                } => {
                    let credentials: Vec<_> = invitations
                        .iter()
                        .map(|summary| {
                            (
                                summary.id.clone(),
                                secret.link(summary.number).hash(&self.hash_key),
                                secret.code(summary.number, 0).hash(&self.hash_key),
                            )
                        })
                        .collect();
                    self.store
                        .add_credentials(&batch, replaces, &credentials)
                        .await
                }
            };
            let Err(error) = outcome else {
                return Ok(MadeBatch {
                    round: round.clone(),
                    batch,
                    secret,
                });
            };
            if let Err(cleanup) = self.store.delete_batch(&round.id, &batch.id).await {
                tracing::error!(
                    error = %crate::telemetry::error_chain(&cleanup),
                    batch = %batch.id,
                    "a failed batch could not be removed"
                );
            }
            match error {
                StoreError::DuplicateCredential => last_error = error,
                other => return Err(other.into()),
            }
        }
        Err(last_error.into())
    }

    fn new_invitations(
        &self,
        round: &Round,
        batch: &StoredBatch,
        secret: &BatchSecret,
    ) -> Vec<NewInvitation> {
        let expires_at = expiry(round);
        batch
            .numbers
            .iter()
            .map(|&number| NewInvitation {
                invitation: Invitation {
                    id: InvitationId::random(),
                    round: round.id.clone(),
                    municipality: round.municipality.clone(),
                    questionnaire: round.questionnaire.clone(),
                    status: InvitationStatus::Open,
                    expires_at,
                },
                number,
                link_hash: secret.link(number).hash(&self.hash_key),
                code_hash: secret.code(number, 0).hash(&self.hash_key),
            })
            .collect()
    }
}

/// What a batch adds: new invitations, or credentials for existing ones.
#[derive(Clone, Copy)]
enum Contents<'a> {
    New,
    Added {
        replaces: Option<&'a BatchId>,
        invitations: &'a [InvitationSummary],
    },
}

/// The end of the 30th day after the round's last day (UTC).
pub fn expiry(round: &Round) -> OffsetDateTime {
    PrimitiveDateTime::new(round.period.end(), Time::MIDNIGHT).assume_utc()
        + VALID_AFTER_PERIOD
        + Duration::days(1)
}

fn closed() -> WorkspaceError {
    WorkspaceError::Conflict(
        "Omgången är stängd. Öppna en ny omgång för att skicka fler inbjudningar.".into(),
    )
}

/// How a batch is named in the audit trail: its id, kind and size, never a credential.
/// The kind in the trail's words, as the invitations page names it (entries written
/// before 2026-12-05 have the stored code: first, reissue, reminder).
fn batch_object(batch: &StoredBatch) -> String {
    let kind = match batch.kind {
        BatchKind::First => "inbjudan",
        BatchKind::Reissue => "ersättning",
        BatchKind::Reminder => "påminnelse",
    };
    format!(
        "omgång {}, sats {} ({kind}, {} st)",
        batch.round,
        batch.id,
        batch.numbers.len()
    )
}
