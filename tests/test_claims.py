"""The claims ledger: every verdict rule on both sides of its tolerance, the ledger's shape,
the stored evidence (all eighteen ids) and the command line."""

from __future__ import annotations

import json
import math

import pytest

from gmplab import claims
from gmplab import verdicts as V
from gmplab.cli import main
from gmplab.errors import SpecError

NAN = math.nan


def iv(value, lo=NAN, hi=NAN):
    return {"value": value, "lo": lo, "hi": hi}


# --- one test per rule, synthetic evidence on both sides --------------------------------------


def test_source_rule_both_sides():
    r = V.SourceRule()
    assert r.verdict({"holds": False}) == V.REFUTED
    assert r.verdict({"holds": True}) == V.REPRODUCED
    with pytest.raises(KeyError):
        r.verdict({})


def test_change_rule_both_sides_of_its_tolerance():
    r = V.ChangeRule(claimed=-0.65, tol=0.15)
    assert r.verdict({"measured": iv(-0.65)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(-0.51)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(-0.49)}) == V.NOT_REPRODUCED
    assert r.verdict({"measured": iv(-0.81)}) == V.NOT_REPRODUCED
    assert r.verdict({"measured": iv(-0.79)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(NAN)}) == V.NOT_REPRODUCED


def test_ratio_rule_both_sides_of_its_factor():
    r = V.RatioRule(claimed=2.0, factor=1.25)
    assert r.verdict({"measured": iv(2.0)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(2.49)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(2.51)}) == V.NOT_REPRODUCED
    assert r.verdict({"measured": iv(1.61)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(1.59)}) == V.NOT_REPRODUCED
    assert r.verdict({"measured": iv(0.0)}) == V.NOT_REPRODUCED


def test_range_rule_both_sides():
    r = V.RangeRule(lo=-0.35, hi=-0.12, tol=0.05)
    assert r.verdict({"measured": iv(-0.2)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(-0.08)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(-0.06)}) == V.NOT_REPRODUCED
    assert r.verdict({"measured": iv(-0.39)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(-0.41)}) == V.NOT_REPRODUCED


def test_direction_rule_needs_the_whole_interval_on_the_claimed_side():
    lower = V.DirectionRule(sign=-1)
    assert lower.verdict({"measured": iv(-0.2, -0.3, -0.1)}) == V.REPRODUCED
    assert lower.verdict({"measured": iv(-0.2, -0.3, 0.01)}) == V.NOT_REPRODUCED
    assert lower.verdict({"measured": iv(0.2, 0.1, 0.3)}) == V.NOT_REPRODUCED
    assert lower.verdict({"measured": iv(-0.2)}) == V.NOT_REPRODUCED  # no interval
    higher = V.DirectionRule(sign=1)
    assert higher.verdict({"measured": iv(0.2, 0.1, 0.3)}) == V.REPRODUCED
    assert higher.verdict({"measured": iv(0.2, -0.1, 0.3)}) == V.NOT_REPRODUCED


def test_bound_rule_uses_the_interval_edge_and_every_measure():
    r = V.BoundRule(measures=(("pause", "<", 10.0), ("cpu", ">", 0.95)))
    ok = {"pause": iv(5.0, 4.0, 6.0), "cpu": iv(0.99, 0.98, 0.995)}
    assert r.verdict(ok) == V.REPRODUCED
    assert r.verdict({**ok, "pause": iv(9.0, 8.0, 10.5)}) == V.NOT_REPRODUCED  # upper edge
    assert r.verdict({**ok, "cpu": iv(0.96, 0.94, 0.98)}) == V.NOT_REPRODUCED  # lower edge
    assert r.verdict({**ok, "pause": iv(9.9)}) == V.REPRODUCED  # one run: its value
    assert r.verdict({**ok, "pause": iv(10.1)}) == V.NOT_REPRODUCED
    opt = V.BoundRule(measures=(("model", "<", 0.25), ("real", "<", 0.25)), optional=("real",))
    assert opt.verdict({"model": iv(0.1)}) == V.REPRODUCED  # no real captures: model alone
    assert opt.verdict({"model": iv(0.1), "real": iv(0.8)}) == V.NOT_REPRODUCED
    with pytest.raises(KeyError):
        r.verdict({"pause": iv(5.0)})  # a required measure missing is an error, not a pass


def test_exact_rule_both_sides():
    r = V.ExactRule(claimed=0.0, tol=0.01)
    assert r.verdict({"measured": iv(0.005)}) == V.REPRODUCED
    assert r.verdict({"measured": iv(0.02)}) == V.NOT_REPRODUCED


def _bp(p, v, hw=1.0):
    return {"gomaxprocs": p, "value": v, "lo": v - hw, "hi": v + hw}


def test_best_p_rule_both_sides():
    r = V.BestPRule()
    cpu = [_bp(4, 50), _bp(8, 10), _bp(16, 12)]
    io = [_bp(4, 50), _bp(8, 30), _bp(16, 20)]
    assert r.verdict({"cores": 8, "cpu": cpu, "io": io}) == V.REPRODUCED
    io_flat = [_bp(4, 50), _bp(8, 30), _bp(16, 29.5)]  # past the cores: not significantly better
    assert r.verdict({"cores": 8, "cpu": cpu, "io": io_flat}) == V.NOT_REPRODUCED
    cpu_more = [_bp(4, 50), _bp(8, 20), _bp(16, 10)]  # CPU-bound better past the cores
    assert r.verdict({"cores": 8, "cpu": cpu_more, "io": io}) == V.NOT_REPRODUCED


