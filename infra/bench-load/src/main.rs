//! `bench-load`: the load benchmark. Run it through `infra/bench-load.sh`, which builds
//! the release binaries and passes their paths.
//!
//! The run, in order: the disk's raw SQLite commit rate; a data folder prepared with the
//! library and every invitation issued; `svar-local` and `hello` started beside each
//! other; a warm-up that also finds the survey's shape (pages, how Send is answered) so
//! the hello-world plays the same requests; 1 client, then 8, against each server
//! (interleaved); a burst of simultaneous respondents against each; memory after a rest;
//! the survey server killed and its database counted.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use svar_bench_load::load::{Phase, PhaseResult, run_phase};
use svar_bench_load::report::{MemoryFigures, PhaseFigures, Report};
use svar_bench_load::respondent::{HttpClient, http_client};
use svar_bench_load::server::{ServerProcess, cpu_time};
use svar_bench_load::setup;
use svar_bench_load::sqlite_rate::{self, CommitRate, Wal};
use svar_shared::domain::questionnaire::Questionnaire;

const USAGE: &str = "usage: bench-load --server PATH --hello PATH [--work-dir DIR] [--warmup N] \
[--one N] [--eight N] [--burst N] [--raw-seconds S] [--rest-seconds S] [--perf-record FILE] [--keep]";

/// A bound on each phase, so a server that stops answering cannot hold the run.
const PHASE_TIME_LIMIT: Duration = Duration::from_secs(120);

