//! A phase of load: C simulated respondents at once, each taking the next unused link
//! when it is done with one, until every link is answered or the time limit is reached.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use svar_shared::domain::questionnaire::Questionnaire;

use crate::respondent::{HttpClient, Timings, Walk, Walker};

/// What a phase asks for.
pub struct Phase {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// One start path per respondent (`/s/TOKEN`), each walked once.
    pub links: Vec<String>,
    pub concurrency: usize,
    /// A bound on the phase, so a server that stops answering cannot hold the run.
    pub time_limit: Duration,
}

/// What a phase measured.
#[derive(Debug, Clone)]
pub struct PhaseResult {
    /// Respondents who reached the page after Send.
    pub completed: u64,
    pub requests: u64,
    /// Walks that ended in an error, by kind.
    pub errors: BTreeMap<String, u64>,
    /// Links not started because the time limit was reached.
    pub not_started: u64,
    pub elapsed: Duration,
    pub timings: Timings,
    /// The shape of the last completed walk (pages, requests, how Send was answered).
    pub shape: Option<Walk>,
}

impl PhaseResult {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Completed responses per second of the phase's wall-clock time.
    pub fn per_second(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs a phase: `concurrency` tasks share the links and one keep-alive client.
pub async fn run_phase(
    client: &HttpClient,
    questionnaire: &Arc<Questionnaire>,
    phase: Phase,
) -> PhaseResult {
    let links = Arc::new(phase.links);
    let next = Arc::new(AtomicUsize::new(0));
    let base: Arc<str> = phase.base.into();
    let started = Instant::now();
    let deadline = started + phase.time_limit;
    let mut workers = Vec::with_capacity(phase.concurrency);
    for _ in 0..phase.concurrency {
        let (client, questionnaire) = (client.clone(), Arc::clone(questionnaire));
        let (links, next, base) = (Arc::clone(&links), Arc::clone(&next), Arc::clone(&base));
        workers.push(tokio::spawn(async move {
            let walker = Walker {
                client: &client,
                base: &base,
                questionnaire: &questionnaire,
            };
            let mut result = empty_result();
            while Instant::now() < deadline {
                let Some(link) = links.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                match walker.walk(link, &mut result.timings).await {
                    Ok(walk) => {
                        result.completed += 1;
                        result.requests += u64::from(walk.requests);
                        result.shape = Some(walk);
                    }
                    Err(error) => *result.errors.entry(error.kind()).or_default() += 1,
                }
            }
            result
        }));
    }
    let mut total = empty_result();
    for worker in workers {
        match worker.await {
            Ok(part) => {
                total.completed += part.completed;
                total.requests += part.requests;
                for (kind, count) in part.errors {
                    *total.errors.entry(kind).or_default() += count;
                }
                total.timings.merge(&part.timings);
                total.shape = total.shape.or(part.shape);
            }
            Err(join_error) => {
                *total
                    .errors
                    .entry(format!("simulated respondent failed: {join_error}"))
                    .or_default() += 1
            }
        }
    }
    total.elapsed = started.elapsed();
    total.not_started = links
        .len()
        .saturating_sub(next.load(Ordering::Relaxed).min(links.len()))
        as u64;
    total
}

fn empty_result() -> PhaseResult {
    PhaseResult {
        completed: 0,
        requests: 0,
        errors: BTreeMap::new(),
        not_started: 0,
        elapsed: Duration::ZERO,
        timings: Timings::new(),
        shape: None,
    }
}
