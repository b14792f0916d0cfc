"""One report style and the figure functions the notebooks use.

Every figure function takes a polars frame (plus scalar options) and returns a matplotlib
``Figure``; none touches pyplot, a global style or the disk, so a figure can be redrawn from its
saved data alone (``plots.latency_vs_x(pl.read_parquet("fig.parquet"), x="gomaxprocs")``).
Conventions: latencies are stored in ns and drawn in µs on log axes; intervals are bands (or
whiskers) between ``<col>_lo`` and ``<col>_hi``; tails are CCDFs on log-log axes; reference
curves from queueing theory are rows whose ``source`` is not ``"simulated"`` (dashed lines);
saturated points (their queue grows without bound, so no tail exists) are marked with a hollow
triangle at the top edge instead of a value.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import polars as pl
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

# one colour per policy (and a fallback cycle for anything else), constant across figures
_PALETTE = sns.color_palette("colorblind", 10)
POLICY_COLORS = {
    "go": _PALETTE[0],
    "global": _PALETTE[1],
    "central": _PALETTE[2],
    "partitioned": _PALETTE[3],
}
QUANTILE_STYLES = {"p50": ":", "p90": "-.", "p99": "-", "p999": "--", "mean": (0, (1, 3))}
QUANTILE_MARKERS = {"p50": "o", "p90": "s", "p99": "D", "p999": "^", "mean": "x"}
THEORY_STYLE = dict(color="0.25", linewidth=1.1, zorder=1)
THEORY_DASHES = ["--", (0, (5, 2, 1, 2)), (0, (1, 1.5)), (0, (8, 3))]
QUANTILE_NAMES = {"p50": "P50", "p90": "P90", "p99": "P99", "p999": "P99.9", "mean": "mean"}
METRIC_NAMES = {
    "sojourn_ns": "sojourn (arrival to completion)",
    "sched_latency_ns": "scheduling latency (runnable to running)",
    "schedule_ns": "time in schedule()",
}

# the report style: applied inside each function through a context, never globally
REPORT_RC = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "lines.linewidth": 1.6,
    "lines.markersize": 4.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@contextlib.contextmanager
def report_style():
    """The report style as a context (seaborn whitegrid + REPORT_RC)."""
    with sns.axes_style("whitegrid"), mpl.rc_context(REPORT_RC):
        yield


def new_figure(width: float = 7.5, height: float = 4.2, nrows: int = 1, ncols: int = 1, **kw):
    """A Figure on an Agg canvas (no pyplot) and its axes."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def color_for(name, i: int = 0):
    """A policy's own colour; anything else takes the palette in order."""
    return POLICY_COLORS.get(str(name), _PALETTE[i % len(_PALETTE)])


def _us(x):
    return np.asarray(x, dtype=float) / 1000.0


def _fmt_num(v, _pos=None) -> str:
    if v == 0:
        return "0"
    if v >= 1:
        return f"{v:,.0f}" if v >= 10 or float(v).is_integer() else f"{v:g}"
    return f"{v:g}"


def _log_axis(ax, axis: str = "y") -> None:
    """A log axis labelled in plain numbers: 1-2-5 ticks when it spans under 3 decades."""
    getattr(ax, f"set_{axis}scale")("log")
    ax.autoscale_view()
    a = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 10.0
    subs = (1.0, 2.0, 5.0) if decades < 3 else (1.0,)
    a.set_major_locator(LogLocator(base=10, subs=subs, numticks=15))
    a.set_major_formatter(FuncFormatter(_fmt_num))
    a.set_minor_formatter(NullFormatter())


def _procs_axis(ax, values: Sequence[float], label: str) -> None:
    """A log2 x axis whose ticks are exactly the swept values."""
    vals = sorted({float(v) for v in values if v is not None and v > 0})
    ax.set_xscale("log", base=2)
    if vals:
        ax.set_xticks(vals)
        ax.set_xticklabels([_fmt_num(v) for v in vals])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(vals[0] / 1.25, vals[-1] * 1.25)
    ax.set_xlabel(label)