struct Options {
    server: PathBuf,
    hello: PathBuf,
    /// Where the data folder is made (the disk whose fsyncs are measured).
    work_dir: PathBuf,
    warmup: usize,
    /// Respondents at 1 client and at 8 clients.
    one: usize,
    eight: usize,
    /// Simultaneous respondents in the burst.
    burst: usize,
    raw_seconds: f64,
    rest_seconds: f64,
    /// Record the survey server with `perf record -g` during its 8-client phase.
    perf_record: Option<PathBuf>,
    /// Keep the data folder (database and server logs) after the run.
    keep: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Options {
            server: PathBuf::new(),
            hello: PathBuf::new(),
            work_dir: std::env::temp_dir(),
            warmup: 20,
            one: 300,
            eight: 3000,
            burst: 1000,
            raw_seconds: 2.0,
            rest_seconds: 5.0,
            perf_record: None,
            keep: false,
        };
        while let Some(arg) = args.next() {
            if arg == "--keep" {
                options.keep = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
            let number = |v: &str| {
                v.parse::<usize>()
                    .map_err(|_| format!("{arg}: not a count"))
            };
            let seconds = |v: &str| v.parse::<f64>().map_err(|_| format!("{arg}: not seconds"));
            match arg.as_str() {
                "--server" => options.server = value.into(),
                "--hello" => options.hello = value.into(),
                "--work-dir" => options.work_dir = value.into(),
                "--warmup" => options.warmup = number(&value)?.max(1),
                "--one" => options.one = number(&value)?,
                "--eight" => options.eight = number(&value)?,
                "--burst" => options.burst = number(&value)?,
                "--raw-seconds" => options.raw_seconds = seconds(&value)?,
                "--rest-seconds" => options.rest_seconds = seconds(&value)?,
                "--perf-record" => options.perf_record = Some(value.into()),
                other => return Err(format!("unknown option {other}\n{USAGE}")),
            }
        }
        if options.server.as_os_str().is_empty() || options.hello.as_os_str().is_empty() {
            return Err(USAGE.into());
        }
        Ok(options)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-load: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    let options = Options::parse(std::env::args().skip(1))?;
    let data = tempfile::Builder::new()
        .prefix("svar-bench-load-")
        .tempdir_in(&options.work_dir)?;
    let dir = data.path().to_owned();
    eprintln!("== data folder {}", dir.display());

    eprintln!("== raw SQLite commits, {} s each", options.raw_seconds);
    let raw_time = Duration::from_secs_f64(options.raw_seconds);
    let mut raw = raw_commit_rates(&dir, raw_time, "before").await?;

    let invitations = options.warmup + options.one + options.eight + options.burst;
    eprintln!("== issuing {invitations} invitations");
    let prepared = setup::prepare(&dir, invitations).await?;
    let questionnaire = Arc::clone(&prepared.questionnaire);
    let mut links = prepared.links.into_iter();
    let mut take = |n: usize| links.by_ref().take(n).collect::<Vec<_>>();

    let client = http_client();
    let mut survey = ServerProcess::spawn(
        "svar-local",
        &options.server,
        &[("SVAR_DATA_DIR", dir.as_path())],
        &dir.join("svar-local.log"),
    )?;
    let mut hello = ServerProcess::spawn("hello", &options.hello, &[], &dir.join("hello.log"))?;
    survey.wait_ready(&client, Duration::from_secs(30)).await?;
    hello.wait_ready(&client, Duration::from_secs(30)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = [survey.rss_kib()?, hello.rss_kib()?];
    eprintln!(
        "== servers ready (svar-local pid {}, hello pid {})",
        survey.pid(),
        hello.pid()
    );

    let run = Runner {
        client: &client,
        questionnaire: &questionnaire,
    };
    let warm = run.phase(&survey, take(options.warmup), 1).await;
    let shape = warm.shape.ok_or_else(|| {
        format!(
            "no warm-up respondent reached the end; errors: {:?}",
            warm.errors
        )
    })?;
    let after_send = if shape.send_redirected {
        "redirect"
    } else {
        "page"
    };
    let hello_link = format!("/s/{}/{after_send}", shape.pages);
    eprintln!(
        "== warm-up: {} of {} completed; a response is {} pages, {} requests, Send answered by {after_send}",
        warm.completed, options.warmup, shape.pages, shape.requests
    );
    run.phase(&hello, vec![hello_link.clone(); options.warmup], 1)
        .await;

    let mut acknowledged = warm.completed;
    let mut phases = Vec::new();
    for (clients, count) in [(1, options.one), (8, options.eight)] {
        let label = format!("{clients} client{}", if clients == 1 { "" } else { "s" });
        let perf = options.perf_record.as_deref().filter(|_| clients == 8);
        let measured = run
            .measured(&survey, &label, take(count), clients, perf)
            .await?;
        acknowledged += measured.result.completed;
        phases.push(measured);
        let hello_links = vec![hello_link.clone(); count];
        phases.push(
            run.measured(&hello, &label, hello_links, clients, None)
                .await?,
        );
    }

    // The burst has a client of its own, dropped after it: its pool would otherwise keep
    // all the burst's connections open through the rest, and the servers' memory with them.
    let burst_client = http_client();
    let burst_run = Runner {
        client: &burst_client,
        questionnaire: &questionnaire,
    };
    let burst = options.burst;
    let label = format!("burst of {burst}");
    let measured = burst_run
        .measured(&survey, &label, take(burst), burst, None)
        .await?;
    acknowledged += measured.result.completed;
    phases.push(measured);
    let survey_after_burst = survey.rss_kib()?;
    let hello_links = vec![hello_link.clone(); burst];
    phases.push(
        burst_run
            .measured(&hello, &label, hello_links, burst, None)
            .await?,
    );
    let hello_after_burst = hello.rss_kib()?;
    drop(burst_client);
    let rest = Duration::from_secs_f64(options.rest_seconds);
    tokio::time::sleep(rest).await;
    let memory = vec![
        MemoryFigures {
            server: survey.name,
            idle_kib: idle[0],
            after_burst_kib: survey_after_burst,
            after_rest_kib: survey.rss_kib()?,
            rest,
        },
        MemoryFigures {
            server: hello.name,
            idle_kib: idle[1],
            after_burst_kib: hello_after_burst,
            after_rest_kib: hello.rss_kib()?,
            rest,
        },
    ];
    survey.kill()?;
    drop(hello);
    let stored = setup::stored_responses(&dir, &prepared.round).await?;
    eprintln!("== raw SQLite commits again");
    raw.extend(raw_commit_rates(&dir, raw_time, "after").await?);

    let report = Report {
        raw,
        invitations,
        issue_time: prepared.issue_time,
        phases,
        memory,
        acknowledged,
        stored,
        commits_per_response: shape.pages,
    };
    println!("{}", report.to_markdown());
    if options.keep {
        eprintln!("== kept {}", data.keep().display());
    }
    Ok(())
}

/// The disk's raw commit rates, measured in `dir`; `when` says where in the run. The
/// rate on this shared machine moves with the other work on its disk, so the run takes
/// it before and after the load.
async fn raw_commit_rates(
    dir: &Path,
    time: Duration,
    when: &'static str,
) -> Result<Vec<CommitRate>, Box<dyn Error>> {
    let dir = dir.to_owned();
    let rates = tokio::task::spawn_blocking(move || {
        [(1, Wal::Growing), (1, Wal::Reused), (100, Wal::Reused)]
            .map(|(rows, wal)| sqlite_rate::measure(&dir, rows, wal, time, when))
    })
    .await?;
    Ok(rates.into_iter().collect::<Result<Vec<_>, _>>()?)
}

struct Runner<'a> {
    client: &'a HttpClient,
    questionnaire: &'a Arc<Questionnaire>,
}

impl Runner<'_> {
    async fn phase(
        &self,
        server: &ServerProcess,
        links: Vec<String>,
        clients: usize,
    ) -> PhaseResult {
        let phase = Phase {
            base: server.base.clone(),
            links,
            concurrency: clients,
            time_limit: PHASE_TIME_LIMIT,
        };
        run_phase(self.client, self.questionnaire, phase).await
    }

