"""benchmarks/instr_profile.py: the instruction counter. The counting itself needs valgrind
and a kernel build of its own (minutes); its input checks, its reading of callgrind's output
and its map of the event loop's parts are tested here without either."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "benchmarks" / "instr_profile.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

import instr_profile  # noqa: E402


def _run(*args, env=None):
    cmd = [sys.executable, str(TOOL), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--procs", "0"], "--procs must be in 1..1024"),
        (["--goroutines", "10"], "--goroutines must be at least 1000"),
    ],
)
def test_bad_input_is_refused_with_the_parameter_named(args, needle):
    out = _run(*args)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_tools_are_named():
    env = dict(os.environ, PATH=str(Path(sys.executable).parent / "no-such-dir"))
    out = _run(env=env)
    assert out.returncode == 2
    assert "missing valgrind, callgrind_control, objdump, nm" in out.stderr
    assert "Traceback" not in out.stderr


def test_callgrind_output_is_read_per_address(tmp_path):
    # callgrind names a function once ("(id) name") and then by id alone; addresses are
    # absolute or relative to the line before; a call's cost line is inclusive, not self
    f = tmp_path / "cg.out"
    f.write_text(
        "positions: instr line\n"
        "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim\n"
        "fn=(1) 0x0000000000001000\n"
        "0x1000 0 5\n"
        "+4 0 7 1\n"
        "cfn=(2) helper\n"
        "calls=3 0x2000\n"
        "+2 0 100\n"
        "* 0 1\n"
        "fn=(2)\n"
        "0x2000 0 9\n"
        "fn=(1)\n"
        "0x1004 0 3 0 0 0 0 0 0 0 0 1 1\n"
    )
    fns = instr_profile._parse_callgrind(f)
    loop = fns["0x0000000000001000"]
    assert loop[0x1000][0] == 5
    assert loop[0x1004][:2] == [10, 1]  # 7 + 3 instructions, 1 data read
    assert loop[0x1004][10] == 1  # one mispredicted branch
    assert loop[0x1006][0] == 1  # the call's inclusive 100 is not the caller's own
    assert fns["helper"] == {0x2000: [9] + [0] * 12}


def test_the_event_loops_parts_are_found_in_order():
    parts = instr_profile._region_lines()
    assert [p[0] for p in parts] != []
    assert {p[0] for p in parts} == {name for name, _ in instr_profile.REGIONS}
    src = (ROOT / "gmplab" / "_kernel" / "loop.py").read_text().splitlines()
    for (_, first, last), nxt in zip(parts, parts[1:] + [None]):
        assert first <= last
        if nxt is not None:
            assert last == nxt[1] - 1
    assert src[parts[0][1] - 1].strip().startswith(("while", "if", "elif", "#"))


def test_the_object_comes_from_the_cache_file_of_the_source_as_it_is(tmp_path, monkeypatch):
    # numba names run_kernel's cache files by its first decorator's line; a source edited back
    # to an earlier state reuses that state's (older) file, so "the newest file" can be wrong
    line = instr_profile._run_kernel_line()
    src = (ROOT / "gmplab" / "_kernel" / "loop.py").read_text().splitlines()
    assert src[line - 1].startswith("@")
    below = src[line - 1 :]
    assert next(s for s in below if not s.startswith("@")).startswith("def run_kernel(")
    d = tmp_path / "gmplab-plain" / "_kernel_x"
    d.mkdir(parents=True)
    elf = b"\x7fELF" + b"\x00" * 12
    mine = d / f"loop.run_kernel-{line}.py311.1.nbc"
    mine.write_bytes(b"junk" + b"B" + len(elf).to_bytes(4, "little") + elf)
    other = d / f"loop.run_kernel-{line + 7}.py311.1.nbc"
    other.write_bytes(b"junk" + b"B" + (4).to_bytes(4, "little") + b"\x7fELF")
    os.utime(mine, (1, 1))  # the other file is newer
    monkeypatch.setattr(instr_profile, "CACHE_DIR", tmp_path)
    assert instr_profile._plain_object() == elf