def _split_sources(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    if "source" not in df.columns:
        return df, df.clear()
    sim = df.filter(pl.col("source") == "simulated")
    return sim, df.filter(pl.col("source") != "simulated")


def _empty(fig, ax, text="no data") -> Figure:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


SATURATED_LABEL = "saturated (queue grows: no tail)"


def _saturated_marks(ax, xs, color, label_done: list) -> None:
    """Hollow triangles on the top edge at the x of saturated points (one neutral legend
    entry for all of them)."""
    if len(xs) == 0:
        return
    tr = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    if not label_done:
        ax.scatter(
            [], [], marker="^", s=42, facecolors="none", edgecolors="0.35", label=SATURATED_LABEL
        )
        label_done.append(True)
    lbl = None
    ax.scatter(
        xs,
        np.full(len(xs), 0.97),
        marker="^",
        s=42,
        facecolors="none",
        edgecolors=color,
        linewidths=1.3,
        transform=tr,
        clip_on=False,
        zorder=5,
        label=lbl,
    )


# ---------------------------------------------------------------------------------------------
# latency quantiles against a swept parameter
# ---------------------------------------------------------------------------------------------
def latency_vs_x(
    df: pl.DataFrame,
    x: str = "gomaxprocs",
    metric: str = "sojourn_ns",
    quantiles: Sequence[str] = ("p50", "p99"),
    hue: str = "policy",
    xlabel: str | None = None,
    title: str | None = None,
    log2_x: bool = True,
    floor_ns: float = 10.0,
    vline: float | None = None,
) -> Figure:
    """Quantiles of a latency metric (ns columns ``<metric>_<q>`` with ``_lo``/``_hi``) against
    ``x``, one colour per ``hue`` value, one line style per quantile, 95% bands; rows with a
    ``source`` other than ``"simulated"`` (columns ``x``, ``quantile``, ``value_ns``) are theory
    lines; rows with ``saturated`` true are drawn as top-edge triangles. Values below
    ``floor_ns`` (a P99 of a few ns is a zero that rounding left) are not drawn. ``vline``
    marks one x value (a dotted vertical line, e.g. a default setting)."""
    sim, theory = _split_sources(df)
    floor = floor_ns / 1000.0
    with report_style():
        fig, axes = new_figure(7.6, 4.4)
        ax = axes[0, 0]
        if sim.height == 0:
            return _empty(fig, ax)
        sat_label: list = []
        plotted = 0
        groups = sim[hue].unique(maintain_order=True).to_list() if hue in sim.columns else [None]
        for i, g in enumerate(groups):
            sub = sim if g is None else sim.filter(pl.col(hue) == g)
            sub = sub.sort(x)
            sat = (
                sub["saturated"].fill_null(False).to_numpy()
                if "saturated" in sub.columns
                else np.zeros(sub.height, dtype=bool)
            )
            ok = sub.filter(pl.Series(~sat))
            col = color_for(g, i)
            for q in quantiles:
                c = f"{metric}_{q}"
                if c not in ok.columns:
                    continue
                xs = ok[x].to_numpy().astype(float)
                ys = _us(ok[c].to_numpy())
                good = ys >= floor
                plotted += int(good.sum())
                lbl = f"{g} {QUANTILE_NAMES.get(q, q)}" if g is not None else QUANTILE_NAMES[q]
                ax.plot(
                    xs[good],
                    ys[good],
                    linestyle=QUANTILE_STYLES.get(q, "-"),
                    marker=QUANTILE_MARKERS.get(q, "o"),
                    color=col,
                    label=lbl,
                )
                if f"{c}_lo" in ok.columns:
                    lo = _us(ok[f"{c}_lo"].fill_null(np.nan).to_numpy())
                    hi = _us(ok[f"{c}_hi"].fill_null(np.nan).to_numpy())
                    band = good & np.isfinite(lo) & np.isfinite(hi)
                    ax.fill_between(
                        xs[band],
                        np.maximum(lo[band], floor),
                        hi[band],
                        color=col,
                        alpha=0.18,
                        linewidth=0,
                    )
            _saturated_marks(ax, sub.filter(pl.Series(sat))[x].to_numpy(), col, sat_label)
        if theory.height:
            for j, (name, q) in enumerate(
                theory.select("source", "quantile").unique(maintain_order=True).iter_rows()
            ):
                t = theory.filter((pl.col("source") == name) & (pl.col("quantile") == q)).sort(x)
                ys = _us(t["value_ns"].to_numpy())
                good = ys >= floor
                ax.plot(
                    t[x].to_numpy()[good],
                    ys[good],
                    linestyle=THEORY_DASHES[j % len(THEORY_DASHES)],
                    label=f"{name} {QUANTILE_NAMES.get(q, q)}",
                    **THEORY_STYLE,
                )
        if vline is not None:
            ax.axvline(vline, color="0.3", linestyle=":", linewidth=1.2)
        if plotted == 0 and not theory.height:
            ax.set_ylim(1, 10)  # every point saturated: only the top-edge marks remain
        _log_axis(ax, "y")
        if log2_x:
            _procs_axis(ax, sim[x].to_list(), xlabel or x)
        else:
            ax.set_xlabel(xlabel or x)
        ax.set_ylabel(f"{METRIC_NAMES.get(metric, metric)} (µs, log)")
        ax.set_title(title or METRIC_NAMES.get(metric, metric))
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), ncols=1)
        return fig


