#!/usr/bin/env bash
# Opens an export's CSV files with LibreOffice Calc, as staff would, and checks what
# arrives in the cells: Swedish characters intact, and no cell a formula, also for
# free-text answers that start with = + - or @. Run from anywhere:
#
#   bash tests/office/run.sh
#
# The files are the ones tests/browser/exports.test.mjs downloads from the local server
# (target/export-downloads/responses.csv and responses_excel.csv, made from answers
# given through the survey pages); if they are missing, that browser test is run first.
# Installs Debian's libreoffice-calc if soffice is missing. Each file is converted to
# flat ODS (.fods) with soffice --headless and read by check_fods.py. The CSV import
# is told to evaluate formulas (the worst case, as Excel always does): a control file
# with a raw =1+1 must come out as a formula, so the check is known to be able to fail.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
downloads="${SVAR_EXPORT_DOWNLOADS:-$root/target/export-downloads}"

fail() {
  echo "tests/office/run.sh: $*" >&2
  exit 1
}

command -v python3 >/dev/null || fail "python3 is needed to read the converted files"

# Debian's LibreOffice Calc.
if ! command -v soffice >/dev/null; then
  echo "tests/office/run.sh: soffice is missing: installing Debian's libreoffice-calc" >&2
  command -v apt-get >/dev/null || fail "soffice is missing and apt-get is not available to install libreoffice-calc"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "soffice is missing and installing it needs root (or sudo)"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update || fail "apt-get update failed: cannot install libreoffice-calc"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends libreoffice-calc \
    || fail "apt-get install libreoffice-calc failed"
  command -v soffice >/dev/null || fail "libreoffice-calc was installed but soffice is still missing"
fi
soffice --version || fail "soffice does not run"

# The exported files, from the local server through the pages.
if [ ! -f "$downloads/responses.csv" ] || [ ! -f "$downloads/responses_excel.csv" ] || [ ! -f "$downloads/codebook_excel.csv" ]; then
  echo "tests/office/run.sh: no downloaded export in $downloads: running tests/browser/run.sh exports.test.mjs" >&2
  bash "$root/tests/browser/run.sh" exports.test.mjs
fi
[ -f "$downloads/responses.csv" ] || fail "$downloads/responses.csv is missing after the browser test"
[ -f "$downloads/responses_excel.csv" ] || fail "$downloads/responses_excel.csv is missing after the browser test"
[ -f "$downloads/codebook_excel.csv" ] || fail "$downloads/codebook_excel.csv is missing after the browser test"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$downloads/responses.csv" "$downloads/responses_excel.csv" "$downloads/codebook_excel.csv" "$work/"
printf 'a,b\n=1+1,text\n' >"$work/control.csv"

# Token 3: UTF-8 (76); 6: Swedish (1053), so decimal commas are numbers; 7: quoted
# fields are not forced to text; 13: evaluate formulas.
convert() {
  local file="$1" separator="$2"
  soffice --headless --norestore "-env:UserInstallation=file://$work/profile" \
    "--infilter=Text - txt - csv (StarCalc):$separator,34,76,1,,1053,false,true,false,false,false,,true" \
    --convert-to fods --outdir "$work/out" "$work/$file" >/dev/null \
    || fail "soffice could not convert $file"
  [ -f "$work/out/${file%.csv}.fods" ] || fail "soffice wrote no ${file%.csv}.fods"
}
convert control.csv 44
convert responses.csv 44
convert responses_excel.csv 59
convert codebook_excel.csv 59

python3 "$here/check_fods.py" "$work/out/control.fods" "$work/out/responses.fods" "$work/out/responses_excel.fods" \
  --codebook "$work/out/codebook_excel.fods"
