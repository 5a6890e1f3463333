//! The export row a Send stores with its response (`store::ExportRow`), made only for a
//! store that keeps them: the embedded one. The Lambda functions are built without it
//! (svar-shared's `embedded` feature), so they carry none of this code.

#[cfg(feature = "embedded")]
use std::collections::HashMap;
#[cfg(feature = "embedded")]
use std::sync::{Arc, RwLock};

#[cfg(feature = "embedded")]
use crate::domain::QuestionnaireRef;
use crate::domain::Response;
use crate::domain::questionnaire::Questionnaire;
#[cfg(feature = "embedded")]
use crate::export::RowEncoder;
use crate::store::ExportRow;

/// Makes export rows, with each questionnaire version's encoder kept as the version is:
/// making one costs six times the row it makes (BENCHMARKS.md, "Export rows stored at
/// Send").
#[derive(Default)]
pub(super) struct ExportRows {
    /// `None` for a version an export cannot lay out.
    #[cfg(feature = "embedded")]
    encoders: RwLock<HashMap<QuestionnaireRef, Option<Arc<RowEncoder>>>>,
}

impl ExportRows {
    /// The export row to store with `response` ([`RowEncoder::encode`]); `None` leaves
    /// the response to be exported from its JSON, and never stops it being stored.
    #[cfg(feature = "embedded")]
    pub fn make(&self, questionnaire: &Questionnaire, response: &Response) -> Option<ExportRow> {
        let reference = QuestionnaireRef {
            id: questionnaire.id.clone(),
            version: questionnaire.version,
        };
        let cached = self
            .encoders
            .read()
            .ok()
            .and_then(|cache| cache.get(&reference).cloned());
        let encoder = match cached {
            Some(encoder) => encoder,
            None => {
                let made = match RowEncoder::new(questionnaire) {
                    Ok(encoder) => Some(Arc::new(encoder)),
                    Err(error) => {
                        tracing::warn!(
                            questionnaire = %reference.id,
                            version = reference.version,
                            %error,
                            "no export rows: the questionnaire cannot be laid out"
                        );
                        None
                    }
                };
                if let Ok(mut cache) = self.encoders.write() {
                    cache.insert(reference, made.clone());
                }
                made
            }
        };
        encoder?.encode(response)
    }

    /// Without the embedded store no store keeps export rows.
    #[cfg(not(feature = "embedded"))]
    pub fn make(&self, _questionnaire: &Questionnaire, _response: &Response) -> Option<ExportRow> {
        None
    }
}
