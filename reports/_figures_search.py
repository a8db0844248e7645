"""Plotly figures about the search: learning curves, hypervolume against time and device-hours,
parallel coordinates of the searched dimensions, parameter importance, the encoder × decoder breakdown.

Each function takes gathered data (`ReportData` or one of its NamedTuples) and returns a figure;
`build_figures` returns them all, keyed by the id of the element that shows them.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from pipeline.results_schema import STATUS_FAILED, STATUS_FINISHED, STATUS_INFEASIBLE, STATUS_STOPPED
from reports._figures_axes import COLORS, TEMPLATE, axis, base_layout, color_of
from reports._figures_fronts import front_figure
from reports._report_data import ReportData

CURVE_COLORS = tuple(qualitative.Dark24)  # many trials: a long palette, so colours rarely repeat


def _set_title(data: ReportData, set_name: str) -> str:
    return "–".join(data.objective_labels[o] for o in data.objective_sets[set_name])


def curves_figure(data: ReportData) -> go.Figure:
    several = len(data.experiments) > 1
    traces = []
    for i, c in enumerate(data.curves):
        stopped = c.status != STATUS_FINISHED
        name = f"{c.experiment}: {c.trial_id}" if several else c.trial_id
        traces.append(go.Scatter(
            x=list(range(1, len(c.values) + 1)), y=c.values, mode="lines+markers",
            name=name + (" (stopped)" if stopped else ""),
            line={"color": CURVE_COLORS[i % len(CURVE_COLORS)], "dash": "dash" if stopped else "solid", "width": 1.5},
            marker={"size": 5, "symbol": "circle-open" if stopped else "circle"},
            hovertemplate=f"{name} · arch {c.arch_id} · {c.status}<br>epoch %{{x}}: mIoU %{{y:.4f}}<extra></extra>",
            meta={"role": "curve", "status": c.status, "trial_id": c.trial_id},
        ))
    layout = base_layout("Validation mIoU per epoch (dashed: stopped early)", height=480)
    layout["xaxis"] = axis("epoch", dtick=1 if max((len(c.values) for c in data.curves), default=0) <= 20 else None)
    layout["yaxis"] = axis("miou")
    return go.Figure(data=traces, layout=layout)


def history_figure(data: ReportData, x: str) -> go.Figure:
    """Hypervolume after each row, one panel per objective set; `x` is "minutes" or "device_hours"."""
    sets = list(data.objective_sets)
    figure = make_subplots(rows=2, cols=2, subplot_titles=[_set_title(data, s) for s in sets],
                           horizontal_spacing=0.12, vertical_spacing=0.16,
                           figure=go.Figure(layout={"template": TEMPLATE}))
    for i, set_name in enumerate(sets):
        row, col = i // 2 + 1, i % 2 + 1
        for experiment in data.experiments:
            steps = data.history[experiment][set_name]
            figure.add_trace(go.Scatter(
                x=[getattr(s, x) for s in steps], y=[s.hypervolume for s in steps], mode="lines",
                line={"shape": "hv", "color": color_of(data.experiments, experiment), "width": 2},
                name=experiment, legendgroup=experiment, showlegend=i == 0,
                hovertemplate=f"{experiment}<br>%{{x:.3g}}: hypervolume %{{y:.4g}}<extra></extra>",
                meta={"role": "history", "set": set_name, "experiment": experiment},
            ), row=row, col=col)
        units = " × ".join(data.objective_labels[o] for o in data.objective_sets[set_name])
        figure.update_xaxes(**axis(x), row=row, col=col)
        figure.update_yaxes(**axis("hypervolume", title=f"hypervolume ({units})"), row=row, col=col)
    what = "wall-clock time" if x == "minutes" else "device-hours spent (the search's cost)"
    figure.update_layout(**base_layout(f"Hypervolume over the search, against {what}", height=640))
    return figure


def parallel_figure(data: ReportData) -> go.Figure:
    parallel = data.parallel
    layout = base_layout("Searched dimensions of the finished trials, coloured by mIoU", height=480)
    layout["margin"] = {"l": 90, "r": 60, "t": 110, "b": 40}
    if not parallel.row_ids or not parallel.dimensions:
        layout["annotations"] = [{"text": "No finished trial with searched dimensions.", "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}]
        return go.Figure(layout=layout)
    dimensions: list[dict[str, Any]] = []
    for d in parallel.dimensions:
        entry: dict[str, Any] = {"label": d.name, "values": list(d.values)}
        if d.tick_values:
            entry.update(tickvals=list(d.tick_values), ticktext=list(d.tick_labels),
                         range=[-0.3, max(d.tick_values) + 0.3])
        dimensions.append(entry)
    dimensions.append({"label": "mIoU", "values": list(parallel.miou)})
    trace = go.Parcoords(
        line={"color": list(parallel.miou), "colorscale": "Viridis", "showscale": True,
              "colorbar": {"title": {"text": "mIoU"}}},
        dimensions=dimensions, labelangle=-20, labelside="top",
        meta={"role": "parallel", "count": len(parallel.row_ids)},
    )
    return go.Figure(data=[trace], layout=layout)


def importance_figure(data: ReportData) -> go.Figure:
    traces = []
    order = list(data.importances[0].dimensions) if data.importances else []
    for i, imp in enumerate(data.importances):
        value = dict(zip(imp.dimensions, imp.values))
        ys = [name for name in order if value.get(name) == value.get(name)]  # measurable (not NaN) only
        if not ys:
            continue
        traces.append(go.Bar(
            y=ys, x=[value[n] for n in ys], orientation="h", name=f"{imp.target} ({imp.samples} {imp.rows})",
            marker={"color": COLORS[i % len(COLORS)]},
            hovertemplate=f"{imp.target}: %{{y}} ε² = %{{x:.3f}}<extra></extra>",
            meta={"role": "importance", "target": imp.target},
        ))
    layout = base_layout("Parameter importance (ε², each dimension alone)", height=max(320, 60 + 34 * len(order)),
                         barmode="group")
    layout["xaxis"] = axis("epsilon_squared", range=[0, 1])  # a share: the full scale reads as one
    layout["yaxis"] = {"autorange": "reversed", "automargin": True}
    if not traces:
        layout["annotations"] = [{"text": "Too few trials to measure importance.", "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}]
    return go.Figure(data=traces, layout=layout)


_STATUS_COLORS = {STATUS_FINISHED: "#2ca02c", STATUS_STOPPED: "#ff7f0e", STATUS_INFEASIBLE: "#7f7f7f",
                  STATUS_FAILED: "#d62728"}


def breakdown_figure(data: ReportData) -> go.Figure:
    rows = data.breakdown
    several = len(data.experiments) > 1
    labels = [(f"{r.experiment}: " if several else "") + f"{r.encoder} + {r.decoder}" for r in rows]
    traces = []
    for status, color in _STATUS_COLORS.items():
        counts = [getattr(r, status) for r in rows]
        if any(counts):
            traces.append(go.Bar(x=labels, y=counts, name=status, marker={"color": color},
                                 hovertemplate=f"%{{x}}: %{{y}} {status}<extra></extra>",
                                 meta={"role": "breakdown", "status": status}))
    fronts = [r.on_front for r in rows]
    if rows:
        traces.append(go.Scatter(x=labels, y=[r.sampled for r in rows], mode="text", text=[f"{f} on front" for f in fronts],
                                 textposition="top center", showlegend=False, hoverinfo="skip",
                                 meta={"role": "breakdown-labels"}))
    layout = base_layout(f"Trials per encoder × decoder (front: {_set_title(data, data.table_set)})",
                         height=420, barmode="stack")
    layout["yaxis"] = axis("count")
    return go.Figure(data=traces, layout=layout)


def build_figures(data: ReportData) -> dict[str, go.Figure]:
    """Every figure of the report, keyed by the id of its element, in page order."""
    figures = {f"plot-{spec.set_name}": front_figure(data, spec) for spec in data.plots}
    figures["breakdown-plot"] = breakdown_figure(data)
    figures["learning-curves"] = curves_figure(data)
    figures["history-time"] = history_figure(data, "minutes")
    figures["history-cost"] = history_figure(data, "device_hours")
    figures["parallel"] = parallel_figure(data)
    figures["importance"] = importance_figure(data)
    return figures
