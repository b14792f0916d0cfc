"""The report: the README's main command with --quick, every notebook executed by papermill,
offline HTML, and a headless Chromium walk over the site.

The quick build runs once per session (a fixture) from a cold sweep cache in a temporary folder;
its output goes where the README's command puts it, reports/. Chromium is Debian's package: the
`chromium` fixture installs it with apt-get when it is missing and the tests run as root (CI);
elsewhere, when it cannot be installed, the browser test is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import polars as pl
import pytest

from gmplab import report

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _report_command() -> list[str]:
    """The README's main command (`make report`) with --quick, as the Makefile runs it; while
    the Makefile does not run `gmplab report` yet, the command it will run."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^report:.*?(?=^\S|\Z)", makefile, re.S | re.M)
    if recipe and "gmplab report" in recipe.group(0) and shutil.which("make"):
        # make's venv step must be a no-op here (make test ran it): never reinstall from a test
        fresh = subprocess.run(["make", "-q", ".venv/.installed"], cwd=ROOT, capture_output=True)
        if fresh.returncode == 0:
            return ["make", "-s", "report", "REPORT_FLAGS=--quick --jobs 2"]
    gmplab_bin = Path(sys.executable).parent / "gmplab"
    probe = subprocess.run(
        [str(gmplab_bin), "report", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    if probe.returncode == 0 and "--quick" in probe.stdout:
        return [str(gmplab_bin), "report", "--quick", "--jobs", "2"]
    return [sys.executable, "-m", "gmplab.report", "--quick", "--jobs", "2"]


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")  # a cold cache: the whole compute path runs
    env = dict(os.environ, GMPLAB_CACHE_DIR=str(cache), GMPLAB_WORKERS="2")
    cmd = _report_command()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return {"cmd": cmd, "wall_s": wall, "log": proc.stderr, "cache": cache}


def test_quick_report_builds_every_notebook(quick_report):
    build = json.loads((REPORTS / "build.json").read_text())
    assert build["mode"] == "quick"
    assert build["jobs"] == 2  # two notebooks at a time (two kernels), listed in their order
    names = [n["name"] for n in build["notebooks"]]
    assert names == [p.stem for p in NOTEBOOKS]
    assert all(n["ok"] for n in build["notebooks"])
    assert (REPORTS / "index.html").is_file()
    for name in names:
        assert (REPORTS / name / "index.html").is_file()
        assert (REPORTS / name / "parameters.yaml").is_file()


def test_jobs_out_of_range_is_refused(tmp_path, capsys):
    from gmplab import report

    for bad in ("0", "65"):
        assert report.main(["--quick", "--jobs", bad, "--out", str(tmp_path)]) == 2
        assert "jobs: notebooks at a time, an integer in [1, 64]" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_every_notebook_executed_under_papermill_with_quick_parameters(quick_report):
    for path in NOTEBOOKS:
        meta = json.loads(path.read_text())["metadata"]["gmplab"]
        executed = json.loads((REPORTS / path.stem / f"{path.stem}.ipynb").read_text())
        pm = executed["metadata"]["papermill"]
        assert pm["exception"] is None or pm["exception"] is False
        for k, v in meta["quick"].items():
            assert pm["parameters"][k] == v
        tags = [c["metadata"].get("tags", []) for c in executed["cells"]]
        assert ["injected-parameters"] in tags
        for cell in executed["cells"]:
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error", f"{path.stem}: {out.get('ename')}"
        prov = json.loads((REPORTS / path.stem / "provenance.json").read_text())
        assert prov["mode"] == "quick" and prov["seeds"]


def test_html_is_offline(quick_report):
    pages = [REPORTS / "index.html"] + [REPORTS / p.stem / "index.html" for p in NOTEBOOKS]
    for page in pages:
        text = page.read_text()
        assert not re.search(r"<script[^>]+src=", text), f"{page}: an external script"
        assert not re.search(r"<link[^>]+href=[\"']https?:", text), f"{page}: external CSS"
        assert "cdnjs" not in text and "unpkg" not in text and "jsdelivr" not in text


def test_parameters_cell_parsing():
    src = 'a: int = 3  # three things\nb: list = [1, 2]  # a list\nc = "x"\n'
    docs = report.parse_parameters(src)
    assert [(d.name, d.annotation, d.default, d.comment) for d in docs] == [
        ("a", "int", 3, "three things"),
        ("b", "list", [1, 2], "a list"),
        ("c", "", "x", ""),
    ]


# ---------------------------------------------------------------------------------------------
# a real browser: Debian's chromium driven over the DevTools protocol (websocket-client)
# ---------------------------------------------------------------------------------------------
def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser, installed with `apt-get install -y chromium` where missing (as root)."""
    path = _find_chromium()
    why = "chromium is not installed"
    if path is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=300, check=False)
            res = subprocess.run(
                ["apt-get", "install", "-y", "-qq", "chromium"],
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            why = f"apt-get install -y chromium failed: {res.stderr.strip()[-300:]}"
        except (OSError, subprocess.SubprocessError) as e:
            why = f"apt-get install -y chromium failed: {e}"
        path = _find_chromium()
    elif path is None:
        why += " and cannot be installed here (needs root and apt-get: apt-get install chromium)"
    if path is None:
        pytest.skip(why)
    return path


class DevTools:
    """A minimal Chrome DevTools protocol client over one page's websocket."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev["method"] == method:
                return self.events.pop(i)
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == method:
                return msg
            if "method" in msg:
                self.events.append(msg)
        raise TimeoutError(method)

    def navigate(self, url: str) -> None:
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def eval(self, expression: str):
        res = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in res:
            raise RuntimeError(res["exceptionDetails"])
        return res["result"].get("value")

    def errors(self) -> list[str]:
        out = []
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(f"console.{p['type']}: {p.get('args')}")
            elif m == "Runtime.exceptionThrown":
                out.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def browser(chromium, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    profile = tempfile.mkdtemp(prefix="gmplab-chromium-")
    proc = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            "--remote-allow-origins=*",
            "--window-size=1280,2000",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        targets = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    targets = [t for t in json.load(r) if t.get("type") == "page"]
                if targets:
                    break
            except OSError:
                time.sleep(0.2)
        assert targets, "chromium's DevTools endpoint did not come up"
        dt = DevTools(targets[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            dt.send(f"{domain}.enable")
        # hermetic: nothing leaves the machine (an attempt would show as a console error)
        dt.send("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*", "wss://*"])
        yield dt
        dt.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


LINKS_JS = "Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
FIGURES_JS = """
Array.from(document.querySelectorAll('figure.gmplab-figure')).map(f => {
  const img = f.querySelector('img');
  const a = f.querySelector('a.gmplab-data');
  return {name: f.dataset.name, rows: parseInt(f.dataset.rows),
          loaded: !!img && img.complete && img.naturalWidth > 0 && img.naturalHeight > 0,
          width: img ? img.naturalWidth : 0, data: a ? a.href : null};
})
"""
SECTIONS_JS = """
({params: (document.querySelector('#gmplab-parameters') || {}).innerText || '',
  paramRows: document.querySelectorAll('#gmplab-parameters tr').length,
  validity: (document.querySelector('#gmplab-validity') || {}).innerText || '',
  provenance: (document.querySelector('#gmplab-provenance') || {}).innerText || '',
  precision: (document.querySelector('#gmplab-precision') || {}).innerText || ''})
"""


def _local(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def test_browser_walks_the_site(quick_report, browser, tmp_path):
    index = (REPORTS / "index.html").resolve().as_uri()
    browser.navigate(index)
    shot = browser.send("Page.captureScreenshot", format="png")["data"]
    assert len(shot) > 1000
    links = browser.eval(LINKS_JS)
    pages = [u for u in links if u.endswith("/index.html")]
    assert len(pages) == len(NOTEBOOKS), links
    visited: set[str] = {index}
    checked_files: set[str] = set()
    for page in pages:
        browser.navigate(page)
        visited.add(page)
        name = _local(page).parent.name
        secs = browser.eval(SECTIONS_JS)
        assert "Parameters" in secs["params"] and secs["paramRows"] > 3, name
        assert "Costs profile" in secs["validity"] and "calibrat" in secs["validity"], name
        assert "git commit" in secs["provenance"] and "seeds" in secs["provenance"], name
        assert "wall time" in secs["provenance"], name
        figs = browser.eval(FIGURES_JS)
        assert figs, f"{name}: no figures"
        for f in figs:
            assert f["loaded"] and f["width"] > 100, f"{name}: figure {f['name']} did not load"
            assert f["rows"] > 0, f"{name}: figure {f['name']} has no data"
            assert f["data"], f"{name}: figure {f['name']} has no data link"
            data = pl.read_parquet(_local(f["data"]))
            assert data.height == f["rows"] > 0
        # follow every link of the page: pages load, files exist
        for link in browser.eval(LINKS_JS):
            url = urljoin(page, link)
            if urlparse(url).scheme != "file":
                pytest.fail(f"{name}: a link leaves the site: {url}")
            doc, _, anchor = url.partition("#")
            target = _local(doc)
            assert target.exists(), f"{name}: broken link {url}"
            if anchor and doc == page:  # an anchor in this page: it must exist
                found = browser.eval(f"!!document.getElementById({json.dumps(unquote(anchor))})")
                assert found, f"{name}: broken anchor {url}"
            elif target.suffix == ".html" and doc not in visited:
                browser.navigate(doc)
                visited.add(doc)
                browser.navigate(page)
            checked_files.add(str(target))
    assert not browser.errors(), browser.errors()
    outside = [u for u in browser.requests() if urlparse(u).scheme not in ("file", "data")]
    assert not outside, f"requests left the machine: {outside}"
    assert any(f.endswith(".ipynb") for f in checked_files)
