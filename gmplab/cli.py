"""The ``gmplab`` command: ``simulate`` and ``schedtrace`` (more land with their issues).

Bad input exits with status 2 and one line naming the parameter and what is allowed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from .designs import MECHANISMS

MECHANISM_NAMES = list(MECHANISMS)

# the keys `simulate --json` promises (the CLI contract of the foundation issue)
JSON_KEYS = (
    "goroutines_completed",
    "goroutines_measured",
    "events",
    "utilization_effective",
    "sojourn_ns_mean",
    "sojourn_ns_p50",
    "sojourn_ns_p99",
    "sojourn_ns_p999",
    "sched_latency_ns_mean",
    "sched_latency_ns_p50",
    "sched_latency_ns_p99",
    "schedule_ns_p99",
    "steals",
    "stolen",
    "runnext_hits",
    "migrations_local",
    "migrations_remote",
    "preemptions",
    "global_runq_puts",
    "lock_wait_ns_total",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line, exit status 2."""

    def error(self, message):
        self.exit(2, f"gmplab: error: {message}\n")


def _number(name, kind=float):
    def conv(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}: must be {'an integer' if kind is int else 'a number'} (got {text!r})"
            ) from None
        if kind is float and not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{name}: must be a finite number (got {text!r})")
        return v

    return conv


