#!/usr/bin/env bash
# Load benchmark (BENCHMARKS.md, "Load"): builds the local server and the hello-world on
# the same stack in release, then runs infra/bench-load (src/main.rs says what, in order):
# the disk's raw SQLite commit rate, N invitations issued, simulated respondents
# answering the patient survey link to thank-you page at 1 and 8 clients and in a burst
# of 1,000 at once, the same requests against the hello-world, server CPU and memory
# from /proc. Prints Markdown tables; the default run takes about 2 minutes.
#
#   bash infra/bench-load.sh
#   bash infra/bench-load.sh --eight 5000 --burst 1000    # options go to bench-load
#   PROFILE=1 bash infra/bench-load.sh                    # also perf-record the server
#
# PROFILE=1 builds a second copy of svar-local with symbols and frame pointers (in
# target/profiling, so the measured binary stays the stripped release one), runs the
# benchmark with that copy and `perf record -g` on it during its 8-client phase, and
# prints the top of `perf report`. Needs `perf` (Debian: apt-get install linux-perf).
#
# Loopback only. Run from anywhere; the data folder goes under target/bench-load.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building release binaries" >&2
# Two builds, not one: built together, the two would share one set of crate features
# (the benchmark's HTTP client would switch on hyper's client in svar-local too).
cargo build --release --locked -p svar-local >&2
cargo build --release --locked -p svar-bench-load >&2
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
server="$target_dir/release/svar-local"
work_dir="$target_dir/bench-load"
mkdir -p "$work_dir"

perf_args=()
if [[ "${PROFILE:-0}" == 1 ]]; then
  echo "== building a profiling copy of svar-local (symbols, frame pointers)" >&2
  CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    RUSTFLAGS="-C force-frame-pointers=yes" CFLAGS="-fno-omit-frame-pointer" \
    cargo build --release --locked -p svar-local --target-dir "$target_dir/profiling" >&2
  server="$target_dir/profiling/release/svar-local"
  perf_args=(--perf-record "$work_dir/perf.data")
fi

# 1,000 simultaneous respondents hold 1,000 sockets on each side.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "## Load run $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- command: \`bash infra/bench-load.sh $*\`$([[ "${PROFILE:-0}" == 1 ]] && echo ' (PROFILE=1)')"
echo "- branch $(git rev-parse --abbrev-ref HEAD) at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ', with uncommitted changes')"
echo "- cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(uname -sr)"
echo "- memory: $(free -h | awk '/^Mem:/ {print $2}') total; disk: $(df -h "$work_dir" | awk 'NR==2 {print $1 ", " $2}')"
echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$target_dir/release/bench-load" \
  --server "$server" \
  --hello "$target_dir/release/hello" \
  --work-dir "$work_dir" \
  "${perf_args[@]}" \
  "$@"

echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${PROFILE:-0}" == 1 ]]; then
  echo
  echo "### perf report (svar-local, 8-client phase), self time"
  echo
  echo '```'
  perf report -i "$work_dir/perf.data" --no-children --sort symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | sed 's/ \+- \+- *$//; s/ *$//' | cut -c1-160 | head -40
  echo '```'
  echo
  echo "### perf report, with callees (inclusive), system calls and SQLite"
  echo
  echo '```'
  perf report -i "$work_dir/perf.data" --children --sort symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9]' | sed 's/ \+- \+- *$//; s/ *$//' \
    | grep -E '__x64_sys_|sqlite3_step|sqlite3_prepare|survey_page|lock_contended|spawn_task' \
    | cut -c1-160 | head -25
  echo '```'
fi
