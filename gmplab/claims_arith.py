"""The seed's own arithmetic: every stated change recomputed from the seed's stated figures.

The figures are read from the seed text at run time (table rows and sentences located by
pattern, not by line number), so each record carries the seed lines it came from. A change is
``(after - before) / before``; a stated change is compared at the precision the seed states it
(``-84.6%`` -> within 0.05 percentage points). Records whose percentage the seed states without
the figures behind it (C05, C12, C17, ...) have ``computed=None`` and ``consistent=None``.

``c12_candidates()`` searches pairs of the seed's figures for the headline "41.6%".
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from gmplab.errors import SpecError

__all__ = [
    "ArithRecord",
    "RatioHit",
    "arith_records",
    "c12_candidates",
    "c12_finding",
    "inconsistent",
    "seed_lines",
    "seed_path",
]

DEFAULT_SEED = Path("/work/shared/seed/go122-mos-scheduler.txt")
_NUM = r"(\d[\d,]*(?:\.\d+)?)"


@dataclass(frozen=True)
class ArithRecord:
    claim_id: str | None  # None: a figure outside the claims (chapter 5)
    description: str
    unit: str
    before: float | None
    after: float | None
    stated_change: float | None  # signed fraction as the seed states it (-0.846), or None
    stated: str | None  # the seed's own words for it ("下降 84.6%"), or None
    decimals: int | None  # decimals of the stated percentage (its precision)
    computed: float | None  # (after - before) / before, or the ratio for kind "ratio"
    consistent: bool | None  # None: nothing stated to compare (or nothing to compute)
    kind: str  # "change" | "ratio" | "stated-only"
    seed_lines: tuple[int, ...]  # 1-based lines of the seed the figures come from
    seed_text: tuple[str, ...]
    stated_range: tuple[float, float] | None = None  # C17's "-12% to -35%"

    @property
    def computed_pct(self) -> float | None:
        return None if self.computed is None else 100.0 * self.computed

    def to_dict(self) -> dict:
        return {**asdict(self), "computed_pct": self.computed_pct}


@dataclass(frozen=True)
class RatioHit:
    formula: str  # "(a-b)/a" or "a/b-1"
    a: float
    b: float
    value: float  # fraction
    a_label: str
    b_label: str
    a_lines: tuple[int, ...]
    b_lines: tuple[int, ...]
    same_comparison: bool  # a and b are the before/after of one stated comparison


def seed_path() -> Path:
    """The seed article (``GMPLAB_SEED`` or /work/shared/seed/go122-mos-scheduler.txt)."""
    return Path(os.environ.get("GMPLAB_SEED", DEFAULT_SEED))


def seed_lines(path: str | Path | None = None) -> list[str]:
    p = Path(path) if path is not None else seed_path()
    if not p.is_file():
        raise SpecError("seed", "the path of the seed article (set GMPLAB_SEED)", str(p))
    return p.read_text(encoding="utf-8").splitlines()


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _decimals(s: str) -> int:
    return len(s.split(".", 1)[1]) if "." in s else 0


class _Seed:
    def __init__(self, lines: list[str]):
        self.lines = lines

    def find(self, regex: str, after: int = 0) -> tuple[int, re.Match]:
        """First line (after line ``after``) matching ``regex``: (line_no, match)."""
        rx = re.compile(regex)
        for i in range(after, len(self.lines)):
            m = rx.search(self.lines[i])
            if m:
                return i + 1, m
        raise SpecError("seed", f"an article with a line matching {regex!r}", "no such line")

    def row(self, label: str, after: int = 0) -> tuple[int, list[str]]:
        """A table row ``| label | x | y |``: (line_no, its number cells as text)."""
        n, _ = self.find(rf"^\|\s*{label}\s*\|", after)
        cells = [c.strip() for c in self.lines[n - 1].strip().strip("|").split("|")[1:]]
        nums = []
        for c in cells:
            m = re.search(_NUM, c)
            if m:
                nums.append(m.group(1))
        return n, nums


def _change(
    cid, desc, unit, before, after, lines, seed, stated=None, stated_txt=None, sign=-1
) -> ArithRecord:
    b, a = _num(before), _num(after)
    computed = (a - b) / b
    stated_change = dec = consistent = None
    if stated is not None:
        dec = _decimals(stated)
        stated_change = round(sign * _num(stated) / 100.0, dec + 2)
        tol = 0.5 * 10.0**-dec + 1e-9
        consistent = abs(100.0 * computed - 100.0 * stated_change) <= tol
    lines = tuple(sorted(set(lines)))
    return ArithRecord(
        cid,
        desc,
        unit,
        b,
        a,
        stated_change,
        stated_txt,
        dec,
        computed,
        consistent,
        "change",
        lines,
        tuple(seed.lines[i - 1].strip() for i in lines),
    )


def _stated_only(cid, desc, stated_txt, value, line, seed, sign=-1, rng=None) -> ArithRecord:
    return ArithRecord(
        cid,
        desc,
        "%",
        None,
        None,
        None if value is None else round(sign * _num(value) / 100.0, _decimals(value) + 2),
        stated_txt,
        None if value is None else _decimals(value),
        None,
        None,
        "stated-only",
        (line,),
        (seed.lines[line - 1].strip(),),
        rng,
    )


def arith_records(path: str | Path | None = None) -> list[ArithRecord]:
    """Every percentage / ratio the seed states, recomputed from its own figures."""
    s = _Seed(seed_lines(path))
    out: list[ArithRecord] = []

    # C05: "P99 下降达 65%" on 96 cores -- stated without figures.
    n, m = s.find(r"P99\s*下降达\s*" + _NUM + "%")
    out.append(
        _stated_only("C05", "schedule() P99 latency drop on 96 cores", m.group(0), m.group(1), n, s)
    )

    # C08: segmented-lock vs lock-free CAS queue (16 cores, 10M tasks); no stated change.
    n1, seg = s.row("分段锁队列")
    n2, cas = s.row("无锁CAS队列")
    out.append(_change("C08", "throughput, 8-segment lock -> CAS queue", "ops/ms", seg[0],
                       cas[0], (n1, n2), s))  # fmt: skip
    out.append(_change("C08", "P99 latency, 8-segment lock -> CAS queue", "us", seg[1], cas[1],
                       (n1, n2), s))  # fmt: skip

    # C12: headline "性能跃升41.6%" -- stated without figures (see c12_candidates()).
    n, m = s.find(r"性能跃升\s*" + _NUM + "%")
    out.append(_stated_only("C12", "headline: MOS is faster by", m.group(0), m.group(1), n, s, +1))

    # C13: baseline vs MOS table, and the "下降 84.6%" sentence.
    n1, base = s.row("基准版")
    n2, mos = s.row("MOS优化版")
    ns, m = s.find(r"跨P迁移下降\s*" + _NUM + "%")
    out.append(_change("C13", "cross-P migrations per second", "1/s", base[0], mos[0],
                       (n1, n2, ns), s, m.group(1), m.group(0)))  # fmt: skip
    out.append(_change("C13", "local run-queue overflow rate", "%", base[1], mos[1], (n1, n2), s))
    out.append(_change("C13", "mean latency", "ms", base[2], mos[2], (n1, n2), s))

    # C14: random vs cache-line-aligned G allocation (100k Gs); no stated change.
    n1, l1d = s.row("L1d miss rate")
    n2, dly = s.row(r"平均调度延迟\(ns\)")
    out.append(_change("C14", "L1d miss rate", "%", l1d[0], l1d[1], (n1,), s))
    out.append(_change("C14", "mean scheduling delay", "ns", dly[0], dly[1], (n2,), s))

    # C15: P50/P95/P99 table with a "下降幅度" (decrease) column; the section heading
    # repeats the P99 pair ("P99调度延迟从127μs降至75μs").
    nh, mh = s.find(r"P99调度延迟从\s*" + _NUM + r"\s*μs降至\s*" + _NUM + r"\s*μs")
    for q in ("P50", "P95", "P99"):
        n, cells = s.row(q, after=nh)
        lines = (n, nh) if q == "P99" else (n,)
        out.append(_change("C15", f"scheduling delay {q}", "us", cells[0], cells[1], lines, s,
                           cells[2], f"{q} 下降 {cells[2]}%"))  # fmt: skip
        if q == "P99" and (_num(mh.group(1)), _num(mh.group(2))) != (
            _num(cells[0]),
            _num(cells[1]),
        ):
            out.append(_change("C15", "scheduling delay P99 (section heading)", "us",
                               mh.group(1), mh.group(2), (nh,), s))  # fmt: skip
    n, m = s.find(r"降低\s*" + _NUM + r"%\s*P99")
    out.append(
        _stated_only(
            "C15", "P99 path branches cut by CONFIG_SCHED_DEBUG off", m.group(0), m.group(1), n, s
        )  # fmt: skip
    )

    # C17: "全局调度吞吐下降 12–35%" -- a range without figures.
    n, m = s.find(r"吞吐下降\s*" + _NUM + r"\s*[–\-~]\s*" + _NUM + "%")
    lo, hi = -_num(m.group(1)) / 100.0, -_num(m.group(2)) / 100.0
    out.append(_stated_only("C17", "scheduling throughput under LockOSThread (dedicated P)",
                            m.group(0), None, n, s, rng=(lo, hi)))  # fmt: skip

    # C18: "fibonacci(45) ... 单次耗时≈80ms,保持≈12.5QPS/core" -- a ratio: 1 s / 80 ms.
    n, m = s.find(r"耗时≈\s*" + _NUM + r"\s*ms.*?≈\s*" + _NUM + r"\s*QPS/core")
    ms, qps = _num(m.group(1)), m.group(2)
    comp = 1000.0 / ms
    dec = _decimals(qps)
    out.append(
        ArithRecord(
            "C18",
            "fib(45) rate per core = 1 s / time per call",
            "calls/s",
            ms,
            None,
            None,
            m.group(0),
            dec,
            comp,
            abs(comp - _num(qps)) <= 0.5 * 10.0**-dec + 1e-9,
            "ratio",
            (n,),
            (s.lines[n - 1].strip(),),
        )  # fmt: skip
    )

    # Chapter 5 (no claim id): WASM vs Lua plugin table, "提升幅度" = reduction of a cost.
    for label, unit in (("插件热加载延迟", "ms"), (r"内存占用\(单实例\)", "MB")):
        n, cells = s.row(label)
        out.append(_change(None, f"chapter 5: {label.replace(chr(92), '')}", unit, cells[0],
                           cells[1], (n,), s, cells[2], f"提升幅度 {cells[2]}%"))  # fmt: skip
    return out


def inconsistent(records: list[ArithRecord] | None = None) -> list[ArithRecord]:
    """The records whose stated change does not follow from the seed's own figures."""
    return [r for r in (records or arith_records()) if r.consistent is False]


