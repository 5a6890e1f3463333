//! The load benchmark of the local server (`infra/bench-load.sh`, figures in
//! BENCHMARKS.md): simulated respondents answer the patient survey from link to
//! thank-you page against the release build of `svar-local`, and the same pattern of
//! requests runs against a hello-world on the same stack (`src/bin/hello.rs`).
//!
//! - [`setup`]: a data folder prepared with the library, invitations issued.
//! - [`page`], [`answers`], [`respondent`]: one simulated respondent.
//! - [`load`]: many at once; [`server`]: the servers as processes, CPU and memory.
//! - [`sqlite_rate`]: the disk's own commit rate; [`report`]: the tables.

pub mod answers;
pub mod load;
pub mod page;
pub mod report;
pub mod respondent;
pub mod server;
pub mod setup;
pub mod sqlite_rate;
