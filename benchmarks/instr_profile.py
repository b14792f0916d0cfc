"""Instructions per goroutine: where the `go` kernel's work goes, counted, not sampled.

    python benchmarks/instr_profile.py [--procs 64] [--goroutines 50000] [--top 40] [--with-c]
                                       [--asm FILE:LINE,...] [--json OUT]

This guest has no hardware counters (``perf stat`` reports cycles and instructions as not
supported), so a sampling profile says where time was spent but not why. This script counts
instead: it runs ``make bench``'s `go` model (``bench_kernel.go_kwargs``: load 0.9, exp service
10 us, default costs, global arrivals, invariants off) under valgrind's callgrind and reports,
per simulated goroutine, the instructions executed, conditional branches, branches a simple
predictor model misses, and first-level data-cache misses, by kernel function (inlined
helpers counted under their own names, from the debug line table), by source line, by part
of the event loop, and by kind (reloads of spilled values from the stack, numba's
negative-index wrap). ``--with-c`` counts the C reference (``benchmarks/mmc.c``) per customer
the same way, for the ratio; ``--asm`` prints the machine code of chosen source lines with
each instruction's count per goroutine.

How (each step checked, with a message naming what is missing):
1. The kernel is compiled for ``haswell`` (AVX2) into its own numba cache
   (``benchmarks/build/instr-cache``) with debug line tables. valgrind 3.19 does not decode
   AVX-512, which numba's host build uses on this machine, and a host-CPU cache would not
   match the CPU valgrind reports (numba would recompile under valgrind, for hours). So the
   counted code is the AVX2 build of the same source: the same algorithm and the same
   results, a few vector instructions apart. The first call compiles (about 8 minutes, both
   kernel builds); later calls reuse the cache while the kernel's sources are unchanged.
2. callgrind runs the model with counting off, the goroutine count once to warm the arrays,
   then counts one run of ``--goroutines`` (``callgrind_control -i on/off`` around it).
3. The event loop's object code is taken from the plain build's cache file (run_kernel's
   ``.nbc``, which embeds the ELF object), disassembled with its line table (``objdump -d
   -l``), and callgrind's per-instruction counts are mapped onto it.

Needs valgrind and binutils (Debian: ``apt-get install valgrind binutils``); they are
development tools, not part of the project's install.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KERNEL = ROOT / "gmplab" / "_kernel"
BUILD_DIR = HERE / "build"
CACHE_DIR = BUILD_DIR / "instr-cache"
C_BINARY = BUILD_DIR / "mmc_haswell"
sys.path.insert(0, str(HERE))

# valgrind 3.19 decodes up to AVX2 (no AVX-512): the kernel is compiled for this CPU model
CPU_NAME = "haswell"
CPU_FEATURES = (
    "+avx,+avx2,+bmi,+bmi2,+cx16,+f16c,+fma,+fsgsbase,+lzcnt,+mmx,+movbe,+pclmul,+popcnt,"
    "+rdrnd,+sse,+sse2,+sse3,+sse4.1,+sse4.2,+ssse3,+xsave,+xsaveopt,+sahf,+invpcid"
)
EVENTS = "Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim".split()
WARM_GOROUTINES = 2000
# the event loop's parts, by the comments that open them in loop.py's _event_loop
REGIONS = [
    ("top of the loop: next event, counters", "while sched[S_COMPLETED] < n_goroutines:"),
    ("a goroutine arrives", "# ---- a goroutine arrives"),
    ("the other actors: sysmon, snapshots, netpoll, timers, GC, OS", "elif a == A_SYSMON:"),
    ("a P's M reaches its next step (running G stops)", "# ---- a P's M reaches its next step"),
    ("execute()", "elif ph == PH_EXEC:"),
    ("schedule() / findRunnable's outcome", "if enter_schedule:"),
    (
        "the loop's tail: the OS layer's settling, invariant checks",
        "if FEATURES and sched[S_OS_DIRTY]",
    ),
]


def _fail(message: str):
    print(f"instr_profile: {message}", file=sys.stderr)
    sys.exit(2)


def _env() -> dict:
    env = dict(os.environ)
    env.update(
        NUMBA_CACHE_DIR=str(CACHE_DIR),
        NUMBA_CPU_NAME=CPU_NAME,
        NUMBA_CPU_FEATURES=CPU_FEATURES,
        NUMBA_DEBUGINFO="1",
    )
    env.pop("GMPLAB_PLAIN_BUILD", None)  # the plain build is the one profiled
    return env


# --- the child: runs inside callgrind (or to compile) ----------------------------------------


def child(mode: str, procs: int, goroutines: int) -> None:
    from bench_kernel import go_kwargs, run_gmplab

    from gmplab import simulate

    run_gmplab(simulate, go_kwargs(procs, WARM_GOROUTINES, 1))  # compiles or loads the cache
    if mode == "compile":
        return
    run_gmplab(simulate, go_kwargs(procs, goroutines, 7))  # the arrays at full size, uncounted
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    r = run_gmplab(simulate, go_kwargs(procs, goroutines, 2))
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
    print("INSTR_PROFILE " + json.dumps({"goroutines": r["customers"], "events": r["events"]}))


# --- the parent -------------------------------------------------------------------------------


def _tools():
    missing = [t for t in ("valgrind", "callgrind_control", "objdump", "nm") if not shutil.which(t)]
    if missing:
        _fail(
            f"missing {', '.join(missing)} (Debian: apt-get install valgrind binutils); "
            "this profiler is a development tool, not part of the install"
        )


def _run_callgrind(cmd: list[str], out: Path, env=None, counting_off=False) -> str:
    vg = [
        "valgrind",
        "--tool=callgrind",
        *(["--instr-atstart=no"] if counting_off else []),
        "--branch-sim=yes",
        "--cache-sim=yes",
        "--dump-instr=yes",
        f"--callgrind-out-file={out}",
    ]
    done = subprocess.run(vg + cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        _fail(
            f"callgrind failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout + done.stderr


def _run_kernel_line() -> int:
    """The line numba names run_kernel's cache files by: its code object's first line, which
    is its first decorator's."""
    src = (KERNEL / "loop.py").read_text().splitlines()
    i = next(i for i, s in enumerate(src) if s.startswith("def run_kernel("))
    while i > 0 and src[i - 1].startswith("@"):
        i -= 1
    return i + 1


