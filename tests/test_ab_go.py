"""benchmarks/ab_go.py: the paired A/B tool for the general kernel. The comparison itself is
slow (the other version's kernel compiles afresh, about 4 minutes); refusing bad input is not."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "benchmarks" / "ab_go.py"


def _run(*args, timeout=60):
    cmd = [sys.executable, str(TOOL), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--rev", "HEAD", "--procs", "0"], "--procs must be in 1..1024"),
        (["--rev", "HEAD", "--goroutines", "10"], "--goroutines must be at least 1000"),
        (["--rev", "HEAD", "--pairs", "0"], "--pairs must be at least 1"),
        ([], "give OTHER_TREE or --rev REV"),
        (["--rev", "no-such-commit"], "--rev: git archive no-such-commit failed"),
    ],
)
def test_bad_input_is_refused_with_the_parameter_named(args, needle):
    out = _run(*args)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr


def test_a_tree_without_a_kernel_is_refused(tmp_path):
    out = _run(str(tmp_path))
    assert out.returncode != 0
    assert "no gmplab/_kernel/loop.py" in out.stdout + out.stderr


@pytest.mark.slow
def test_the_committed_kernel_against_a_fresh_copy_of_itself():
    out = _run("--rev", "HEAD", "--procs", "4", "--goroutines", "2000", "--pairs", "2", timeout=900)
    assert out.returncode == 0, out.stderr
    assert "median of 2 pairs" in out.stdout
    assert "results identical in every pair" in out.stdout