    /// A phase with the server's and the benchmark's CPU time around it, and the
    /// server's memory after it.
    async fn measured(
        &self,
        server: &ServerProcess,
        label: &str,
        links: Vec<String>,
        clients: usize,
        perf_record: Option<&Path>,
    ) -> Result<PhaseFigures, Box<dyn Error>> {
        let own_pid = std::process::id();
        let perf = perf_record
            .map(|file| start_perf(server.pid(), file))
            .transpose()?;
        let (server_before, own_before) = (server.cpu_time()?, cpu_time(own_pid)?);
        let result = self.phase(server, links, clients).await;
        let (server_after, own_after) = (server.cpu_time()?, cpu_time(own_pid)?);
        if let Some(perf) = perf {
            stop_perf(perf)?;
        }
        eprintln!(
            "== {} {label}: {} completed, {} errors, {:.0}/s",
            server.name,
            result.completed,
            result.error_count(),
            result.per_second()
        );
        Ok(PhaseFigures {
            server: server.name,
            label: label.to_owned(),
            clients,
            server_cpu: server_after.saturating_sub(server_before),
            client_cpu: own_after.saturating_sub(own_before),
            rss_after_kib: server.rss_kib()?,
            result,
        })
    }
}

/// `perf record` with call graphs on a running process, written to `file`.
fn start_perf(pid: u32, file: &Path) -> std::io::Result<Child> {
    let child = Command::new("perf")
        .args(["record", "-F", "999", "-g", "-p", &pid.to_string(), "-o"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // perf needs a moment to attach before the phase starts.
    std::thread::sleep(Duration::from_millis(300));
    Ok(child)
}

/// Stops `perf record` the way Ctrl+C would, so it writes its file out.
fn stop_perf(mut perf: Child) -> std::io::Result<()> {
    Command::new("kill")
        .args(["-INT", &perf.id().to_string()])
        .status()?;
    perf.wait().map(drop)
}