def _add_simulate(sub, name="simulate", help_="simulate one configuration", func=None):
    p = sub.add_parser(name, help=help_)
    p.add_argument(
        "--policy",
        default="go",
        help="go | global | central | partitioned, or a design: seed122 | mos | numa "
        "(docs/designs.md)",
    )
    p.add_argument(
        "--topology",
        default="1x4",
        help="NODESxCORES, e.g. 2x8, or a preset: laptop, server, server-2s, xeon-2x48, "
        "epyc-96, epyc-2s-128",
    )
    p.add_argument(
        "--distances",
        default=None,
        help="the SLIT matrix as rows separated by ';', e.g. '10,21;21,10' (10 on the diagonal)",
    )
    p.add_argument(
        "--gomaxprocs",
        type=_gomaxprocs,
        default=None,
        help="Ps (may exceed the CPUs: Ms then share them); auto: Go 1.25's default "
        "(the CPUs, or the CPU quota rounded up, at least 2)",
    )
    p.add_argument(
        "--cpu-quota-ms",
        type=_number("--cpu-quota-ms"),
        default=None,
        help="cgroup cpu.max quota: CPU ms the container may use per period",
    )
    p.add_argument("--cpu-period-ms", type=_number("--cpu-period-ms"), default=100.0)
    p.add_argument(
        "--lock",
        default=None,
        help="sched.lock: fifo | spinbit (default: spinbit for go >= 1.24, else fifo)",
    )
    p.add_argument(
        "--mechanisms",
        default=None,
        help="mechanisms on top of go, comma-separated (default: the policy's own; 'none': "
        "none): " + ", ".join(MECHANISM_NAMES),
    )
    p.add_argument(
        "--globrunq",
        default=None,
        help="the global run queue: lock | segmented | treiber | ring | node (default: Go's, "
        "or the mechanisms')",
    )
    p.add_argument(
        "--globrunq-segments",
        type=_number("--globrunq-segments", int),
        default=8,
        help="segments of a segmented global queue",
    )
    p.add_argument(
        "--mos-load-ratio",
        type=_number("--mos-load-ratio"),
        default=1.5,
        help="migration-avoid: steal only from a P loaded past this times the mean",
    )
    p.add_argument(
        "--mos-keep-local",
        type=_number("--mos-keep-local", int),
        default=64,
        help="migration-avoid: ring length past which a loaded P sends new Gs away",
    )
    p.add_argument(
        "--mos-gc-base",
        type=_number("--mos-gc-base", int),
        default=8,
        help="gc-assist-priority: the formula's base",
    )
    p.add_argument(
        "--mos-locked-violation-ms",
        type=_number("--mos-locked-violation-ms"),
        default=10.0,
        help="locked-dedicated: a locked G blocked longer than this is a violation",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--load", type=_number("--load"), help="lambda*E[S]/min(GOMAXPROCS, cores)")
    g.add_argument("--arrival-rate-per-s", type=_number("--arrival-rate-per-s"))
    p.add_argument(
        "--arrivals",
        default="poisson",
        help="poisson | const | burst | mmpp | schedule | closed (the last three set the rate)",
    )
    p.add_argument(
        "--mmpp-rates-per-s", default=None, metavar="R0,R1", help="MMPP: rate in each state"
    )
    p.add_argument(
        "--mmpp-switch-per-s", default=None, metavar="Q01,Q10", help="MMPP: switching rates"
    )
    p.add_argument(
        "--rate-schedule",
        default=None,
        metavar="MS:RATE,...",
        help="schedule: segments of MS milliseconds at RATE per second, repeated",
    )
    p.add_argument("--clients", type=_number("--clients", int), default=0, help="closed loop")
    p.add_argument("--think", default="exp", help="closed loop: think-time distribution")
    p.add_argument("--think-mean-ns", type=_number("--think-mean-ns"), default=1_000_000.0)
    p.add_argument("--think-scv", type=_number("--think-scv"), default=None)
    p.add_argument("--arrival-path", default="global", help="global | spawn | netpoll | random-p")
    p.add_argument("--service", default="exp", help="exp | const | lognormal | bimodal | pareto")
    p.add_argument("--service-mean-ns", type=_number("--service-mean-ns"), default=10_000.0)
    p.add_argument(
        "--service-data",
        default=None,
        metavar="PATH.csv[:COLUMN]",
        help="with --service empirical: a CSV column of samples, or a histogram CSV "
        "(lower_ns, upper_ns, count)",
    )
    p.add_argument("--service-data-unit", default="ns", help="ns | us | ms | s (samples)")
    p.add_argument("--service-scv", type=_number("--service-scv"), default=None)
    p.add_argument("--goroutines", type=_number("--goroutines", int), default=None)
    p.add_argument("--warmup-fraction", type=_number("--warmup-fraction"), default=0.1)
    p.add_argument("--replications", type=_number("--replications", int), default=1)
    p.add_argument("--costs", default="default", help="zero | default | PATH.json")
    p.add_argument("--seed", type=_number("--seed", int), default=0)
    p.add_argument("--max-live", type=_number("--max-live", int), default=10_000_000)
    p.add_argument("--check-invariants", action="store_true")
    p.add_argument("--snapshot-ms", type=_number("--snapshot-ms"), default=0.0)
    p.add_argument(
        "--schedtrace-ms",
        type=_number("--schedtrace-ms"),
        default=None,
        help="print GODEBUG=schedtrace-style lines every MS simulated ms",
    )
    p.add_argument("--batches", type=_number("--batches", int), default=64)
    p.add_argument(
        "--trace-events",
        type=_number("--trace-events", int),
        default=0,
        help="record the first K kernel events and print them (time, event, P, M, G)",
    )
    p.add_argument("--rules-off", default="", help="comma-separated Go rules to disable")
    p.add_argument(
        "--program",
        default=None,
        help="each goroutine's phases KIND:DIST:MEAN_NS[:SCV],... (kinds cpu, nopreempt, "
        "critical, syscall, syscall_block, netwait, sleep; alloc:DIST:BYTES), e.g. "
        "cpu:exp:5000,syscall:const:200000,cpu:exp:5000 (fork and pool phases nest: "
        "give them in a --workload YAML spec)",
    )
    p.add_argument(
        "--hogs",
        type=_number("--hogs", int),
        default=0,
        help="resident CPU hogs beside the measured goroutines (they never block)",
    )
    p.add_argument(
        "--pairs",
        type=_number("--pairs", int),
        default=0,
        help="resident ping-pong pairs: a burst, then a channel hand-off to the partner",
    )
    p.add_argument(
        "--locked-pairs",
        action="store_true",
        help="each pair member calls runtime.LockOSThread (a hand-off switches OS threads)",
    )
    p.add_argument(
        "--pool-workers",
        type=_number("--pool-workers", int),
        default=0,
        help="resident workers receiving the program's pool jobs from one channel",
    )
    p.add_argument("--pair-service", default="const", help="distribution of a pair's burst")
    p.add_argument("--pair-mean-ns", type=_number("--pair-mean-ns"), default=1_000.0)
    p.add_argument("--pair-scv", type=_number("--pair-scv"), default=None)
    p.add_argument(
        "--latency-sampling",
        default="all",
        help="all (every runnable->running delay) | go (1 in 8, as /sched/latencies)",
    )
    p.add_argument("--gc", action="store_true", help="model the garbage collector")
    p.add_argument("--gogc", type=_number("--gogc", int), default=100)
    p.add_argument(
        "--live-heap-mib",
        type=_number("--live-heap-mib"),
        default=64.0,
        help="reachable heap each mark finds (MiB)",
    )
    p.add_argument(
        "--alloc-bytes-per-cpu-us",
        type=_number("--alloc-bytes-per-cpu-us"),
        default=0.0,
        help="bytes the measured goroutines allocate per us of CPU",
    )
    p.add_argument(
        "--hog-alloc-bytes-per-cpu-us",
        type=_number("--hog-alloc-bytes-per-cpu-us"),
        default=0.0,
        help="bytes each hog allocates per us of CPU (a GC-heavy allocator beside requests)",
    )
    p.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="KEY=NS",
        help="override one cost of the --costs profile (repeatable), e.g. "
        "--cost netpoll_timeout_granularity_ns=0 for epoll_pwait2",
    )
    p.add_argument(
        "--max-syscall-threads", type=_number("--max-syscall-threads", int), default=1024
    )
    p.add_argument(
        "--go-version",
        default="1.27",
        help="runtime rules, 1.4 .. 1.27 (runnext 1.5, timers on Ps 1.14, timer stealing 1.15, "
        "1.16, spinning recheck 1.22; docs/model.md)",
    )
    p.add_argument(
        "--warmup",
        default="fixed",
        help="fixed (--warmup-fraction) | mser5 (the cut picked from the data)",
    )
    p.add_argument(
        "--until-halfwidth",
        default=None,
        metavar="SHARE",
        help="add replications until the P99 interval's half-width is at most "
        "SHARE of the estimate, e.g. 2%%",
    )
    p.add_argument(
        "--max-replications",
        type=_number("--max-replications", int),
        default=200,
        help="the cap for --until-halfwidth",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--workload",
        default=None,
        metavar="NAME|SPEC.yaml",
        help="start from a template (gmplab workloads lists them) or a YAML spec; "
        "flags given here override it",
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="a template parameter"
    )
    p.set_defaults(func=cmd_simulate if func is None else func, _parser=p)
    return p


