"""Build the probe binary and lay out a self-contained run folder.

``build(out_dir)`` compiles ``probe/`` into ``out_dir/gmplab-probe`` (static: CGO_ENABLED=0,
-trimpath) and copies ``run.sh`` and the plans beside it, so the folder can be copied to a
bigger machine with no Python and no network and run there with ``./run.sh``. ``run`` starts
the runner here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .toolchain import GoToolchain, toolchain

HERE = Path(__file__).absolute().parent
PROBE_DIR = HERE / "probe"
RUNNER_DIR = HERE / "runner"
BINARY = "gmplab-probe"
RUNNER_FILES = ("run.sh", "plan.txt", "plan-quick.txt")


class BuildError(RuntimeError):
    """``go build`` failed; the message carries its output."""


@dataclass(frozen=True)
class Built:
    out_dir: Path
    binary: Path
    go_version: str
    seconds: float


def build(out_dir: str | Path, go: GoToolchain | None = None) -> Built:
    """Compile the probes into ``out_dir`` and copy the runner and plans there."""
    go = toolchain() if go is None else go
    out = Path(out_dir).absolute()
    out.mkdir(parents=True, exist_ok=True)
    binary = out / BINARY
    cmd = [str(go.path), "build", "-trimpath", "-buildvcs=false", "-o", str(binary), "."]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=PROBE_DIR, env={**go.env, "CGO_ENABLED": "0"}, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise BuildError(f"go build failed ({go.version}):\n{proc.stdout}{proc.stderr}".rstrip())
    for name in RUNNER_FILES:
        shutil.copyfile(RUNNER_DIR / name, out / name)
    (out / "run.sh").chmod(0o755)
    info = {"go_version": go.version, "go": str(go.path), "build_s": round(seconds, 3)}
    (out / "build.json").write_text(json.dumps(info, indent=1) + "\n")
    return Built(out_dir=out, binary=binary, go_version=go.version, seconds=seconds)


def run(
    out_dir: str | Path,
    quick: bool = False,
    replications: int | None = None,
    timeout_s: int | None = None,
    extra: list[str] | tuple[str, ...] = (),
    capture_output: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``out_dir/run.sh`` (captures go to ``out_dir/out``); its exit status is 0 when
    every run has a capture, 1 when some failed (their ``.err`` files say why)."""
    folder = Path(out_dir)
    if not (folder / "run.sh").is_file() or not (folder / BINARY).is_file():
        raise FileNotFoundError(f"{folder}: no run.sh and {BINARY} here (run `build` first)")
    cmd = ["sh", str(folder / "run.sh")]
    if quick:
        cmd.append("--quick")
    if replications is not None:
        cmd += ["--replications", str(replications)]
    if timeout_s is not None:
        cmd += ["--timeout-s", str(timeout_s)]
    cmd += list(extra)
    return subprocess.run(cmd, capture_output=capture_output, text=True)
