//! The servers under load as child processes, and what `/proc` says about them: CPU time
//! (user + system, all threads, including threads that have ended) and resident memory.

use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;

use crate::respondent::HttpClient;

/// A server started by the benchmark; ended (SIGKILL) when dropped.
pub struct ServerProcess {
    pub name: &'static str,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    child: Child,
}

impl ServerProcess {
    /// Starts `binary` on a free loopback port (given in `SVAR_ADDR`), with its output
    /// going to `log`: the servers log every request, and an unread pipe would stall them.
    pub fn spawn(
        name: &'static str,
        binary: &Path,
        envs: &[(&str, &Path)],
        log: &Path,
    ) -> io::Result<Self> {
        let address = free_port()?;
        let log = File::create(log)?;
        let child = Command::new(binary)
            .envs(envs.iter().copied())
            .env("SVAR_ADDR", address.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        Ok(Self {
            name,
            base: format!("http://{address}"),
            child,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `GET /` answers 200, or fails when the process ends or `limit` passes.
    pub async fn wait_ready(&mut self, client: &HttpClient, limit: Duration) -> io::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("{} exited: {status}", self.name)));
            }
            let request = Request::get(format!("{}/", self.base))
                .body(Full::new(Bytes::new()))
                .map_err(io::Error::other)?;
            if let Ok(response) = client.request(request).await
                && response.status().is_success()
            {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(io::Error::other(format!(
                    "{} did not answer within {limit:?}",
                    self.name
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// User + system CPU time so far.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        cpu_time(self.pid())
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> io::Result<u64> {
        rss_kib(self.pid())
    }

    /// Ends the process at once, as a crash or power cut would (no graceful shutdown).
    pub fn kill(mut self) -> io::Result<()> {
        self.child.kill()?;
        self.child.wait().map(drop)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Already ended (by `kill`) is fine; nothing else can be done here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> io::Result<SocketAddr> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()
}

/// Clock ticks per second of `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// utime + stime of a process (fields 14 and 15 of `/proc/<pid>/stat`).
pub fn cpu_time(pid: u32) -> io::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_cpu_ticks(&stat)
        .ok_or_else(|| io::Error::other(format!("unexpected /proc/{pid}/stat")))?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second() as f64,
    ))
}

/// `VmRSS` of `/proc/<pid>/status`, in KiB.
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_vm_rss(&status).ok_or_else(|| io::Error::other(format!("no VmRSS for {pid}")))
}

/// The command name in `stat` is in parentheses and may hold spaces, so fields are
/// counted from the last `)`: the state is field 3, utime 14, stime 15.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime() {
        let stat = "4242 (svar local) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 567 0 0 20 0 9 0 100 1000 500";
        assert_eq!(parse_cpu_ticks(stat), Some(1234 + 567));
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tsvar-local\nVmPeak:\t  100 kB\nVmRSS:\t   10240 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss(status), Some(10240));
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        assert!(rss_kib(pid).expect("own status") > 0);
        assert!(cpu_time(pid).is_ok());
    }
}
