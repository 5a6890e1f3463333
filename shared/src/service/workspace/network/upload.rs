//! Questionnaires uploaded by a network, and the questionnaires an organisation may
//! choose: the built-in ones and those its network uploaded.

use super::network_only;
use crate::domain::questionnaire::{Questionnaire, builtin, parse_definition};
use crate::domain::*;
use crate::service::workspace::{Caller, Workspace, WorkspaceError, WorkspaceResult};
use crate::store::{StoreError, UploadedQuestionnaire};

/// The largest file taken: the built-in questionnaires are a few kilobytes.
const MAX_DEFINITION_BYTES: usize = 200_000;

/// A questionnaire to choose in a form: the network's sends and a municipality's
/// patient rounds both list these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionnaireChoice {
    pub questionnaire: QuestionnaireRef,
    pub title: String,
    /// Uploaded by the network (not built in).
    pub uploaded: bool,
}

impl QuestionnaireChoice {
    /// The form value: `<id>:<version>`.
    pub fn value(&self) -> String {
        format!("{}:{}", self.questionnaire.id, self.questionnaire.version)
    }
}

impl Workspace {
    /// Checks a questionnaire file with the loader, publishes it and lists it for the
    /// network's sends and its municipalities' patient rounds. The loader's problems come
    /// back as [`WorkspaceError::Invalid`] on `definition`, one per line.
    pub async fn upload_questionnaire(
        &self,
        caller: &Caller,
        source: &str,
    ) -> WorkspaceResult<Questionnaire> {
        network_only(caller)?;
        if source.len() > MAX_DEFINITION_BYTES {
            return Err(WorkspaceError::invalid(
                "definition",
                "Filen är för stor för en enkät (högst 200 kB).",
            ));
        }
        if source.trim().is_empty() {
            return Err(WorkspaceError::invalid(
                "definition",
                "Klistra in enkätfilens innehåll (TOML).",
            ));
        }
        let questionnaire = parse_definition("enkät", source)
            .map_err(|error| WorkspaceError::invalid("definition", error.to_string()))?;
        let built_in = builtin().unwrap_or_default();
        if built_in.iter().any(|q| q.id == questionnaire.id) {
            return Err(WorkspaceError::invalid(
                "definition",
                format!(
                    "Id \"{}\" är en inbyggd enkät. Ge den uppladdade enkäten ett eget id.",
                    questionnaire.id
                ),
            ));
        }
        match self.store.publish_questionnaire(&questionnaire).await {
            Ok(()) => {}
            Err(StoreError::PublishedVersionChanged { id, version }) => {
                return Err(WorkspaceError::invalid(
                    "definition",
                    format!(
                        "Version {version} av \"{id}\" finns redan med annat innehåll. Höj versionsnumret (version) i filen."
                    ),
                ));
            }
            Err(other) => return Err(other.into()),
        }
        let upload = UploadedQuestionnaire {
            network: caller.organisation.id.clone(),
            questionnaire: QuestionnaireRef {
                id: questionnaire.id.clone(),
                version: questionnaire.version,
            },
            title: questionnaire.title.sv().to_owned(),
            uploaded_at: Self::now(),
        };
        self.store.add_uploaded_questionnaire(&upload).await?;
        let object = format!(
            "enkät {} version {}",
            questionnaire.id, questionnaire.version
        );
        self.record(
            caller,
            AuditAction::QuestionnaireUploaded,
            object,
            AuditResult::Done,
        )
        .await?;
        Ok(questionnaire)
    }

    /// The questionnaires the caller may choose: the built-in ones, then those uploaded
    /// by its network (the caller's own for a network), newest first. For the network's
    /// sends and for a municipality's patient rounds.
    pub async fn questionnaire_choices(
        &self,
        caller: &Caller,
    ) -> WorkspaceResult<Vec<QuestionnaireChoice>> {
        let mut choices: Vec<QuestionnaireChoice> = builtin()
            .unwrap_or_default()
            .into_iter()
            .map(|q| QuestionnaireChoice {
                questionnaire: QuestionnaireRef {
                    id: q.id.clone(),
                    version: q.version,
                },
                title: q.title.sv().to_owned(),
                uploaded: false,
            })
            .collect();
        let network = match caller.organisation.kind {
            OrganisationKind::Network => Some(&caller.organisation.id),
            OrganisationKind::Municipality => caller.organisation.network.as_ref(),
        };
        if let Some(network) = network {
            for upload in self.store.uploaded_questionnaires(network).await? {
                choices.push(QuestionnaireChoice {
                    questionnaire: upload.questionnaire,
                    title: upload.title,
                    uploaded: true,
                });
            }
        }
        Ok(choices)
    }
}
