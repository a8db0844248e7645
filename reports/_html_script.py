"""The report's inline CSS and its small script: draws the embedded plotly figures, sorts tables.

The figures are built in Python (`_figures_*`) and embedded as JSON; plotly.js, inlined once in
the page, draws them. The script sets `document.body.dataset.rendered = "ok"` once every figure is
drawn (the browser test waits for it); an exception or a rejected plot leaves `rendered = "error"`
and is reported with console.error.
"""

from __future__ import annotations

REPORT_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;color:#222;max-width:1800px;padding:0 24px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:2px}
h3{font-size:15px;margin:14px 0 4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;
 text-align:right;white-space:nowrap}th{background:#f6f6f6;position:sticky;top:0}td.l,th.l{text-align:left}
.wide{overflow-x:auto;max-width:100%}
table.sortable th{cursor:pointer;user-select:none}table.sortable th:after{content:" \\2195";color:#aaa}
th[aria-sort=ascending]:after{content:" \\2191"!important;color:#222!important}
th[aria-sort=descending]:after{content:" \\2193"!important;color:#222!important}
.pair{display:flex;flex-wrap:wrap;gap:0 48px}.pair>section{flex:0 1 auto;min-width:0;max-width:100%}.pair .note{max-width:600px}.pair>.grow{flex:1 1 560px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:16px}
.figure{border:1px solid #e3e3e3;border-radius:4px;min-width:0;margin-bottom:16px}
details{border:1px solid #e3e3e3;border-radius:4px;margin:6px 0;padding:4px 10px}details[open]{background:#fafafa}
details:target{outline:2px solid #1f77b4}summary{cursor:pointer}pre{white-space:pre-wrap;font-size:12px}
.gallery{display:flex;flex-wrap:wrap;gap:18px}.gallery figure{margin:0}.samples{display:flex;gap:6px;flex-wrap:wrap}
.sample{display:flex;gap:2px;border:1px solid #ddd;padding:2px}
.sample img{width:96px;height:auto;image-rendering:pixelated;display:block}
figcaption{font-size:12px;color:#555}
.gained{color:#187a2f}.lost{color:#b00020}.note{color:#555;font-size:13px;max-width:1100px}
"""

REPORT_JS = r"""
(function () {
"use strict";
function fail(err) {
  document.body.dataset.rendered = "error";
  console.error("report: drawing failed: " + err);
}
function sortable(table) {
  const head = table.tHead.rows[0], body = table.tBodies[0];
  Array.from(head.cells).forEach(function (th, col) {
    th.setAttribute("aria-sort", "none");
    th.addEventListener("click", function () {
      const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.from(head.cells).forEach(function (o) { o.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      const numeric = th.dataset.type === "num";
      const key = function (tr) {
        const cell = tr.cells[col];
        if (!numeric) return cell.textContent;
        const v = parseFloat(cell.dataset.value);
        return isNaN(v) ? -Infinity : v;
      };
      const rows = Array.from(body.rows).sort(function (a, b) {
        const x = key(a), y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
}
function openDetail() {
  const id = decodeURIComponent(location.hash.slice(1));
  const el = id ? document.getElementById(id) : null;
  if (el && el.tagName === "DETAILS") el.open = true;
}
function linkPoints(div) {  // a click on a front point opens that row's detail
  div.on("plotly_click", function (ev) {
    const row = ev.points.length ? ev.points[0].customdata : null;
    const detail = row === null ? null : document.querySelector("details[data-row='" + CSS.escape(String(row)) + "']");
    if (detail) location.hash = detail.id;
  });
}
try {
  const figures = JSON.parse(document.getElementById("report-figures").textContent);
  const config = JSON.parse(document.getElementById("plot-config").textContent);
  const drawing = Object.keys(figures).map(function (id) {
    const own = Object.assign({}, config, {toImageButtonOptions: Object.assign({}, config.toImageButtonOptions,
      {filename: id})});
    return Plotly.newPlot(id, figures[id].data, figures[id].layout, own).then(function (div) {
      if (id.indexOf("plot-") === 0) linkPoints(div);
    });
  });
  document.querySelectorAll("table.sortable").forEach(sortable);
  window.addEventListener("hashchange", openDetail);
  openDetail();
  Promise.all(drawing).then(function () { document.body.dataset.rendered = "ok"; }, fail);
} catch (err) { fail(err); }
})();
"""
