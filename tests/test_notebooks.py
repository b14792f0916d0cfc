"""The notebooks as committed: no outputs, a typed and commented parameters cell that papermill
reads, a stated time budget, quick parameters that exist, and thin code (logic in gmplab/).

Executing every notebook under papermill with its quick parameters is the report build's job:
tests/test_report.py runs it once and checks each executed notebook."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import papermill as pm
import pytest

from gmplab import report

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("[0-9][0-9]-*.ipynb"))
EXPECTED = {
    "01-quickstart",
    "02-gomaxprocs",
    "03-numa",
    "04-cores",
    "05-designs",
    "06-runtime",
    "07-gc",
    "08-mixed",
    "09-containers",
    "10-sensitivity",
    "11-calibration",
    "12-claims",
}
# the default `gmplab report` on the 2-core reference machine: the sum of the notebooks' stated
# budgets (upper bounds; the measured cold build is in the README) stays within 20 minutes
TOTAL_BUDGET_S = 20 * 60


def _nb(path: Path) -> dict:
    return json.loads(path.read_text())


def test_the_report_notebooks_exist():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = _nb(path)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs", []) == [], f"{path.name}: a cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: an execution count"
    assert "widgets" not in nb["metadata"]
    assert "papermill" not in nb["metadata"], f"{path.name} is an executed copy"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_typed_commented_literals(path):
    nb = _nb(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cell = report.parameters_cell(nb)
    assert cell is not None, f"{path.name}: no cell tagged `parameters`"
    src = "".join(cell["source"])
    tree = ast.parse(src)
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), f"{path.name}: untyped {ast.unparse(node)}"
        ast.literal_eval(node.value)  # a literal, nothing computed
    docs = report.parse_parameters(src)
    assert len(docs) == len(tree.body)
    for d in docs:
        assert d.comment, f"{path.name}: parameter {d.name} has no comment"
        assert type(d.default).__name__ == d.annotation, f"{path.name}: {d.name}'s type"
    names = {d.name for d in docs}
    assert {"seed", "output_dir"} <= names
    # papermill reads every parameter with its help (a '=' in a comment breaks its parser)
    seen = pm.inspect_notebook(str(path))
    assert set(seen) == names
    assert all(p["help"] for p in seen.values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_budget_and_mode_parameters(path):
    nb = _nb(path)
    meta = nb["metadata"]["gmplab"]
    assert meta["title"] and meta["summary"]
    assert 0 < meta["budget_s"] <= 10 * 60
    names = {d.name for d in report.parse_parameters("".join(report.parameters_cell(nb)["source"]))}
    for mode in ("quick", "full"):
        assert set(meta[mode]) <= names, f"{path.name}: {mode} sets unknown parameters"
    assert meta["quick"], f"{path.name}: no quick parameters for the tests"
    intro = "".join(nb["cells"][0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown"
    m = re.search(r"Time budget: ([\d.]+) min", intro)
    assert m, f"{path.name}: the first cell states no time budget"
    assert float(m.group(1)) * 60 == pytest.approx(meta["budget_s"])


def test_budgets_fit_the_default_report():
    total = sum(_nb(p)["metadata"]["gmplab"]["budget_s"] for p in NOTEBOOKS)
    assert total <= TOTAL_BUDGET_S


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_thin(path):
    nb = _nb(path)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        tree = ast.parse(src)
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert not defs, f"{path.name}: define functions in gmplab/, not in a notebook"
        assert len(src.splitlines()) <= 30, f"{path.name}: a code cell longer than 30 lines"
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "report.Page(" in code and "page.parameters()" in code and "page.footer()" in code
    assert "page.validity(" in code
