"""Draw `report.html` from `ReportData`: one self-contained file (inline CSS, JS, SVG and JSON data).

Static parts (sources, cost summary, hypervolumes, comparison, legend) are written here as HTML so
they read without JavaScript; the plots and the sortable table are drawn by `_html_script` from
the JSON embedded in `<script type="application/json" id="report-data">`. Every `<` inside that
JSON is written as `\\u003c`, so no value (a config string containing `</script>`) can end the tag.
"""

from __future__ import annotations

from html import escape

from reports._compare import Comparison
from reports._html_script import REPORT_CSS, REPORT_JS
from reports._report_data import CostSummary, ReportData

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")  # same order as the script's


def embed_json(text: str) -> str:
    """JSON text safe inside a script element: `<` only occurs in JSON strings, where `\\u003c` means the same."""
    return text.replace("<", "\\u003c")


def _table(headers: list[str], rows: list[list[str]], table_id: str) -> str:
    left = ' class="l"'  # the first column holds names: left-aligned
    head = "".join(f"<th{left if i == 0 else ''}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{left if i == 0 else ''}>{escape(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _costs(costs: list[CostSummary]) -> str:
    headers = ["experiment", "trials run", "finished", "stopped", "infeasible", "failed", "ISR rows", "device-hours",
               "wall-hours"]
    rows = [
        [c.experiment, str(c.trials), str(c.finished), str(c.stopped), str(c.infeasible), str(c.failed),
         str(c.isr_rows), f"{c.device_hours:.3f}", f"{c.wall_hours:.3f}"]
        for c in costs
    ]
    return _table(headers, rows, "cost-summary")


def _set_title(data: ReportData, set_name: str) -> str:
    return "–".join(data.objective_labels[o] for o in data.objective_sets[set_name])


def _hypervolumes(data: ReportData) -> str:
    headers = ["experiment", *(_set_title(data, s) for s in data.objective_sets)]
    rows = [[e, *(f"{data.hypervolumes[e][s]:.6g}" for s in data.objective_sets)] for e in data.experiments]
    rows.append(["reference point", *("(" + ", ".join(f"{v:g}" for v in data.references[s]) + ")"
                                      for s in data.objective_sets)])
    return _table(headers, rows, "hypervolumes")


def _comparison(data: ReportData, comparison: Comparison) -> str:
    headers = ["objectives", f"HV {comparison.base} (A)", f"HV {comparison.other} (B)", "change", "gained", "lost"]
    rows = []
    for s in comparison.sets:
        change = s.hv_other - s.hv_base
        percent = f" ({100 * change / s.hv_base:+.1f}%)" if s.hv_base > 0 else ""
        rows.append([_set_title(data, s.set_name), f"{s.hv_base:.6g}", f"{s.hv_other:.6g}", f"{change:+.6g}{percent}",
                     str(len(s.gained)), str(len(s.lost))])
    lists = "".join(
        f"<p><b>{escape(_set_title(data, s.set_name))}</b>: "
        + "".join(f'<span class="gained">+ {escape(k)}</span>; ' for k in s.gained)
        + "".join(f'<span class="lost">− {escape(k)}</span>; ' for k in s.lost)
        + ("no change" if not s.gained and not s.lost else "")
        + "</p>"
        for s in comparison.sets
    )
    return (f"<h3>{escape(comparison.base)} (A) → {escape(comparison.other)} (B)</h3>"
            + _table(headers, rows, f"comparison-{escape(comparison.other)}") + lists)


def _legend(experiments: list[str]) -> str:
    def icon(shape: str) -> str:
        return f'<svg width="16" height="16" viewBox="0 0 16 16">{shape}</svg>'

    items = [
        (icon('<circle cx="8" cy="8" r="5" fill="#555" stroke="#555"/>'), "finished trial (filled)"),
        (icon('<circle cx="8" cy="8" r="5" fill="#fff" stroke="#555" stroke-width="1.5"/>'),
         "stopped trial (hollow; fewer epochs, never on a front)"),
        (icon('<path d="M8,2l6,6l-6,6l-6,-6z" fill="#555"/>'), "ISR setting of a finished trial"),
        (icon('<path d="M3,3L13,13M3,13L13,3" stroke="#888" stroke-width="1.5"/>'), "infeasible or failed"),
        (icon('<circle cx="8" cy="8" r="6" fill="#555" stroke="#000" stroke-width="2"/>'), "on the front (black ring)"),
        (icon('<line x1="1" y1="14" x2="15" y2="2" stroke="#777" stroke-dasharray="3 2"/>'), "base model → ISR point"),
    ]
    items += [(icon(f'<rect x="2" y="2" width="12" height="12" fill="{_COLORS[i % len(_COLORS)]}"/>'), e)
              for i, e in enumerate(experiments)]
    return '<div class="legend" id="legend">' + "".join(f"<span>{i}{escape(t)}</span>" for i, t in items) + "</div>"


def render_html(data: ReportData) -> str:
    title = "segnas report: " + " vs ".join(data.experiments)
    sources = "".join(f"<li>{escape(e)}: <code>{escape(s)}</code></li>" for e, s in zip(data.experiments, data.sources))
    comparisons = "".join(_comparison(data, c) for c in data.comparisons)
    compare_section = f'<section id="comparison"><h2>Comparison</h2>{comparisons}</section>' if comparisons else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{REPORT_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<ul>{sources}</ul>
<p class="note">Fronts hold finished trials and ISR settings of finished trials only; stopped trials are drawn
hollow and never ranked (their metrics come from fewer epochs); infeasible and failed rows have no mIoU.
Ranks are per experiment; duplicate points share a rank.</p>
<section id="costs"><h2>Cost summary</h2>{_costs(data.costs)}</section>
<section id="hv"><h2>Hypervolume</h2><p class="note">{escape(data.reference_rule)}.</p>{_hypervolumes(data)}</section>
{compare_section}
<section id="plots"><h2>Accuracy and cost</h2>{_legend(data.experiments)}
<p class="note">Hover a point for its configuration.</p><div class="plots" id="scatter-plots"></div></section>
<section id="front"><h2>Front ({escape(_set_title(data, data.table_set))}); click a column to sort</h2></section>
<section id="curves-section"><h2>Learning curves</h2><div class="plots" id="curves"></div></section>
<section id="history-section"><h2>Hypervolume over the search (by finished_at)</h2>
<div class="plots" id="history"></div></section>
<script type="application/json" id="report-data">{embed_json(data.to_json())}</script>
<script>{REPORT_JS}</script>
</body></html>
"""
