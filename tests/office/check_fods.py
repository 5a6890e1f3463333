"""Reads flat ODS files converted by tests/office/run.sh and checks their cells.

control.fods must hold a formula (the import evaluates formulas, so the other checks
can fail); every other file must hold none, must keep å ä ö (and Å Ä Ö) in its cells,
must show the free texts that start with = + - @ as text, and must keep numbers as
numbers. The codebook (after --codebook) must hold no formula, keep å ä ö and have its
columns in cells of their own. Exits 1 with every problem listed.
"""

import sys
import xml.etree.ElementTree as ET

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
FORMULA = f"{{{TABLE}}}formula"
VALUE_TYPE = f"{{{OFFICE}}}value-type"


def cells(path):
    """Every cell as (text, value type, formula or None)."""
    tree = ET.parse(path)
    for cell in tree.iter(f"{{{TABLE}}}table-cell"):
        # The paragraphs' text only: the file is indented between elements.
        text = "\n".join("".join(p.itertext()) for p in cell.iter(f"{{{TEXT}}}p"))
        yield text, cell.get(VALUE_TYPE), cell.get(FORMULA)


def check_control(path, problems):
    if not any(formula for _, _, formula in cells(path)):
        problems.append(
            f"{path}: the control's =1+1 is not a formula: the import does not "
            "evaluate formulas, so the check below could not fail"
        )


def check_text_cells(path, found, letters, problems):
    """No cell may be a formula and each of `letters` must be in some cell; returns the
    cells' texts and how many were formulas."""
    formulas = [(text, formula) for text, _, formula in found if formula]
    for text, formula in formulas:
        problems.append(f"{path}: a cell is a formula: {formula!r} (shown as {text!r})")
    texts = [text for text, _, _ in found]
    everything = "\n".join(texts)
    for letter in letters:
        if letter not in everything:
            problems.append(f"{path}: no cell holds {letter!r}: Swedish characters were lost")
    return texts, len(formulas)


def check_export(path, problems):
    found = list(cells(path))
    texts, formulas = check_text_cells(path, found, "åäöÅÄÖ", problems)
    for start in "=+-@":
        starts = [t for t in texts if t.lstrip("'").startswith(start)]
        if not starts:
            problems.append(f"{path}: no free text starting with {start!r} arrived as a cell")
        for text in starts:
            if not text.startswith("'"):
                problems.append(f"{path}: {text!r} is not neutralised")
    if not any(kind == "float" for _, kind, _ in found):
        problems.append(f"{path}: no cell is a number: codes should stay numbers")
    first = texts[0] if texts else ""
    if first != "rad":
        problems.append(f"{path}: the first cell is {first!r}, not 'rad' (a BOM or encoding problem)")
    print(f"{path}: {len(found)} cells, {formulas} formulas")


def check_codebook(path, problems):
    found = list(cells(path))
    texts, _ = check_text_cells(path, found, "åäö", problems)
    header = texts[:3]
    if header != ["variable", "question", "kind"]:
        problems.append(
            f"{path}: the first cells are {header!r}, not variable, question, kind "
            "(a BOM, encoding or separator problem)"
        )
    print(f"{path}: {len(found)} cells")


def main():
    arguments = sys.argv[1:]
    codebooks = []
    if "--codebook" in arguments:
        at = arguments.index("--codebook")
        codebooks = arguments[at + 1 :]
        arguments = arguments[:at]
    control, *exports = arguments
    problems = []
    check_control(control, problems)
    for path in exports:
        check_export(path, problems)
    for path in codebooks:
        check_codebook(path, problems)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print("LibreOffice: Swedish characters intact, no formula in any cell")


if __name__ == "__main__":
    main()
