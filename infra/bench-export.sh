#!/usr/bin/env bash
# Export benchmark (issue #15): 100,000 and 1,000,000 synthetic patient responses in the
# embedded store (with their export rows, as a Send stores them), exported to a local
# folder; beside it a bare `csv`-crate write of the same rows from memory (one file;
# then both response files, hashed and synced, as the export writes them), the bound
# set by the stored rows alone (bound.rs: read and copied, nothing else), and the
# export again without the rows (from the JSON, as for responses stored before them);
# first, what making the row adds to each Send.
# Prints one JSON line per step, and /usr/bin/time's peak RSS of each export.
# Usage: bash infra/bench-export.sh [sizes...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)

cargo build --release --locked -p svar-bench-export >&2
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bench="$target_dir/release/bench-export"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GB; $(date -u +%Y-%m-%dT%H:%MZ)"
# What keeping each response's export row adds to a Send.
"$bench" row-at-send 20000
for n in "${sizes[@]}"; do
  db="$work/bench-$n.db"
  "$bench" generate "$db" "$n"
  # The store file is read once before, so both steps find it in the page cache.
  cat "$db" > /dev/null
  /usr/bin/time -f '{"step":"export /usr/bin/time","rows":'"$n"',"wall_s":%e,"max_rss_kb":%M}' \
    "$bench" export "$db" "$work/out-$n"
  "$bench" read "$db"
  "$bench" bare "$db" "$work/bare-$n"
  "$bench" bound "$db" "$work/bound-$n"
  # The same store without its export rows: the export reads the JSON, as for responses
  # stored before the rows were kept (and always from DynamoDB).
  "$bench" drop-rows "$db"
  /usr/bin/time -f '{"step":"export from the JSON /usr/bin/time","rows":'"$n"',"wall_s":%e,"max_rss_kb":%M}' \
    "$bench" export "$db" "$work/json-$n"
  rm -rf "$db" "$db"-wal "$db"-shm "$work/out-$n" "$work/bare-$n" "$work/bound-$n" "$work/json-$n"
done