def _add_compare(sub):
    p = _add_simulate(
        sub,
        "compare",
        "one row per value of a parameter: throughput, P50, P99.9, lock and quota overheads, "
        "and the highest rate meeting a latency objective",
        cmd_compare,
    )
    p.add_argument("--vary", default=None, metavar="FIELD=V1,V2,...", help="e.g. gomaxprocs=1,2,4")
    _add_slo(p, "p999", 8)


def _add_slo(p, quantile: str, bisect: int) -> None:
    p.add_argument("--slo-ms", type=_number("--slo-ms"), default=None, help="latency objective")
    p.add_argument("--slo-quantile", default=quantile, help="p50 | p90 | p99 | p999")
    p.add_argument(
        "--bisect", type=_number("--bisect", int), default=bisect, help="bisection steps"
    )


def _table_command(args, build, width: int = 200) -> int:
    """Run build(spec keyword arguments) -> polars table; print it (or its JSON). Bad input
    exits 2 with one line."""
    from .errors import KernelError, SpecError

    try:
        kw = _spec_kwargs(args)
        if args.workload is not None:
            kw = _with_workload(args, kw)
        table = build(kw)
    except (SpecError, KernelError) as e:
        print(f"gmplab: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(table.write_json())
        return 0
    import polars as pl

    cols = [c for c in table.columns if not c.endswith(("_lo", "_hi"))]
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=width, float_precision=3):
        print(table.select(cols))
    return 0


def cmd_compare(args) -> int:
    from .capacity import compare, parse_vary

    def build(kw):
        field, values = parse_vary(args.vary)
        return compare(kw, field, values, args.slo_ms, args.slo_quantile, args.bisect)

    return _table_command(args, build)


def _add_ablate(sub):
    p = _add_simulate(
        sub,
        "ablate",
        "a base, each mechanism alone on top of it, and all together: latencies with "
        "replication intervals, the highest load meeting an objective, migrations",
        cmd_ablate,
    )
    p.add_argument("--base", default=None, help="the base policy (default: --policy, go)")
    _add_slo(p, "p99", 6)


