"""Shared test fixtures."""

import pytest


@pytest.fixture
def hand_kw():
    """The hand-computed GOMAXPROCS=2 scenario: a burst of 3 goroutines of 2 ms each on 2 Ps,
    zero costs, invariants checked. Its trace is worked out step by step in
    tests/test_kernel_invariants.py::test_hand_computed_gomaxprocs_2_trace."""
    return dict(
        policy="go",
        topology="1x2",
        arrivals="burst",
        goroutines=3,
        warmup_fraction=0.0,
        service="const",
        service_mean_ns=2_000_000,
        costs="zero",
        seed=0,
        check_invariants=True,
    )