def _plain_object() -> bytes:
    """run_kernel's ELF object from the plain build's numba cache: the file of the source as it
    is now (the newest of them). An earlier source leaves its files behind under other line
    numbers, and one edited back to an earlier state reuses that state's file unchanged, so
    the newest file of all can be another source's."""
    pattern = f"*/loop.run_kernel-{_run_kernel_line()}.*.nbc"
    found = sorted((CACHE_DIR / "gmplab-plain").glob(pattern), key=lambda p: p.stat().st_mtime)
    if not found:
        _fail(f"no plain-build cache file {pattern} under {CACHE_DIR / 'gmplab-plain'}")
    raw = found[-1].read_bytes()
    i = raw.find(b"\x7fELF")
    if i < 0:
        _fail(f"no ELF object inside {found[-1]}")
    # the object is a pickled bytes value: BINBYTES (B, 4-byte length) or BINBYTES8 (8 bytes)
    if raw[i - 9 : i - 8] == b"\x8e":
        n = struct.unpack("<Q", raw[i - 8 : i])[0]
    elif raw[i - 5 : i - 4] == b"B":
        n = struct.unpack("<I", raw[i - 4 : i])[0]
    else:
        _fail(f"cannot read the object's length in {found[-1]}")
    return raw[i : i + n]


