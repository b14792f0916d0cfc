"""Spec validation edges: each bad value names its parameter."""

import pytest

import gmplab
from gmplab.params import Phase


@pytest.mark.parametrize(
    "kw,param",
    [
        (dict(service="bimodal", service_scv=9), "service_scv"),  # short value would be 0
        (dict(arrivals="burst", load=None, arrival_rate_per_s=5.0), "arrival_rate_per_s"),
        (dict(program="cpu:exp:1000,yield:const:5"), "program[1].kind"),
        (dict(program="cpu:exp"), "program"),
        (dict(program="cpu:const:100:0.5"), "program[0].scv"),
        (dict(program="syscall:const:100"), "program"),  # no CPU: load is undefined
        (dict(go_version="1.3"), "go_version"),
        (dict(max_syscall_threads=0), "max_syscall_threads"),
        (dict(trace_events=-1), "trace_events"),
        (dict(policy="partitioned", program="cpu:exp:100,syscall_block:exp:100"), "program"),
    ],
)
def test_bad_specs_name_the_parameter(kw, param):
    args = dict(policy="go", topology="1x2", load=0.5, goroutines=100)
    args.update(kw)
    with pytest.raises(gmplab.SpecError) as e:
        gmplab.make_spec(**args)
    assert str(e.value).startswith(param + ":")


def test_program_normalisation_inserts_cpu_around_blocking_phases():
    spec = gmplab.make_spec(
        policy="go",
        topology="1x2",
        arrival_rate_per_s=1000.0,
        goroutines=10,
        program=[Phase("syscall", "const", 5.0), Phase("cpu", "exp", 100.0)],
    )
    kinds = [ph.kind for ph in spec.workload.kernel_phases()]
    assert kinds == ["cpu", "syscall", "cpu"]
    assert spec.workload.cpu_mean_ns() == 100.0