# ---------------------------------------------------------------------------------------------
# any metric against a swept parameter
# ---------------------------------------------------------------------------------------------
def metric_vs_x(
    df: pl.DataFrame,
    y: str,
    x: str = "cores",
    hue: str = "policy",
    ylabel: str | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    log_y: bool = False,
    scale: float = 1.0,
    log2_x: bool = True,
) -> Figure:
    """One metric (``y``, with optional ``y_lo``/``y_hi``) against ``x`` per ``hue``; values are
    multiplied by ``scale`` (e.g. 1e-3 for ns -> µs); saturated rows are top-edge triangles."""
    sim, _ = _split_sources(df)
    with report_style():
        fig, axes = new_figure(7.2, 3.9)
        ax = axes[0, 0]
        if sim.height == 0 or y not in sim.columns:
            return _empty(fig, ax)
        sat_label: list = []
        groups = sim[hue].unique(maintain_order=True).to_list() if hue in sim.columns else [None]
        for i, g in enumerate(groups):
            sub = (sim if g is None else sim.filter(pl.col(hue) == g)).sort(x)
            sat = (
                sub["saturated"].fill_null(False).to_numpy()
                if "saturated" in sub.columns
                else np.zeros(sub.height, dtype=bool)
            )
            ok = sub.filter(pl.Series(~sat))
            col = color_for(g, i)
            xs = ok[x].to_numpy().astype(float)
            ys = ok[y].to_numpy().astype(float) * scale
            good = np.isfinite(ys) & ((ys > 0) if log_y else True)
            ax.plot(xs[good], ys[good], marker="o", color=col, label=str(g) if g else y)
            if f"{y}_lo" in ok.columns:
                lo = ok[f"{y}_lo"].fill_null(np.nan).to_numpy().astype(float) * scale
                hi = ok[f"{y}_hi"].fill_null(np.nan).to_numpy().astype(float) * scale
                band = good & np.isfinite(lo) & np.isfinite(hi)
                if log_y:
                    lo = np.maximum(lo, ys * 1e-3)
                ax.fill_between(xs[band], lo[band], hi[band], color=col, alpha=0.18, linewidth=0)
            _saturated_marks(ax, sub.filter(pl.Series(sat))[x].to_numpy(), col, sat_label)
        if log_y:
            _log_axis(ax, "y")
        if log2_x:
            _procs_axis(ax, sim[x].to_list(), xlabel or x)
        else:
            ax.set_xlabel(xlabel or x)
        ax.set_ylabel(ylabel or y)
        if title:
            ax.set_title(title)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
        return fig


# ---------------------------------------------------------------------------------------------
# categories (layouts) x groups (policies): point estimates with interval whiskers
# ---------------------------------------------------------------------------------------------
def points_by_category(
    df: pl.DataFrame,
    y: str,
    category: str = "topology",
    hue: str = "policy",
    ylabel: str | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    log_y: bool = False,
    scale: float = 1.0,
    rotate_labels: float = 0.0,
) -> Figure:
    """A dodged point plot: ``y`` (with ``y_lo``/``y_hi`` whiskers) per ``category`` value and
    ``hue``; saturated rows are drawn as hollow triangles on the top edge. ``rotate_labels``:
    degrees to slant the category names by (0: level)."""
    with report_style():
        fig, axes = new_figure(7.2, 3.9)
        ax = axes[0, 0]
        if df.height == 0 or y not in df.columns:
            return _empty(fig, ax)
        cats = df[category].unique(maintain_order=True).to_list()
        groups = df[hue].unique(maintain_order=True).to_list()
        width = 0.7 / max(1, len(groups))
        sat_label: list = []
        for i, g in enumerate(groups):
            sub = df.filter(pl.col(hue) == g)
            col = color_for(g, i)
            xs, ys, lo, hi, sat_x = [], [], [], [], []
            for j, c in enumerate(cats):
                row = sub.filter(pl.col(category) == c)
                if row.height == 0:
                    continue
                xpos = j - 0.35 + width * (i + 0.5)
                if "saturated" in row.columns and bool(row["saturated"][0]):
                    sat_x.append(xpos)
                    continue
                v = float(row[y][0]) * scale
                if log_y and not v > 0:
                    continue
                xs.append(xpos)
                ys.append(v)
                lo.append(float(row[f"{y}_lo"][0]) * scale if f"{y}_lo" in row.columns else v)
                hi.append(float(row[f"{y}_hi"][0]) * scale if f"{y}_hi" in row.columns else v)
            ys_a, lo_a, hi_a = np.array(ys), np.array(lo), np.array(hi)
            err = np.vstack([np.nan_to_num(ys_a - lo_a), np.nan_to_num(hi_a - ys_a)])
            ax.errorbar(
                xs, ys, yerr=err if len(xs) else None, fmt="o", color=col, capsize=3, label=str(g)
            )
            _saturated_marks(ax, np.array(sat_x), col, sat_label)
        ax.set_xticks(range(len(cats)))
        if rotate_labels:
            # long category names (an ablation's configurations) slant instead of overlapping
            ax.set_xticklabels(
                [str(c) for c in cats], rotation=rotate_labels, ha="right", rotation_mode="anchor"
            )
        else:
            ax.set_xticklabels([str(c) for c in cats])
        ax.set_xlim(-0.6, len(cats) - 0.4)
        if log_y:
            _log_axis(ax, "y")
        ax.set_xlabel(xlabel or category)
        ax.set_ylabel(ylabel or y)
        if title:
            ax.set_title(title)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
        return fig