def test_outside_rule_is_fixed_by_its_reason():
    r = V.OutsideRule(reason="no caches")
    assert r.verdict({}) == V.OUTSIDE
    assert "no caches" in r.describe()


def test_per_pair_rule_agrees_or_is_inconclusive():
    r = V.PerPairRule(inner=V.ChangeRule(claimed=-0.416, tol=0.15))
    same = {"pairs": {"mean vs go": iv(-0.40), "p99 vs go": iv(-0.45)}}
    assert r.verdict(same) == V.REPRODUCED
    none = {"pairs": {"mean vs go": iv(0.0), "p99 vs go": iv(-0.05)}}
    assert r.verdict(none) == V.NOT_REPRODUCED
    mixed = {"pairs": {"mean vs go": iv(-0.40), "p99 vs go": iv(0.0)}}
    assert r.verdict(mixed) == V.INCONCLUSIVE


def test_judge_flips_to_inconclusive_only_on_unsaid_parameters():
    r = V.ChangeRule(claimed=-0.5, tol=0.1)
    main_ev = {"measured": iv(-0.5)}
    same = [{"kind": "unsaid", "parameter": "load", "value": 0.9, "evidence": main_ev}]
    assert V.judge(r, main_ev, same)["verdict"] == V.REPRODUCED
    flip = [{"kind": "unsaid", "parameter": "load", "value": 0.9, "evidence": {"measured": iv(0)}}]
    assert V.judge(r, main_ev, flip)["verdict"] == V.INCONCLUSIVE
    cost = [
        {"kind": "costs", "parameter": "netpoll_ns", "value": 2.0, "evidence": {"measured": iv(0)}}
    ]
    j = V.judge(r, main_ev, cost)
    assert j["verdict"] == V.REPRODUCED and j["points"][0]["verdict"] == V.NOT_REPRODUCED
    # a refuted history claim stays refuted whatever a sensitivity point says
    assert V.judge(V.SourceRule(), {"holds": False}, [])["verdict"] == V.REFUTED


# --- the ledger ----------------------------------------------------------------------------


def test_eighteen_claims_each_with_a_rule_fixed_in_advance():
    assert list(claims.CLAIMS) == [f"C{i:02d}" for i in range(1, 19)]
    for c in claims.CLAIMS.values():
        assert isinstance(c.rule, V.Rule) and c.rule.describe()
        assert c.history or c.evaluate or isinstance(c.rule, V.OutsideRule)
        if c.evaluate is not None:  # a model claim names what the seed leaves unsaid
            assert c.unsaid, c.id
    assert isinstance(claims.CLAIMS["C14"].rule, V.OutsideRule)
    assert isinstance(claims.CLAIMS["C12"].rule, V.PerPairRule)


def test_stored_ledger_has_all_eighteen_verdicts():
    ledger = claims.load()
    assert ledger is not None, "data/claims/evidence.json is committed"
    assert set(ledger["claims"]) == set(claims.CLAIMS)
    for cid, r in ledger["claims"].items():
        assert r["verdict"] in V.VERDICTS, cid
        assert r["command"].startswith(f"gmplab claims --id {cid}")
        if claims.CLAIMS[cid].history:  # history verdicts cite the file and line they read
            cites = r["evidence"]["citations"]
            assert cites and all(c["line"] > 0 and c["path"].startswith("src/") for c in cites)
    assert ledger["size"] == "full"


def test_quick_model_claim_runs_and_is_judged():
    r = claims.evaluate_claim("C10", "quick")
    assert r["verdict"] in V.VERDICTS
    assert r["sensitivity"] and all(p["kind"] == "unsaid" for p in r["sensitivity"])
    assert r["command"] == "gmplab claims --id C10 --run --quick"
    # a ring netpoller still blocks in epoll_wait when idle: not 0 syscalls per poll
    assert r["evidence"]["measured"]["value"] > 0
    assert r["evidence"]["detail"]["syscalls_per_poll_go"] == pytest.approx(1.0, abs=0.05)


def test_evaluate_resumes_and_keeps_what_is_done(tmp_path):
    path = tmp_path / "ledger.json"
    claims.evaluate(["C14"], "quick", path=path, progress=None)
    first = json.loads(path.read_text())["claims"]["C14"]
    said = []
    claims.evaluate(["C14"], "quick", path=path, progress=said.append)
    assert said == []  # nothing recomputed
    assert json.loads(path.read_text())["claims"]["C14"] == first


def test_cli_json_lists_every_claim(capsys):
    assert main(["claims", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["claims"]) == set(claims.CLAIMS) and out["missing"] == []
    assert main(["claims", "--id", "C13"]) == 0
    text = capsys.readouterr().out
    assert "reproduce: gmplab claims --id C13 --run" in text and "seed" in text


def test_cli_rejects_an_unknown_id(capsys):
    assert main(["claims", "--id", "C19"]) == 2
    assert "--id" in capsys.readouterr().err
    with pytest.raises(SpecError):
        claims.evaluate_claim("C00", "quick")
