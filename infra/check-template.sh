#!/usr/bin/env bash
# Is the stack deployable? Run from anywhere; tests/run-all calls it.
#
#   1. cfn-lint template.yaml: 0 errors, 0 warnings, and no informational hint either
#      (no rule is disabled). cfn-lint 1.x checks SAM resources against SAM's schema
#      without transforming them, so the SAM transform itself (aws-sam-translator, the
#      code CloudFormation runs for `Transform: AWS::Serverless-2016-10-31`) then turns
#      template.yaml into plain CloudFormation, and that must pass cfn-lint as well: the
#      functions, roles and permissions CloudFormation will really get.
#   2. Our own check of each function's runtime and architecture in the transformed
#      template (cfn-lint accepts any runtime name): a runtime Lambda knows (cfn-lint's
#      runtime life-cycle list), and exactly provided.al2023 on arm64, handler bootstrap.
#   3. cargo lambda build --release --arm64 --output-format zip for each crate in
#      functions/ (respond, admin, export), in as many builds as they ask svar-shared
#      for different features, and each zip's size (must stay under
#      SVAR_MAX_ZIP_BYTES, 5 MB).
#
# Tools are installed with pip, at pinned versions, into a virtualenv of their own
# (SVAR_INFRA_VENV, default ~/.cache/svar/infra-venv) the first time. Nothing here
# needs an AWS account or sends anything to AWS.
# SVAR_SKIP_LAMBDA_BUILD=1 skips step 3 (e.g. for a quick look at the template).
# The routes/functions/IAM test is tests/template (cargo test -p svar-tests --test template).
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION=1.58.0
SAM_TRANSLATOR_VERSION=1.115.0
CARGO_LAMBDA_VERSION=1.9.2
ZIGLANG_VERSION=0.15.2
PINS="cfn-lint==$CFN_LINT_VERSION aws-sam-translator==$SAM_TRANSLATOR_VERSION cargo-lambda==$CARGO_LAMBDA_VERSION ziglang==$ZIGLANG_VERSION"
MAX_ZIP_BYTES="${SVAR_MAX_ZIP_BYTES:-5000000}"
venv="${SVAR_INFRA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/svar/infra-venv}"

fail() {
  echo "check-template: FAILED: $*" >&2
  exit 1
}
started=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# ------------------------------------------------------------------ tools
if [[ "$(cat "$venv/.svar-pins" 2>/dev/null || true)" != "$PINS" ]]; then
  echo "== installing $PINS into $venv"
  python3 -m venv "$venv" || fail "could not make a virtualenv at $venv"
  # shellcheck disable=SC2086 # PINS is a list of requirements
  "$venv/bin/pip" install --quiet --disable-pip-version-check $PINS || fail "pip install $PINS"
  echo "$PINS" >"$venv/.svar-pins"
fi
# cargo-lambda finds zig through the venv's python (package ziglang).
export PATH="$venv/bin:$PATH"

# ------------------------------------------------------------------ 1. cfn-lint
echo "== cfn-lint $CFN_LINT_VERSION template.yaml"
# Exit status is a bit mask: 2 errors, 4 warnings, 8 informational. Any of them fails.
if ! cfn-lint --include-checks I -- template.yaml; then
  fail "cfn-lint found problems in template.yaml (see above)"
fi
echo "template.yaml: 0 errors, 0 warnings, 0 informational"

echo "== SAM transform (aws-sam-translator $SAM_TRANSLATOR_VERSION), then cfn-lint of the result"
transformed="$work/transformed.json"
python3 - "$transformed" <<'PY' || fail "the SAM transform of template.yaml failed"
import json, os, sys
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-north-1")  # only picks the partition
from cfnlint.decode import cfn_yaml
from samtranslator.translator.transform import transform

class NoManagedPolicies:  # the template uses none; nothing is looked up in an account
    def load(self):
        return {}

template = json.loads(json.dumps(cfn_yaml.load("template.yaml")))
for resource in template["Resources"].values():
    if resource.get("Type") == "AWS::Serverless::Function":
        # `sam deploy` uploads the build and puts its S3 address here.
        resource["Properties"]["CodeUri"] = "s3://svar-check/code.zip"
parameters = {
    "HashKeyParameterName": "/svar/check/hash-key",
    "SessionSecretParameterName": "/svar/check/session-secret",
    "AlarmEmail": "alarms@example.org",
}
with open(sys.argv[1], "w") as out:
    json.dump(transform(template, parameters, NoManagedPolicies()), out, indent=1)
PY
if ! cfn-lint --include-checks I -- "$transformed"; then
  fail "cfn-lint found problems in the transformed template (see above)"
fi
echo "transformed template: 0 errors, 0 warnings, 0 informational"

# ------------------------------------------------------------------ 2. runtime, architecture
echo "== runtime and architecture of every function"
python3 - "$transformed" <<'PY' || fail "runtime or architecture check"
import json, pathlib, sys
import cfnlint

