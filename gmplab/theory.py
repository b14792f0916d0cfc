"""Exact queueing results used as oracles for the simulator and as reference curves.

Conventions used throughout this module:

* Arrivals are Poisson; every queue is FCFS and work conserving.
* ``rho`` is the load *per server*, so the arrival rate is ``lambda = c * rho / mean_service``.
* ``mean_service`` is E[S] in whatever time unit the caller works in (1.0 for dimensionless
  curves, e.g. nanoseconds for simulator output). Rates are per that unit, and every returned
  time (means, quantiles) is in that unit as well.
* The wait ``W`` is the time spent queued before service starts; the sojourn is ``T = W + S``.

Provided models: Erlang B/C, M/M/1 and M/M/c (exponential service, :class:`QueueModel`), M/D/1
with the exact waiting-time distribution (:class:`MD1Model`), the Pollaczek-Khinchine means of
M/G/1, and the largest load that meets a "P99 sojourn <= k * E[S]" objective
(:func:`slo_max_load`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import mpmath
import numpy as np
from scipy.optimize import brentq

__all__ = [
    "MD1Model",
    "QueueModel",
    "erlang_b",
    "erlang_c",
    "md1",
    "md1_wait_cdf",
    "mm1",
    "mmc",
    "pk_sojourn_mean",
    "pk_wait_mean",
    "slo_max_load",
]

# Minimum working precision (decimal digits) for the alternating M/D/1 series.
MD1_MIN_DPS = 300

# Private mpmath context, so that the global ``mpmath.mp`` precision of callers is never touched.
_MP = mpmath.MPContext()

_SLO_MODELS = ("mmc", "partitioned", "md1")


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def _as_real(name: str, value, allowed: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a real number in {allowed}, got {value!r}")
    x = float(value)
    if math.isnan(x):
        raise ValueError(f"{name} must be a real number in {allowed}, got nan")
    return x


def _check_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_rho(rho) -> float:
    x = _as_real("rho", rho, "(0, 1)")
    if not 0.0 < x < 1.0:
        raise ValueError(f"rho must be in (0, 1) (per-server load), got {rho!r}")
    return x


def _check_mean_service(mean_service) -> float:
    x = _as_real("mean_service", mean_service, "(0, inf)")
    if not (x > 0.0 and math.isfinite(x)):
        raise ValueError(f"mean_service must be finite and > 0, got {mean_service!r}")
    return x


def _check_scv(scv) -> float:
    x = _as_real("scv", scv, "[0, inf)")
    if not (x >= 0.0 and math.isfinite(x)):
        raise ValueError(f"scv must be finite and >= 0, got {scv!r}")
    return x


def _check_p(p) -> np.ndarray:
    """Validate probabilities (scalar or array) lying strictly inside (0, 1)."""
    try:
        arr = np.asarray(p, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"p must be a probability in (0, 1), got {p!r}") from None
    if isinstance(p, bool) or arr.size == 0 or not np.all((arr > 0.0) & (arr < 1.0)):
        raise ValueError(f"p must be a probability in (0, 1), got {p!r}")
    return arr


def _as_time_array(t) -> np.ndarray:
    return np.asarray(t, dtype=float)


def _out(x: np.ndarray):
    """Return a Python float for 0-d results and the array otherwise."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


# --------------------------------------------------------------------------------------------
# Erlang formulas
# --------------------------------------------------------------------------------------------


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of an M/M/c/c loss system.

    ``c`` servers (int >= 1), offered traffic ``a = lambda * E[S]`` in Erlangs (> 0, any size).
    Uses the recursion B_0 = 1, B_k = a B_{k-1} / (k + a B_{k-1}), whose terms all lie in
    [0, 1], so it neither overflows nor cancels; cost O(c), fine for c in the many thousands.
    """
    c = _check_int("c", c)
    a = _as_real("a", a, "(0, inf)")
    if not (a > 0.0 and math.isfinite(a)):
        raise ValueError(f"a must be finite and in (0, inf) (offered load in Erlangs), got {a!r}")
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability that an arrival waits, P(W > 0), in a stable M/M/c queue.

    ``a = lambda * E[S]`` in Erlangs must satisfy 0 < a < c. Computed from Erlang B as
    C = B / (1 - rho (1 - B)) with rho = a / c, which is as stable as the B recursion.
    """
    c = _check_int("c", c)
    a = _as_real("a", a, f"(0, {c})")
    if not 0.0 < a < c:
        raise ValueError(f"a must be in (0, c) = (0, {c}) for a stable M/M/c queue, got {a!r}")
    b = erlang_b(c, a)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


