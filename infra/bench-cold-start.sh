#!/usr/bin/env bash
# Cold-start benchmark (BENCHMARKS.md): builds `respond` and the hello-world
# `lambda_http` function (infra/hello-lambda) in release for THIS machine (x86_64 here:
# arm64 binaries cannot run on it), then times spawn -> first invocation response of
# each against a local stand-in for the Lambda Runtime API (infra/bench-cold-start.py).
#
#   bash infra/bench-cold-start.sh            # 20 runs each
#   RUNS=50 bash infra/bench-cold-start.sh
#
# Loopback only; no AWS account, no network. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${RUNS:-20}"
echo "== building release binaries for the host ($(uname -m))"
cargo build --release --locked -p svar-respond -p svar-hello-lambda
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; $(uname -sr)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$target_dir/bench"
python3 infra/bench-cold-start.py \
  --runs "$runs" \
  --hello "$target_dir/release/hello-lambda" \
  --respond "$target_dir/release/respond" \
  --json "$target_dir/bench/cold-start.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw figures: $target_dir/bench/cold-start.json"
