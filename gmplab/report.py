"""Reports: notebooks -> executed notebooks (papermill) -> a static, offline HTML site.

Two halves. Notebook side, :class:`Page`: a notebook creates one after its ``parameters`` cell
and uses it to show its parameters, figures (each with its data saved beside it as parquet and
the commands that reproduce it), the interval half-widths it reached, a validity note and a
provenance footer. Build side, :func:`build` (``gmplab report [--quick | --full]``): runs every
notebook in ``notebooks/`` through papermill with its quick, default or full parameters, renders
each to ``reports/<name>/index.html`` with no CDN script (no require.js, MathJax or mermaid) and
writes ``reports/index.html`` linking them, with each notebook's wall time against its budget.

Each notebook states in its metadata (``metadata.gmplab``): ``title``, ``summary``, ``budget_s``
(the wall time its defaults keep on the 2-core reference machine from a cold cache), ``quick``
(parameters for tests) and ``full`` (the expensive sweeps).
"""

from __future__ import annotations

import argparse
import ast
import base64
import dataclasses
import datetime as dt
import html
import io
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import tokenize
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import polars as pl

from .sweep import PACKAGE_DIR, PRECISION_FLOOR_NS, meets_target, project_root

MODES = ("quick", "default", "full")
PRECISION_TARGET = 0.05  # the relative P99 half-width every plotted point should reach
PACKAGES = (
    "gmplab",
    "numpy",
    "numba",
    "polars",
    "pyarrow",
    "scipy",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "ipykernel",
    "distributed",
)


def notebooks_dir() -> Path:
    root = project_root()
    return (root if root is not None else Path.cwd()) / "notebooks"


# ---------------------------------------------------------------------------------------------
# the parameters cell: names, annotations, values and the comment of each
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass
class ParamDoc:
    name: str
    annotation: str
    default: Any
    comment: str


def parameters_cell(nb: dict) -> dict | None:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get(
            "tags", []
        ):
            return cell
    return None


def parse_parameters(source: str) -> list[ParamDoc]:
    """Each top-level assignment of a parameters cell with its trailing ``# comment``."""
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, ann, value = node.target.id, ast.unparse(node.annotation), node.value
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name, ann, value = node.targets[0].id, "", node.value
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = ast.unparse(value)
        comment = comments.get(node.end_lineno or node.lineno) or comments.get(node.lineno, "")
        out.append(ParamDoc(name, ann, default, comment))
    return out


def _read_nb(path: Path) -> dict:
    return json.loads(Path(path).read_text())


# ---------------------------------------------------------------------------------------------
# provenance
# ---------------------------------------------------------------------------------------------
def git_info(root: Path | None = None) -> dict:
    """The checkout's commit and whether tracked files differ from it (read-only git calls)."""
    root = root or project_root() or Path.cwd()
    info = {"commit": "unknown", "dirty": None}
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0:
            info["commit"] = out.stdout.strip()
            st = subprocess.run(
                ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            info["dirty"] = bool(st.stdout.strip()) if st.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = importlib_metadata.version(p)
        except importlib_metadata.PackageNotFoundError:
            out[p] = "-"
    return out


def machine_info() -> dict:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
    }


# ---------------------------------------------------------------------------------------------
# the notebook side
# ---------------------------------------------------------------------------------------------
_CSS = """
<style>
.gmplab-box{border:1px solid #d0d7de;border-radius:6px;padding:.6em .9em;margin:.6em 0;
 font-size:13px;line-height:1.45;background:#fbfcfd}
.gmplab-box h3{margin:.1em 0 .4em 0;font-size:14px}
.gmplab-box table{border-collapse:collapse;font-size:12.5px}
.gmplab-box table td,.gmplab-box table th{padding:2px 8px!important;text-align:left!important;
 border-bottom:1px solid #eaeef2;vertical-align:top}
.gmplab-box code{font-size:12px}
.gmplab-validity{border-left:4px solid #bf8700}
.gmplab-provenance{color:#444;font-size:12px}
figure.gmplab-figure{margin:.8em 0 1.2em 0}
figure.gmplab-figure img{max-width:100%;height:auto;border:1px solid #eee}
figure.gmplab-figure figcaption{font-size:12.5px;color:#333;margin-top:.3em;line-height:1.45}
.gmplab-miss{color:#b42318;font-weight:bold}
.gmplab-ok{color:#1a7f37}
</style>
"""