def cmd_ablate(args) -> int:
    from .ablate import ablate

    def build(kw):
        base = args.base or kw["policy"]
        kw.pop("policy")
        mechs = kw.pop("mechanisms")
        mechs = None if mechs is None else [m for m in mechs.split(",") if m.strip()]
        reps = kw.pop("replications")
        return ablate(
            kw,
            base,
            mechs,
            replications=reps if reps > 1 else 5,
            slo_ms=args.slo_ms,
            quantile=args.slo_quantile,
            iterations=args.bisect,
        )

    return _table_command(args, build, width=250)


def _spec_kwargs(args) -> dict:
    """The simulate flags as make_spec keyword arguments."""
    snapshot_ms = args.snapshot_ms
    if args.schedtrace_ms is not None:
        snapshot_ms = args.schedtrace_ms
    return dict(
        policy=args.policy,
        topology=args.topology,
        distances=_distances(args.distances),
        gomaxprocs=args.gomaxprocs,
        cpu_quota_ms=args.cpu_quota_ms,
        cpu_period_ms=args.cpu_period_ms,
        lock=args.lock,
        mechanisms=args.mechanisms,
        globrunq=args.globrunq,
        globrunq_segments=args.globrunq_segments,
        mos_load_ratio=args.mos_load_ratio,
        mos_keep_local=args.mos_keep_local,
        mos_gc_base=args.mos_gc_base,
        mos_locked_violation_ms=args.mos_locked_violation_ms,
        load=args.load,
        arrival_rate_per_s=args.arrival_rate_per_s,
        arrivals=args.arrivals,
        arrival_path=args.arrival_path,
        service=args.service,
        service_mean_ns=args.service_mean_ns,
        service_scv=args.service_scv,
        service_data=args.service_data,
        service_data_unit=args.service_data_unit,
        goroutines=args.goroutines,
        warmup_fraction=args.warmup_fraction,
        replications=args.replications,
        seed=args.seed,
        max_live=args.max_live,
        check_invariants=args.check_invariants,
        snapshot_ms=snapshot_ms,
        batches=args.batches,
        rules_off=tuple(x for x in args.rules_off.split(",") if x),
        trace_events=args.trace_events,
        program=args.program,
        max_syscall_threads=args.max_syscall_threads,
        go_version=args.go_version,
        hogs=args.hogs,
        pairs=args.pairs,
        pair_service=args.pair_service,
        pair_mean_ns=args.pair_mean_ns,
        pair_scv=args.pair_scv,
        locked_pairs=args.locked_pairs,
        pool_workers=args.pool_workers,
        costs=_costs_with_overrides(args.costs, args.cost),
        latency_sampling=args.latency_sampling,
        mmpp_rates_per_s=_numbers("--mmpp-rates-per-s", args.mmpp_rates_per_s),
        mmpp_switch_per_s=_numbers("--mmpp-switch-per-s", args.mmpp_switch_per_s),
        rate_schedule=_schedule(args.rate_schedule),
        clients=args.clients,
        think=args.think,
        think_mean_ns=args.think_mean_ns,
        think_scv=args.think_scv,
        gc=args.gc,
        gogc=args.gogc,
        live_heap_mib=args.live_heap_mib,
        alloc_bytes_per_cpu_us=args.alloc_bytes_per_cpu_us,
        hog_alloc_bytes_per_cpu_us=args.hog_alloc_bytes_per_cpu_us,
    )


def _with_workload(args, kw: dict) -> dict:
    """--workload NAME|SPEC.yaml as the base; flags given on the command line win."""
    from .errors import SpecError
    from .workloads import TEMPLATES, load_spec, template_kwargs

    params = {}
    for item in args.param:
        k, sep, v = item.partition("=")
        if not sep:
            raise SpecError("--param", "KEY=VALUE", item)
        params[k.strip()] = v
    if params and args.workload not in TEMPLATES:
        raise SpecError("--param", "given only with a template --workload", item)
    base = template_kwargs(args.workload, params) if params else load_spec(args.workload)
    defaults = _spec_kwargs(args._parser.parse_args([]))
    out = dict(base)
    for k, v in kw.items():
        if k not in base or v != defaults.get(k):
            out[k] = v
    # --load and --arrival-rate-per-s are one choice: the command line's replaces the spec's
    for given, other in (("arrival_rate_per_s", "load"), ("load", "arrival_rate_per_s")):
        if (
            kw.get(given) is not None
            and kw.get(given) != defaults.get(given)
            and kw.get(other) is None
        ):
            out.pop(other, None)
    return out