template = json.loads(pathlib.Path(sys.argv[1]).read_text())
# Every Lambda runtime with its life-cycle dates, as cfn-lint ships them (it uses the
# list only to warn of deprecated runtimes, never to reject an unknown name).
lifecycle = pathlib.Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
known_runtimes = set(json.loads(lifecycle.read_text()))
known_architectures = {"arm64", "x86_64"}

problems, seen = [], 0
for name, resource in template.get("Resources", {}).items():
    if resource.get("Type") != "AWS::Lambda::Function":
        continue
    seen += 1
    props = resource.get("Properties", {})
    runtime = props.get("Runtime")
    architectures = props.get("Architectures", ["x86_64"])  # Lambda's default
    if runtime not in known_runtimes:
        problems.append(f"{name}: runtime {runtime!r} is not a Lambda runtime")
    if runtime != "provided.al2023":
        problems.append(f"{name}: runtime must be provided.al2023 (is {runtime!r})")
    for arch in architectures:
        if arch not in known_architectures:
            problems.append(f"{name}: architecture {arch!r} is not a Lambda architecture")
    if list(architectures) != ["arm64"]:
        problems.append(f"{name}: architectures must be [arm64] (are {architectures!r})")
    if props.get("Handler") != "bootstrap":
        problems.append(f"{name}: handler must be bootstrap (is {props.get('Handler')!r})")
    print(f"{name}: {runtime} {list(architectures)} handler {props.get('Handler')}")
if seen == 0:
    problems.append("no function in template.yaml")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# ------------------------------------------------------------------ 3. build
if [[ "${SVAR_SKIP_LAMBDA_BUILD:-}" == 1 ]]; then
  echo "== SVAR_SKIP_LAMBDA_BUILD=1: not building"
  echo "check-template: OK in $((SECONDS - started)) s"
  exit 0
fi

# The package (-p) of each crate in functions/.
packages=()
for manifest in functions/*/Cargo.toml; do
  package="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["package"]["name"])' "$manifest")"
  packages+=("$package")
done
[[ ${#packages[@]} -gt 0 ]] || fail "no crates in functions/"

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "== rustup target add aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu || fail "could not add the Rust target aarch64-unknown-linux-gnu"
fi

# `sam build` builds each function on its own (BuildMethod rust-cargolambda, one Binary
# each). Built together, Cargo would unify svar-shared's features and give every function
# what one needs (the export function's S3 client and Parquet writer), so functions are
# built together only when they ask svar-shared for the same features: one build per
# such group. Within a group other crates' features still unify, which can only add
# code, so each size below is at most a little above what `sam build` makes.
mapfile -t build_groups < <(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
wanted = set(sys.argv[1:])
groups = {}
for package in json.load(sys.stdin)["packages"]:
    if package["name"] in wanted:
        shared = [d for d in package["dependencies"] if d["name"] == "svar-shared"]
        features = (shared[0]["uses_default_features"], *sorted(shared[0]["features"])) if shared else ()
        groups.setdefault(features, []).append(package["name"])
for names in groups.values():
    print(" ".join(f"-p {name}" for name in sorted(names)))
' "${packages[@]}")
for group in "${build_groups[@]}"; do
  echo "== cargo lambda build --release --arm64 --output-format zip $group"
  build_started=$SECONDS
  # shellcheck disable=SC2086 # $group is the -p arguments, split on purpose
  cargo lambda build --release --arm64 --output-format zip $group ||
    fail "cargo lambda build --release --arm64 $group"
  echo "built in $((SECONDS - build_started)) s"
done

# The binaries those packages build; each is a function with its own zip.
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
binaries="$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
wanted = set(sys.argv[1:])
for package in json.load(sys.stdin)["packages"]:
    if package["name"] in wanted:
        for target in package["targets"]:
            if "bin" in target["kind"]:
                print(target["name"])
' "${packages[@]}")"
echo "== zip sizes (arm64, limit $MAX_ZIP_BYTES bytes)"
too_big=0
for binary in $binaries; do
  zip="$target_dir/lambda/$binary/bootstrap.zip"
  [[ -f "$zip" ]] || fail "no $zip after the build"
  zip_bytes=$(stat -c %s "$zip")
  python3 -c '
import os, sys, zipfile
name, path = sys.argv[1], sys.argv[2]
zipped, unzipped = os.path.getsize(path), zipfile.ZipFile(path).getinfo("bootstrap").file_size
print(f"{name:<12} zip {zipped:>9} bytes ({zipped / 1e6:.2f} MB)   bootstrap {unzipped:>9} bytes ({unzipped / 1e6:.2f} MB)")
' "$binary" "$zip"
  if ((zip_bytes >= MAX_ZIP_BYTES)); then
    echo "$binary: zip is over the limit of $MAX_ZIP_BYTES bytes" >&2
    too_big=1
  fi
done
((too_big == 0)) || fail "a function zip is too large"
echo "check-template: OK in $((SECONDS - started)) s"