def _display_html(text: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        print(re.sub(r"<[^>]+>", "", text))
        return
    if get_ipython() is None:
        print(re.sub(r"<[^>]+>", "", html.unescape(text)))
        return
    display(HTML(text))


def _fitted_profile_note() -> str:
    """A sentence on the committed fitted profile (report 11), when there is one."""
    from .calibrate.fit import default_profile_path

    path = default_profile_path()
    if path is None:
        return ""
    try:
        prof = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return ""
    cal, fit = prof.get("_calibration", {}), prof.get("_fit", {})
    ident = ", ".join(f"<code>{html.escape(k)}</code>" for k in fit.get("identified", []))
    return (
        f" A profile fitted on {html.escape(str(cal.get('machine')))} ({cal.get('cores')} "
        f"cores, <code>{html.escape(_rel(path))}</code>) identified "
        f"{ident or 'no cost'}; this page does not use it (report 11 shows why the model's "
        "misses there are mechanisms, not costs)."
    )


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v) if isinstance(v, str) else str(v)


def _rel(path: Path) -> str:
    root = project_root()
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


class Page:
    """A report page: what a notebook shows besides its own prose.

    ``Page("02-gomaxprocs", globals())`` reads the notebook's ``parameters`` cell (names and
    comments) and takes the current values from the namespace (papermill's injected values
    included). ``output_dir`` (a parameter) is where figure data go; empty: nothing is saved.
    """

    def __init__(
        self,
        name: str,
        namespace: dict | None = None,
        params: dict | None = None,
        notebook: str | Path | None = None,
    ):
        self.name = name
        self.t0 = time.perf_counter()
        self.started = dt.datetime.now(dt.UTC)
        self.notebook = Path(notebook) if notebook else notebooks_dir() / f"{name}.ipynb"
        self.docs: list[ParamDoc] = []
        self.meta: dict = {}
        if self.notebook.is_file():
            nb = _read_nb(self.notebook)
            self.meta = nb.get("metadata", {}).get("gmplab", {})
            cell = parameters_cell(nb)
            if cell is not None:
                self.docs = parse_parameters("".join(cell["source"]))
        if params is None:
            ns = namespace or {}
            names = [d.name for d in self.docs] or [k for k in ns if not k.startswith("_")]
            params = {k: ns[k] for k in names if k in ns}
        self.params = dict(params)
        out = self.params.get("output_dir") or ""
        self.output_dir = Path(out) if out else None
        if self.output_dir is not None:
            self.output_dir.mkdir(parents=True, exist_ok=True)
        self.mode = os.environ.get("GMPLAB_REPORT_MODE", "interactive")
        self.sweeps: list[dict] = []
        self.figures: list[dict] = []
        self.precision_rows: list[dict] = []
        self._css_done = False

    # --- helpers ------------------------------------------------------------------------
    def _show(self, body: str) -> None:
        if not self._css_done:
            body = _CSS + body
            self._css_done = True
        _display_html(body)

    def _write_json(self, name: str, data: dict) -> None:
        if self.output_dir is not None:
            (self.output_dir / name).write_text(json.dumps(data, indent=1, default=str))

    def reproduce_command(self) -> str:
        nb = _rel(self.notebook)
        if self.output_dir is None:
            return f"papermill {nb} out.ipynb"
        od = _rel(self.output_dir)
        return f"papermill {nb} {od}/{self.name}.ipynb -f {od}/parameters.yaml"

    # --- sections -----------------------------------------------------------------------
    def parameters(self) -> None:
        """The parameters this run used, with the comment of each (and parameters.yaml)."""
        docs = {d.name: d for d in self.docs}
        rows = []
        for k, v in self.params.items():
            d = docs.get(k)
            changed = d is not None and d.default != v
            mark = ' <span title="not the notebook default">*</span>' if changed else ""
            rows.append(
                f"<tr><td><code>{html.escape(k)}</code></td>"
                f"<td><code>{html.escape(_fmt_value(v))}</code>{mark}</td>"
                f"<td>{html.escape(d.annotation if d else '')}</td>"
                f"<td>{html.escape(d.comment if d else '')}</td></tr>"
            )
        if self.output_dir is not None:
            import yaml

            (self.output_dir / "parameters.yaml").write_text(
                yaml.safe_dump(self.params, sort_keys=False, default_flow_style=None)
            )
        mode = {
            "quick": "quick (tiny parameters for tests: the numbers mean nothing)",
            "default": "default",
            "full": "full (the expensive sweeps)",
        }.get(self.mode, self.mode)
        self._show(
            f'<div class="gmplab-box gmplab-parameters" id="gmplab-parameters">'
            f"<h3>Parameters</h3><p>Mode: {html.escape(mode)}. "
            "* marks a value that is not the notebook's default.</p>"
            "<table><tr><th>name</th><th>value</th><th>type</th><th>meaning</th></tr>"
            + "".join(rows)
            + f"</table><p>Reproduce this page: <code>{html.escape(self.reproduce_command())}"
            "</code></p></div>"
        )

    def run(self, sweep, **kwargs):
        """Run a sweep (through the cache) and record it for the provenance footer."""
        from . import sweep as sweep_mod

        res = sweep_mod.run(sweep, **kwargs)
        self.sweeps.append(
            {
                "name": sweep.name,
                "points": len(res.points),
                "runs": res.table.height,
                "computed": res.stats.computed,
                "cached": res.stats.cached,
                "wall_s": round(res.stats.wall_s, 2),
                "executor": res.stats.executor,
                "seed": sweep.seed,
                "replications": "{}..{}".format(
                    res.table.group_by("point").len()["len"].min(),
                    res.table.group_by("point").len()["len"].max(),
                ),
                "code_version": res.code_version,
            }
        )
        return res

    def figure(self, fn, data: pl.DataFrame, name: str, caption: str, **kwargs) -> None:
        """Draw ``fn(data, **kwargs)``, show it with its caption, save its data (parquet)."""
        fig = fn(data, **kwargs)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        png = buf.getvalue()
        fname = f"{name}.parquet"
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        replot = (
            f"gmplab.plots.{fn.__name__}(pl.read_parquet({fname!r}){', ' if args else ''}{args})"
        )
        if self.output_dir is not None:
            data.write_parquet(self.output_dir / fname)
            (self.output_dir / f"{name}.png").write_bytes(png)
            link = (
                f'<a class="gmplab-data" href="{html.escape(fname)}">{html.escape(fname)}</a> '
                f"({data.height} rows)"
            )
        else:
            link = f"not saved (interactive run; {data.height} rows)"
        self.figures.append({"name": name, "rows": data.height, "data": fname})
        b64 = base64.b64encode(png).decode()
        self._show(
            f'<figure class="gmplab-figure" id="fig-{html.escape(name)}" '
            f'data-name="{html.escape(name)}" data-rows="{data.height}">'
            f'<img alt="{html.escape(caption)}" src="data:image/png;base64,{b64}"/>'
            f"<figcaption>{caption}<br/>Data: {link}. Redraw: <code>{html.escape(replot)}"
            f"</code>. Recompute: <code>{html.escape(self.reproduce_command())}</code>."
            "</figcaption></figure>"
        )

    def table(self, df: pl.DataFrame, caption: str = "", max_rows: int = 60) -> None:
        """A small table (numbers rounded) in the page."""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
        body = []
        for row in df.head(max_rows).iter_rows():
            cells = []
            for v in row:
                if v is None:
                    txt = "-"
                elif isinstance(v, float):
                    txt = (
                        "nan"
                        if not math.isfinite(v)
                        else (f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}")
                    )
                else:
                    txt = str(v)
                cells.append(f"<td>{html.escape(txt)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        more = f"<p>{df.height - max_rows} more rows not shown.</p>" if df.height > max_rows else ""
        cap = f"<h3>{html.escape(caption)}</h3>" if caption else ""
        rows = "".join(body)
        self._show(f'<div class="gmplab-box">{cap}<table><tr>{head}</tr>{rows}</table>{more}</div>')

    def precision(
        self,
        summary: pl.DataFrame,
        metrics: Sequence[str] = ("sojourn_ns_p99",),
        label: str = "label",
        target: float = PRECISION_TARGET,
        what: str = "",
    ) -> None:
        """The 95% interval half-widths the plotted points reached, against the target.

        Saturated points (no stationary tail) are listed apart: their P99 grows with the run
        length, so no interval describes them. The per-point rows are kept in
        ``self.precision_rows`` (and precision.json).
        """
        rows = []
        for m in metrics:
            floor = PRECISION_FLOOR_NS if "_ns" in m else 0.0
            for r in summary.iter_rows(named=True):
                mean, lo, hi = r.get(m), r.get(f"{m}_lo"), r.get(f"{m}_hi")
                half = (hi - lo) / 2 if lo is not None and hi is not None else float("nan")
                sat = bool(r.get("saturated", False))
                nsat = r.get("saturated_replications")
                rows.append(
                    {
                        "metric": m,
                        "point": str(r.get(label) or r.get("policy") or r.get("point")),
                        "replications": r.get("replications"),
                        "mean": mean,
                        "half_width": half,
                        "hw_rel": half / abs(mean) if mean else (0.0 if half == 0 else math.inf),
                        # the same against the floor for tiny ns values (what the target uses)
                        "hw_eff": half / max(abs(mean or 0.0), floor) if floor or mean else 0.0,
                        "saturated": sat,
                        "saturated_replications": nsat,
                        "meets": (not sat) and meets_target(half, mean, m, target),
                    }
                )
        df = pl.DataFrame(rows)
        self.precision_rows += rows
        live = df.filter(~pl.col("saturated"))
        miss = live.filter(~pl.col("meets"))
        n_sat = df.filter(pl.col("saturated"))["point"].n_unique()
        parts = []
        for m in metrics:
            sub = live.filter(pl.col("metric") == m)
            if sub.height == 0:
                continue
            w = sub.sort("hw_eff", descending=True, nulls_last=True).row(0, named=True)
            ok = sub["meets"].sum()
            parts.append(
                f"<tr><td><code>{m}</code></td><td>{ok}/{sub.height}</td>"
                f"<td>{w['hw_eff'] * 100:.2f}% at {html.escape(w['point'])} "
                f"(&plusmn;{w['half_width']:,.0f} on {w['mean']:,.0f})</td>"
                f"<td>{sub['replications'].min()}..{sub['replications'].max()}</td></tr>"
            )
        status = (
            '<span class="gmplab-ok">every plotted point meets the target</span>'
            if miss.height == 0
            else f'<span class="gmplab-miss">{miss.height} point(s) miss the target: '
            + html.escape(", ".join(miss["point"].unique(maintain_order=True).to_list()[:8]))
            + "</span>"
        )
        sat_rows = (
            df.filter(pl.col("saturated"))
            .unique(subset="point", keep="first", maintain_order=True)
            .iter_rows(named=True)
        )
        sat_list = ", ".join(
            f"{r['point']} ({r['saturated_replications']} of {r['replications']} replications)"
            if r.get("saturated_replications") is not None
            else r["point"]
            for r in sat_rows
        )
        sat_txt = (
            f" {n_sat} saturated point(s) are marked (a triangle, or a hatched bar) and "
            "excluded: in some or all "
            "of their replications the queue grows for as long as the run lasts, so their P99 "
            f"has no stationary value: {html.escape(sat_list)}."
            if n_sat
            else ""
        )
        self._show(
            '<div class="gmplab-box gmplab-precision" id="gmplab-precision">'
            f"<h3>Precision{(': ' + html.escape(what)) if what else ''}</h3>"
            f"<p>95% Student-t half-widths over independent replications; target "
            f"{target:.0%} of the value (or {target * PRECISION_FLOOR_NS:.0f} ns when the value "
            f"is below {PRECISION_FLOOR_NS:.0f} ns). {status}.{sat_txt}</p>"
            "<table><tr><th>metric</th><th>points meeting it</th><th>widest</th>"
            "<th>replications</th></tr>" + "".join(parts) + "</table></div>"
        )
        # the page's record: every precision table shown so far
        every = pl.DataFrame(self.precision_rows)
        alive = every.filter(~pl.col("saturated"))
        worst = alive["hw_eff"].max() if alive.height else None
        self._write_json(
            "precision.json",
            {
                "target": target,
                "worst_hw_rel": worst if worst is not None and math.isfinite(worst) else None,
                "points": int(alive.height),
                "missing": int(alive.filter(~pl.col("meets")).height),
                "saturated": int(every.filter(pl.col("saturated")).height),
                "rows": self.precision_rows,
            },
        )

    def validity(self, costs: str = "default", cores: Sequence[int] = (), extra: str = "") -> None:
        """Which costs profile, whether it was calibrated (where), what is an extrapolation."""
        from .params import Costs

        prof = Costs.resolve(costs)
        calib = None
        if isinstance(costs, str) and costs not in ("zero", "default") and Path(costs).is_file():
            try:
                calib = json.loads(Path(costs).read_text()).get("_calibration")
            except (OSError, json.JSONDecodeError):
                calib = None
        max_cores = max(cores) if cores else None
        if calib:
            cm = calib.get("cores")
            where = html.escape(str(calib.get("machine", "an unnamed machine")))
            text = (
                f"Costs profile <code>{html.escape(prof.profile)}</code>: calibrated on {where}"
                f"{f' ({cm} cores)' if cm else ''}"
                f"{', ' + html.escape(str(calib.get('date'))) if calib.get('date') else ''}."
            )
            if cm and max_cores and max_cores > cm:
                n = sum(1 for c in cores if c > cm)
                text += (
                    f" {n} of the configurations here have more cores than the calibration "
                    f"machine (up to {max_cores}): their results are extrapolations."
                )
            else:
                text += " No configuration here is larger than the calibration machine."
        else:
            text = (
                f"Costs profile <code>{html.escape(prof.profile)}</code>: "
                + (
                    "every mechanism free (an idealised machine)."
                    if prof.profile == "zero"
                    else "figures from the literature and Go's own benchmarks (each with its "
                    "source in <code>gmplab/params.py</code>), <b>not calibrated</b> on any "
                    "machine yet."
                )
                + " With no calibration machine, every result here is a model estimate, and "
                "results for machines larger than any measured one"
                + (f" (this page goes up to {max_cores} cores)" if max_cores else "")
                + " are extrapolations. The sensitivity report (10) shows which conclusions "
                "move when each cost is halved or doubled." + _fitted_profile_note()
            )
        scope = (
            "Scope (docs/model.md): Ms above the CPUs share them in round-robin OS time slices "
            "(not CFS's virtual runtimes); the CPU time of Ms without a P (sysmon, the "
            "netpoller's, syscall Ms) is not charged to cores or quotas; <code>sched.lock</code> "
            "is Go 1.24's spinbit mutex for <code>go</code> 1.24+ (FIFO hand-off otherwise), and "
            "neither discipline charges the CPU that spinning waiters burn."
        )
        self._show(
            '<div class="gmplab-box gmplab-validity" id="gmplab-validity">'
            f"<h3>Validity</h3><p>{text}</p><p>{scope}</p>"
            f"{f'<p>{extra}</p>' if extra else ''}</div>"
        )
        self._write_json(
            "validity.json",
            {"costs_profile": prof.profile, "calibration": calib, "max_cores": max_cores},
        )

    def footer(self) -> None:
        """Provenance: git commit, package versions, kernel code version, seeds, wall time."""
        from .sweep import code_version

        wall = time.perf_counter() - self.t0
        git = git_info()
        vers = package_versions()
        seeds = sorted({s["seed"] for s in self.sweeps})
        if not seeds and isinstance(self.params.get("seed"), int):
            seeds = [self.params["seed"]]  # a page that runs no sweep seeds its runs directly
        prov = {
            "notebook": self.name,
            "mode": self.mode,
            "started_utc": self.started.isoformat(timespec="seconds"),
            "wall_s": round(wall, 1),
            "budget_s": self.meta.get("budget_s"),
            "git_commit": git["commit"],
            "git_dirty": git["dirty"],
            "code_version": code_version(),
            "seeds": seeds,
            "sweeps": self.sweeps,
            "versions": vers,
            "machine": machine_info(),
            "figures": self.figures,
        }
        self._write_json("provenance.json", prov)
        dirty = {True: " (with uncommitted changes)", False: "", None: ""}[git["dirty"]]
        sweeps = "".join(
            f"<tr><td><code>{html.escape(s['name'])}</code></td><td>{s['points']}</td>"
            f"<td>{s['runs']}</td><td>{s['computed']}</td><td>{s['cached']}</td>"
            f"<td>{s['seed']}</td><td>{s['replications']}</td><td>{s['wall_s']:.1f} s</td>"
            f"<td>{s['executor']}</td></tr>"
            for s in self.sweeps
        )
        vtxt = ", ".join(f"{k} {v}" for k, v in vers.items())
        m = prov["machine"]
        self._show(
            '<div class="gmplab-box gmplab-provenance" id="gmplab-provenance">'
            "<h3>Provenance</h3>"
            f"<p>git commit <code>{html.escape(git['commit'])}</code>{dirty}; kernel code "
            f"version <code>{prov['code_version']}</code> (the cache key); seeds "
            f"<code>{', '.join(map(str, seeds)) or '-'}</code> (replication i of every point "
            "is child i of <code>SeedSequence(seed)</code>); wall time "
            f"{wall:.1f} s{' (budget ' + str(prov['budget_s']) + ' s)' if prov['budget_s'] else ''}"
            f" on {html.escape(str(m['cpu']))} ({m['cpus']} CPUs); started "
            f"{prov['started_utc']}.</p>"
            + (
                "<table><tr><th>sweep</th><th>points</th><th>runs</th><th>simulated</th>"
                "<th>cached</th><th>seed</th><th>replications</th><th>wall</th><th>executor</th>"
                f"</tr>{sweeps}</table>"
                if sweeps
                else ""
            )
            + f"<p>{html.escape(vtxt)}</p></div>"
        )


# ---------------------------------------------------------------------------------------------
# the build side
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass
class NotebookInfo:
    name: str
    path: Path
    title: str
    summary: str
    budget_s: float
    quick: dict
    full: dict

    def parameters(self, mode: str) -> dict:
        return dict(self.quick if mode == "quick" else self.full if mode == "full" else {})


def discover(directory: Path | None = None) -> list[NotebookInfo]:
    """Every ``notebooks/NN-*.ipynb`` with its ``metadata.gmplab`` block, in name order."""
    directory = directory or notebooks_dir()
    out = []
    for p in sorted(directory.glob("[0-9][0-9]-*.ipynb")):
        meta = _read_nb(p).get("metadata", {}).get("gmplab", {})
        out.append(
            NotebookInfo(
                name=p.stem,
                path=p,
                title=meta.get("title", p.stem),
                summary=meta.get("summary", ""),
                budget_s=float(meta.get("budget_s", 0) or 0),
                quick=meta.get("quick", {}),
                full=meta.get("full", {}),
            )
        )
    return out


_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def render_html(nb_path: Path, title: str, nav: str) -> str:
    """An executed notebook as offline HTML: no code inputs, no scripts from any CDN."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(nb_path), as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"gmplab_report.html.j2": _TEMPLATE})],
        template_file="gmplab_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        mathjax_url="",
        require_js_url="",
    )
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r"(<main>)", r"\1" + nav.replace("\\", "\\\\"), body, count=1)
    return body


def _page_css() -> str:
    return (
        "<style>body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;"
        "margin:2em auto;max-width:1100px;padding:0 1em;color:#1f2328}"
        "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #d0d7de;"
        "text-align:left;vertical-align:top}th{background:#f6f8fa}"
        ".ok{color:#1a7f37}.bad{color:#b42318;font-weight:bold}.note{color:#555;font-size:13px}"
        "code{font-size:12.5px}</style>"
    )


def _nav(info: NotebookInfo, mode: str) -> str:
    return (
        '<nav class="gmplab-nav" style="font:13px system-ui,sans-serif;margin:8px 0 4px 0">'
        '<a href="../index.html">&larr; all reports</a> &middot; '
        f'<a href="{html.escape(info.name)}.ipynb">executed notebook (.ipynb)</a> &middot; '
        f"mode <code>{mode}</code></nav>"
    )


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


@dataclasses.dataclass
class BuildEntry:
    info: NotebookInfo
    ok: bool
    wall_s: float
    error: str = ""
    mode: str = "default"
    jobs: int = 1  # notebooks that ran at a time in its build (its wall time shared above 1)


def _fmt_dur(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def write_index(out_dir: Path, entries: list[BuildEntry], mode: str, wall_s: float) -> Path:
    rows = []
    for e in entries:
        prec = _load_json(out_dir / e.info.name / "precision.json")
        prov = _load_json(out_dir / e.info.name / "provenance.json")
        over = e.info.budget_s and e.wall_s > e.info.budget_s and mode == "default" and e.jobs == 1
        status = '<span class="ok">ok</span>' if e.ok else '<span class="bad">failed</span>'
        if e.mode != mode:
            status += f' <span class="note">({html.escape(e.mode)} build)</span>'
        t = f"{_fmt_dur(e.wall_s)}"
        if e.info.budget_s:
            t += f' / {_fmt_dur(e.info.budget_s)} <span class="{"bad" if over else "note"}">'
            t += "over budget" if over else "budget"
            if e.jobs > 1:
                t += f", {e.jobs} notebooks at a time"
            t += "</span>"
        if prec.get("worst_hw_rel") is not None:
            p = f"{prec['worst_hw_rel'] * 100:.1f}%"
            if prec.get("missing"):
                p += f' <span class="bad">({prec["missing"]} miss)</span>'
            if prec.get("saturated"):
                p += f' <span class="note">({prec["saturated"]} saturated)</span>'
        else:
            p = "-"
        figs = len(prov.get("figures", []))
        rows.append(
            f'<tr><td><a href="{html.escape(e.info.name)}/index.html">'
            f"{html.escape(e.info.title)}</a><div class='note'>{html.escape(e.info.summary)}</div>"
            f"{'<div class=bad>' + html.escape(e.error[:300]) + '</div>' if e.error else ''}</td>"
            f"<td>{status}</td><td>{t}</td><td>{figs}</td><td>{p}</td></tr>"
        )
    git = git_info()
    vers = package_versions()
    from .sweep import code_version, default_cache_dir

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    cmd = "gmplab report" + ("" if mode == "default" else f" --{mode}")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'/>"
        "<meta name='viewport' content='width=device-width, initial-scale=1.0'/>"
        f"<title>gmplab reports</title>{_page_css()}</head><body><main>"
        "<h1>gmplab reports</h1>"
        "<p>Simulations of Go's goroutine scheduler (G/M/P) and the designs it is compared "
        f"with. Built with <code>{cmd}</code> (mode <b>{mode}</b>"
        + (": tiny parameters for tests, the numbers mean nothing" if mode == "quick" else "")
        + f") in {_fmt_dur(wall_s)}.</p>"
        "<table><tr><th>report</th><th>status</th><th>wall time / budget</th><th>figures</th>"
        "<th>widest P99 half-width</th></tr>" + "".join(rows) + "</table>"
        '<div id="gmplab-provenance" class="note" style="margin-top:2em">'
        f"<p>git commit <code>{html.escape(git['commit'])}</code>"
        f"{' (with uncommitted changes)' if git['dirty'] else ''}; kernel code version "
        f"<code>{code_version()}</code>; cache <code>{html.escape(_rel(default_cache_dir()))}"
        f"</code>; built {now} on {html.escape(str(machine_info()['cpu']))}.</p>"
        f"<p>{html.escape(', '.join(f'{k} {v}' for k, v in vers.items()))}</p></div>"
        "</main></body></html>"
    )
    path = out_dir / "index.html"
    path.write_text(page)
    return path


def build(
    mode: str = "default",
    out_dir: str | Path | None = None,
    only: Sequence[str] | None = None,
    notebooks: Path | None = None,
    log=print,
    jobs: int = 1,
) -> tuple[int, list[BuildEntry]]:
    """Run every notebook (papermill) and render the site. Returns (exit status, entries).

    ``jobs`` notebooks run at a time, each in its own kernel; with more than one, a notebook's
    wall time is shared with the others, so the index does not hold it against its budget."""
    import papermill as pm

    if mode not in MODES:
        raise ValueError(f"mode: one of {MODES} (got {mode!r})")
    if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 64:
        raise ValueError(f"jobs: notebooks at a time, an integer in [1, 64] (got {jobs!r})")
    out_dir = Path(out_dir) if out_dir else (project_root() or Path.cwd()) / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    every = discover(notebooks)
    infos = every
    kept: dict[str, BuildEntry] = {}
    if only:
        infos = [i for i in every if any(i.name == o or i.name.startswith(o) for o in only)]
        if not infos:
            raise ValueError(f"--only: no notebook matches {list(only)}")
        old_build = _load_json(out_dir / "build.json")
        for nb in old_build.get("notebooks", []):  # the index keeps reports built before
            info = next((i for i in every if i.name == nb["name"]), None)
            if info and info not in infos and (out_dir / info.name / "index.html").is_file():
                kept[info.name] = BuildEntry(
                    info,
                    nb["ok"],
                    nb["wall_s"],
                    "",
                    nb.get("mode", old_build.get("mode", "?")),
                    int(nb.get("jobs", 1)),
                )
    t_all = time.perf_counter()
    old = os.environ.get("GMPLAB_REPORT_MODE")
    os.environ["GMPLAB_REPORT_MODE"] = mode

    def run_one(info: NotebookInfo) -> BuildEntry:
        dest = out_dir / info.name
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        params = info.parameters(mode)
        params["output_dir"] = str(dest.resolve())
        executed = dest / f"{info.name}.ipynb"
        log(f"[{info.name}] running ({mode}; budget {_fmt_dur(info.budget_s)})")
        t0 = time.perf_counter()
        ok, err = True, ""
        try:
            pm.execute_notebook(
                str(info.path),
                str(executed),
                parameters=params,
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                cwd=str(info.path.parent),
                # a cell may take 4x the page's budget in the default and quick modes; the
                # full mode's sweeps are hours long by design, so its cells get 6 hours
                execution_timeout=(
                    6 * 3600 if mode == "full" else max(600, int(4 * info.budget_s))
                ),
            )
        except Exception as e:  # papermill's execution error, kernel death, timeouts
            ok, err = False, f"{type(e).__name__}: {str(e).strip().splitlines()[-1:]}"
        wall = time.perf_counter() - t0
        if executed.is_file():
            page = render_html(executed, info.title, _nav(info, mode))
            (dest / "index.html").write_text(page)
        else:
            (dest / "index.html").write_text(
                f"<!DOCTYPE html><html><body><p>{html.escape(err)}</p></body></html>"
            )
        entry = BuildEntry(info, ok, wall, err, mode, jobs)
        log(
            f"[{info.name}] {'ok' if ok else 'FAILED'} in {_fmt_dur(wall)}"
            + (f": {err}" if err else "")
        )
        return entry

    try:
        if jobs == 1:
            entries = [run_one(info) for info in infos]
        else:  # each notebook runs in its own kernel process; the threads only wait on them
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                entries = list(pool.map(run_one, infos))
    finally:
        if old is None:
            os.environ.pop("GMPLAB_REPORT_MODE", None)
        else:
            os.environ["GMPLAB_REPORT_MODE"] = old
    total = time.perf_counter() - t_all
    built = {e.info.name for e in entries}
    listed = [
        next(e for e in entries if e.info.name == i.name) if i.name in built else kept[i.name]
        for i in every
        if i.name in built or i.name in kept
    ]
    index = write_index(out_dir, listed, mode, total)
    (out_dir / "build.json").write_text(
        json.dumps(
            {
                "mode": mode,
                "wall_s": round(total, 1),
                "jobs": jobs,
                "notebooks": [
                    {
                        "name": e.info.name,
                        "ok": e.ok,
                        "wall_s": round(e.wall_s, 1),
                        "budget_s": e.info.budget_s,
                        "mode": e.mode,
                        "jobs": e.jobs,
                    }
                    for e in listed
                ],
            },
            indent=1,
        )
    )
    log(f"wrote {index} ({_fmt_dur(total)})")
    return (0 if all(e.ok for e in entries) else 1), entries


# ---------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------
def build_arg_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(
        prog="gmplab report", description="Run every notebook and render the HTML reports."
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="tiny parameters (tests; seconds)")
    g.add_argument("--full", action="store_true", help="the expensive sweeps")
    p.add_argument("--only", action="append", default=None, metavar="NAME", help="NN or NN-name")
    p.add_argument("--out", default=None, help="output folder (default: reports/)")
    p.add_argument(
        "--executor",
        default=None,
        choices=["auto", "serial", "processes", "dask"],
        help="where sweeps run (default auto: a process pool, in-process for tiny sweeps)",
    )
    p.add_argument("--workers", type=int, default=None, help="process pool / LocalCluster size")
    p.add_argument("--dask", default=None, metavar="tcp://HOST:PORT", help="an existing scheduler")
    p.add_argument("--cache-dir", default=None, help="sweep cache (default: data/cache)")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="notebooks run at a time, each in its own kernel (default 1: wall times are then "
        "held against the budgets)",
    )
    p.add_argument("--list", action="store_true", help="list the notebooks and their budgets")
    return p


def run_cli(args: argparse.Namespace) -> int:
    if args.list:
        for i in discover():
            print(f"{i.name:<24} {_fmt_dur(i.budget_s):>8}  {i.title}")
        return 0
    env = {
        "GMPLAB_EXECUTOR": args.executor if args.executor not in (None, "auto") else None,
        "GMPLAB_WORKERS": str(args.workers) if args.workers else None,
        "GMPLAB_DASK": args.dask,
        "GMPLAB_CACHE_DIR": str(Path(args.cache_dir).resolve()) if args.cache_dir else None,
    }
    for k, v in env.items():
        if v:
            os.environ[k] = v  # the notebooks' kernels inherit the environment
    mode = "quick" if args.quick else "full" if args.full else "default"
    try:
        status, _ = build(
            mode, args.out, args.only, log=lambda m: print(m, file=sys.stderr), jobs=args.jobs
        )
    except ValueError as e:
        print(f"gmplab: error: {e}", file=sys.stderr)
        return 2
    return status


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_arg_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["PACKAGE_DIR", "Page", "build", "discover", "main", "render_html"]
