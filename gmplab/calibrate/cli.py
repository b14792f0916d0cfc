"""``gmplab calibrate``: build the probes, run them, ingest the captures, fit (later).

    gmplab calibrate build DIR
    gmplab calibrate run DIR [--quick] [--replications R] [--timeout-s S]
    gmplab calibrate ingest DIR [--machine NAME] [--data-root PATH]
    gmplab calibrate all [--quick] [--dir DIR] [--machine NAME] [--data-root PATH]
    gmplab calibrate fit ...

A missing toolchain, a missing folder or nothing to ingest exits with status 2 and one line.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time


def _err(msg: str) -> int:
    print(f"gmplab calibrate: error: {msg}", file=sys.stderr)
    return 2


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0 (got {text!r})")
    return v


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``gmplab calibrate`` and its subcommands on ``subparsers``."""
    p = subparsers.add_parser(
        "calibrate", help="real-Go probes: build, run, ingest captures (docs/calibration.md)"
    )
    sub = p.add_subparsers(dest="calibrate_command", required=True, parser_class=type(p))
    b = sub.add_parser("build", help="compile gmplab-probe and copy run.sh and the plans to DIR")
    b.add_argument("dir")
    b.set_defaults(func=cmd_build)
    r = sub.add_parser("run", help="run DIR/run.sh here (captures in DIR/out)")
    r.add_argument("dir")
    _run_flags(r)
    r.set_defaults(func=cmd_run)
    i = sub.add_parser("ingest", help="captures of DIR (or DIR/out) -> data/real/<machine>/")
    i.add_argument("dir")
    _ingest_flags(i)
    i.set_defaults(func=cmd_ingest)
    a = sub.add_parser("all", help="build, run and ingest on this machine")
    a.add_argument("--dir", default=None, help="build and run folder (default: a new temp one)")
    _run_flags(a)
    _ingest_flags(a)
    a.set_defaults(func=cmd_all)
    f = sub.add_parser("fit", help="fit the simulator's costs to ingested captures")
    if importlib.util.find_spec(f"{__package__}.fit") is not None:
        from .fit import add_fit_arguments, cmd_fit

        add_fit_arguments(f)
        f.set_defaults(func=cmd_fit)
    else:
        f.add_argument("rest", nargs=argparse.REMAINDER)
        f.set_defaults(func=_fit_missing)
    return p


def _run_flags(p) -> None:
    p.add_argument("--quick", action="store_true", help="the quick plan: tiny parameters")
    p.add_argument("--replications", type=_positive, default=None, help="default 3 (quick 1)")
    p.add_argument("--timeout-s", type=_positive, default=None, help="per run (default 120)")


def _ingest_flags(p) -> None:
    p.add_argument("--machine", default=None, help="folder name (default: <hostname>-<N>cpu)")
    p.add_argument("--data-root", default=None, help="default: data/real of the checkout")


def _fit_missing(args) -> int:
    print("calibrate fit: not available yet", file=sys.stderr)
    return 2


def _build(folder) -> int:
    from .build import BuildError, build
    from .toolchain import GoToolchainMissing

    try:
        built = build(folder)
    except GoToolchainMissing as e:
        return _err(str(e))
    except BuildError as e:
        print(f"gmplab calibrate: {e}", file=sys.stderr)
        return 1
    print(f"built {built.binary} with {built.go_version} in {built.seconds:.1f} s")
    return 0


def cmd_build(args) -> int:
    return _build(args.dir)


def _run(args, folder) -> int:
    from .build import run

    t0 = time.perf_counter()
    try:
        proc = run(folder, args.quick, args.replications, args.timeout_s)
    except FileNotFoundError as e:
        return _err(str(e))
    print(f"run took {time.perf_counter() - t0:.1f} s (exit status {proc.returncode})")
    return proc.returncode


def cmd_run(args) -> int:
    return _run(args, args.dir)


def cmd_ingest(args, folder=None) -> int:
    from .capture import NothingToIngest, ingest

    try:
        out = ingest(args.dir if folder is None else folder, args.machine, args.data_root)
    except (FileNotFoundError, NothingToIngest) as e:
        return _err(str(e))
    print(f"ingested into {out}")
    for f in sorted(out.iterdir()):
        print(f"  {f.name:28s} {f.stat().st_size:>10,d} bytes")
    return 0


def cmd_all(args) -> int:
    folder = args.dir or tempfile.mkdtemp(prefix="gmplab-calibrate-")
    print(f"calibrate all in {folder}")
    rc = _build(folder)
    if rc:
        return rc
    rc_run = _run(args, folder)
    if rc_run not in (0, 1):  # 1: some runs failed; their .err files are ingested too
        return rc_run
    return cmd_ingest(args, folder) or rc_run
