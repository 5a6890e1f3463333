#!/usr/bin/env bash
# Invitations benchmark (BENCHMARKS.md, "Invitations"): 20,000 invitations generated, their
# CSV and their letters rendered in 20 parts of 1,000, then the rate page of that round
# (with 2,000 answers over 30 days) requested 200 times; on the embedded store and on
# DynamoDB Local. infra/bench-invitations/src/main.rs says what, in order. Wall times come
# from the benchmark, peak memory (max RSS) of the whole process from /usr/bin/time -v.
#
#   bash infra/bench-invitations.sh                  # both stores, 20,000 invitations
#   bash infra/bench-invitations.sh embedded 5000    # one store, another count
#
# Needs, for DynamoDB: java and npm (tests/services.sh starts DynamoDB Local, in memory).
set -euo pipefail
cd "$(dirname "$0")/.."

stores="${1:-embedded dynamodb}"
count="${2:-20000}"
requests="${3:-200}"

echo "== building the benchmark (release)" >&2
cargo build --release --locked -p svar-bench-invitations >&2
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bench="$target_dir/release/bench-invitations"

echo "## Invitations run $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- command: \`bash infra/bench-invitations.sh $*\`"
echo "- branch $(git rev-parse --abbrev-ref HEAD) at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ', with uncommitted changes')"
echo "- cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(uname -sr)"
echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

for store in $stores; do
  if [[ "$store" == dynamodb && -z "${SVAR_TEST_DYNAMODB_ENDPOINT:-}" ]]; then
    # shellcheck source=../tests/services.sh
    source tests/services.sh
    start_dynamodb_local >&2
  fi
  log="$(mktemp)"
  /usr/bin/time -v -o "$log" "$bench" "$store" "$count" "$requests"
  echo "| peak memory (max RSS, whole process) | $(awk -F': ' '/Maximum resident set size/ {printf "%.0f MB", $2/1024}' "$log") |"
  echo "| wall time of the whole process (set-up and answers included) | $(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log") |"
  echo
  rm -f "$log"
done