# ---------------------------------------------------------------------------------------------
# tails
# ---------------------------------------------------------------------------------------------
def ccdf(
    df: pl.DataFrame,
    hue: str = "policy",
    title: str | None = None,
    xlabel: str | None = None,
    min_prob: float | None = None,
) -> Figure:
    """P(X > x) on log-log axes from ``value_ns``/``ccdf`` (+ ``ccdf_lo``/``ccdf_hi`` bands),
    one line per ``hue`` value (and per ``metric`` when several); theory rows (``source`` not
    ``"simulated"``) dashed. ``min_prob`` cuts the y axis (default: 1 / largest sample)."""
    sim, theory = _split_sources(df)
    with report_style():
        fig, axes = new_figure(7.2, 4.2)
        ax = axes[0, 0]
        if sim.height == 0:
            return _empty(fig, ax)
        metrics = sim["metric"].unique(maintain_order=True).to_list() if "metric" in sim else [None]
        groups = sim[hue].unique(maintain_order=True).to_list() if hue in sim.columns else [None]
        styles = ["-", "--", ":", "-."]
        floor = 1.0
        for k, m in enumerate(metrics):
            for i, g in enumerate(groups):
                sub = sim
                if m is not None:
                    sub = sub.filter(pl.col("metric") == m)
                if g is not None:
                    sub = sub.filter(pl.col(hue) == g)
                sub = sub.sort("value_ns")
                p = sub["ccdf"].to_numpy()
                keep = p > 0
                if not keep.any():
                    continue
                floor = min(floor, float(p[keep].min()))
                xs = _us(sub["value_ns"].to_numpy())[keep]
                col = color_for(g, i)
                lbl = " ".join(str(s) for s in (g, METRIC_NAMES.get(m, m) if m else None) if s)
                ax.step(xs, p[keep], where="post", color=col, linestyle=styles[k % 4], label=lbl)
                if "ccdf_lo" in sub.columns:
                    lo = sub["ccdf_lo"].to_numpy()[keep]
                    hi = sub["ccdf_hi"].to_numpy()[keep]
                    ok = np.isfinite(lo) & np.isfinite(hi)
                    ax.fill_between(
                        xs[ok],
                        np.maximum(lo[ok], p[keep][ok] * 0.1),
                        hi[ok],
                        step="post",
                        color=col,
                        alpha=0.18,
                        linewidth=0,
                    )
        if theory.height:
            for j, name in enumerate(theory["source"].unique(maintain_order=True).to_list()):
                t = theory.filter(pl.col("source") == name).sort("value_ns")
                p = t["ccdf"].to_numpy()
                keep = p > 0
                ax.plot(
                    _us(t["value_ns"].to_numpy())[keep],
                    p[keep],
                    linestyle=THEORY_DASHES[j % len(THEORY_DASHES)],
                    label=str(name),
                    **THEORY_STYLE,
                )
        _log_axis(ax, "x")
        _log_axis(ax, "y")
        ax.set_ylim(min_prob or max(floor * 0.5, 1e-7), 1.5)
        ax.set_xlabel(xlabel or "latency (µs, log)")
        ax.set_ylabel("P(X > x) (log)")
        ax.set_title(title or "Tail (CCDF)")
        ax.legend(loc="lower left")
        for yv in (1e-2, 1e-3):
            ax.axhline(yv, color="0.6", linewidth=0.6, linestyle=":", zorder=0)
        return fig


