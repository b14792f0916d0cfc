"""Workload specs users recognise: named templates and YAML/Python spec files.

A spec is a mapping of ``make_spec`` arguments plus a ``phases`` list written as mappings,
with optional repetition and named blocks::

    template: http-server          # start from a template (optional)
    params: {cpu_ns: 30000}        # its parameters
    topology: 1x8                  # any make_spec argument
    load: 0.7
    phases:                        # replaces the template's program
      - {kind: netwait, dist: exp, mean_ns: 200000}
      - {repeat: 3, phases: [{use: query}]}
      - {kind: syscall, dist: const, mean_ns: 5000}
    blocks:
      query: [{kind: cpu, dist: exp, mean_ns: 10000}, {kind: syscall, dist: exp, mean_ns: 50000}]

Phases that nest phases of their own, and allocation::

      - {kind: alloc, dist: exp, bytes: 65536}       # mallocgc at one point (mean bytes)
      - {kind: fork, count: 4, phases: [{use: query}]}   # 4 children, then wait for all
      - {kind: pool, phases: [{kind: cpu, mean_ns: 40000}]}  # a job for the pool_workers

``compile_spec`` turns it into ``make_spec`` keyword arguments; every error names the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ._kernel import consts as kc
from .errors import SpecError
from .params import Phase

MAX_UNROLLED = 100_000  # phases after repetition: a bound against runaway specs


@dataclass(frozen=True)
class Template:
    """A named workload: its parameters (default, meaning) and the spec it builds."""

    name: str
    summary: str
    params: dict = field(default_factory=dict)  # name -> (default, meaning)
    build: object = None  # params dict -> make_spec keyword arguments


def _http(p):
    return dict(
        arrival_path="netpoll",
        load=p["load"],
        program=(
            f"netwait:exp:{p['netwait_ns']},cpu:exp:{p['cpu_ns']},"
            f"syscall:const:{p['write_syscall_ns']}"
        ),
    )


def _pool(p):
    # for req := range conns { go handle(req) }: each handler does a little CPU, sends the job
    # on a channel to a fixed pool of workers, waits for the reply, writes it back
    return dict(
        load=p["load"],
        pool_workers=p["workers"],
        program=[
            {"kind": "cpu", "service": "exp", "mean_ns": p["handler_cpu_ns"]},
            {
                "kind": "pool",
                "children": [{"kind": "cpu", "service": "exp", "mean_ns": p["job_cpu_ns"]}],
            },
            {"kind": "cpu", "service": "exp", "mean_ns": p["reply_cpu_ns"]},
        ],
    )


def _fanout(p):
    # a front end fans a request out to k backends (one goroutine per call, a WaitGroup),
    # each call encodes, waits on the network, decodes; then it merges and writes the reply
    half = p["call_cpu_ns"] / 2
    return dict(
        arrival_path="netpoll",
        load=p["load"],
        program=[
            {"kind": "cpu", "service": "exp", "mean_ns": p["prepare_cpu_ns"]},
            {
                "kind": "fork",
                "count": p["fanout"],
                "children": [
                    {"kind": "cpu", "service": "exp", "mean_ns": half},
                    {"kind": "netwait", "service": "exp", "mean_ns": p["backend_ns"]},
                    {"kind": "cpu", "service": "exp", "mean_ns": half},
                ],
            },
            {"kind": "cpu", "service": "exp", "mean_ns": p["merge_cpu_ns"]},
            {"kind": "syscall", "service": "const", "mean_ns": p["write_syscall_ns"]},
        ],
    )


def _hogs(p):
    return dict(hogs=p["hogs"], load=p["load"], service="exp", service_mean_ns=p["request_cpu_ns"])


def _pingpong(p):
    return dict(
        pairs=p["pairs"],
        pair_mean_ns=p["burst_ns"],
        locked_pairs=bool(p["locked"]),
        arrival_rate_per_s=p["probe_rate_per_s"],
        service="const",
        service_mean_ns=1_000,
    )


def _gc_heavy(p):
    return dict(
        gc=True,
        hogs=p["allocators"],
        hog_alloc_bytes_per_cpu_us=p["alloc_bytes_per_cpu_us"],
        live_heap_mib=p["live_heap_mib"],
        gogc=p["gogc"],
        load=p["load"],
        service_mean_ns=p["request_cpu_ns"],
    )


def _seed_mixed(p):
    # 2 CPU hogs (fib(45), ~80 ms a call) + 4 allocating goroutines (about 1 GB/s of 1 KiB
    # objects) as 6 resident hogs sharing the allocation; 3 I/O clients in a closed loop, each
    # writing 4 KiB (a short burst) then fsync (a blocking syscall)
    return dict(
        gc=True,
        hogs=6,
        hog_alloc_bytes_per_cpu_us=p["alloc_bytes_per_s"] / 6 / 1e6,
        live_heap_mib=p["live_heap_mib"],
        arrivals="closed",
        clients=3,
        think="const",
        think_mean_ns=1_000,
        program=f"cpu:exp:{p['write_cpu_ns']},syscall_block:exp:{p['fsync_ns']}",
    )


def _closed(p):
    return dict(
        arrivals="closed",
        clients=p["clients"],
        think="exp",
        think_mean_ns=p["think_ns"],
        service="exp",
        service_mean_ns=p["cpu_ns"],
    )


def _bursty(p):
    return dict(
        arrivals="mmpp",
        mmpp_rates_per_s=(p["quiet_rate_per_s"], p["burst_rate_per_s"]),
        mmpp_switch_per_s=(1e3 / p["quiet_ms"], 1e3 / p["burst_ms"]),
        service="exp",
        service_mean_ns=p["cpu_ns"],
    )


TEMPLATES = {
    t.name: t
    for t in (
        Template(
            "http-server",
            "requests arrive through the netpoller, wait on the network, compute, write",
            {
                "load": (0.5, "CPU load of the requests"),
                "netwait_ns": (200_000, "mean wait for the request body (exp)"),
                "cpu_ns": (20_000, "mean handler CPU (exp)"),
                "write_syscall_ns": (5_000, "the response's write syscall (const)"),
            },
            _http,
        ),
        Template(
            "worker-pool",
            "handlers send jobs over a channel to a fixed pool of workers and wait for replies",
            {
                "workers": (8, "pool workers (receiving from one channel)"),
                "load": (0.5, "CPU load of handlers and jobs together"),
                "handler_cpu_ns": (2_000, "handler CPU before sending the job (exp)"),
                "job_cpu_ns": (40_000, "a worker's CPU per job (exp)"),
                "reply_cpu_ns": (2_000, "handler CPU after the reply (exp)"),
            },
            _pool,
        ),
        Template(
            "fan-out-rpc",
            "each request forks one goroutine per backend call and joins them (WaitGroup)",
            {
                "fanout": (8, "backend calls per request, in parallel"),
                "load": (0.5, "CPU load of the requests and their calls"),
                "prepare_cpu_ns": (10_000, "CPU before the fan-out (exp)"),
                "call_cpu_ns": (4_000, "CPU per call: encoding and decoding (exp halves)"),
                "backend_ns": (500_000, "a backend's response time (exp network wait)"),
                "merge_cpu_ns": (20_000, "CPU merging the replies (exp)"),
                "write_syscall_ns": (5_000, "the response's write syscall (const)"),
            },
            _fanout,
        ),
        Template(
            "cpu-hogs",
            "CPU hogs beside latency-sensitive requests",
            {
                "hogs": (2, "resident CPU hogs"),
                "load": (0.5, "CPU load of the requests"),
                "request_cpu_ns": (10_000, "mean request CPU (exp)"),
            },
            _hogs,
        ),
        Template(
            "ping-pong",
            "pairs handing a ball over unbuffered channels, beside a light probe stream",
            {
                "pairs": (1, "ping-pong pairs"),
                "burst_ns": (1_000, "CPU per turn"),
                "locked": (0, "1: each member calls LockOSThread"),
                "probe_rate_per_s": (1_000, "1 us probe goroutines per second (the run length)"),
            },
            _pingpong,
        ),
        Template(
            "gc-heavy",
            "resident allocators drive the GC beside requests that allocate nothing",
            {
                "allocators": (1, "resident allocating goroutines"),
                "alloc_bytes_per_cpu_us": (5_000, "bytes each allocates per us of CPU"),
                "live_heap_mib": (64, "reachable heap"),
                "gogc": (100, "GOGC"),
                "load": (0.5, "CPU load of the requests"),
                "request_cpu_ns": (50_000, "mean request CPU (exp)"),
            },
            _gc_heavy,
        ),
        Template(
            "seed-mixed",
            "the seed article's section 4.2: CPU hogs + fsync I/O clients + GC pressure",
            {
                "alloc_bytes_per_s": (1e9, "allocation of the GC goroutines together"),
                "live_heap_mib": (64, "reachable heap"),
                "write_cpu_ns": (20_000, "CPU to write 4 KiB"),
                "fsync_ns": (2_000_000, "mean fsync (exp)"),
            },
            _seed_mixed,
        ),
        Template(
            "closed-clients",
            "N clients in a closed loop with exponential think times",
            {
                "clients": (64, "clients"),
                "think_ns": (1_000_000, "mean think time"),
                "cpu_ns": (10_000, "mean request CPU (exp)"),
            },
            _closed,
        ),
        Template(
            "bursty",
            "Poisson arrivals modulated by a quiet and a burst state (MMPP)",
            {
                "quiet_rate_per_s": (50_000, "arrival rate while quiet"),
                "burst_rate_per_s": (350_000, "arrival rate in a burst"),
                "quiet_ms": (20, "mean quiet spell"),
                "burst_ms": (2, "mean burst"),
                "cpu_ns": (10_000, "mean request CPU (exp)"),
            },
            _bursty,
        ),
    )
}


def template_kwargs(name: str, params: dict | None = None) -> dict:
    """make_spec keyword arguments of a template with some parameters overridden."""
    if name not in TEMPLATES:
        raise SpecError("template", f"one of {sorted(TEMPLATES)}", name)
    t = TEMPLATES[name]
    values = {k: d for k, (d, _) in t.params.items()}
    for k, v in (params or {}).items():
        if k not in t.params:
            raise SpecError(f"params.{k}", f"a parameter of {name}: {sorted(t.params)}", k)
        default = t.params[k][0]
        try:
            values[k] = type(default)(v) if not isinstance(v, type(default)) else v
        except (TypeError, ValueError):
            raise SpecError(f"params.{k}", f"a {type(default).__name__}", v) from None
    out = t.build(values)
    return {k: v for k, v in out.items() if v is not None}


def _phases(items, blocks, where, stack) -> list:
    """Unroll a phases list: mappings, {repeat: n, phases: [...]}, {use: block}."""
    if not isinstance(items, list):
        raise SpecError(where, "a list of phases", items)
    out = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise SpecError(at, "a mapping (kind/dist/mean_ns, repeat/phases, or use)", item)
        if "use" in item:
            name = item["use"]
            if name not in blocks:
                raise SpecError(f"{at}.use", f"a block among {sorted(blocks)}", name)
            if name in stack:
                raise SpecError(
                    f"{at}.use", "a block that does not use itself (a cycle)", " -> ".join(stack)
                )
            out += _phases(blocks[name], blocks, f"blocks.{name}", stack + (name,))
        elif "repeat" in item:
            n = item["repeat"]
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10_000:
                raise SpecError(f"{at}.repeat", "an integer in [1, 10000]", n)
            body = _phases(item.get("phases"), blocks, f"{at}.phases", stack)
            out += body * n
        else:
            out.append(_phase(item, blocks, at, stack))
        if len(out) > MAX_UNROLLED:
            raise SpecError(where, f"at most {MAX_UNROLLED} phases once repeated", len(out))
    return out


_PHASE_KEYS = {
    "alloc": {"kind", "dist", "bytes", "scv", "data"},
    "fork": {"kind", "count", "phases"},
    "pool": {"kind", "phases"},
}
_TIMED_KEYS = {"kind", "dist", "mean_ns", "scv", "data"}


def _phase(item, blocks, at, stack) -> Phase:
    """One phase mapping: a timed phase, an alloc, or a fork/pool with its nested phases."""
    kind = item.get("kind", "cpu")
    if kind not in kc.PHASE_KINDS:
        raise SpecError(f"{at}.kind", f"one of {sorted(kc.PHASE_KINDS)}", kind)
    allowed = _PHASE_KEYS.get(kind, _TIMED_KEYS)
    unknown = set(item) - allowed
    if unknown:
        raise SpecError(at, f"keys among {', '.join(sorted(allowed))} for {kind}", sorted(unknown))
    if kind in ("fork", "pool"):
        if "phases" not in item:
            raise SpecError(f"{at}.phases", f"the phases each {kind} job runs", None)
        body = tuple(_phases(item["phases"], blocks, f"{at}.phases", stack))
        count = item.get("count", 1) if kind == "fork" else 1
        return Phase(kind, "const", 0.0, None, count=count, children=body)
    if item.get("dist") == "empirical" or "data" in item:
        return Phase.empirical(kind, item.get("data"))
    if kind == "alloc":
        b = item.get("bytes")
        if isinstance(b, bool) or not isinstance(b, int | float) or not b > 0:
            raise SpecError(f"{at}.bytes", "a number of bytes > 0", b)
        return Phase("alloc", item.get("dist", "exp"), 0.0, item.get("scv"), bytes=float(b))
    mean = item.get("mean_ns")
    if isinstance(mean, bool) or not isinstance(mean, int | float) or not mean > 0:
        raise SpecError(f"{at}.mean_ns", "a duration in ns > 0", mean)
    return Phase(kind, item.get("dist", "exp"), float(mean), item.get("scv"))


def compile_spec(spec: dict) -> dict:
    """A workload spec (mapping) to make_spec keyword arguments."""
    if not isinstance(spec, dict):
        raise SpecError("workload", "a mapping of fields", spec)
    spec = dict(spec)
    kwargs = {}
    if "template" in spec:
        kwargs.update(template_kwargs(spec.pop("template"), spec.pop("params", None)))
    elif "params" in spec:
        raise SpecError("params", "given only with a template", spec["params"])
    blocks = spec.pop("blocks", {}) or {}
    if not isinstance(blocks, dict):
        raise SpecError("blocks", "a mapping of name -> phases", blocks)
    if "phases" in spec:
        kwargs["program"] = tuple(_phases(spec.pop("phases"), blocks, "phases", ()))
    kwargs.update(spec)
    return kwargs


def load_spec(path_or_name: str) -> dict:
    """A template name or a YAML file: make_spec keyword arguments."""
    if path_or_name in TEMPLATES:
        return template_kwargs(path_or_name)
    path = Path(path_or_name)
    if not path.is_file():
        raise SpecError(
            "workload", f"a template ({', '.join(sorted(TEMPLATES))}) or a YAML file", path_or_name
        )
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise SpecError("workload", f"valid YAML ({e.__class__.__name__})", str(path)) from None
    return compile_spec(data)


def describe() -> str:
    """The templates and their parameters with defaults (``gmplab workloads``)."""
    lines = []
    for t in TEMPLATES.values():
        lines.append(f"{t.name}: {t.summary}")
        for k, (d, doc) in t.params.items():
            lines.append(f"    {k} = {d}    {doc}")
    return "\n".join(lines)