def cmd_simulate(args) -> int:
    from .errors import KernelError, SpecError
    from .params import make_spec
    from .simulate import simulate

    t0 = time.perf_counter()
    try:
        kw = _spec_kwargs(args)
        if args.workload is not None:
            kw = _with_workload(args, kw)
        spec = make_spec(**kw)
        from . import stats

        extra = {}
        if args.warmup not in ("fixed", "mser5"):
            raise SpecError("--warmup", "fixed or mser5", args.warmup)
        target = (
            None
            if args.until_halfwidth is None
            else stats.parse_share(args.until_halfwidth, name="--until-halfwidth")
        )
        if args.warmup == "mser5":
            spec, extra["warmup_mser5"] = stats.choose_warmup_mser5(spec)
        if target is not None:
            result, rep = stats.simulate_until_halfwidth(
                spec, target, max_replications=args.max_replications
            )
            rep.pop("history", None)
            extra["until_halfwidth"] = rep
        else:
            result = simulate(spec)
    except SpecError as e:
        print(f"gmplab: error: {e}", file=sys.stderr)
        return 2
    except KernelError as e:
        print(f"gmplab: error: {e}", file=sys.stderr)
        return 3
    if args.schedtrace_ms is not None:
        from .schedtrace import render_result

        for line in render_result(result):
            print(line)
    for name, rep in extra.items():
        if rep.get("too_short") or rep.get("reached") is False:
            print(f"gmplab: warning: {rep.get('message', name)}", file=sys.stderr)
    d = result.to_json_dict()
    d.update(extra)
    d["total_s"] = time.perf_counter() - t0
    if args.trace_events:
        d["events"] = result.events().drop("replication").to_dicts()
    if args.json:
        print(json.dumps({k: (None if _bad(v) else v) for k, v in d.items()}))
        return 0
    _print_table(d, result.spec.replications)
    for rep in extra.values():
        if rep.get("message"):
            print(rep["message"])
    if args.trace_events:
        import polars as pl

        with pl.Config(tbl_rows=args.trace_events, tbl_hide_dataframe_shape=True):
            print(result.events().drop("replication"))
    return 0


def _gomaxprocs(text):
    if text == "auto":
        return "auto"
    return _number("--gomaxprocs", int)(text)


def _distances(text):
    """'10,21;21,10' -> ((10, 21), (21, 10))."""
    from .errors import SpecError

    if text is None:
        return None
    try:
        return tuple(tuple(int(x) for x in row.split(",")) for row in text.split(";"))
    except ValueError:
        raise SpecError("--distances", "rows of integers: '10,21;21,10'", text) from None


def _numbers(flag, text):
    """'A,B' -> (A, B) as floats (None stays None)."""
    from .errors import SpecError

    if text is None:
        return None
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise SpecError(flag, "numbers separated by commas", text) from None


def _schedule(text):
    """'MS:RATE,MS:RATE' -> ((ms, rate), ...)."""
    from .errors import SpecError

    if text is None:
        return None
    try:
        return tuple(tuple(float(v) for v in seg.split(":")) for seg in text.split(","))
    except ValueError:
        raise SpecError("--rate-schedule", "MS:RATE segments separated by commas", text) from None


def _costs_with_overrides(profile, overrides):
    """--costs PROFILE plus each --cost KEY=NS on top of it."""
    from .errors import SpecError
    from .params import Costs

    base = Costs.resolve(profile)
    if not overrides:
        return base
    vals = {}
    for item in overrides:
        key, sep, num = item.partition("=")
        try:
            if not sep:
                raise ValueError
            vals[key.strip()] = float(num)
        except ValueError:
            raise SpecError("--cost", "KEY=NS with a number of ns", item) from None
    return Costs.from_mapping(vals, f"{base.profile}+overrides", base=base.as_dict())


def _bad(v) -> bool:
    return isinstance(v, float) and (math.isnan(v) or math.isinf(v))


