"""The result tables and docs/results-schema.md agree, column for column."""

import json
import re
from pathlib import Path

import pytest

import gmplab

DOC = Path(__file__).resolve().parents[1] / "docs" / "results-schema.md"


def documented() -> dict[str, set[str]]:
    sections, current = {}, None
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = set()
        elif current and line.startswith("| ") and not line.startswith("| column"):
            cell = line.split("|")[1]
            for name in re.findall(r"[a-z_0-9]+", cell):
                sections[current].add(name)
    return sections


@pytest.fixture(scope="module")
def result():
    return gmplab.simulate(
        policy="go",
        topology="1x2",
        load=0.5,
        goroutines=3000,
        seed=1,
        replications=2,
        snapshot_ms=0.2,
        check_invariants=True,
    )


def strip_interval(cols):
    return {re.sub(r"_(lo|hi)$", "", c) for c in cols}


def test_summary_and_json_are_documented(result):
    doc = documented()["summary"]
    js = json.loads(result.to_json())
    assert strip_interval(js) <= doc, strip_interval(js) - doc
    table = set(result.summary_table().columns)
    assert table <= doc, table - doc
    assert doc <= strip_interval(js) | table, doc - strip_interval(js) - table


@pytest.mark.parametrize(
    "section,cols",
    [
        ("histograms", lambda r: set(r.histograms().columns) | set(r.histograms("go").columns)),
        ("batches", lambda r: set(r.batches().columns)),
        ("snapshots", lambda r: set(r.snapshots().columns)),
        ("snapshot_procs", lambda r: set(r.snapshot_procs().columns)),
        ("events", lambda r: set(r.events().columns)),
    ],
)
def test_tables_match_schema(result, section, cols):
    assert cols(result) == documented()[section]
