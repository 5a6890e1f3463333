//! Reading the audit trail: each organisation its own, newest first, a page at a time
//! or whole (for the CSV). Writing is [`Workspace::record`].

use super::{Caller, Workspace, WorkspaceResult};
use crate::domain::AuditEntry;
use crate::store::{AuditCursor, AuditPage};

/// Lines per page of the audit page.
pub const AUDIT_PAGE_SIZE: u32 = 50;
/// Lines read per store call when the whole trail is read (the CSV).
const AUDIT_BATCH: u32 = 500;

impl Workspace {
    /// One page of the caller's organisation's trail, newest first, after `after` (the
    /// `next` of the previous page; an unknown or foreign cursor starts over, it never
    /// reaches another organisation's trail, which the store keeps apart).
    pub async fn audit_page(
        &self,
        caller: &Caller,
        after: Option<&str>,
    ) -> WorkspaceResult<AuditPage> {
        let cursor = after
            .map(str::trim)
            .filter(|after| !after.is_empty())
            .map(|after| AuditCursor(after.to_owned()));
        Ok(self
            .store
            .audit_trail(&caller.organisation.id, cursor.as_ref(), AUDIT_PAGE_SIZE)
            .await?)
    }

    /// The caller's organisation's whole trail, newest first.
    pub async fn audit_all(&self, caller: &Caller) -> WorkspaceResult<Vec<AuditEntry>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .audit_trail(&caller.organisation.id, after.as_ref(), AUDIT_BATCH)
                .await?;
            all.extend(page.entries);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }
}