# --------------------------------------------------------------------------------------------
# M/M/1 and M/M/c
# --------------------------------------------------------------------------------------------


def _excess_factor(d: float, x: np.ndarray) -> np.ndarray:
    """(1 - exp(-d x)) / d, continuous at d = 0 (value x); stable for tiny |d|."""
    if d == 0.0:
        return x.copy()
    return -np.expm1(-d * x) / d


@dataclass(frozen=True)
class QueueModel:
    """Stationary FCFS M/M/c queue (exponential service, ``c`` identical servers).

    Fields are scalars: ``c`` servers, per-server load ``rho``, ``p_wait`` = P(W > 0) (the
    Erlang C probability), ``wait_mean`` = E[W] and ``sojourn_mean`` = E[T] in the units of
    ``mean_service``. Construct with :func:`mm1` or :func:`mmc` rather than directly.

    The wait has an atom 1 - p_wait at zero and an exponential tail,
    P(W > t) = p_wait * exp(-theta t) with theta = c (1 - rho) / E[S]; the sojourn is the
    sum of that wait and an independent Exp(1 / E[S]) service time. Methods accept scalars or
    numpy arrays and return a float or an array of the same shape.
    """

    c: int
    rho: float
    p_wait: float
    wait_mean: float
    sojourn_mean: float
    mean_service: float = 1.0

    # ---- derived rates ---------------------------------------------------------------------

    @property
    def arrival_rate(self) -> float:
        """Total arrival rate lambda = c * rho / E[S] (per unit of ``mean_service``)."""
        return self.c * self.rho / self.mean_service

    @property
    def theta(self) -> float:
        """Decay rate of the wait tail, c * (1 - rho) / E[S] (per unit of ``mean_service``)."""
        return self.c * (1.0 - self.rho) / self.mean_service

    @property
    def mean_in_system(self) -> float:
        """Mean number of jobs present (queued + in service), by Little's law."""
        return self.arrival_rate * self.sojourn_mean

    @property
    def mean_in_queue(self) -> float:
        """Mean number of jobs queued (not in service), by Little's law."""
        return self.arrival_rate * self.wait_mean

    # ---- helpers in service-time units (E[S] = 1) -------------------------------------------

    def _theta1(self) -> float:
        return self.c * (1.0 - self.rho)

    def _sojourn_sf1(self, x: np.ndarray) -> np.ndarray:
        # P(T > x) = e^{-x} + C e^{-m x} (1 - e^{-d x}) / d with m = min(1, theta),
        # d = |theta - 1|: an algebraic rewrite of the usual two-exponential form
        # that has no 0/0 at theta == 1 and no overflow for large x.
        theta = self._theta1()
        m = min(1.0, theta)
        d = abs(theta - 1.0)
        xp = np.maximum(x, 0.0)
        sf = np.exp(-xp) + self.p_wait * np.exp(-m * xp) * _excess_factor(d, xp)
        return np.where(x < 0.0, 1.0, np.minimum(sf, 1.0))

    def _sojourn_pdf1(self, x: np.ndarray) -> np.ndarray:
        theta = self._theta1()
        m = min(1.0, theta)
        d = abs(theta - 1.0)
        xp = np.maximum(x, 0.0)
        pdf = (1.0 - self.p_wait) * np.exp(-xp) + self.p_wait * theta * np.exp(
            -m * xp
        ) * _excess_factor(d, xp)
        return np.where(x < 0.0, 0.0, pdf)

    # ---- waiting time ----------------------------------------------------------------------

    def wait_sf(self, t):
        """P(W > t): 1 for t < 0, p_wait * exp(-theta t) for t >= 0 (t in E[S] units)."""
        x = _as_time_array(t) / self.mean_service
        xp = np.maximum(x, 0.0)
        return _out(np.where(x < 0.0, 1.0, self.p_wait * np.exp(-self._theta1() * xp)))

    def wait_cdf(self, t):
        """P(W <= t); has an atom of size 1 - p_wait at t = 0."""
        return _out(1.0 - np.asarray(self.wait_sf(t)))

    def wait_quantile(self, p):
        """p-quantile of the wait, inf{t : P(W <= t) >= p}; 0 when p <= 1 - p_wait.

        Closed form ln(p_wait / (1 - p)) / theta otherwise. ``p`` in (0, 1), scalar or array.
        """
        q = _check_p(p)
        tail = 1.0 - q
        with np.errstate(divide="ignore"):
            w = np.where(
                self.p_wait > tail,
                np.log(self.p_wait / tail) / self._theta1(),
                0.0,
            )
        return _out(w * self.mean_service)

    # ---- sojourn time ----------------------------------------------------------------------

    def sojourn_sf(self, t):
        """P(T > t) for the sojourn T = W + S (t in the units of ``mean_service``)."""
        x = _as_time_array(t) / self.mean_service
        return _out(self._sojourn_sf1(x))

    def sojourn_cdf(self, t):
        """P(T <= t) for the sojourn T = W + S."""
        return _out(1.0 - np.asarray(self.sojourn_sf(t)))

    def sojourn_pdf(self, t):
        """Density of the sojourn T = W + S (per unit of ``mean_service``); 0 for t < 0."""
        x = _as_time_array(t) / self.mean_service
        return _out(self._sojourn_pdf1(x) / self.mean_service)

    def _sojourn_quantile1(self, p: float) -> float:
        tail = 1.0 - p
        # T > x requires W > x/2 or S > x/2, hence P(T > x) <= C e^{-theta x/2} + e^{-x/2};
        # at hi both terms are <= tail/2, so the root is bracketed by [0, hi].
        rate = min(1.0, self._theta1())
        hi = 2.0 * math.log(2.0 / tail) / rate

        def f(x: float) -> float:
            return float(self._sojourn_sf1(np.asarray(x))) - tail

        f_hi = f(hi)
        if f_hi >= 0.0:  # only possible through rounding at the bound itself
            return hi
        return brentq(f, 0.0, hi, xtol=1e-14, rtol=4.0 * np.finfo(float).eps, maxiter=500)

    def sojourn_quantile(self, p):
        """p-quantile of the sojourn T = W + S, by bracketed root finding (Brent).

        No closed form exists for c > 1. ``p`` in (0, 1), scalar or array; result in the units
        of ``mean_service``.
        """
        q = _check_p(p)
        vals = np.vectorize(self._sojourn_quantile1, otypes=[float])(q)
        return _out(vals * self.mean_service)


