"""report.html in headless Chromium: every plotly figure and table renders, no console error, no
network request, and the figures hold the expected points per status.

The page is watched through the DevTools protocol (tests/reports/browser.py): console messages,
uncaught exceptions, log entries and every request the page makes are recorded. The figure data is
read back from the page (`div.data`, the traces plotly drew) and the drawn SVG markers are counted.
The last test injects a console.error and a remote image into a copy of the report and checks both
are caught, so the clean result of the other tests means something. Under CI a missing Chromium fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports import write_report
from tests.reports.browser import Browser, PageLog, find_chromium
from tests.reports.results_factory import demo_rows, predictions, trial, write_results

# Points per trace category in each figure, read from the figures plotly drew; drawn SVG markers too.
PROBE = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const fronts = ["miou_gmacs", "miou_fps", "gmacs_fps"];
  const counts = {}, drawn = {}, legends = {};
  for (const s of fronts) {
    const div = document.getElementById("plot-" + s);
    counts[s] = {};
    for (const t of div.data) {
      if (t.meta && t.meta.role === "points") counts[s][t.meta.category] = (counts[s][t.meta.category] || 0) + t.x.length;
      if (t.meta && t.meta.role === "isr-links") counts[s]["isr-links"] = t.meta.count;
    }
    drawn[s] = div.querySelectorAll(".scatterlayer .points path.point").length;
    legends[s] = Array.from(div.querySelectorAll(".legendtext")).map(e => e.textContent);
  }
  const gd = document.getElementById("plot-miou_gmacs");
  const t1 = gd.data.findIndex(t => t.customdata && t.customdata.includes("t1"));
  Plotly.Fx.hover(gd, [{curveNumber: t1, pointNumber: gd.data[t1].customdata.indexOf("t1")}]);
  await sleep(100);
  const hover = (gd.querySelector(".hovertext") || {textContent: ""}).textContent;
  const table = () => Array.from(document.querySelectorAll("#front-table tbody tr")).map(r => r.cells[1].textContent);
  const before = table();
  Array.from(document.querySelectorAll("#front-table th")).find(th => th.textContent === "mIoU").click();
  const sorted = table();
  const link = document.querySelector("#front-table tbody tr a");
  link.click();
  await sleep(100);
  const opened = document.querySelector("details[open]");
  return JSON.stringify({
    rendered: document.body.dataset.rendered,
    figures: Array.from(document.querySelectorAll(".figure")).map(d => [d.id, Boolean(d._fullLayout),
      d.querySelectorAll(".main-svg").length > 0]),
    counts, drawn, legends, hover, before, sorted,
    opened: opened ? opened.dataset.row : null, href: link.getAttribute("href"),
    curves: document.getElementById("learning-curves").data.length,
    history: document.getElementById("history-cost").data.length,
    parallel: document.getElementById("parallel").data[0].dimensions.map(d => d.label),
    images: Array.from(document.querySelectorAll("#gallery img")).map(i => i.naturalWidth),
    gallery: Boolean(document.getElementById("gallery")),
    modebar: Array.from(gd.querySelectorAll(".modebar-btn")).map(b => b.getAttribute("data-title")),
  });
})()"""


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
    fetched = [u for u in log.requests if not u.startswith("data:")]  # inline images are not requests
    assert fetched == [page.resolve().as_uri()], "the report fetched something besides itself"