# ---------------------------------------------------------------------------------------------
# sensitivity: tornado
# ---------------------------------------------------------------------------------------------
def tornado(
    df: pl.DataFrame,
    title: str | None = None,
    xlabel: str = "change of the ratio from the default costs (%)",
    max_bars: int = 14,
) -> Figure:
    """One panel per ``comparison``: for each ``cost``, one bar per ``factor`` giving the change
    (%) of the ratio (``change_pct``, optional ``change_pct_lo``/``change_pct_hi`` whiskers),
    costs sorted by their largest absolute change; costs with no effect sit at zero. Hatched
    bars (``saturated``): a side of that variant has no stationary tail."""
    with report_style():
        comps = df["comparison"].unique(maintain_order=True).to_list() if df.height else []
        n = max(1, len(comps))
        height = 0.9 + 0.26 * min(max_bars, df["cost"].n_unique() if df.height else 1) * 1.0
        fig, axes = new_figure(7.6, max(2.6, height) * n, nrows=n, ncols=1)
        if not comps:
            return _empty(fig, axes[0, 0])
        factors = sorted({float(f) for f in df["factor"].to_list()})
        blues = sns.color_palette("Blues_r", max(2, sum(f < 1 for f in factors)) + 1)
        reds = sns.color_palette("Reds", max(2, sum(f > 1 for f in factors)) + 1)[1:]
        colors, offsets = {}, {}
        lows = [f for f in factors if f < 1]
        highs = [f for f in factors if f >= 1]
        for i, f in enumerate(lows):
            colors[f] = blues[i] if len(lows) > 1 else _PALETTE[0]
        for i, f in enumerate(highs):
            colors[f] = reds[i] if len(highs) > 1 else _PALETTE[3]
        bar_h = 0.7 / max(1, len(factors))
        any_sat = False
        for i, f in enumerate(factors):
            offsets[f] = -0.35 + bar_h * (i + 0.5)
        for ax, comp in zip(axes[:, 0], comps):
            sub = df.filter(pl.col("comparison") == comp)
            span = (
                sub.group_by("cost")
                .agg(pl.col("change_pct").abs().max().alias("span"))
                .sort("span", descending=True)
                .head(max_bars)
            )
            costs = span["cost"].to_list()[::-1]
            for yi, cost in enumerate(costs):
                rows = sub.filter(pl.col("cost") == cost)
                sat_col = pl.col("saturated") if "saturated" in rows.columns else pl.lit(False)
                for f, ch, lo, hi, sat in rows.select(
                    "factor",
                    "change_pct",
                    pl.col("change_pct_lo") if "change_pct_lo" in rows.columns else "change_pct",
                    pl.col("change_pct_hi") if "change_pct_hi" in rows.columns else "change_pct",
                    sat_col,
                ).iter_rows():
                    col = colors.get(float(f), "0.5")
                    off = offsets.get(float(f), 0.0)
                    ax.barh(
                        yi + off,
                        ch,
                        height=bar_h * 0.95,
                        color=col,
                        alpha=0.45 if sat else 0.9,
                        hatch="////" if sat else None,
                        edgecolor="0.2" if sat else None,
                        linewidth=0.5 if sat else 0,
                    )
                    any_sat = any_sat or bool(sat)
                    if lo is not None and hi is not None and math.isfinite(lo):
                        ax.plot([lo, hi], [yi + off, yi + off], color="0.2", linewidth=0.9)
            ax.set_yticks(range(len(costs)))
            ax.set_yticklabels(costs)
            ax.axvline(0, color="0.2", linewidth=0.8)
            base = sub["baseline_ratio"][0] if "baseline_ratio" in sub.columns else None
            ttl = comp if base is None else f"{comp}\nratio at the default costs: {base:.3g}"
            ax.set_title(ttl, fontsize=9.5)
            ax.set_xlabel(xlabel)
            ax.grid(axis="y", visible=False)
        names = {0.5: "cost halved", 2.0: "cost doubled"}
        handles = [
            mpl.patches.Patch(color=colors[f], label=names.get(f, f"cost x{f:g}")) for f in factors
        ]
        if any_sat:
            handles.append(
                mpl.patches.Patch(
                    facecolor="white", edgecolor="0.2", hatch="////", label=SATURATED_LABEL
                )
            )
        axes[0, 0].legend(handles=handles, loc="lower right")
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
        return fig


