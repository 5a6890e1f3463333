#!/usr/bin/env bash
# Export benchmark, AWS-shaped (issue #15): N synthetic patient responses in DynamoDB
# Local exported to S3 multipart uploads on the S3 test server (s3s-fs), both started on
# 127.0.0.1 by tests/services.sh. Prints one JSON line per step and /usr/bin/time's wall
# time and peak RSS of the export process.
# Usage: bash infra/bench-export-s3.sh [sizes...]   (default: 100000)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000)

cargo build --release --locked -p svar-bench-export >&2
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bench="$target_dir/release/bench-export"

# shellcheck source=tests/services.sh
source tests/services.sh
trap stop_services EXIT
start_dynamodb_local
start_s3_server

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GB; $(date -u +%Y-%m-%dT%H:%MZ)"
for n in "${sizes[@]}"; do
  prefix="svar-bench-$n-$(date +%s)"
  "$bench" dynamo-load "$prefix" "$n"
  /usr/bin/time -f '{"step":"dynamo-s3-export /usr/bin/time","rows":'"$n"',"wall_s":%e,"max_rss_kb":%M}' \
    "$bench" dynamo-s3-export "$prefix"
done
