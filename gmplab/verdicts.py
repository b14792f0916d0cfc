"""Verdict rules: what turns a claim's evidence into a verdict, fixed before any run.

A rule is data (its kind, the claimed figure, the tolerance) with one method, ``verdict``,
that maps measured evidence to one of ``VERDICTS``. No verdict is written by hand: the ledger
(``gmplab/claims.py``) only ever calls these. ``judge`` adds the sensitivity step: a model
claim whose verdict differs at some point of the sensitivity range of what the seed leaves
unsaid is ``inconclusive``.

Evidence is a plain dict. A measured quantity is ``{"value": x, "lo": a, "hi": b}`` (a 95%
interval over replications; ``lo``/``hi`` may be NaN for a single run).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
REFUTED = "refuted by source"
INCONCLUSIVE = "inconclusive"
OUTSIDE = "outside the model"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, REFUTED, INCONCLUSIVE, OUTSIDE)


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _measured(evidence: dict, key: str = "measured") -> tuple[float, float, float]:
    m = evidence.get(key)
    if m is None:
        raise KeyError(f"evidence has no {key!r}")
    if isinstance(m, dict):
        return _num(m.get("value")), _num(m.get("lo")), _num(m.get("hi"))
    v = _num(m)
    return v, math.nan, math.nan


@dataclass(frozen=True)
class Rule:
    """The base: a kind and its text. Subclasses implement ``verdict``."""

    kind: str = "rule"

    def verdict(self, evidence: dict) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def as_dict(self) -> dict:
        d = asdict(self)
        d["text"] = self.describe()
        return d


@dataclass(frozen=True)
class SourceRule(Rule):
    """History: the Go source either agrees with the seed (``holds``) or refutes it."""

    kind: str = "source"

    def verdict(self, evidence: dict) -> str:
        holds = evidence.get("holds")
        if holds is None:
            raise KeyError("history evidence has no 'holds'")
        return REPRODUCED if holds else REFUTED

    def describe(self) -> str:
        return (
            "refuted by source when the Go runtime's own source (the versions named) contradicts "
            "the claim; reproduced when it agrees"
        )


@dataclass(frozen=True)
class ChangeRule(Rule):
    """A relative change (treatment / baseline - 1): reproduced when the measured change lies
    within ``tol`` (absolute, in fraction points) of the claimed one."""

    kind: str = "change"
    claimed: float = 0.0
    tol: float = 0.15

    def verdict(self, evidence: dict) -> str:
        v, _, _ = _measured(evidence)
        if math.isnan(v):
            return NOT_REPRODUCED
        return REPRODUCED if abs(v - self.claimed) <= self.tol else NOT_REPRODUCED

    def describe(self) -> str:
        return (
            f"reproduced when the measured relative change is within {self.tol:+.0%} points "
            f"of the claimed {self.claimed:+.1%}"
        ).replace("+", "±", 1)


@dataclass(frozen=True)
class RatioRule(Rule):
    """A ratio (treatment / baseline): reproduced within a factor of the claimed ratio."""

    kind: str = "ratio"
    claimed: float = 1.0
    factor: float = 1.25

    def verdict(self, evidence: dict) -> str:
        v, _, _ = _measured(evidence)
        if not v > 0:
            return NOT_REPRODUCED
        lo, hi = self.claimed / self.factor, self.claimed * self.factor
        return REPRODUCED if lo <= v <= hi else NOT_REPRODUCED

    def describe(self) -> str:
        return (
            f"reproduced when the measured ratio is within a factor {self.factor:g} of the "
            f"claimed {self.claimed:.3g}"
        )


@dataclass(frozen=True)
class RangeRule(Rule):
    """A claimed range of relative changes [lo, hi]: reproduced when the measured change lies
    in it widened by ``tol`` on each side."""

    kind: str = "range"
    lo: float = 0.0
    hi: float = 0.0
    tol: float = 0.05

    def verdict(self, evidence: dict) -> str:
        v, _, _ = _measured(evidence)
        ok = self.lo - self.tol <= v <= self.hi + self.tol
        return REPRODUCED if ok else NOT_REPRODUCED

    def describe(self) -> str:
        return (
            f"reproduced when the measured relative change is in [{self.lo:+.0%}, {self.hi:+.0%}]"
            f" widened by {self.tol:.0%} points each side"
        )


@dataclass(frozen=True)
class DirectionRule(Rule):
    """A claimed improvement without a figure: reproduced when the change's 95% interval
    excludes zero on the claimed side (``sign`` -1: lower is the claim)."""

    kind: str = "direction"
    sign: int = -1

    def verdict(self, evidence: dict) -> str:
        v, lo, hi = _measured(evidence)
        if math.isnan(lo) or math.isnan(hi):  # one run: no interval, no claim of significance
            return NOT_REPRODUCED
        ok = hi < 0 if self.sign < 0 else lo > 0
        return REPRODUCED if ok else NOT_REPRODUCED

    def describe(self) -> str:
        side = "below" if self.sign < 0 else "above"
        return f"reproduced when the change's 95% interval lies entirely {side} zero"


@dataclass(frozen=True)
class BoundRule(Rule):
    """Each named measure must stay on the claimed side of its bound, with its whole interval
    (``measures``: name -> (op, bound), op '<' or '>')."""

    kind: str = "bound"
    measures: tuple = ()
    optional: tuple = ()  # measures that may be absent (e.g. real-Go captures not present)

    def verdict(self, evidence: dict) -> str:
        for name, op, bound in self.measures:
            if name in self.optional and evidence.get(name) is None:
                continue
            v, lo, hi = _measured(evidence, name)
            if math.isnan(v):
                return NOT_REPRODUCED
            worst = (v if math.isnan(hi) else hi) if op == "<" else (v if math.isnan(lo) else lo)
            ok = worst < bound if op == "<" else worst > bound
            if not ok:
                return NOT_REPRODUCED
        return REPRODUCED

    def describe(self) -> str:
        parts = [
            f"{n} {op} {b:g}" + (" (where present)" if n in self.optional else "")
            for n, op, b in self.measures
        ]
        return "reproduced when, interval included, " + " and ".join(parts)


@dataclass(frozen=True)
class ExactRule(Rule):
    """A count the claim fixes exactly (for example 0 syscalls per poll): reproduced when the
    measured value is within ``tol`` of it."""

    kind: str = "exact"
    claimed: float = 0.0
    tol: float = 0.01

    def verdict(self, evidence: dict) -> str:
        v, _, _ = _measured(evidence)
        return REPRODUCED if abs(v - self.claimed) <= self.tol else NOT_REPRODUCED

    def describe(self) -> str:
        return f"reproduced when the measured value is {self.claimed:g} within {self.tol:g}"


@dataclass(frozen=True)
class BestPRule(Rule):
    """GOMAXPROCS: for the CPU-bound load the best P (lowest mean sojourn) is the core count
    (no P past it significantly better, the core count within the best's interval); for the
    I/O-bound load some P past the core count is significantly better than the core count.
    Evidence: ``cores`` and ``cpu`` / ``io`` lists of {"gomaxprocs", "value", "lo", "hi"}."""

    kind: str = "best-p"

    @staticmethod
    def _at(rows, p):
        return next((r for r in rows if r["gomaxprocs"] == p), None)

    def verdict(self, evidence: dict) -> str:
        cores = evidence["cores"]
        cpu, io = evidence["cpu"], evidence["io"]
        c_cpu, c_io = self._at(cpu, cores), self._at(io, cores)
        if c_cpu is None or c_io is None:
            return NOT_REPRODUCED
        best = min(cpu, key=lambda r: r["value"])
        cpu_ok = c_cpu["lo"] <= best["hi"] and not any(
            r["gomaxprocs"] > cores and r["hi"] < c_cpu["lo"] for r in cpu
        )
        io_ok = any(r["gomaxprocs"] > cores and r["hi"] < c_io["lo"] for r in io)
        return REPRODUCED if cpu_ok and io_ok else NOT_REPRODUCED

    def describe(self) -> str:
        return (
            "reproduced when the CPU-bound load is best at GOMAXPROCS = cores (no larger P "
            "significantly better) and the I/O-bound load is significantly better at some "
            "GOMAXPROCS past the cores"
        )


@dataclass(frozen=True)
class OutsideRule(Rule):
    """What the model cannot measure at all: the verdict is fixed by the reason."""

    kind: str = "outside"
    reason: str = ""

    def verdict(self, evidence: dict) -> str:
        return OUTSIDE

    def describe(self) -> str:
        return f"outside the model: {self.reason}"


@dataclass(frozen=True)
class PerPairRule(Rule):
    """One rule applied to several (metric, baseline) pairs; the claim's verdict is theirs
    when they agree, else ``inconclusive`` (the seed does not say which pair it means, so
    a verdict that flips with the pair flips within what it leaves unsaid)."""

    kind: str = "per-pair"
    inner: Rule = field(default_factory=Rule)

    def pair_verdicts(self, evidence: dict) -> dict:
        return {k: self.inner.verdict({"measured": m}) for k, m in evidence["pairs"].items()}

    def verdict(self, evidence: dict) -> str:
        vs = set(self.pair_verdicts(evidence).values())
        return vs.pop() if len(vs) == 1 else INCONCLUSIVE

    def describe(self) -> str:
        return (
            "per (metric, baseline) pair: "
            + self.inner.describe()
            + ("; the claim's verdict is the pairs' when they agree, else inconclusive")
        )


def judge(rule: Rule, evidence: dict, sensitivity: list[dict] | None = None) -> dict:
    """The verdict at the main point, each sensitivity point's verdict, and the final one:
    ``inconclusive`` when any sensitivity point of what the seed leaves unsaid disagrees with
    the main point (cost sensitivity is reported beside, it does not decide: see claims.py)."""
    main = rule.verdict(evidence)
    points = []
    for s in sensitivity or []:
        v = rule.verdict(s["evidence"])
        points.append({**{k: s[k] for k in s if k != "evidence"}, "verdict": v})
    unsaid = [p for p in points if p.get("kind", "unsaid") == "unsaid"]
    final = main
    if main in (REPRODUCED, NOT_REPRODUCED) and any(p["verdict"] != main for p in unsaid):
        final = INCONCLUSIVE
    return {"main": main, "points": points, "verdict": final}