# ---------------------------------------------------------------------------------------------
# schedtrace snapshots: per-P run queue lengths over time
# ---------------------------------------------------------------------------------------------
def runq_heatmap(df: pl.DataFrame, title: str | None = None, max_columns: int = 400) -> Figure:
    """Per-P local run queue length (``runq_len`` + ``runnext``) over simulated time from a
    snapshot_procs frame joined with the snapshots' ``time_ns``; below it the global run
    queue (``runqueue``) and idle Ps (``idleprocs``) when present."""
    with report_style():
        fig, axes = new_figure(7.6, 5.0, nrows=2, ncols=1, sharex=True, height_ratios=[2.2, 1])
        ax, ax2 = axes[0, 0], axes[1, 0]
        if df.height == 0:
            return _empty(fig, ax, "no schedtrace snapshots")
        snaps = df.select("snapshot", "time_ns").unique().sort("snapshot")
        step = max(1, math.ceil(snaps.height / max_columns))
        keep = snaps.gather_every(step)
        nps = int(df["p"].max()) + 1
        col_of = {s: i for i, s in enumerate(keep["snapshot"].to_list())}
        mat = np.full((nps, keep.height), np.nan)
        q = pl.col("runq_len") + (pl.col("runnext") if "runnext" in df.columns else pl.lit(0))
        sub = df.filter(pl.col("snapshot").is_in(keep["snapshot"].implode())).select(
            "snapshot", "p", q.alias("q")
        )
        for s, p, v in sub.iter_rows():
            mat[p, col_of[s]] = v
        t_ms = keep["time_ns"].to_numpy() / 1e6
        dt = t_ms[-1] - t_ms[-2] if len(t_ms) > 1 else 1.0
        edges = np.concatenate([t_ms, [t_ms[-1] + dt]])
        mesh = ax.pcolormesh(
            edges, np.arange(nps + 1) - 0.5, mat, cmap="rocket_r", shading="flat", vmin=0
        )
        fig.colorbar(mesh, ax=ax, label="goroutines queued on the P", pad=0.01)
        ax.set_ylabel("P")
        ax.invert_yaxis()
        ax.grid(False)
        ax.set_title(title or "Per-P local run queue (ring + runnext) over time")
        per_snap = (
            df.group_by("snapshot", maintain_order=True)
            .agg(pl.col("time_ns").first(), q.sum().alias("local"))
            .sort("snapshot")
        )
        ax2.plot(per_snap["time_ns"].to_numpy() / 1e6, per_snap["local"].to_numpy(), label="local")
        for c, lbl in (("runqueue", "global run queue"), ("idleprocs", "idle Ps")):
            if c in df.columns:
                g = df.group_by("snapshot", maintain_order=True).agg(
                    pl.col("time_ns").first(), pl.col(c).first()
                )
                g = g.sort("snapshot")
                ax2.plot(g["time_ns"].to_numpy() / 1e6, g[c].to_numpy(), label=lbl)
        ax2.set_xlabel("simulated time (ms)")
        ax2.set_ylabel("goroutines / Ps")
        ax2.legend(loc="upper right", ncols=3)
        return fig


# ---------------------------------------------------------------------------------------------
# kernel event trace: a Gantt chart of goroutines on Ps
# ---------------------------------------------------------------------------------------------
_RUN_ENDS = ("done", "preempt", "syscall")