def test_report_renders_without_errors_or_requests(browser: Browser, tmp_path: Path) -> None:
    rows = demo_rows()
    rows[0]["predictions"] = predictions(2)  # t1, on the front
    for row in rows[1:]:
        row["predictions"] = ""
    paths = write_report([write_results(tmp_path / "exp", rows)])
    log = browser.open(paths.html, PROBE)
    page_only(log, paths.html)
    result = json.loads(log.result)
    assert result["rendered"] == "ok"
    assert all(drawn and svg for _, drawn, svg in result["figures"]) and len(result["figures"]) == 9
    # mIoU–GMACs front: t1, t2 and both ISR rows; t3 dominated; t4 stopped; t5 infeasible and t6 failed in the strip
    assert result["counts"]["miou_gmacs"] == {"front": 2, "isr-front": 2, "finished": 1, "stopped": 1,
                                              "infeasible": 1, "failed": 1, "isr-links": 2}
    # FPS plots: only the 5 rows with a latency (no FPS for the infeasible, failed and second ISR rows)
    assert result["counts"]["miou_fps"] == {"front": 2, "isr-front": 1, "finished": 1, "stopped": 1, "isr-links": 1}
    # GMACs–FPS: t2 (5 GMACs, 80 FPS) dominates every other row
    assert result["counts"]["gmacs_fps"] == {"front": 1, "isr": 1, "finished": 2, "stopped": 1, "isr-links": 1}
    for s, counts in result["counts"].items():  # what the data says is what the page drew
        assert result["drawn"][s] == sum(v for k, v in counts.items() if k != "isr-links")
    assert "infeasible: rejected by the cost gate, not trained" in result["legends"]["miou_gmacs"]
    assert "infeasible: rejected by the cost gate, not trained" not in result["legends"]["miou_fps"]
    assert "t1" in result["hover"] and "encoder = eft" in result["hover"] and "train.lr = 0.001" in result["hover"]
    assert sorted(result["before"]) == ["t1", "t1/isr=2,2,1,1/2,2,2", "t2"]  # full 3-objective front
    assert result["sorted"] == ["t2", "t1/isr=2,2,1,1/2,2,2", "t1"]
    assert result["opened"] == "t2" and result["href"].startswith("#detail-")
    assert result["curves"] == 4  # trials with a learning curve: 3 finished + 1 stopped
    assert result["history"] == 4  # one per objective set
    assert result["parallel"] == ["depth", "encoder", "mIoU"]
    assert {"Download plot as a PNG", "Zoom", "Pan", "Reset axes"} <= set(result["modebar"])
    assert "Share chart..." not in result["modebar"]  # would upload the chart
    assert result["gallery"] and result["images"] == [16] * 6  # 2 samples × image, truth, prediction: decoded


def test_comparison_and_tiny_experiment_render(browser: Browser, tmp_path: Path) -> None:
    a = write_results(tmp_path / "a", [trial("only", "finished", 0.5, 3.0)])
    b = write_results(tmp_path / "b", [trial("s1", "stopped", 0.6, 2.0), trial("s2", "stopped", 0.4, 1.0)])
    paths = write_report([a, b], tmp_path / "out")
    log = browser.open(paths.html, """JSON.stringify({rendered: document.body.dataset.rendered,
        comparison: document.getElementById("comparison").textContent,
        gallery: Boolean(document.getElementById("gallery")),
        names: document.getElementById("plot-miou_gmacs").data.map(t => t.name),
        empty: Array.from(document.querySelectorAll(".annotation-text")).map(a => a.textContent)})""")
    page_only(log, paths.html)
    result = json.loads(log.result)
    assert result["rendered"] == "ok"
    assert "a (A) → b (B)" in result["comparison"] and "− arch-only" in result["comparison"]
    assert result["names"] == ["a: finished trial on the front", "b: stopped early (fewer epochs, never ranked)"]
    assert not result["gallery"]  # no predictions column
    assert result["empty"].count("No row has both FPS and mIoU.") == 1


def test_injected_console_error_and_remote_request_are_caught(browser: Browser, tmp_path: Path) -> None:
    paths = write_report([write_results(tmp_path / "exp", demo_rows())])
    tampered = tmp_path / "tampered.html"
    injected = '<img src="http://192.0.2.1/pixel.png"><script>console.error("injected failure")</script></body>'
    tampered.write_text(paths.html.read_text(encoding="utf-8").replace("</body>", injected), encoding="utf-8")
    log = browser.open(tampered, "document.body.dataset.rendered")
    assert any("injected failure" in e for e in log.errors)
    assert "http://192.0.2.1/pixel.png" in log.requests
    broken = tmp_path / "broken.html"
    broken.write_text(paths.html.read_text(encoding="utf-8").replace('{"plot-miou_gmacs":{"data":',
                                                                     '{"plot-miou_gmacs":{"data":,'),
                      encoding="utf-8")
    log = browser.open(broken, "document.body.dataset.rendered")
    assert log.result == "error" and any("drawing failed" in e for e in log.errors)
