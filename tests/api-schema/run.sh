#!/usr/bin/env bash
# Schemathesis against the JSON API of a running local server: every operation of the
# OpenAPI document at /api/openapi.json, with examples, boundary values and random
# (valid and invalid) requests, sent with a real access key. Fails on any server error
# (5xx) and on any response that does not match the document (status code, content
# type, headers, body schema). Run from anywhere; tests/run-all calls it.
#
# Installs schemathesis (pinned) from PyPI into a virtualenv of its own the first time
# (SVAR_SCHEMATHESIS_VENV, default ~/.cache/svar/schemathesis-venv), builds svar-local,
# starts it on a free port of 127.0.0.1 with a fresh data folder (removed at the end),
# and takes one of the access keys it prints. Reports go to target/api-schema/.
#   SVAR_API_SCHEMA_EXAMPLES   test cases per operation and phase (default 50)
#   SVAR_API_SCHEMA_ORG        whose key is used (default ale, a municipality: it may
#                              do everything the API offers a municipality)
# The network's comparison answers a municipality only 403, so it runs once more with
# the network's own key (gr), where its tables (200) are checked against the document.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
PINS="schemathesis==$SCHEMATHESIS_VERSION"
venv="${SVAR_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/svar/schemathesis-venv}"
examples="${SVAR_API_SCHEMA_EXAMPLES:-50}"
organisation="${SVAR_API_SCHEMA_ORG:-ale}"
network=gr
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

fail() {
  echo "tests/api-schema/run.sh: FAILED: $*" >&2
  exit 1
}

# ------------------------------------------------------------------ schemathesis
if [[ "$(cat "$venv/.svar-pins" 2>/dev/null || true)" != "$PINS" ]]; then
  echo "== installing $PINS into $venv"
  python3 -m venv "$venv" || fail "could not make a virtualenv at $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$PINS" || fail "pip install $PINS"
  echo "$PINS" >"$venv/.svar-pins"
fi

# ------------------------------------------------------------------ the server
cargo build -p svar-local || fail "cargo build -p svar-local"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
server="${SVAR_LOCAL_BIN:-$target_dir/debug/svar-local}"
[[ -x "$server" ]] || fail "no server binary at $server"

work="$(mktemp -d)"
server_pid=""
stop() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

# Only this run's settings: no SVAR_ variable of the caller's shell leaks in.
env -i PATH="$PATH" HOME="$HOME" RUST_LOG=warn \
  SVAR_ADDR=127.0.0.1:0 SVAR_DATA_DIR="$work/data" SVAR_STORE=embedded \
  "$server" >"$work/stdout" 2>"$work/stderr" &
server_pid=$!

# It prints its address, then one key per organisation ("  <organisation> svar_...").
base="" key="" network_key=""
key_of() {
  awk -v org="$1" '$1 == org && $2 ~ /^svar_[0-9a-z]+$/ && length($2) == 37 { print $2; exit }' "$work/stdout"
}
for _ in $(seq 1 300); do
  base="$(sed -n 's|^Svar körs på \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$work/stdout" | head -n 1)"
  key="$(key_of "$organisation")"
  network_key="$(key_of "$network")"
  [[ -n "$base" && -n "$key" && -n "$network_key" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; fail "the server stopped at start"; }
  sleep 0.1
done
[[ -n "$base" ]] || { cat "$work/stdout" "$work/stderr" >&2; fail "the server did not print its address"; }
[[ -n "$key" ]] || { cat "$work/stdout" >&2; fail "the server did not print an access key for $organisation"; }
[[ -n "$network_key" ]] || { cat "$work/stdout" >&2; fail "the server did not print an access key for $network"; }
echo "== server at $base"

# ------------------------------------------------------------------ the run
reports="$target_dir/api-schema"
rm -rf "$reports"
mkdir -p "$reports"
echo "== schemathesis $SCHEMATHESIS_VERSION: $checks, $examples examples per operation"
# The key is sent with every request, and kept out of the output and the reports.
# From the run's own folder: schemathesis keeps a cache (.schemathesis/) where it runs.
# The time-out is generous: a batch of 20 000 invitations (the largest the document
# allows, which schemathesis tries) takes seconds on a release build but can take over
# ten on this debug build on a busy 2-core machine.
# schemathesis NAME KEY [options...]
schemathesis() {
  local name="$1" with_key="$2"
  shift 2
  (cd "$work" && "$venv/bin/st" run "$base/api/openapi.json" \
    --url "$base" \
    --header "Authorization: Bearer $with_key" \
    --checks "$checks" \
    --phases "${phases:-examples,coverage,fuzzing,stateful}" \
    --max-examples "$examples" \
    --seed 20261125 \
    --workers 1 \
    --request-timeout 120 \
    --output-sanitize true \
    --report junit \
    --report-junit-path "$reports/$name.xml" \
    "$@")
}
failed() {
  echo "--- server log (stderr):" >&2
  tail -n 50 "$work/stderr" >&2
  fail "schemathesis found problems in $1 (see above; report in $reports/$1.xml)"
}
# Schemathesis reuses ids from earlier answers: revoking would soon hit the key it
# runs with, and every later request would only get 401. So revoking runs last, with
# only the operation that makes keys (its link gives revoke a key of its own).
schemathesis all "$key" --exclude-operation-id revoke_key || failed all
# One operation has no links to follow: no stateful phase.
phases=examples,coverage,fuzzing schemathesis network "$network_key" --include-operation-id network_comparison || failed network
# That run checks the tables only if some request got them: the demo round (opened
# today) must give them for this year, as for the document's example in 2026.
year="$(date -u +%Y)"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $network_key" \
  "$base/api/jamforelse?questionnaire=patientupplevelse&from=$year-01-01&to=$year-12-31&k=3")"
[[ "$status" == 200 ]] || fail "the network's comparison of this year gave $status, not 200"
schemathesis revoke "$key" --include-operation-id-regex '^(create|revoke)_key$' || failed revoke
kill -0 "$server_pid" 2>/dev/null || fail "the server stopped during the run"
echo "api-schema: OK"
