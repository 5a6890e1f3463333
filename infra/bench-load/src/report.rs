//! The figures of a run, printed as Markdown tables ready for BENCHMARKS.md.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::load::PhaseResult;
use crate::sqlite_rate::{CommitRate, Wal};

/// One phase against one server, with what `/proc` said about the server around it.
pub struct PhaseFigures {
    pub server: &'static str,
    pub label: String,
    pub clients: usize,
    pub result: PhaseResult,
    /// Server CPU (user + system) spent during the phase.
    pub server_cpu: Duration,
    /// The benchmark's own CPU during the phase: it shares the two cores.
    pub client_cpu: Duration,
    pub rss_after_kib: u64,
}

impl PhaseFigures {
    fn cpu_ms_per_response(&self, cpu: Duration) -> f64 {
        cpu.as_secs_f64() * 1000.0 / self.result.completed.max(1) as f64
    }
}

/// Resident memory of a server at the moments the run looked.
pub struct MemoryFigures {
    pub server: &'static str,
    pub idle_kib: u64,
    pub after_burst_kib: u64,
    pub after_rest_kib: u64,
    pub rest: Duration,
}

pub struct Report {
    pub raw: Vec<CommitRate>,
    pub invitations: usize,
    pub issue_time: Duration,
    pub phases: Vec<PhaseFigures>,
    pub memory: Vec<MemoryFigures>,
    pub acknowledged: u64,
    pub stored: u64,
    /// Pages posted per response: each is one commit (a saved draft, or the submission).
    pub commits_per_response: u32,
}

fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn quantiles(histogram: &Histogram<u64>) -> String {
    format!(
        "{} / {} / {} / {}",
        ms(histogram.value_at_quantile(0.5)),
        ms(histogram.value_at_quantile(0.9)),
        ms(histogram.value_at_quantile(0.99)),
        ms(histogram.max())
    )
}

impl Report {
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "### Raw SQLite commits on this disk (WAL, synchronous = FULL)\n"
        )?;
        writeln!(
            out,
            "| when | rows per commit | WAL file | commits/s | rows/s |"
        )?;
        writeln!(out, "|---|---|---|---|---|")?;
        for rate in &self.raw {
            let wal = match rate.wal {
                Wal::Growing => "new, growing",
                Wal::Reused => "reused after a checkpoint",
            };
            writeln!(
                out,
                "| {} load | {} | {wal} | {:.0} | {:.0} |",
                rate.when,
                rate.rows_per_commit,
                rate.commits_per_second(),
                rate.rows_per_second()
            )?;
        }
        writeln!(
            out,
            "\n{} invitations issued through the library in {:.2} s.\n",
            self.invitations,
            self.issue_time.as_secs_f64()
        )?;

        writeln!(out, "### Complete responses\n")?;
        writeln!(
            out,
            "| server | phase | clients | completed | errors | responses/s | requests/response | page p50 / p90 / p99 / max (ms) | server CPU ms/response | bench CPU ms/response | server RSS after |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|")?;
        for phase in &self.phases {
            let r = &phase.result;
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.0} | {:.1} | {} | {:.2} | {:.2} | {} |",
                phase.server,
                phase.label,
                phase.clients,
                r.completed,
                r.error_count(),
                r.per_second(),
                r.requests as f64 / r.completed.max(1) as f64,
                quantiles(&r.timings.all()),
                phase.cpu_ms_per_response(phase.server_cpu),
                phase.cpu_ms_per_response(phase.client_cpu),
                mib(phase.rss_after_kib)
            )?;
        }

        writeln!(out, "\n### GET and POST apart\n")?;
        writeln!(
            out,
            "| server | phase | clients | GET p50 / p90 / p99 / max (ms) | POST p50 / p90 / p99 / max (ms) |"
        )?;
        writeln!(out, "|---|---|---|---|---|")?;
        for phase in &self.phases {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                phase.server,
                phase.label,
                phase.clients,
                quantiles(&phase.result.timings.get),
                quantiles(&phase.result.timings.post)
            )?;
        }

        writeln!(out, "\n### Resident memory (VmRSS)\n")?;
        writeln!(
            out,
            "| server | idle, after start | right after the burst | after the burst's connections closed and a rest |"
        )?;
        writeln!(out, "|---|---|---|---|")?;
        for memory in &self.memory {
            writeln!(
                out,
                "| {} | {} | {} | {} ({:.0} s) |",
                memory.server,
                mib(memory.idle_kib),
                mib(memory.after_burst_kib),
                mib(memory.after_rest_kib),
                memory.rest.as_secs_f64()
            )?;
        }

        let errors: Vec<String> = self
            .phases
            .iter()
            .flat_map(|p| {
                p.result
                    .errors
                    .iter()
                    .map(move |(kind, n)| format!("{} {}: {n} x {kind}", p.server, p.label))
            })
            .collect();
        writeln!(out, "\n### Errors and durability\n")?;
        if errors.is_empty() {
            writeln!(out, "No errors.")?;
        } else {
            for error in errors {
                writeln!(out, "- {error}")?;
            }
        }
        let not_started: u64 = self.phases.iter().map(|p| p.result.not_started).sum();
        if not_started > 0 {
            writeln!(
                out,
                "\n{not_started} links not started: a time limit was reached."
            )?;
        }
        writeln!(
            out,
            "\nResponses the survey server acknowledged (thank-you page shown): {}; responses in its database, read after the server was killed (SIGKILL): {}.",
            self.acknowledged, self.stored
        )?;
        writeln!(
            out,
            "\nEach response posts {} pages, each one store commit (saved draft or submission): responses/s x {} = the store's commits/s, to set against the raw rate above.",
            self.commits_per_response, self.commits_per_response
        )?;
        Ok(())
    }
}
