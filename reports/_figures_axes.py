"""Quantities the report plots: axis titles with units, physical lower bounds, shared figure settings.

Plotly picks round tick values itself; each axis here adds its title (with the unit) and
`autorangeoptions.minallowed`, so padding never takes an axis below what the quantity can be
(no negative FPS, minutes or epochs).
"""

from __future__ import annotations

from html import escape
from typing import Any, NamedTuple

from reports._report_data import Point


class Quantity(NamedTuple):
    title: str  # axis title, unit included
    minimum: float | None  # physical lower bound; None when there is none
    maximum: float | None = None


QUANTITIES: dict[str, Quantity] = {
    "miou": Quantity("mIoU (validation, 0–1)", 0.0),
    "gmacs": Quantity("GMACs per image", 0.0),
    "fps": Quantity("throughput (FPS, images/s)", 0.0),
    "latency_ms": Quantity("latency (ms)", 0.0),
    "epoch": Quantity("epoch", 0.0),
    "minutes": Quantity("minutes since the search started", 0.0),
    "device_hours": Quantity("device-hours spent (workers × wall time, h)", 0.0),
    "hypervolume": Quantity("hypervolume", 0.0),
    "epsilon_squared": Quantity("ε² (share of variance explained, 0–1)", 0.0, 1.0),
    "count": Quantity("configurations sampled", 0.0),
}

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")

_GRID = {"gridcolor": "#e8edf5", "linecolor": "#c8d0dc", "zerolinecolor": "#e8edf5", "automargin": True}
# A small template of our own: plotly's named templates are re-validated for every figure (most of the
# time spent building a report) and embedded in full in each one.
TEMPLATE: dict[str, Any] = {
    "layout": {"paper_bgcolor": "white", "plot_bgcolor": "white", "font": {"color": "#2a3f5f"},
               "xaxis": _GRID, "yaxis": _GRID, "hoverlabel": {"align": "left"}, "colorway": list(COLORS)},
}

# Modebar: zoom, pan, reset and PNG download stay; selection tools select nothing in a report, and
# plotly.js 4 would otherwise offer to upload the chart to its cloud service.
PLOT_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def axis(quantity: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    q = QUANTITIES[quantity]
    bounds = {k: v for k, v in (("minallowed", q.minimum), ("maxallowed", q.maximum)) if v is not None}
    return {"title": {"text": title or q.title}, "autorangeoptions": bounds, "zeroline": False, **extra}


def base_layout(title: str, height: int = 460, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 50, "b": 60},
        "template": TEMPLATE,
        "hovermode": "closest",
        "legend": {"itemclick": "toggle", "itemdoubleclick": "toggleothers"},
        **extra,
    }


def color_of(experiments: list[str], experiment: str) -> str:
    return COLORS[experiments.index(experiment) % len(COLORS)] if experiment in experiments else COLORS[0]


def _number(value: float, digits: int = 4) -> str:
    return "–" if value != value else f"{value:.{digits}g}"  # NaN → dash


def hover_text(p: Point) -> str:
    """Everything known about a row, for its hover box (HTML-escaped: values come from files)."""
    lines = [f"<b>{escape(p.row_id)}</b>  [{escape(p.experiment)}]",
             f"arch {escape(p.arch_id)} · {escape(p.encoder)} + {escape(p.decoder)}",
             f"{p.kind} · {p.status} · epochs {p.epochs}/{p.max_epochs}"]
    if p.isr:
        lines.append(f"ISR {escape(p.isr)} (weights of {escape(p.parent_row_id or p.trial_id)})")
    lines.append(f"mIoU {_number(p.miou)} · GMACs {_number(p.gmacs)} · FPS {_number(p.fps)} · "
                 f"latency {_number(p.latency_ms)} ms · params {p.params / 1e6:.3g} M")
    if p.error:
        lines.append("error: " + escape(p.error[:300]))
    lines += [f"{escape(k)} = {escape(v)}" for k, v in sorted(p.config.items())]
    return "<br>".join(lines)
