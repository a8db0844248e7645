"""Draw `report.html` from `ReportData`: one self-contained file, plotly.js inlined once.

Tables (costs, hypervolumes, comparison, front, breakdown), details and the gallery are written
here as HTML. The figures are plotly figures built in Python (`_figures_*`) and embedded as JSON in
`<script type="application/json" id="report-figures">`; every `<` inside that JSON is written as
`\\u003c`, so no value (a config string containing `</script>`) can end the tag. plotly.js is the
bundle shipped in the `plotly` wheel, so the page needs no network.
"""

from __future__ import annotations

import json
from html import escape

import plotly.io as pio
from plotly.offline import get_plotlyjs

from reports._compare import Comparison
from reports._figures_axes import PLOT_CONFIG
from reports._figures_search import build_figures
from reports._html_script import REPORT_CSS, REPORT_JS
from reports._html_tables import Cell, breakdown_table, details, front_table, gallery, significant, table, text
from reports._importance import Importance
from reports._report_data import CostSummary, ReportData


def embed_json(text_value: str) -> str:
    """JSON text safe inside a script element: `<` only occurs in JSON strings, where `\\u003c` means the same."""
    return text_value.replace("<", "\\u003c")


def figures_json(data: ReportData) -> str:
    """All figures as one JSON object {element id: {"data": [...], "layout": {...}}}."""
    parts = [f"{json.dumps(key)}:{pio.to_json(figure, validate=False)}" for key, figure in build_figures(data).items()]
    return "{" + ",".join(parts) + "}"


def _costs(costs: list[CostSummary]) -> str:
    headers = [("experiment", False), *((h, True) for h in ("trials sampled", "finished", "stopped", "infeasible",
                                                            "failed", "ISR rows", "device-hours", "wall-hours"))]
    rows = [[text(c.experiment), *(Cell(str(v), v) for v in (c.trials, c.finished, c.stopped, c.infeasible, c.failed,
                                                              c.isr_rows)),
             Cell(f"{c.device_hours:.3f}", c.device_hours), Cell(f"{c.wall_hours:.3f}", c.wall_hours)] for c in costs]
    return table(headers, rows, "cost-summary")


def _set_title(data: ReportData, set_name: str) -> str:
    return "–".join(data.objective_labels[o] for o in data.objective_sets[set_name])


def _hypervolumes(data: ReportData) -> str:
    headers = [("experiment", False), *((_set_title(data, s), True) for s in data.objective_sets)]
    rows = [[text(e), *(significant(data.hypervolumes[e][s], 6) for s in data.objective_sets)] for e in data.experiments]
    rows.append([text("reference point"), *(Cell("(" + ", ".join(f"{v:g}" for v in data.references[s]) + ")")
                                            for s in data.objective_sets)])
    return table(headers, rows, "hypervolumes")


def _comparison(data: ReportData, comparison: Comparison) -> str:
    headers = [("objectives", False), (f"HV {comparison.base} (A)", True), (f"HV {comparison.other} (B)", True),
               ("change", True), ("gained", True), ("lost", True)]
    rows = []
    for s in comparison.sets:
        percent = f" ({100 * s.hv_change / s.hv_base:+.1f}%)" if s.hv_base > 0 else ""
        rows.append([text(_set_title(data, s.set_name)), significant(s.hv_base, 6), significant(s.hv_other, 6),
                     Cell(f"{s.hv_change:+.6g}{percent}", s.hv_change), Cell(str(len(s.gained)), len(s.gained)),
                     Cell(str(len(s.lost)), len(s.lost))])
    lists = "".join(
        f"<p><b>{escape(_set_title(data, s.set_name))}</b>: "
        + "".join(f'<span class="gained">+ {escape(k)}</span>; ' for k in s.gained)
        + "".join(f'<span class="lost">− {escape(k)}</span>; ' for k in s.lost)
        + ("no change" if not s.gained and not s.lost else "")
        + "</p>"
        for s in comparison.sets
    )
    return (f"<h3>{escape(comparison.base)} (A) → {escape(comparison.other)} (B)</h3>"
            + table(headers, rows, f"comparison-{comparison.other}") + lists)


def _importance_note(importances: list[Importance], method: str) -> str:
    used = "; ".join(f"{i.target}: {i.samples} {i.rows}" for i in importances)
    return f'<p class="note">Parameter importance, method: {escape(method)}. Rows used — {escape(used)}.</p>'


def _figure(element_id: str, css: str = "figure") -> str:
    return f'<div class="{css}" id="{element_id}"></div>'


def render_html(data: ReportData) -> str:
    title = "segnas report: " + " vs ".join(data.experiments)
    several = len(data.experiments) > 1
    sources = "".join(f"<li>{escape(e)}: <code>{escape(s)}</code></li>" for e, s in zip(data.experiments, data.sources))
    comparisons = "".join(_comparison(data, c) for c in data.comparisons)
    compare_section = f'<section id="comparison"><h2>Comparison</h2>{comparisons}</section>' if comparisons else ""
    scatter = "".join(_figure(f"plot-{spec.set_name}") for spec in data.plots)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{REPORT_CSS}</style>
<script>{get_plotlyjs()}</script></head>
<body>
<h1>{escape(title)}</h1>
<ul>{sources}</ul>
<p class="note">Fronts hold finished trials and ISR settings of finished trials only; stopped trials are drawn
hollow and never ranked (their metrics come from fewer epochs); infeasible and failed rows have no mIoU and are
drawn in the strip under a plot's axis where they have its x value. Ranks are per experiment; duplicate points share
a rank. Plots: drag to zoom, double-click to reset, click a legend entry to hide it, the camera icon saves a PNG;
click a front point for its details.</p>
<div class="pair"><section id="costs"><h2>Cost summary</h2>{_costs(data.costs)}</section>
<section id="hv"><h2>Hypervolume</h2>{_hypervolumes(data)}<p class="note">{escape(data.reference_rule)}.</p>
</section></div>
{compare_section}
<section id="plots"><h2>Accuracy and cost</h2><div class="grid">{scatter}</div></section>
<section id="front"><h2>Front ({escape(_set_title(data, data.table_set))}); click a column to sort, an arch id
for its details</h2>{front_table(data)}<h3>Details of the front rows</h3>{details(data)}</section>
<section id="breakdown-section"><h2>Encoders and decoders</h2><div class="pair">
<div>{breakdown_table(data.breakdown, several)}</div>{_figure("breakdown-plot", "figure grow")}</div></section>
{gallery(data)}
<section id="search"><h2>The search</h2><div class="grid">{_figure("learning-curves")}{_figure("importance")}</div>
{_importance_note(data.importances, data.importance_method)}
{_figure("parallel")}{_figure("history-time")}{_figure("history-cost")}</section>
<script type="application/json" id="plot-config">{json.dumps(PLOT_CONFIG)}</script>
<script type="application/json" id="report-figures">{embed_json(figures_json(data))}</script>
<script>{REPORT_JS}</script>
</body></html>
"""
