//! Export jobs. PLACEHOLDER: being implemented (issue #15); never lands as is.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::domain::*;
use crate::store::dynamo::DynamoStore;
use crate::store::*;

#[async_trait]
impl ExportJobStore for DynamoStore {
    async fn create_export_job(
        &self,
        _job: &ExportJob,
        _stalled_before: OffsetDateTime,
    ) -> StoreResult<CreatedExport> {
        todo!()
    }
    async fn export_job(
        &self,
        _organisation: &OrganisationId,
        _id: &ExportJobId,
    ) -> StoreResult<Option<ExportJob>> {
        todo!()
    }
    async fn export_jobs(&self, _organisation: &OrganisationId) -> StoreResult<Vec<ExportJob>> {
        todo!()
    }
    async fn claim_export_job(
        &self,
        _organisation: &OrganisationId,
        _id: &ExportJobId,
        _now: OffsetDateTime,
        _stalled_before: OffsetDateTime,
    ) -> StoreResult<bool> {
        todo!()
    }
    async fn record_export_progress(
        &self,
        _organisation: &OrganisationId,
        _id: &ExportJobId,
        _rows_done: u64,
        _now: OffsetDateTime,
    ) -> StoreResult<bool> {
        todo!()
    }
    async fn finish_export_job(
        &self,
        _organisation: &OrganisationId,
        _id: &ExportJobId,
        _state: &ExportState,
        _now: OffsetDateTime,
    ) -> StoreResult<bool> {
        todo!()
    }
    async fn remove_expired_export_jobs(
        &self,
        _now: OffsetDateTime,
    ) -> StoreResult<Vec<ExportJob>> {
        todo!()
    }
}