def gantt(df: pl.DataFrame, title: str | None = None, max_ps: int = 32) -> Figure:
    """Goroutines on Ps over simulated time from a ``Result.events()`` frame: a bar from each
    ``exec`` to the same goroutine's ``done``/``preempt``/``syscall`` on that P (colour cycles
    with the goroutine id), ticks for ``wake`` (an M starts on the P), ``park`` (the P idles)
    and ``steal_pause`` (the usleep(3) before stealing a runnext)."""
    with report_style():
        fig, axes = new_figure(7.8, 4.4)
        ax = axes[0, 0]
        ev = df.filter(pl.col("p") >= 0).sort("time_ns")
        if ev.height == 0:
            return _empty(fig, ax, "no events recorded")
        if "replication" in ev.columns:
            ev = ev.filter(pl.col("replication") == ev["replication"].min())
        t_end = float(df["time_ns"].max())
        open_: dict[int, tuple[int, float]] = {}
        bars: dict[int, list] = {}
        for t, e, p, g in ev.select("time_ns", "event", "p", "g").iter_rows():
            if p >= max_ps:
                continue
            if e == "exec":
                if p in open_:  # a run we did not see end (should not happen): close it here
                    g0, t0 = open_.pop(p)
                    bars.setdefault(p, []).append((t0, t - t0, g0))
                open_[p] = (g, t)
            elif e in _RUN_ENDS and p in open_ and open_[p][0] == g:
                g0, t0 = open_.pop(p)
                bars.setdefault(p, []).append((t0, t - t0, g0))
        for p, (g0, t0) in open_.items():  # still running when the trace ended
            bars.setdefault(p, []).append((t0, t_end - t0, g0))
        colors = sns.color_palette("tab20", 20)
        for p, spans in bars.items():
            xs = [(s / 1000.0, w / 1000.0) for s, w, _ in spans]
            cs = [colors[int(g) % 20] for _, _, g in spans]
            ax.broken_barh(xs, (p - 0.4, 0.8), facecolors=cs, edgecolor="white", linewidth=0.3)
        marks = {"wake": ("|", "0.1"), "park": ("x", "0.45"), "steal_pause": (".", "C3")}
        for e, (mk, col) in marks.items():
            sub = ev.filter((pl.col("event") == e) & (pl.col("p") < max_ps))
            if sub.height:
                ax.scatter(
                    sub["time_ns"].to_numpy() / 1000.0,
                    sub["p"].to_numpy(),
                    marker=mk,
                    color=col,
                    s=22,
                    label=e,
                    zorder=4,
                )
        nps = min(max_ps, int(ev["p"].max()) + 1)
        ax.set_ylim(nps - 0.5, -0.5)
        ax.set_yticks(range(nps))
        ax.set_ylabel("P")
        ax.set_xlabel("simulated time (µs)")
        ax.grid(axis="y", visible=False)
        ax.set_title(title or "Goroutines on Ps (kernel event trace)")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
        return fig


