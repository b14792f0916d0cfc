"""Syscalls (issue: Go runtime): entersyscall, sysmon's retake, handoffp, the exit paths.

Each test is named after the proc.go function it models and shows an outcome that changes
with the rule it checks.
"""

import json

import numpy as np

import gmplab
from gmplab._kernel import consts as kc
from gmplab._kernel import loop
from gmplab._kernel.rng import seed_state
from gmplab.params import make_spec
from gmplab.simulate import _allocate


def run(**kw):
    args = dict(
        policy="go",
        topology="1x1",
        costs="default",
        seed=1,
        check_invariants=True,
        warmup_fraction=0.0,
        trace_events=2000,
    )
    args.update(kw)
    return gmplab.simulate(**args)


def first(ev, name):
    rows = ev.filter(ev["event"] == name)
    return rows["time_ns"][0] if rows.height else None


def test_retake_within_two_sysmon_ticks_at_20us_cadence():
    # a 5 ms syscall starting 100 us into the run, while sysmon still sleeps 20 us
    r = run(
        arrivals="const",
        arrival_rate_per_s=10_000,
        goroutines=2,
        program="cpu:const:100000,syscall:const:5000000,cpu:const:1000",
    )
    ev = r.events()
    t_sys, t_retake = first(ev, "syscall"), first(ev, "retake")
    assert t_retake is not None and 0 < t_retake - t_sys <= 2 * 20_000
    assert r.summary["syscall_retakes"] >= 1


def test_no_retake_with_sysmon_backed_off():
    # the same syscall starting at 20 ms: sysmon sleeps 10 ms and sees it at most once
    r = run(
        arrivals="const",
        arrival_rate_per_s=50,
        goroutines=2,
        program="cpu:const:100000,syscall:const:5000000,cpu:const:1000",
    )
    s = r.summary
    assert s["syscall_retakes"] == 0
    assert s["exitsyscall_fast"] == 2


def test_entersyscallblock_hands_off_at_once():
    r = run(
        topology="1x2",
        arrivals="const",
        arrival_rate_per_s=50,
        goroutines=1,
        program="cpu:const:100000,syscall_block:const:1000000,cpu:const:1000",
    )
    ev = r.events()
    assert first(ev, "retake") == first(ev, "syscall")
    s = r.summary
    assert s["syscall_retakes"] == 1 and s["exitsyscall_fast"] == 0
    # handoffp: no work and an idle P, so the P went idle; the syscall came back to an idle P
    assert s["exitsyscall_idle_p"] == 1


def test_exitsyscall_to_global_queue_when_no_p_is_idle():
    # GOMAXPROCS 1: G0 blocks, handoffp starts an M for G1 (global work), G1 holds the P
    r = run(
        arrivals="burst",
        goroutines=2,
        program="cpu:const:1000,syscall_block:const:1000000,cpu:const:3000000",
    )
    s = r.summary
    assert s["exitsyscall_global"] >= 1
    assert s["goroutines_completed"] == 2


def handoff_state(procs=4):
    spec = make_spec(
        policy="go",
        topology=f"1x{procs}",
        load=0.5,
        goroutines=10,
        program="cpu:exp:1000,syscall:exp:1000",
    )
    a = _allocate(spec, seed_state(np.random.SeedSequence(0)))
    a["sched"][kc.S_SEQ] = len(a["act_seq"])
    return a


def call_handoffp(a, p, now=1000):
    loop.handoffp(
        a["sched"],
        a["pst"],
        a["pidle"],
        a["midle"],
        a["counters"],
        a["costs"],
        a["iparams"],
        a["hp"],
        p,
        now,
    )


def take_all_idle(a):
    a["sched"][kc.S_NPIDLE] = 0
    a["pst"][:, kc.PF_PHASE] = kc.PH_RUN


def test_handoffp_starts_m_when_p_has_local_work():
    a = handoff_state()
    take_all_idle(a)
    a["pst"][0, kc.PF_RUNNEXT] = 3
    call_handoffp(a, 0)
    assert a["pst"][0, kc.PF_PHASE] == kc.PH_WAKE and a["pst"][0, kc.PF_SPINNING] == 0


def test_handoffp_starts_spinning_m_when_nobody_spins_and_no_p_idle():
    a = handoff_state()
    take_all_idle(a)
    call_handoffp(a, 0)
    assert a["pst"][0, kc.PF_PHASE] == kc.PH_WAKE and a["pst"][0, kc.PF_SPINNING] == 1
    assert a["sched"][kc.S_NMSPINNING] == 1


def test_handoffp_puts_p_idle_when_others_can_help():
    a = handoff_state()
    take_all_idle(a)
    a["sched"][kc.S_NPIDLE] = 1  # P3 idle
    a["pidle"][0] = 3
    a["pst"][3, kc.PF_PHASE] = kc.PH_IDLE
    call_handoffp(a, 0)
    assert a["pst"][0, kc.PF_PHASE] == kc.PH_IDLE and a["sched"][kc.S_NPIDLE] == 2


def test_handoffp_keeps_an_m_for_the_last_running_p():
    a = handoff_state(procs=2)
    # P1 idle, P0 the last running P, nobody polls the network: start an M anyway
    a["pst"][0, kc.PF_PHASE] = kc.PH_RUN
    a["sched"][kc.S_NPIDLE] = 1
    a["pidle"][0] = 1
    call_handoffp(a, 0)
    assert a["pst"][0, kc.PF_PHASE] == kc.PH_WAKE


def test_syscalls_keep_invariants_under_load():
    r = gmplab.simulate(
        policy="go",
        topology="2x4",
        load=0.5,
        goroutines=20_000,
        costs="default",
        seed=3,
        check_invariants=True,
        snapshot_ms=0.5,
        program="cpu:exp:5000,syscall:exp:30000,cpu:exp:5000,syscall_block:exp:20000,cpu:exp:2000",
    )
    s = r.summary
    assert s["syscalls"] == 40_000
    assert s["exitsyscall_fast"] + s["exitsyscall_idle_p"] + s["exitsyscall_global"] == 40_000
    snaps = r.snapshots()
    assert (snaps["threads"] >= snaps["syscallthreads"] + 1).all()


def test_a_single_cpu_phase_program_is_the_foundation_model():
    base = dict(policy="go", topology="1x4", load=0.8, goroutines=5_000, seed=2)
    a = json.loads(gmplab.simulate(**base).to_json())
    b = json.loads(gmplab.simulate(**base, program="cpu:exp:10000").to_json())
    for d in (a, b):
        d.pop("wall_s"), d.pop("total_s"), d.pop("spec"), d.pop("key")
    assert a == b