def _print_table(d: dict, reps: int) -> None:
    spec = d["spec"]
    print(
        f"gmplab simulate  policy={spec.get('configuration', spec['policy'])} "
        f"topology={spec['topology']} "
        f"gomaxprocs={spec['gomaxprocs']} load={spec['nominal_load']} "
        f"service={spec['service']}({spec['service_mean_ns']:g} ns, scv {spec['service_scv']:g}) "
        f"costs={spec['costs_profile']} seed={spec['seed']} replications={reps}"
    )
    print(f"key {d['key']}  kernel {d['kernel_version']}")
    width = max(len(k) for k in JSON_KEYS)
    for k in JSON_KEYS:
        v = d.get(k)
        if isinstance(v, float):
            txt = f"{v:,.4g}" if abs(v) < 10 else f"{v:,.1f}"
            if f"{k}_lo" in d and not _bad(d[f"{k}_lo"]):
                txt += f"  [{d[k + '_lo']:,.1f}, {d[k + '_hi']:,.1f}] 95% over replications"
        else:
            txt = f"{v:,}" if isinstance(v, int) else str(v)
        print(f"  {k:<{width}}  {txt}")
    extra_keys = []
    if d.get("timers_added"):
        extra_keys += ["timers_added", "timers_stolen", "timer_late_ns_p50", "timer_late_ns_p99"]
    if spec.get("hogs") or spec.get("pairs"):
        extra_keys += ["cpu_share_arrivals", "cpu_share_hogs", "cpu_share_pairs"]
    if spec.get("gc"):
        extra_keys += [
            "gc_cycles",
            "gc_assist_ns",
            "gc_dedicated_ns",
            "gc_fractional_ns",
            "gc_idle_ns",
            "gc_pause_ns",
            "gc_pause_stopping_ns_p99",
            "gc_pause_total_ns_p99",
        ]
    if spec.get("pairs"):
        extra_keys += ["handoff_rate_per_s", "handoff_latency_ns_p50", "handoff_latency_ns_p99"]
    for k in extra_keys:
        v = d.get(k)
        if v is None:
            continue
        txt = f"{v:,.4g}" if isinstance(v, float) and abs(v) < 10 else f"{v:,.1f}"
        if isinstance(v, int):
            txt = f"{v:,}"
        print(f"  {k:<{width}}  {txt}")
    print(f"  {'wall_s':<{width}}  {d['wall_s']:.3f}   total_s {d['total_s']:.3f}")


def _add_schedtrace(sub):
    p = sub.add_parser("schedtrace", help="summarise a GODEBUG=schedtrace log", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_schedtrace)


def cmd_schedtrace(args) -> int:
    from .schedtrace import cli_main

    return int(cli_main(args.rest) or 0)


def _add_sweep(sub):
    from .sweep import build_arg_parser

    p = sub.add_parser("sweep", help="run a sweep from a YAML file (cached, resumable)")
    build_arg_parser(p)
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args) -> int:
    from .sweep import run_cli

    return run_cli(args)


def _add_report(sub):
    from .report import build_arg_parser

    p = sub.add_parser("report", help="run every notebook and render reports/index.html")
    build_arg_parser(p)
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from .report import run_cli

    return run_cli(args)


def _add_claims(sub):
    from .claims import build_arg_parser

    p = sub.add_parser("claims", help="the seed's claims, their evidence and verdicts")
    build_arg_parser(p)
    p.set_defaults(func=cmd_claims)


def cmd_claims(args) -> int:
    from .claims import run_cli

    return run_cli(args)


def cmd_workloads(args) -> int:
    from .workloads import describe

    print(describe())
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "schedtrace":  # its own parser, --help included
        from .schedtrace import cli_main

        return int(cli_main(argv[1:]) or 0)
    parser = _Parser(prog="gmplab", description="A research lab for goroutine schedulers.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_simulate(sub)
    _add_compare(sub)
    _add_ablate(sub)
    _add_schedtrace(sub)
    _add_sweep(sub)
    _add_report(sub)
    from .calibrate.cli import add_parser as _add_calibrate

    _add_calibrate(sub)
    _add_claims(sub)
    w = sub.add_parser("workloads", help="list the workload templates and their parameters")
    w.set_defaults(func=cmd_workloads)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