def mmc(c: int, rho: float, mean_service: float = 1.0) -> QueueModel:
    """Exact FCFS M/M/c model with ``c`` servers (int >= 1) at per-server load ``rho`` in (0, 1).

    Arrival rate c * rho / mean_service; P(W > 0) is Erlang C with a = c * rho, and
    E[W] = C * E[S] / (c (1 - rho)). Times are in the units of ``mean_service``.
    """
    c = _check_int("c", c)
    rho = _check_rho(rho)
    ms = _check_mean_service(mean_service)
    p_wait = erlang_c(c, c * rho)
    wait_mean = p_wait * ms / (c * (1.0 - rho))
    return QueueModel(
        c=c,
        rho=rho,
        p_wait=p_wait,
        wait_mean=wait_mean,
        sojourn_mean=wait_mean + ms,
        mean_service=ms,
    )


def mm1(rho: float, mean_service: float = 1.0) -> QueueModel:
    """Exact FCFS M/M/1 model at load ``rho`` in (0, 1) (times in units of ``mean_service``).

    P(W > 0) = rho and E[W] = rho E[S] / (1 - rho); the sojourn is exactly exponential with
    rate (1 - rho) / E[S]. Returns the same :class:`QueueModel` as ``mmc(1, rho)``.
    """
    rho = _check_rho(rho)
    ms = _check_mean_service(mean_service)
    wait_mean = rho * ms / (1.0 - rho)
    return QueueModel(
        c=1,
        rho=rho,
        p_wait=rho,
        wait_mean=wait_mean,
        sojourn_mean=wait_mean + ms,
        mean_service=ms,
    )


# --------------------------------------------------------------------------------------------
# M/G/1 (Pollaczek-Khinchine) and M/D/1
# --------------------------------------------------------------------------------------------


def pk_wait_mean(rho: float, scv: float, mean_service: float = 1.0) -> float:
    """Mean FCFS wait of M/G/1 by Pollaczek-Khinchine.

    E[W] = rho (1 + scv) / 2 * E[S] / (1 - rho), where ``scv`` = Var[S] / E[S]^2 >= 0 is the
    squared coefficient of variation of service (1: exponential, 0: deterministic).
    """
    rho = _check_rho(rho)
    scv = _check_scv(scv)
    ms = _check_mean_service(mean_service)
    return rho * (1.0 + scv) / 2.0 * ms / (1.0 - rho)


