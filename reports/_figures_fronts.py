"""Accuracy-against-cost scatter plots, one per objective pair, as plotly figures.

Every status has its own trace (and so its own legend entry, drawn exactly as its points are):
finished trials filled circles, ISR settings diamonds, front members ringed in black and joined by
the front's staircase, stopped trials hollow circles (never ranked). Infeasible and failed rows
have no mIoU; where they have the plot's x value they are drawn in a strip under the axis, so the
rejected part of the space is visible. Each trace's `meta` names its role, status and kind: the
browser test reads the figures back and counts points per status.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import plotly.graph_objects as go

from pipeline.results_schema import KIND_ISR, KIND_TRIAL, STATUS_FAILED, STATUS_INFEASIBLE, STATUS_STOPPED
from reports._figures_axes import axis, base_layout, color_of, hover_text
from reports._fronts import OBJECTIVES
from reports._report_data import PlotSpec, Point, ReportData


class PointStyle(NamedTuple):
    name: str  # legend entry
    symbol: str
    size: int
    ringed: bool  # black outline: on the front
    filled: bool


class Category(NamedTuple):
    key: str
    style: PointStyle
    belongs: Callable[[Point, str], bool]  # (point, objective set) → in this trace
    strip: bool  # drawn in the strip for rows without the y value


def _trained(p: Point) -> bool:
    return p.status not in (STATUS_INFEASIBLE, STATUS_FAILED)


CATEGORIES: tuple[Category, ...] = (
    Category("finished", PointStyle("finished trial", "circle", 8, False, True),
             lambda p, s: p.kind == KIND_TRIAL and p.eligible and not p.on_front[s], False),
    Category("isr", PointStyle("ISR setting of a finished trial", "diamond", 9, False, True),
             lambda p, s: p.kind == KIND_ISR and p.eligible and not p.on_front[s], False),
    Category("front", PointStyle("finished trial on the front", "circle", 11, True, True),
             lambda p, s: p.kind == KIND_TRIAL and p.on_front[s], False),
    Category("isr-front", PointStyle("ISR setting on the front", "diamond", 12, True, True),
             lambda p, s: p.kind == KIND_ISR and p.on_front[s], False),
    Category("stopped", PointStyle("stopped early (fewer epochs, never ranked)", "circle-open", 9, False, False),
             lambda p, s: p.kind == KIND_TRIAL and p.status == STATUS_STOPPED, False),
    Category("isr-unranked", PointStyle("ISR setting of a trial that did not finish", "diamond-open", 9, False, False),
             lambda p, s: p.kind == KIND_ISR and not p.eligible and _trained(p), False),
    Category("infeasible", PointStyle("infeasible: rejected by the cost gate, not trained", "x", 9, False, True),
             lambda p, s: p.status == STATUS_INFEASIBLE, True),
    Category("failed", PointStyle("failed while training", "star-triangle-down", 10, False, True),
             lambda p, s: p.status == STATUS_FAILED, True),
)

STRIP_AXIS = "y2"


def _value(p: Point, name: str) -> float:
    return float(getattr(p, name))


def _finite(value: float) -> bool:
    return not math.isnan(value) and not math.isinf(value)


def _point_trace(points: list[Point], category: Category, spec: PlotSpec, color: str, prefix: str,
                 group: str) -> go.Scatter:
    style = category.style
    on_strip = category.strip
    return go.Scatter(
        x=[_value(p, spec.x) for p in points],
        y=[0.0 if on_strip else _value(p, spec.y) for p in points],
        yaxis=STRIP_AXIS if on_strip else "y",
        mode="markers",
        name=prefix + style.name,
        legendgroup=group,
        marker={"symbol": style.symbol, "size": style.size, "color": color,
                "line": {"color": "#000" if style.ringed else color, "width": 2 if style.ringed or not style.filled else 0}},
        text=[hover_text(p) for p in points],
        customdata=[p.row_id for p in points],
        hovertemplate="%{text}<extra></extra>",
        meta={"role": "points", "category": category.key, "experiment": points[0].experiment},
    )


def _front_line(points: list[Point], spec: PlotSpec, color: str, prefix: str, group: str) -> go.Scatter | None:
    """The front as a staircase, best-first along x: the boundary of what its points dominate."""
    front = [p for p in points if p.on_front[spec.set_name]]
    if len(front) < 2:
        return None
    sign = -1.0 if OBJECTIVES[spec.x].maximize else 1.0
    front.sort(key=lambda p: sign * _value(p, spec.x))
    return go.Scatter(
        x=[_value(p, spec.x) for p in front], y=[_value(p, spec.y) for p in front], mode="lines",
        line={"shape": "hv", "color": color, "width": 1.5}, opacity=0.7, name=prefix + "front (staircase)",
        legendgroup=group, hoverinfo="skip", meta={"role": "front-line", "experiment": front[0].experiment},
    )


def _isr_links(points: list[Point], spec: PlotSpec, prefix: str, group: str) -> go.Scatter | None:
    """Dashed segment from each ISR point to the model whose weights it evaluates (None breaks the line)."""
    by_row = {p.row_id: p for p in points}
    xs: list[float | None] = []
    ys: list[float | None] = []
    for p in points:
        parent = by_row.get(p.parent_row_id) if p.kind == KIND_ISR else None
        if parent is None:
            continue
        xs += [_value(parent, spec.x), _value(p, spec.x), None]
        ys += [_value(parent, spec.y), _value(p, spec.y), None]
    if not xs:
        return None
    return go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#777", "dash": "dot", "width": 1},
                      name=prefix + "ISR setting ← its base model", legendgroup=group, hoverinfo="skip",
                      meta={"role": "isr-links", "count": len(xs) // 3, "experiment": points[0].experiment})


def front_figure(data: ReportData, spec: PlotSpec) -> go.Figure:
    x_label, y_label = OBJECTIVES[spec.x].label, OBJECTIVES[spec.y].label
    arrows = f"{'↑' if OBJECTIVES[spec.y].maximize else '↓'} {y_label}, {'↑' if OBJECTIVES[spec.x].maximize else '↓'} {x_label} better"
    traces: list[Any] = []
    several = len(data.experiments) > 1
    strip_used = False
    for experiment in data.experiments:
        prefix, color = (f"{experiment}: " if several else ""), color_of(data.experiments, experiment)
        group = experiment if several else ""  # a horizontal legend lays groups side by side, items in columns
        rows = [p for p in data.points if p.experiment == experiment and _finite(_value(p, spec.x))]
        drawn = [p for p in rows if _finite(_value(p, spec.y))]
        for make in (_front_line(drawn, spec, color, prefix, group), _isr_links(drawn, spec, prefix, group)):
            if make is not None:
                traces.append(make)
        for category in CATEGORIES:
            pool = [p for p in rows if not _finite(_value(p, spec.y))] if category.strip else drawn
            members = [p for p in pool if category.belongs(p, spec.set_name)]
            if members:
                traces.append(_point_trace(members, category, spec, color, prefix, group))
                strip_used = strip_used or category.strip
    layout = base_layout(f"{y_label} vs {x_label} ({arrows})", height=500)
    layout["xaxis"] = axis(spec.x, anchor=STRIP_AXIS if strip_used else "y")
    layout["yaxis"] = axis(spec.y, domain=[0.14, 1.0] if strip_used else [0.0, 1.0])
    if strip_used:
        layout["yaxis2"] = {"domain": [0.0, 0.07], "range": [-1, 1], "fixedrange": True, "tickvals": [0],
                            "ticktext": [f"no {y_label}"], "showgrid": False, "zeroline": False}
    if not traces:
        layout["annotations"] = [{"text": f"No row has both {x_label} and {y_label}.", "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}]
    layout["legend"] = {**layout["legend"], "orientation": "h", "y": -0.18, "yanchor": "top"}
    layout["margin"] = {**layout["margin"], "b": 40}
    return go.Figure(data=traces, layout=layout)
