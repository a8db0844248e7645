"""report.html in headless Chromium: plots and table render, no console error, no network request.

The page is watched through the DevTools protocol (tests/reports/browser.py): console messages,
uncaught exceptions, log entries and every request the page makes are recorded. The last test
injects a console.error and a remote image into a copy of the report and checks both are caught,
so the clean result of the other tests means something. Under CI a missing Chromium fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports import write_report
from tests.reports.browser import Browser, PageLog, find_chromium
from tests.reports.results_factory import demo_rows, trial, write_results

PROBE = """JSON.stringify({
  rendered: document.body.dataset.rendered,
  markers: Object.fromEntries(["miou_gmacs", "miou_fps", "gmacs_fps"].map(
    s => [s, document.querySelectorAll("#plot-" + s + " .marker").length])),
  onFront: document.querySelectorAll("#plot-miou_gmacs .marker.on-front").length,
  hollow: document.querySelectorAll("#plot-miou_gmacs circle.marker.stopped[fill='#fff']").length,
  filled: document.querySelectorAll("#plot-miou_gmacs circle.marker.finished:not([fill='#fff'])").length,
  isrLinks: document.querySelectorAll("#plot-miou_gmacs .isr-link").length,
  frontLines: document.querySelectorAll("#plot-miou_gmacs .front-line").length,
  tableRows: Array.from(document.querySelectorAll("#front-table tbody tr")).map(r => r.dataset.row),
  sortedByMiou: (() => {
    const th = document.querySelector("#front-table th[data-key=miou]");
    th.click();
    return Array.from(document.querySelectorAll("#front-table tbody tr")).map(r => r.dataset.row);
  })(),
  curves: document.querySelectorAll("#learning-curves .series").length,
  history: document.querySelectorAll("#history .series").length,
  empty: document.querySelectorAll(".empty").length,
  tooltip: (() => {
    const m = document.querySelector("#plot-miou_gmacs .marker[data-row='t1']");
    m.dispatchEvent(new MouseEvent("mousemove", {bubbles: true, clientX: 5, clientY: 5}));
    return document.getElementById("tooltip").textContent;
  })(),
  legend: document.getElementById("legend").textContent,
})"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        message = "Chromium is needed for the report test: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    session = Browser(executable)
    yield session
    session.close()


def page_only(log: PageLog, page: Path) -> None:
    assert log.errors == []
    assert log.requests == [page.resolve().as_uri()], "the report fetched something besides itself"


def test_report_renders_without_errors_or_requests(browser: Browser, tmp_path: Path) -> None:
    paths = write_report([write_results(tmp_path / "exp", demo_rows())])
    log = browser.open(paths.html, PROBE)
    page_only(log, paths.html)
    result = json.loads(log.result)
    assert result["rendered"] == "ok"
    # mIoU–GMACs: 6 trained rows (3 finished, 1 stopped, 2 ISR); FPS plots: the 5 rows with a latency
    assert result["markers"] == {"miou_gmacs": 6, "miou_fps": 5, "gmacs_fps": 5}
    assert result["onFront"] == 4 and result["filled"] == 3 and result["hollow"] == 1
    assert result["isrLinks"] == 2 and result["frontLines"] == 1
    assert sorted(result["tableRows"]) == ["t1", "t1/isr=2,2,1,1/2,2,2", "t2"]  # full 3-objective front
    assert result["sortedByMiou"] == ["t2", "t1/isr=2,2,1,1/2,2,2", "t1"]
    assert result["curves"] == 4  # trials with a learning curve: 3 finished + 1 stopped
    assert result["history"] == 4  # one per objective set
    assert result["empty"] == 0
    assert "encoder = eft" in result["tooltip"] and "arch arch-t1" in result["tooltip"]
    assert "stopped trial (hollow" in result["legend"] and "finished trial (filled)" in result["legend"]


def test_comparison_and_tiny_experiment_render(browser: Browser, tmp_path: Path) -> None:
    a = write_results(tmp_path / "a", [trial("only", "finished", 0.5, 3.0)])
    b = write_results(tmp_path / "b", [trial("s1", "stopped", 0.6, 2.0), trial("s2", "stopped", 0.4, 1.0)])
    paths = write_report([a, b], tmp_path / "out")
    log = browser.open(paths.html, """JSON.stringify({rendered: document.body.dataset.rendered,
        comparison: document.getElementById("comparison").textContent,
        empty: document.querySelectorAll(".empty").length,
        markers: document.querySelectorAll("#plot-miou_gmacs .marker").length})""")
    page_only(log, paths.html)
    result = json.loads(log.result)
    assert result["rendered"] == "ok"
    assert "a (A) → b (B)" in result["comparison"] and "− arch-only" in result["comparison"]
    assert result["markers"] == 3
    # no FPS anywhere: the two FPS scatter plots and the three FPS hypervolume histories say so
    assert result["empty"] == 5


def test_injected_console_error_and_remote_request_are_caught(browser: Browser, tmp_path: Path) -> None:
    paths = write_report([write_results(tmp_path / "exp", demo_rows())])
    tampered = tmp_path / "tampered.html"
    injected = '<img src="http://192.0.2.1/pixel.png"><script>console.error("injected failure")</script></body>'
    tampered.write_text(paths.html.read_text(encoding="utf-8").replace("</body>", injected), encoding="utf-8")
    log = browser.open(tampered, "document.body.dataset.rendered")
    assert any("injected failure" in e for e in log.errors)
    assert "http://192.0.2.1/pixel.png" in log.requests
    broken = tmp_path / "broken.html"
    broken.write_text(paths.html.read_text(encoding="utf-8").replace('"points":[', '"points":7,"x":['),
                      encoding="utf-8")
    log = browser.open(broken, "document.body.dataset.rendered")
    assert log.result == "error" and any("drawing failed" in e for e in log.errors)