def pk_sojourn_mean(rho: float, scv: float, mean_service: float = 1.0) -> float:
    """Mean M/G/1 sojourn E[T] = E[W] (Pollaczek-Khinchine) + E[S]."""
    return pk_wait_mean(rho, scv, mean_service) + _check_mean_service(mean_service)


def _md1_dps(x: float, rho: float) -> int:
    # The series terms are bounded in magnitude by e^{2 rho x}: that many digits are lost to
    # cancellation, so carry them on top of a comfortable margin (and never fewer than 300).
    return max(MD1_MIN_DPS, int(2.0 * rho * x / math.log(10.0)) + 60)


def _md1_cdf_unit(x: float, rho: float) -> float:
    """P(W <= x) for M/D/1 with D = 1 and arrival rate rho (Erlang/Crommelin series)."""
    if x < 0.0:
        return 0.0
    n = math.floor(x)
    with _MP.workdps(_md1_dps(x, rho)):
        r = _MP.mpf(rho)
        xm = _MP.mpf(x)
        # term_k = [r (k - x)]^k / k! * e^{r x} * (e^{-r})^k, with the factorial and the
        # exponential built up incrementally (one power per term).
        scale = _MP.exp(r * xm)  # e^{r x} (e^{-r})^k, starts at k = 0
        decay = _MP.exp(-r)
        inv_fact = _MP.mpf(1)
        total = _MP.mpf(0)
        for k in range(n + 1):
            if k:
                inv_fact /= k
                scale *= decay
            total += (r * (k - xm)) ** k * inv_fact * scale
        value = (1 - r) * total
        out = float(value)
    return min(1.0, max(0.0, out))


def md1_wait_cdf(t, rho: float, mean_service: float = 1.0):
    """Exact FCFS M/D/1 waiting-time CDF P(W <= t) with deterministic service D = mean_service.

    Uses the alternating Erlang/Crommelin sum
    (1 - rho) * sum_{k=0}^{floor(t/D)} [rho (k - t/D)]^k / k! * exp(-rho (k - t/D)),
    evaluated with mpmath at >= 300 significant digits (more for large t, where the terms grow
    like exp(2 rho t/D)). The CDF is 0 for t < 0 and has an atom 1 - rho at 0. Scalar or array.
    """
    rho = _check_rho(rho)
    ms = _check_mean_service(mean_service)
    x = _as_time_array(t) / ms
    if np.any(~np.isfinite(x)):
        raise ValueError(f"t must be finite, got {t!r}")
    vals = np.vectorize(lambda v: _md1_cdf_unit(float(v), rho), otypes=[float])(x)
    return _out(vals)


def _md1_wait_quantile_unit(p: float, rho: float) -> float:
    if p <= 1.0 - rho:  # the atom at zero already carries probability 1 - rho
        return 0.0

    def f(x: float) -> float:
        return _md1_cdf_unit(x, rho) - p

    # The CDF is analytic between consecutive integers, so first locate the unit interval
    # holding the quantile (doubling, then integer bisection), then solve inside it.
    lo, hi = 0, max(1, math.ceil(rho / (2.0 * (1.0 - rho))))
    while f(float(hi)) < 0.0:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if f(float(mid)) < 0.0:
            lo = mid
        else:
            hi = mid
    f_lo, f_hi = f(float(lo)), f(float(hi))
    if f_hi == 0.0:
        return float(hi)
    if f_lo >= 0.0:  # only when lo == 0 and p hits the atom within rounding
        return float(lo)
    return brentq(f, float(lo), float(hi), xtol=1e-13, rtol=4.0 * np.finfo(float).eps)


