"""The report's inline JavaScript and CSS: draws SVG plots and the front table from the embedded JSON.

Written here, not fetched: the report must open offline, so no plotting library is used. The
script reads `<script type="application/json" id="report-data">`, draws, and sets
`document.body.dataset.rendered = "ok"` when done (the browser test waits for it); an exception
while drawing is reported with console.error and leaves `rendered = "error"`.
"""

from __future__ import annotations

REPORT_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6;position:sticky;top:0}td.l,th.l{text-align:left}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" \\2195";color:#aaa}
th[aria-sort=ascending]:after{content:" \\2191";color:#222}th[aria-sort=descending]:after{content:" \\2193";color:#222}
.plots{display:flex;flex-wrap:wrap;gap:16px}.plot{border:1px solid #ddd;padding:4px}
.plot h3{font-size:14px;margin:4px 8px}.empty{color:#888;padding:40px 20px;width:420px}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:6px 0}.legend span{display:inline-flex;align-items:center;gap:4px}
#tooltip{position:absolute;display:none;background:#fff;border:1px solid #888;padding:6px 8px;font-size:12px;
 box-shadow:0 2px 6px rgba(0,0,0,.2);pointer-events:none;max-width:420px;white-space:pre-wrap;z-index:10}
.axis line,.axis path{stroke:#999}.axis text{font-size:11px;fill:#444}.grid{stroke:#eee}
.front-line{fill:none;stroke-width:1.5;opacity:.7}.isr-link{stroke:#777;stroke-dasharray:3 2;stroke-width:1}
.marker{cursor:pointer}.marker.on-front{stroke:#000;stroke-width:2}
.gained{color:#187a2f}.lost{color:#b00020}.note{color:#555;font-size:13px}
"""

REPORT_JS = r"""
(function () {
"use strict";
const D = JSON.parse(document.getElementById("report-data").textContent);
const NS = "http://www.w3.org/2000/svg";
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
const W = 460, H = 330, M = {l: 58, r: 28, t: 12, b: 42};  // r: room for the last x tick label
function num(v) { return v === null || v === undefined ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v; }
function color(exp) { return COLORS[Math.max(0, D.experiments.indexOf(exp)) % COLORS.length]; }
function svgEl(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function htmlEl(tag, attrs, text, parent) {
  const e = document.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined && text !== null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function fmt(v, digits) {
  v = num(v);
  if (!isFinite(v)) return v === Infinity ? "\u221e" : "\u2013";
  if (digits === undefined && Number.isInteger(v) && Math.abs(v) < 1e5) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits === undefined ? (a >= 100 ? 1 : a >= 1 ? 2 : 4) : digits);
}
function extent(values) {
  let lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
  if (lo === hi) { const d = lo === 0 ? 1 : Math.abs(lo) * 0.1; lo -= d; hi += d; }
  const pad = (hi - lo) * 0.06;
  return [lo - pad, hi + pad];
}
function linear(domain, range) {
  const k = (range[1] - range[0]) / (domain[1] - domain[0]);
  return function (v) { return range[0] + (v - domain[0]) * k; };
}
function axes(svg, xd, yd, xlabel, ylabel) {
  const sx = linear(xd, [M.l, W - M.r]), sy = linear(yd, [H - M.b, M.t]);
  const g = svgEl("g", {class: "axis"}, svg);
  for (let i = 0; i <= 4; i++) {
    const xv = xd[0] + (xd[1] - xd[0]) * i / 4, yv = yd[0] + (yd[1] - yd[0]) * i / 4;
    svgEl("line", {class: "grid", x1: sx(xv), x2: sx(xv), y1: M.t, y2: H - M.b}, g);
    svgEl("line", {class: "grid", x1: M.l, x2: W - M.r, y1: sy(yv), y2: sy(yv)}, g);
    svgEl("text", {x: sx(xv), y: H - M.b + 14, "text-anchor": "middle"}, g).textContent = fmt(xv, 3);
    svgEl("text", {x: M.l - 4, y: sy(yv) + 4, "text-anchor": "end"}, g).textContent = fmt(yv, 3);
  }
  svgEl("path", {d: "M" + M.l + "," + M.t + "V" + (H - M.b) + "H" + (W - M.r), fill: "none"}, g);
  svgEl("text", {x: (M.l + W - M.r) / 2, y: H - 6, "text-anchor": "middle"}, g).textContent = xlabel;
  svgEl("text", {transform: "translate(13," + (H - M.b + M.t) / 2 + ") rotate(-90)", "text-anchor": "middle"}, g)
    .textContent = ylabel;
  return [sx, sy];
}
const tooltip = htmlEl("div", {id: "tooltip"}, null, document.body);
function describe(p) {
  const lines = [p.row_id + "  [" + p.experiment + "]", "arch " + p.arch_id + "  " + p.kind + "  " + p.status +
    "  epochs " + p.epochs + "/" + p.max_epochs];
  if (p.isr) lines.push("ISR " + p.isr + "  (weights of " + p.parent_row_id + ")");
  lines.push("mIoU " + fmt(p.miou) + "  GMACs " + fmt(p.gmacs) + "  FPS " + fmt(p.fps) + "  params " + p.params);
  if (p.error) lines.push("error: " + p.error);
  for (const k of Object.keys(p.config).sort()) lines.push(k + " = " + p.config[k]);
  return lines.join("\n");
}
function hover(node, text) {
  node.addEventListener("mousemove", function (ev) {
    tooltip.textContent = text; tooltip.style.display = "block";
    tooltip.style.left = (ev.pageX + 14) + "px"; tooltip.style.top = (ev.pageY + 10) + "px";
  });
  node.addEventListener("mouseleave", function () { tooltip.style.display = "none"; });
}
function marker(g, p, x, y, onFront) {
  const c = color(p.experiment), r = onFront ? 6 : 4.5;
  const filled = p.status === "finished";
  const attrs = {class: "marker " + p.kind + " " + p.status + (onFront ? " on-front" : ""), "data-row": p.row_id,
    fill: filled ? c : "#fff", stroke: onFront ? "#000" : c, "stroke-width": onFront ? 2 : 1.5};
  let node;
  if (p.kind === "isr") {
    attrs.d = "M" + x + "," + (y - r - 1) + "l" + (r + 1) + "," + (r + 1) + "l" + -(r + 1) + "," + (r + 1) + "l" +
      -(r + 1) + "," + -(r + 1) + "z";
    node = svgEl("path", attrs, g);
  } else if (p.status === "finished" || p.status === "stopped") {
    attrs.cx = x; attrs.cy = y; attrs.r = r; node = svgEl("circle", attrs, g);
  } else {
    attrs.d = "M" + (x - r) + "," + (y - r) + "L" + (x + r) + "," + (y + r) + "M" + (x - r) + "," + (y + r) + "L" +
      (x + r) + "," + (y - r);
    attrs.stroke = "#888"; node = svgEl("path", attrs, g);
  }
  hover(node, describe(p));
  return node;
}
function scatter(host, spec) {
  const box = htmlEl("div", {class: "plot", id: "plot-" + spec.set_name}, null, host);
  htmlEl("h3", {}, spec.y_label + " vs " + spec.x_label + "  (" + (spec.y_maximize ? "\u2191" : "\u2193") + " " +
    spec.y_label + ", " + (spec.x_maximize ? "\u2191" : "\u2193") + " " + spec.x_label + " better)", box);
  const pts = D.points.filter(function (p) { return isFinite(num(p[spec.x])) && isFinite(num(p[spec.y])); });
  if (!pts.length) { htmlEl("div", {class: "empty"}, "No row has both " + spec.x_label + " and " + spec.y_label + ".", box); return; }
  const svg = svgEl("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img"}, box);
  const s = axes(svg, extent(pts.map(function (p) { return num(p[spec.x]); })),
    extent(pts.map(function (p) { return num(p[spec.y]); })), spec.x_label, spec.y_label);
  const at = function (p) { return [s[0](num(p[spec.x])), s[1](num(p[spec.y]))]; };
  const byRow = {};
  pts.forEach(function (p) { byRow[p.experiment + "\u0000" + p.row_id] = p; });
  for (const exp of D.experiments) {  // the front as a staircase, best-first along x
    const front = pts.filter(function (p) { return p.experiment === exp && p.on_front[spec.set_name]; })
      .sort(function (a, b) { return (spec.x_maximize ? -1 : 1) * (num(a[spec.x]) - num(b[spec.x])); });
    if (front.length < 2) continue;
    let d = "";
    front.forEach(function (p, i) {
      const xy = at(p);
      d += i === 0 ? "M" + xy[0] + "," + xy[1] : "H" + xy[0] + "V" + xy[1];
    });
    svgEl("path", {class: "front-line", d: d, stroke: color(exp)}, svg);
  }
  for (const p of pts) {  // ISR point linked to the model whose weights it evaluates
    const parent = p.parent_row_id ? byRow[p.experiment + "\u0000" + p.parent_row_id] : undefined;
    if (!parent) continue;
    const a = at(parent), b = at(p);
    svgEl("line", {class: "isr-link", x1: a[0], y1: a[1], x2: b[0], y2: b[1], "data-row": p.row_id}, svg);
  }
  const g = svgEl("g", {}, svg);
  const order = pts.slice().sort(function (a, b) { return a.on_front[spec.set_name] - b.on_front[spec.set_name]; });
  for (const p of order) { const xy = at(p); marker(g, p, xy[0], xy[1], p.on_front[spec.set_name]); }
}
function lineChart(host, id, title, series, xlabel, ylabel, step) {
  const box = htmlEl("div", {class: "plot", id: id}, null, host);
  htmlEl("h3", {}, title, box);
  const all = [].concat.apply([], series.map(function (s) { return s.pts; }));
  if (!all.length) { htmlEl("div", {class: "empty"}, "Nothing to draw yet.", box); return; }
  const svg = svgEl("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img"}, box);
  const s = axes(svg, extent(all.map(function (q) { return q[0]; })), extent(all.map(function (q) { return q[1]; })),
    xlabel, ylabel);
  for (const ser of series) {
    let d = "";
    ser.pts.forEach(function (q, i) {
      d += i === 0 ? "M" + s[0](q[0]) + "," + s[1](q[1]) : (step ? "H" + s[0](q[0]) + "V" : "L" + s[0](q[0]) + ",") + s[1](q[1]);
    });
    const path = svgEl("path", {class: "series", d: d, fill: "none", stroke: ser.color, "stroke-width": 1.5,
      "stroke-dasharray": ser.dashed ? "4 3" : "none"}, svg);
    svgEl("title", {}, path).textContent = ser.name;
    hover(path, ser.name);
    if (ser.pts.length === 1) svgEl("circle", {cx: s[0](ser.pts[0][0]), cy: s[1](ser.pts[0][1]), r: 3, fill: ser.color}, svg);
  }
}
function frontTable(host) {
  const set = D.table_set, labels = D.objective_labels;
  const cols = [["experiment", "experiment", 1], ["row_id", "row", 1], ["arch_id", "arch id", 1], ["isr", "ISR", 1],
    ["miou", labels.miou, 0], ["gmacs", labels.gmacs, 0], ["fps", labels.fps, 0], ["latency_ms", "latency ms", 0],
    ["params_m", "params (M)", 0], ["epochs", "epochs", 0], ["crowding", "crowding", 0], ["config", "configuration", 1]];
  const rows = D.points.filter(function (p) { return p.on_front[set]; }).map(function (p) {
    const r = Object.assign({}, p);
    r.crowding = num(p.crowding[set]);
    r.params_m = p.params / 1e6;
    r.config = Object.keys(p.config).sort().map(function (k) { return k + "=" + p.config[k]; }).join(", ");
    return r;
  });
  const table = htmlEl("table", {id: "front-table"}, null, host);
  const head = htmlEl("tr", {}, null, htmlEl("thead", {}, null, table));
  const body = htmlEl("tbody", {}, null, table);
  function fill() {
    body.textContent = "";
    for (const r of rows) {
      const tr = htmlEl("tr", {"data-row": r.row_id}, null, body);
      for (const c of cols) htmlEl("td", c[2] ? {class: "l"} : {}, c[2] ? (r[c[0]] || "\u2013") : fmt(r[c[0]]), tr);
    }
  }
  cols.forEach(function (c) {
    const th = htmlEl("th", {class: "sortable" + (c[2] ? " l" : ""), "data-key": c[0], "aria-sort": "none"}, c[1], head);
    th.addEventListener("click", function () {
      const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      head.querySelectorAll("th").forEach(function (o) { o.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      rows.sort(function (a, b) {
        const x = c[2] ? String(a[c[0]]) : num(a[c[0]]), y = c[2] ? String(b[c[0]]) : num(b[c[0]]);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      fill();
    });
  });
  fill();
}
function draw() {
  const plots = document.getElementById("scatter-plots");
  D.plots.forEach(function (spec) { scatter(plots, spec); });
  frontTable(document.getElementById("front"));
  lineChart(document.getElementById("curves"), "learning-curves", "Validation mIoU per epoch (dashed: stopped)",
    D.curves.map(function (c) {
      return {name: c.experiment + " " + c.trial_id + " (" + c.status + ")", color: color(c.experiment),
        dashed: c.status !== "finished", pts: c.values.map(function (v, i) { return [i + 1, num(v)]; })};
    }), "epoch", D.objective_labels.miou, false);
  const hv = document.getElementById("history");
  const t0 = Math.min.apply(null, [].concat.apply([], D.experiments.map(function (e) {
    return Object.values(D.history[e]).map(function (steps) { return steps.length ? steps[0].finished_at : Infinity; });
  })));
  Object.keys(D.objective_sets).forEach(function (set) {
    const names = D.objective_sets[set].map(function (o) { return D.objective_labels[o]; }).join("\u2013");
    lineChart(hv, "history-" + set, "Hypervolume " + names, D.experiments.map(function (e) {
      return {name: e, color: color(e), dashed: false, pts: D.history[e][set].map(function (s) {
        return [(s.finished_at - t0) / 60, num(s.hypervolume)];
      })};
    }), "minutes since the first finished row", "hypervolume", true);
  });
}
try { draw(); document.body.dataset.rendered = "ok"; }
catch (err) { document.body.dataset.rendered = "error"; console.error("report: drawing failed: " + err); }
})();
"""
