"""The statistics flags of `gmplab simulate`: --until-halfwidth and --warmup mser5."""

import json

from gmplab import cli

BASE = [
    "simulate",
    "--policy",
    "central",
    "--topology",
    "1x16",
    "--load",
    "0.9",
    "--goroutines",
    "30000",
    "--costs",
    "zero",
    "--seed",
    "4",
    "--json",
]


def run(capsys, *extra):
    rc = cli.main([*BASE, *extra])
    out = capsys.readouterr()
    return rc, json.loads(out.out), out.err


def test_until_halfwidth_reaches_its_target(capsys):
    rc, d, err = run(capsys, "--until-halfwidth", "5%")
    rep = d["until_halfwidth"]
    assert rc == 0 and rep["reached"] and err == ""
    half = (d["sojourn_ns_p99_hi"] - d["sojourn_ns_p99_lo"]) / 2
    assert half <= 0.05 * d["sojourn_ns_p99"]


def test_until_halfwidth_stops_at_its_cap_and_says_so(capsys):
    rc, d, err = run(capsys, "--until-halfwidth", "0.1%", "--max-replications", "3")
    assert rc == 0 and d["until_halfwidth"]["reached"] is False
    assert d["replications"] == 3
    assert err.startswith("gmplab: warning:")


def test_warmup_mser5_reports_its_cut(capsys):
    rc, d, _ = run(capsys, "--warmup", "mser5")
    w = d["warmup_mser5"]
    assert rc == 0 and 0 <= w["warmup_goroutines"] < 30000
    assert d["spec"]["warmup_fraction"] == w["warmup_fraction"]


def test_bad_statistics_flags_exit_2(capsys):
    assert cli.main([*BASE, "--warmup", "median"]) == 2
    assert capsys.readouterr().err.startswith("gmplab: error: --warmup")
    assert cli.main([*BASE, "--until-halfwidth=-1%"]) == 2
    assert "--until-halfwidth" in capsys.readouterr().err