def _figures(records: list[ArithRecord]) -> list[tuple[float, str, tuple[int, ...], int]]:
    """(value, label, lines, comparison index) for every before/after figure."""
    out = []
    for k, r in enumerate(records):
        if r.kind != "change":
            continue
        for side, v in (("before", r.before), ("after", r.after)):
            out.append((v, f"{r.claim_id or 'ch5'} {r.description} {side} ({r.unit})",
                        r.seed_lines, k))  # fmt: skip
    return out


def _all_numbers(lines: list[str]) -> list[tuple[float, str, tuple[int, ...], int]]:
    seen: dict[float, list[int]] = {}
    for i, ln in enumerate(lines, 1):
        for m in re.finditer(r"(?<![\d.A-Za-z_])" + _NUM, ln):
            v = _num(m.group(1))
            if v > 0:
                seen.setdefault(v, []).append(i)
    return [(v, f"{v:g}", tuple(ls), -1 - j) for j, (v, ls) in enumerate(sorted(seen.items()))]


def c12_candidates(
    path: str | Path | None = None, *, pool: str = "figures", target: float | None = None
) -> list[RatioHit]:
    """Pairs (a, b) of the seed's figures for which ``(a-b)/a`` or ``a/b-1`` equals the
    headline percentage (default: the seed's stated 41.6%) at its stated precision.

    pool: ``"figures"`` (the before/after figures of every stated comparison) or ``"all"``
    (every number in the seed)."""
    if pool not in ("figures", "all"):
        raise SpecError("pool", "'figures' or 'all'", pool)
    recs = arith_records(path)
    head = next(r for r in recs if r.claim_id == "C12")
    tgt = head.stated_change if target is None else target
    dec = head.decimals if target is None else 1
    tol = 0.5 * 10.0**-dec + 1e-9
    figs = _figures(recs) if pool == "figures" else _all_numbers(seed_lines(path))
    hits = []
    for (a, la, lna, ka), (b, lb, lnb, kb) in itertools.permutations(figs, 2):
        if a == b:
            continue
        for formula, val in (("(a-b)/a", (a - b) / a), ("a/b-1", a / b - 1.0)):
            if abs(100.0 * val - 100.0 * tgt) <= tol:
                hits.append(RatioHit(formula, a, b, val, la, lb, lna, lnb, ka == kb and ka >= 0))
    return hits


def c12_finding(path: str | Path | None = None) -> str:
    """One or two sentences on where the headline 41.6% could come from."""
    recs = arith_records(path)
    head = next(r for r in recs if r.claim_id == "C12")
    hits = c12_candidates(path)
    same = [h for h in hits if h.same_comparison]
    pct = f"{100 * head.stated_change:.{head.decimals}f}%"
    if same:
        h = same[0]
        return f"The headline {pct} is {h.formula} of {h.a_label} = {h.a:g} and {h.b:g}."
    if not hits:
        return (
            f"No pair of the seed's stated figures gives {pct} by (a-b)/a or a/b-1: the headline "
            "does not follow from any measurement the seed reports."
        )
    txt = "; ".join(f"{h.formula} with a = {h.a_label} = {h.a:g}, b = {h.b_label} = {h.b:g} "
                    f"({100 * h.value:.2f}%)" for h in hits)  # fmt: skip
    return (
        f"No before/after pair of one comparison gives {pct}; the only pairs that do mix "
        f"quantities from different tables ({txt}), so the headline does not follow from the "
        "seed's measurements."
    )
