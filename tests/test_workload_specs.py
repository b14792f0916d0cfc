"""Workload specs (issue: workloads): templates, YAML specs with repetition and blocks, the
--workload flag and `gmplab workloads`; bad specs name the field."""

import json
import re

import pytest

import gmplab
from gmplab.cli import main
from gmplab.errors import SpecError
from gmplab.params import make_spec
from gmplab.workloads import TEMPLATES, compile_spec, load_spec, template_kwargs


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_template_runs(name):
    kw = template_kwargs(name)
    kw.update(goroutines=2_000, seed=1, check_invariants=True)
    s = gmplab.simulate(**kw).summary
    assert s["goroutines_completed"] == 2_000


def test_template_parameters_reach_the_spec():
    kw = template_kwargs("http-server", {"cpu_ns": 30_000})
    assert "cpu:exp:30000" in kw["program"]
    with pytest.raises(SpecError, match=re.escape("params.nope")):
        template_kwargs("http-server", {"nope": 1})
    with pytest.raises(SpecError, match="template"):
        template_kwargs("no-such-template")


SPEC = """
topology: 1x4
load: 0.5
goroutines: 2000
phases:
  - {kind: netwait, dist: exp, mean_ns: 100000}
  - {repeat: 3, phases: [{use: query}]}
  - {kind: syscall, dist: const, mean_ns: 5000}
blocks:
  query:
    - {kind: cpu, dist: exp, mean_ns: 10000}
    - {kind: syscall_block, dist: exp, mean_ns: 50000}
"""


def test_a_yaml_spec_with_repetition_and_blocks(tmp_path):
    path = tmp_path / "svc.yaml"
    path.write_text(SPEC)
    kw = load_spec(str(path))
    kinds = [ph.kind for ph in kw["program"]]
    assert kinds == ["netwait"] + ["cpu", "syscall_block"] * 3 + ["syscall"]
    s = gmplab.simulate(**kw, check_invariants=True).summary
    assert s["goroutines_completed"] == 2_000 and s["syscalls"] == 2_000 * 4


@pytest.mark.parametrize(
    "spec, field",
    [
        ({"phases": [{"kind": "yield", "mean_ns": 5}]}, "phases[0].kind"),  # an unknown phase
        ({"phases": [{"kind": "cpu", "mean_ns": -5}]}, "phases[0].mean_ns"),  # negative
        (
            {"phases": [{"use": "a"}], "blocks": {"a": [{"use": "b"}], "b": [{"use": "a"}]}},
            "use",
        ),  # a cycle in repetitions
        ({"phases": [{"repeat": 0, "phases": []}]}, "phases[0].repeat"),
        ({"phases": [{"use": "missing"}]}, "phases[0].use"),
        ({"params": {"x": 1}}, "params"),
    ],
)
def test_bad_specs_name_the_field(spec, field):
    with pytest.raises(SpecError, match=re.escape(field)):
        compile_spec(spec)


def test_a_closed_loop_spec_without_clients_is_refused():
    kw = compile_spec({"arrivals": "closed", "service_mean_ns": 10_000})
    with pytest.raises(SpecError, match="clients"):
        make_spec(**kw)


def test_cli_lists_templates_and_runs_one_with_overrides(capsys):
    assert main(["workloads"]) == 0
    out = capsys.readouterr().out
    for name in TEMPLATES:
        assert name in out
    args = ["simulate", "--workload", "http-server", "--param", "cpu_ns=30000"]
    assert main(args + ["--topology", "1x8", "--goroutines", "1000", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["spec"]["topology"] == "1x8"  # a flag given on the command line wins
    assert d["spec"]["arrival_path"] == "netpoll"  # the template's setting stays
    assert any(ph["mean_ns"] == 30_000 for ph in d["spec"]["program"])


def test_cli_bad_workload_is_one_line(capsys):
    assert main(["simulate", "--workload", "nope.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmplab: error: workload:") and err.count("\n") == 1