@dataclass(frozen=True)
class MD1Model:
    """Stationary FCFS M/D/1 queue with deterministic service ``D = mean_service``.

    Fields: ``rho`` (load), ``p_wait`` = P(W > 0) = rho, ``wait_mean`` = rho D / (2 (1 - rho))
    and ``sojourn_mean`` = wait_mean + D. Distribution methods use the exact Erlang/Crommelin
    series (see :func:`md1_wait_cdf`). One CDF evaluation at t = x D sums about x terms at about
    max(300, 0.9 rho x) digits: a few milliseconds for x < 100, but a quantile near x = 2000
    (rho = 0.999) takes tens of seconds.
    """

    rho: float
    p_wait: float
    wait_mean: float
    sojourn_mean: float
    mean_service: float = 1.0
    c: int = 1

    def wait_cdf(self, t):
        """Exact P(W <= t) (t in the units of ``mean_service``); atom 1 - rho at t = 0."""
        return md1_wait_cdf(t, self.rho, self.mean_service)

    def wait_sf(self, t):
        """Exact P(W > t) = 1 - wait_cdf(t)."""
        return _out(1.0 - np.asarray(self.wait_cdf(t)))

    def sojourn_cdf(self, t):
        """Exact P(T <= t) with T = W + D."""
        return _out(np.asarray(self.wait_cdf(_as_time_array(t) - self.mean_service)))

    def wait_quantile(self, p):
        """p-quantile of the wait, inf{t : P(W <= t) >= p}: 0 when p <= 1 - rho, otherwise the
        root of the exact CDF (unit interval located by bisection, then Brent inside it)."""
        q = _check_p(p)
        vals = np.vectorize(lambda v: _md1_wait_quantile_unit(float(v), self.rho), otypes=[float])(
            q
        )
        return _out(vals * self.mean_service)

    def sojourn_quantile(self, p):
        """p-quantile of the sojourn: wait quantile + D (service is deterministic)."""
        return _out(np.asarray(self.wait_quantile(p)) + self.mean_service)


def md1(rho: float, mean_service: float = 1.0) -> MD1Model:
    """Exact FCFS M/D/1 model at load ``rho`` in (0, 1) with service time D = ``mean_service``."""
    rho = _check_rho(rho)
    ms = _check_mean_service(mean_service)
    wait_mean = rho * ms / (2.0 * (1.0 - rho))
    return MD1Model(
        rho=rho, p_wait=rho, wait_mean=wait_mean, sojourn_mean=wait_mean + ms, mean_service=ms
    )


# --------------------------------------------------------------------------------------------
# Service-level objective: the highest load that keeps a sojourn percentile under k * E[S]
# --------------------------------------------------------------------------------------------

_RHO_LO = 1e-12
_RHO_HI = 1.0 - 1e-12


def slo_max_load(c: int, k: float, model: str = "mmc", *, p: float = 0.99) -> float:
    """Highest per-server load rho such that the p-quantile of the sojourn is <= k * E[S].

    Dimensionless (the objective is a multiple ``k`` > 0 of the mean service time), so there is
    no ``mean_service`` argument. ``p`` defaults to 0.99 (a P99 objective). Models:

    * ``"mmc"``: one central FCFS queue feeding ``c`` exponential servers (M/M/c, c-FCFS);
    * ``"partitioned"``: ``c`` independent M/M/1 queues fed by random dispatch (d-FCFS); each is
      M/M/1 at rho, so the answer is 1 - ln(1 / (1 - p)) / k whatever ``c`` is;
    * ``"md1"``: ``c`` independent M/D/1 queues (deterministic service), again independent of c.

    Returns 0.0 when the objective cannot be met at any positive load (for exponential service
    when k <= ln(1 / (1 - p)); for deterministic service when k < 1). The sojourn quantile is
    increasing in rho, so the answer is the root in rho of P(T > k E[S]) = 1 - p.
    """
    c = _check_int("c", c)
    k = _as_real("k", k, "(0, inf)")
    if not (k > 0.0 and math.isfinite(k)):
        raise ValueError(f"k must be finite and > 0 (SLO in multiples of E[S]), got {k!r}")
    if model not in _SLO_MODELS:
        raise ValueError(f"model must be one of {_SLO_MODELS}, got {model!r}")
    pv = float(_check_p(p))
    tail = 1.0 - pv

    if model == "partitioned":
        return max(0.0, 1.0 - math.log(1.0 / tail) / k)

    if model == "md1":
        x = k - 1.0  # T = W + 1 <= k  <=>  W <= k - 1
        if x < 0.0:
            return 0.0

        def g(r: float) -> float:
            return _md1_cdf_unit(x, r) - pv  # decreasing in r
    else:

        def g(r: float) -> float:
            return tail - float(mmc(c, r).sojourn_sf(k))  # decreasing in r

    g_lo = g(_RHO_LO)
    if g_lo < 0.0:
        return 0.0
    g_hi = g(_RHO_HI)
    if g_hi >= 0.0:
        return _RHO_HI
    return brentq(g, _RHO_LO, _RHO_HI, xtol=1e-14, rtol=4.0 * np.finfo(float).eps)