def _legend_below(fig, ax, title: str | None, ncols: int) -> Figure:
    """One legend (the first panel's entries) under the panels, and the title above."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def claim_evidence(
    df: pl.DataFrame, title: str | None = None, ylabel: str = "measured", percent: bool = False
) -> Figure:
    """A claim's evidence: per panel, the measured value (95% whiskers) at the main point and
    at every sensitivity point, filled where that point's verdict is `reproduced`, hollow
    where not; the claimed value as a red dashed line and the rule's tolerance as a red band
    (columns ``panel, point, kind, value, lo, hi, verdict, claimed, band_lo, band_hi``, as
    ``gmplab.claims.evidence_frame`` gives). ``percent``: values are fractions, shown in %."""
    with report_style():
        panels = df["panel"].unique(maintain_order=True).to_list() if df.height else []
        n = max(1, len(panels))
        ncols = min(n, 3)
        nrows = -(-n // ncols)
        fig, axes = new_figure(min(4.0 * ncols, 11.0), 3.4 * nrows + 0.5, nrows, ncols)
        if df.height == 0:
            return _empty(fig, axes[0, 0])
        for ax in axes.flat[n:]:
            ax.set_axis_off()
        f = 100.0 if percent else 1.0
        for ax, panel in zip(axes.flat, panels):
            sub = df.filter(pl.col("panel") == panel)
            pts = sub["point"].to_list()
            xs = np.arange(len(pts))
            v = sub["value"].cast(pl.Float64).to_numpy() * f
            lo = sub["lo"].cast(pl.Float64).fill_null(np.nan).to_numpy() * f
            hi = sub["hi"].cast(pl.Float64).fill_null(np.nan).to_numpy() * f
            err = np.vstack([np.where(np.isnan(lo), 0, v - lo), np.where(np.isnan(hi), 0, hi - v)])
            ax.errorbar(xs, v, yerr=err, fmt="none", ecolor="#444444", capsize=3, lw=1)
            ok = np.array([x == "reproduced" for x in sub["verdict"].to_list()])
            costs = np.array([k == "costs" for k in sub["kind"].to_list()])
            color = np.where(costs, "#7f7f7f", "#1f77b4")
            ax.scatter(xs[ok], v[ok], c=list(color[ok]), zorder=3, label="reproduced here")
            ax.scatter(
                xs[~ok],
                v[~ok],
                facecolors="white",
                edgecolors=list(color[~ok]),
                zorder=3,
                label="not reproduced here",
            )
            c, blo, bhi = (sub[k][0] for k in ("claimed", "band_lo", "band_hi"))
            if blo is not None and bhi is not None:
                ax.axhspan(blo * f, bhi * f, color="#d62728", alpha=0.12, label="claim's tolerance")
            if c is not None:
                ax.axhline(c * f, color="#d62728", ls="--", lw=1.2, label="claimed")
            ax.set_xticks(xs)
            ax.set_xticklabels(pts, rotation=35, ha="right", fontsize=8)
            ax.set_title(panel, fontsize=9)
            ax.set_ylabel(ylabel + (" (%)" if percent else ""))
        return _legend_below(fig, axes[0, 0], title, 4)


def histogram_overlay(df: pl.DataFrame, title: str | None = None) -> Figure:
    """Real against simulated latency histograms: one panel per (probe, GOMAXPROCS), the share
    of each Go bucket as steps on a log time axis (columns ``probe, gomaxprocs, source,
    lower_s, upper_s, share``, as ``gmplab.calibrate.fit.comparison`` gives)."""
    with report_style():
        if df.height == 0:
            fig, axes = new_figure(7.0, 3.0)
            return _empty(fig, axes[0, 0])
        probes = df["probe"].unique(maintain_order=True).to_list()
        procs = sorted(df["gomaxprocs"].unique().to_list())
        fig, axes = new_figure(
            2.6 * len(procs) + 0.6,
            1.9 * len(probes) + 0.6,
            len(probes),
            len(procs),
            sharex=True,
        )
        colors = {"real Go": "#222222", "simulated": "#1f77b4"}
        for i, probe in enumerate(probes):
            for j, p in enumerate(procs):
                ax = axes[i, j]
                sub = df.filter((pl.col("probe") == probe) & (pl.col("gomaxprocs") == p))
                for source in ("real Go", "simulated"):
                    s = sub.filter(pl.col("source") == source)
                    if s.height == 0:
                        continue
                    # every bucket between the first and last non-empty one, empty ones at 0
                    lo = np.maximum(s["lower_s"].to_numpy() * 1e6, 0.05)
                    hi = np.minimum(s["upper_s"].to_numpy() * 1e6, 1e8)
                    edges = np.unique(np.concatenate([lo, hi]))
                    vals = np.zeros(len(edges) - 1)
                    idx = np.searchsorted(edges, lo)
                    vals[idx] = s["share"].to_numpy()
                    ax.stairs(
                        vals,
                        edges,
                        color=colors[source],
                        lw=1.1,
                        label=source,
                        ls="-" if source == "real Go" else "--",
                    )
                ax.set_xscale("log")
                ax.set_title(f"{probe}, GOMAXPROCS {p}", fontsize=8)
                if j == 0:
                    ax.set_ylabel("share", fontsize=8)
                if i == len(probes) - 1:
                    ax.set_xlabel("scheduling latency (us)", fontsize=8)
                ax.tick_params(labelsize=7)
        return _legend_below(fig, axes[0, 0], title, 2)


def fit_profiles(df: pl.DataFrame, title: str | None = None) -> Figure:
    """The fit's profiles: the mean CDF distance (octaves) against each fitted cost on its
    grid, the best value marked, and the fit's tolerance above the minimum as a band (the
    values inside it, widened by a grid step, are the cost's interval; columns
    ``cost, value_ns, distance, tolerance``)."""
    with report_style():
        costs = df["cost"].unique(maintain_order=True).to_list() if df.height else []
        fig, axes = new_figure(3.3 * max(1, len(costs)), 3.2, 1, max(1, len(costs)))
        if df.height == 0:
            return _empty(fig, axes[0, 0])
        for ax, c in zip(axes[0], costs):
            s = df.filter(pl.col("cost") == c).sort("value_ns")
            x, d = s["value_ns"].to_numpy(), s["distance"].to_numpy()
            ax.plot(x, d, "o-", color="#1f77b4", lw=1.2)
            m = float(np.nanmin(d))
            tol = float(s["tolerance"][0])
            ax.axhspan(m, m + tol, color="#2ca02c", alpha=0.15, label="within the fit's tolerance")
            ax.axvline(float(x[int(np.nanargmin(d))]), color="#d62728", ls="--", lw=1, label="best")
            ax.set_xscale("log")
            ax.set_xticks([float(v) for v in x[:: max(1, len(x) // 4)]])
            ax.xaxis.set_major_formatter(FuncFormatter(_fmt_num))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel(f"{c} (ns)")
            ax.set_ylabel("CDF distance (octaves)")
        return _legend_below(fig, axes[0, 0], title, 2)