def _disassemble(obj: Path):
    """(offset of _event_loop, its size, {offset: (file, line)}, {offset: text})."""
    syms = subprocess.run(["nm", "-S", str(obj)], capture_output=True, text=True, check=True)
    loop = None
    for line in syms.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "WT" and "4loop11_event_loop" in parts[3]:
            if "NumbaEnv" not in parts[3]:
                loop = (int(parts[0], 16), int(parts[1], 16))
    if loop is None:
        _fail("no _event_loop symbol in the kernel's object")
    dis = subprocess.run(
        ["objdump", "-d", "-l", "--no-show-raw-insn", str(obj)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    where, text, cur = {}, {}, None
    for line in dis.splitlines():
        m = re.match(r"^(/\S+\.py):(\d+)", line)
        if m:
            cur = (Path(m[1]).name, int(m[2]))
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if m:
            off = int(m[1], 16)
            where[off] = cur
            text[off] = re.sub(r"<[^>]*>", "", m[2]).strip()
    return loop[0], loop[1], where, text


def _parse_callgrind(path: Path):
    """{fn name: {address: [event counts]}} of self costs (calls' inclusive lines skipped)."""
    fns: dict[str, dict[int, list[int]]] = {}
    names: dict[str, str] = {}  # callgrind names a function once, "(id) name", then "(id)"
    cur = None
    addr = 0
    skip = False
    for line in path.read_text().splitlines():
        m = re.match(r"^c?fn=(\(\d+\))\s*(.*)$", line)
        if m and m[2]:
            names[m[1]] = m[2]
        if line.startswith("fn="):
            key = m[1] if m else line[3:]
            cur = fns.setdefault(names.get(key, key), {})
            continue
        if cur is None or not line or not (line[0] in "+-*0" or line.startswith("calls=")):
            continue
        if line.startswith("calls="):
            skip = True
            continue
        parts = line.split()
        p = parts[0]
        if p.startswith("0x"):
            addr = int(p, 16)
        elif p.startswith("+"):
            addr += int(p[1:])
        elif p.startswith("-"):
            addr -= int(p[1:])
        if skip:
            skip = False
            continue
        vals = [int(x) for x in parts[2:]]
        acc = cur.setdefault(addr, [0] * len(EVENTS))
        for k, v in enumerate(vals):
            acc[k] += v
    return fns


def _function_ranges():
    ranges = {}
    for f in KERNEL.glob("*.py"):
        tree = ast.parse(f.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                ranges.setdefault(f.name, []).append((node.lineno, node.end_lineno, node.name))
    return ranges


def _region_lines():
    """(name, first line, last line) of the event loop's parts (REGIONS) in loop.py."""
    src = (KERNEL / "loop.py").read_text().splitlines()
    start = next(i for i, s in enumerate(src) if s.startswith("def _event_loop("))
    end = next(i for i in range(start + 1, len(src)) if src[i].startswith(("def ", "@")))
    marks = []
    for name, text in REGIONS:
        i = next((j for j in range(start, end) if text in src[j]), None)
        if i is None:
            _fail(f"the event loop no longer has the line {text!r} (update REGIONS)")
        marks.append((name, i + 1))
    marks.sort(key=lambda m: m[1])  # each part runs to the next one in the file
    return [
        (name, first, (marks[k + 1][1] - 1) if k + 1 < len(marks) else end)
        for k, (name, first) in enumerate(marks)
    ]


def profile_go(procs: int, goroutines: int, asm_lines=frozenset()) -> dict:
    env = _env()
    me = [sys.executable, str(Path(__file__).resolve())]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    print(f"compiling or loading the haswell build in {CACHE_DIR} ...", file=sys.stderr, flush=True)
    done = subprocess.run(
        me + ["--child", "compile", "--procs", str(procs)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        _fail(f"the haswell build failed:\n{done.stderr[-3000:]}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        print("counting under callgrind ...", file=sys.stderr, flush=True)
        log = _run_callgrind(
            me + ["--child", "measure", "--procs", str(procs), "--goroutines", str(goroutines)],
            out,
            env=env,
            counting_off=True,
        )
        m = re.search(r"INSTR_PROFILE (\{.*\})", log)
        if not m:
            _fail(f"the counted run printed no result:\n{log[-3000:]}")
        run = json.loads(m[1])
        fns = _parse_callgrind(out)
        obj = Path(tmp) / "run_kernel.o"
        obj.write_bytes(_plain_object())
        loop_off, loop_size, where, text = _disassemble(obj)
    # the event loop is the unnamed function with the most instructions; its name is its entry
    unnamed = {k: v for k, v in fns.items() if re.fullmatch(r"0x[0-9a-f]+", k)}
    if not unnamed:
        _fail("callgrind saw no JIT code (was counting switched on?)")
    entry_name = max(unnamed, key=lambda k: sum(c[0] for c in unnamed[k].values()))
    load = int(entry_name, 16) - loop_off  # where the object's text was loaded
    per: dict[int, list[int]] = {}
    for costs in unnamed.values():
        for a, v in costs.items():
            acc = per.setdefault(a - load, [0] * len(EVENTS))
            for k, x in enumerate(v):
                acc[k] += x
    total_ir = sum(v[0] for v in per.values())
    mapped_ir = sum(v[0] for off, v in per.items() if off in text)
    if total_ir == 0 or mapped_ir < 0.99 * total_ir:
        _fail(f"only {mapped_ir} of {total_ir} counted instructions map onto the object's code")
    res = _tables(per, where, text, loop_off, loop_size, run, fns)
    res["asm"] = {
        f"{fl[0]}:{fl[1]}": [
            (f"{off:x}", per[off][0] / run["goroutines"], text[off])
            for off in sorted(per)
            if where.get(off) == fl
        ]
        for fl in {where.get(off) for off in per}
        if fl is not None and f"{fl[0]}:{fl[1]}" in asm_lines
    }
    return res


def _tables(per, where, text, loop_off, loop_size, run, fns) -> dict:
    ng = run["goroutines"]
    idx = {e: k for k, e in enumerate(EVENTS)}
    ranges = _function_ranges()

    def fn_of(fl):
        if fl is None:
            return "?"
        for lo, hi, name in ranges.get(fl[0], []):
            if lo - 2 <= fl[1] <= hi:  # decorators and the def line
                return f"{fl[0]}:{name}"
        return f"{fl[0]}:?"

    by_fn = collections.defaultdict(lambda: [0] * len(EVENTS))
    by_line = collections.defaultdict(lambda: [0] * len(EVENTS))
    kinds = collections.Counter()
    in_loop = 0
    for off, v in per.items():
        fl = where.get(off)
        for k in range(len(EVENTS)):
            by_fn[fn_of(fl)][k] += v[k]
            by_line[fl][k] += v[k]
        t = text.get(off, "")
        if loop_off <= off < loop_off + loop_size:
            in_loop += v[0]
        if t.startswith("mov") and re.search(r"\(%rsp\),%[re]", t):
            kinds["loads from the stack (spilled values)"] += v[0]
        if t.startswith("mov") and re.search(r",-?0x[0-9a-f]*\(%rsp\)$", t):
            kinds["stores to the stack"] += v[0]
        if re.match(r"sar\s+\$0x3f,", t):
            kinds["numba's negative-index wrap (its sar $63; about 3 instructions each)"] += v[0]
    tot = [sum(v[k] for v in per.values()) for k in range(len(EVENTS))]
    whole = [0] * len(EVENTS)
    for costs in fns.values():
        for v in costs.values():
            for k, x in enumerate(v):
                whole[k] += x
    regions = collections.Counter()
    for name, lo, hi in _region_lines():
        for fl, v in by_line.items():
            if fl and fl[0] == "loop.py" and lo <= fl[1] <= hi:
                regions[name] += v[0]
    src = {}

    def source(fl):
        if fl is None:
            return ""
        if fl[0] not in src:
            p = KERNEL / fl[0]
            src[fl[0]] = p.read_text().splitlines() if p.exists() else []
        lines = src[fl[0]]
        return lines[fl[1] - 1].strip() if 0 < fl[1] <= len(lines) else ""

    def g(x):
        return x / ng

    return {
        "goroutines": ng,
        "events_per_goroutine": run["events"] / ng if run.get("events") else None,
        "kernel_per_goroutine": {e: g(tot[idx[e]]) for e in EVENTS},
        "window_per_goroutine": {e: g(whole[idx[e]]) for e in EVENTS},
        "event_loop_share": in_loop / tot[0],
        "by_function": [
            {"function": k, **{e: g(v[idx[e]]) for e in ("Ir", "Bc", "Bcm", "D1mr")}}
            for k, v in sorted(by_fn.items(), key=lambda kv: -kv[1][0])
        ],
        "by_line": [
            {
                "line": f"{fl[0]}:{fl[1]}" if fl else "?",
                "source": source(fl),
                **{e: g(v[idx[e]]) for e in ("Ir", "Bcm", "D1mr")},
            }
            for fl, v in sorted(by_line.items(), key=lambda kv: -kv[1][0])
        ],
        "regions": {k: g(v) for k, v in regions.items()},
        "kinds": {k: g(v) for k, v in kinds.items()},
    }


def profile_c(customers: int) -> dict:
    """The C reference's counts per customer: two runs (N and 2N customers), the difference."""
    gcc = shutil.which("gcc")
    if gcc is None:
        _fail("--with-c needs gcc")
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    src = HERE / "mmc.c"
    if not C_BINARY.exists() or C_BINARY.stat().st_mtime < src.stat().st_mtime:
        cmd = [gcc, "-O3", "-march=haswell", "-o", str(C_BINARY), str(src), "-lm"]
        subprocess.run(cmd, check=True)
    from bench_kernel import LOAD, SERVERS, SERVICE_MEAN_NS

    counts = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (customers, 2 * customers):
            out = Path(tmp) / f"c{n}.out"
            cmd = [str(C_BINARY), str(SERVERS), repr(LOAD), str(SERVICE_MEAN_NS), str(n), "1"]
            _run_callgrind(cmd, out)
            fns = _parse_callgrind(out)
            tot = [0] * len(EVENTS)
            for costs in fns.values():
                for v in costs.values():
                    for k, x in enumerate(v):
                        tot[k] += x
            counts.append(tot)
    return {e: (counts[1][k] - counts[0][k]) / customers for k, e in enumerate(EVENTS)}


def _print(res: dict, top: int) -> None:
    k = res["kernel_per_goroutine"]
    print(
        f"`go` at GOMAXPROCS {res['procs']}, {res['goroutines']:,} goroutines counted "
        f"({res['events_per_goroutine']:.2f} events each), haswell build, per goroutine:\n"
    )
    print("| | instructions | cond. branches | mispredicted (model) | D1 read misses |")
    print("|---|---:|---:|---:|---:|")
    print(f"| kernel | {k['Ir']:.0f} | {k['Bc']:.1f} | {k['Bcm']:.2f} | {k['D1mr']:.2f} |")
    w = res["window_per_goroutine"]
    print(
        f"| counted window (+ simulate()'s Python) | {w['Ir']:.0f} | {w['Bc']:.1f} | "
        f"{w['Bcm']:.2f} | {w['D1mr']:.2f} |"
    )
    if "c_per_customer" in res:
        c = res["c_per_customer"]
        print(
            f"| C reference, per customer | {c['Ir']:.0f} | {c['Bc']:.1f} | {c['Bcm']:.2f} | "
            f"{c['D1mr']:.2f} |"
        )
        print(f"\nkernel instructions per goroutine / C's per customer: {k['Ir'] / c['Ir']:.2f}")
    print(
        f"\nthe event loop's own code (helpers inlined into it): "
        f"{100 * res['event_loop_share']:.1f}% of the kernel's instructions\n"
    )
    print("| function (inlined helpers by name) | instr. | share | branches | mispred. | D1 miss |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in res["by_function"][:top]:
        print(
            f"| {r['function']} | {r['Ir']:.1f} | {100 * r['Ir'] / k['Ir']:.1f}% | "
            f"{r['Bc']:.1f} | {r['Bcm']:.2f} | {r['D1mr']:.2f} |"
        )
    print("\n| part of `_event_loop` (its own lines) | instr. |")
    print("|---|---:|")
    for name, v in sorted(res["regions"].items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {v:.1f} |")
    print("\n| kind | instr. |")
    print("|---|---:|")
    for name, v in sorted(res["kinds"].items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {v:.1f} |")
    for line, insns in sorted(res.get("asm", {}).items()):
        print(f"\n{line}:")
        for off, n, t in insns:
            print(f"  {off:>6} {n:7.2f}  {t}")
    print("\n| line | instr. | mispred. | D1 miss | source |")
    print("|---|---:|---:|---:|---|")
    for r in res["by_line"][:top]:
        s = r["source"].replace("|", "\\|")[:80]
        print(f"| {r['line']} | {r['Ir']:.1f} | {r['Bcm']:.2f} | {r['D1mr']:.2f} | `{s}` |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--procs", type=int, default=64, help="GOMAXPROCS (default 64)")
    ap.add_argument("--goroutines", type=int, default=50_000, help="goroutines counted")
    ap.add_argument("--top", type=int, default=40, help="rows of the function and line tables")
    ap.add_argument("--with-c", action="store_true", help="also count the C reference")
    ap.add_argument("--json", type=Path, help="also write the tables as JSON")
    ap.add_argument(
        "--asm",
        metavar="FILE:LINE,...",
        help="also print the machine code of these source lines (e.g. loop.py:676), each "
        "instruction with its count per goroutine",
    )
    ap.add_argument("--child", choices=("compile", "measure"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.child, a.procs, a.goroutines)
        return 0
    if not 1 <= a.procs <= 1024:
        _fail(f"--procs must be in 1..1024, got {a.procs}")
    if a.goroutines < 1000:
        _fail(f"--goroutines must be at least 1000, got {a.goroutines}")
    _tools()
    res = profile_go(a.procs, a.goroutines, frozenset(a.asm.split(",")) if a.asm else frozenset())
    res["procs"] = a.procs
    if a.with_c:
        res["c_per_customer"] = profile_c(max(a.goroutines, 100_000))
    _print(res, a.top)
    if a.json:
        a.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
