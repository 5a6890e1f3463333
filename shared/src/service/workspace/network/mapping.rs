//! The mapping's multi-use link, and reading the mapping's answers.

use super::municipality_only;
use crate::domain::questionnaire::{Question, Questionnaire};
use crate::domain::*;
use crate::service::workspace::{Caller, Workspace, WorkspaceError, WorkspaceResult};
use crate::store::MappingLink;

/// Responses read per page when collecting a round's answers.
const PAGE: u32 = 200;

/// One municipality's answers to one question.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerGroup {
    pub municipality: MunicipalityId,
    /// The municipality's name (its id if it is not an organisation any more).
    pub name: String,
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionAnswers {
    pub question: Question,
    /// Per municipality, in the send's order; municipalities without an answer left out.
    pub groups: Vec<AnswerGroup>,
}

/// A mapping's answers grouped by question, then by municipality.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingAnswers {
    pub name: String,
    pub questionnaire: Questionnaire,
    pub responses: u64,
    pub questions: Vec<QuestionAnswers>,
}

impl Workspace {
    /// Makes the mapping round's multi-use link, replacing (and so revoking) one made
    /// before. The token is returned once, to show; only its hash is kept.
    pub async fn create_mapping_link(
        &self,
        caller: &Caller,
        round: &RoundId,
    ) -> WorkspaceResult<Credential> {
        let round = self.visible_round(caller, round).await?;
        municipality_only(caller)?;
        let Some(network) = round
            .sent_by
            .as_ref()
            .filter(|_| round.kind == RoundKind::Mapping)
        else {
            return Err(WorkspaceError::NotFound);
        };
        if round.status != RoundStatus::Open {
            return Err(WorkspaceError::Conflict(
                "Kartläggningen är stängd, så den kan inte få en ny länk.".to_owned(),
            ));
        }
        let answer_limit = self
            .store
            .sends(network)
            .await?
            .into_iter()
            .find(|send| send.rounds.iter().any(|(_, id)| id == &round.id))
            .map_or(super::send::DEFAULT_ANSWER_LIMIT, |send| send.answer_limit);
        let token = Credential::new_link();
        self.store
            .replace_mapping_link(&MappingLink {
                round: round.id.clone(),
                hash: token.hash(&self.hash_key),
                answer_limit,
                created_at: Self::now(),
            })
            .await?;
        let object = format!("kartläggningslänk, omgång {}", round.id);
        self.record(
            caller,
            AuditAction::InvitationsGenerated,
            object,
            AuditResult::Done,
        )
        .await?;
        Ok(token)
    }

    /// Every municipality's answers to a mapping the caller sent.
    pub async fn send_answers(
        &self,
        caller: &Caller,
        send: &RoundId,
    ) -> WorkspaceResult<MappingAnswers> {
        // A municipality has no sends: not found, like another network's.
        let send = self
            .store
            .send(&caller.organisation.id, send)
            .await?
            .filter(|send| send.kind == RoundKind::Mapping)
            .ok_or(WorkspaceError::NotFound)?;
        let mut rounds = Vec::with_capacity(send.rounds.len());
        for (_, round) in &send.rounds {
            rounds.push(self.visible_round(caller, round).await?);
        }
        self.answers_of(&send.name, &send.questionnaire, &rounds)
            .await
    }

    /// The calling municipality's own answers to a mapping sent to it.
    pub async fn own_mapping_answers(
        &self,
        caller: &Caller,
        round: &RoundId,
    ) -> WorkspaceResult<MappingAnswers> {
        let round = self.visible_round(caller, round).await?;
        if round.kind != RoundKind::Mapping || round.sent_by.is_none() {
            return Err(WorkspaceError::NotFound);
        }
        municipality_only(caller)?;
        self.answers_of(
            &round.name,
            &round.questionnaire,
            std::slice::from_ref(&round),
        )
        .await
    }

    /// The answers of mapping rounds only: whatever the caller, a patient round is never
    /// read here.
    async fn answers_of(
        &self,
        name: &str,
        questionnaire: &QuestionnaireRef,
        rounds: &[Round],
    ) -> WorkspaceResult<MappingAnswers> {
        let questionnaire = self
            .store
            .questionnaire(&questionnaire.id, questionnaire.version)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        let mut per_round = Vec::with_capacity(rounds.len());
        let mut total = 0;
        for round in rounds.iter().filter(|r| r.kind == RoundKind::Mapping) {
            let mut responses = Vec::new();
            let mut after = None;
            loop {
                let page = self
                    .store
                    .responses_page(&round.id, after.as_ref(), PAGE)
                    .await?;
                responses.extend(page.responses);
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            total += responses.len() as u64;
            let name = self
                .store
                .organisation(&round.municipality)
                .await?
                .map_or_else(|| round.municipality.to_string(), |o| o.name);
            per_round.push((round.municipality.clone(), name, responses));
        }
        let questions = questionnaire
            .sections
            .iter()
            .flat_map(|section| &section.questions)
            .map(|question| QuestionAnswers {
                question: question.clone(),
                groups: per_round
                    .iter()
                    .map(|(municipality, name, responses)| AnswerGroup {
                        municipality: municipality.clone(),
                        name: name.clone(),
                        answers: responses
                            .iter()
                            .filter_map(|r| r.answers.get(&question.id).cloned())
                            .collect(),
                    })
                    .filter(|group| !group.answers.is_empty())
                    .collect(),
            })
            .collect();
        Ok(MappingAnswers {
            name: name.to_owned(),
            questionnaire,
            responses: total,
            questions,
        })
    }
}
