"""HTML tables and blocks of the report, written in Python so they read without JavaScript:
the front table (sortable by the page's script), each front row's detail, the encoder × decoder
breakdown and the prediction gallery. Every value from a file is escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from html import escape
from typing import NamedTuple

from reports._config_values import TRAIN_PREFIX
from reports._report_data import BreakdownRow, Curve, Point, ReportData

_NAME_COLUMNS = ("encoder", "decoder")  # shown from the model config; their config/<name> twins are skipped


class Cell(NamedTuple):
    """A table cell: its HTML and, for numeric columns, the value the page's script sorts by."""

    text: str
    value: float | None = None

    def html(self, left: bool) -> str:
        value = self.value
        shown = "" if value is None else ("Infinity" if value > 0 else "-Infinity") if math.isinf(value) else repr(value)
        sort = "" if value is None else f' data-value="{shown}"'
        align = ' class="l"' if left else ""
        return f"<td{align}{sort}>{self.text}</td>"


def number(value: float, digits: int) -> Cell:
    if math.isnan(value):
        return Cell("–", math.nan)
    if math.isinf(value):
        return Cell("∞" if value > 0 else "−∞", value)
    return Cell(f"{value:.{digits}f}", value)


def significant(value: float, digits: int = 4) -> Cell:
    """`digits` significant digits, trailing zeros kept so a column reads evenly (0.004300, 0.004174)."""
    return number(value, 0) if math.isnan(value) or math.isinf(value) else Cell(f"{value:#.{digits}g}".rstrip("."), value)


def text(value: str) -> Cell:
    return Cell(escape(value) if value else "–")


def table(headers: Sequence[tuple[str, bool]], rows: Sequence[Sequence[Cell]], table_id: str,
          sortable: bool = False) -> str:
    """`headers`: (title, numeric); numeric columns are right-aligned, the others left."""
    head = "".join(
        f'<th class="{"num" if numeric else "l"}" data-type="{"num" if numeric else "text"}">{escape(h)}</th>'
        for h, numeric in headers
    )
    body = "".join(
        "<tr>" + "".join(c.html(not numeric) for c, (_, numeric) in zip(row, headers)) + "</tr>" for row in rows
    )
    css = ' class="sortable"' if sortable else ""
    return (f'<div class="wide"><table id="{escape(table_id)}"{css}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def detail_id(index: int) -> str:
    return f"detail-{index}"


def front_rows(data: ReportData) -> list[Point]:
    return [p for p in data.points if p.on_front[data.table_set]]


def _config_keys(points: Sequence[Point]) -> list[str]:
    """Training hyperparameters (the learning rate) first: the architecture columns run wide."""
    keys = {k for p in points for k in p.config} - set(_NAME_COLUMNS)
    return sorted(keys, key=lambda k: (not k.startswith(TRAIN_PREFIX), k))


def front_table(data: ReportData) -> str:
    points = front_rows(data)
    keys = _config_keys(points)
    several = len(data.experiments) > 1
    headers = [*([("experiment", False)] if several else []), ("arch id (details)", False), ("row", False),
               ("ISR", False), ("encoder", False), ("decoder", False), ("mIoU", True), ("GMACs", True), ("FPS", True),
               ("latency (ms)", True), ("params (M)", True), ("epochs", True), ("crowding", True),
               *((k, False) for k in keys)]
    rows = []
    for i, p in enumerate(points):
        link = Cell(f'<a href="#{detail_id(i)}">{escape(p.arch_id or p.row_id)}</a>')
        rows.append([*([text(p.experiment)] if several else []), link, text(p.row_id), text(p.isr), text(p.encoder),
                     text(p.decoder), number(p.miou, 4), significant(p.gmacs), number(p.fps, 1),
                     number(p.latency_ms, 2), significant(p.params / 1e6, 3), Cell(str(p.epochs), p.epochs),
                     significant(p.crowding[data.table_set], 3), *(text(p.config.get(k, "")) for k in keys)])
    return table(headers, rows, "front-table", sortable=True)


def _curve_text(curve: Curve | None) -> str:
    if curve is None or not curve.values:
        return "none recorded"
    return ", ".join(f"{epoch}: {value:.4f}" for epoch, value in enumerate(curve.values, start=1))


def _model_config_lines(text_value: str) -> str:
    """One line per part of the resolved model config (encoder, decoder, …): short enough to read whole."""
    try:
        config = json.loads(text_value)
    except (json.JSONDecodeError, TypeError):
        return text_value
    if not isinstance(config, dict):
        return text_value
    return "\n".join(f"{key}: {json.dumps(value, sort_keys=True)}" for key, value in sorted(config.items()))


def details(data: ReportData) -> str:
    curves = {(c.experiment, c.trial_id): c for c in data.curves}
    blocks = []
    for i, p in enumerate(front_rows(data)):
        config = "".join(f'<tr><td class="l">{escape(k)}</td><td class="l">{escape(v)}</td></tr>'
                         for k, v in sorted(p.config.items()))
        checkpoint = (f"<p>checkpoint: <code>{escape(p.checkpoint_uri)}</code></p>" if p.checkpoint_uri
                      else '<p class="note">no checkpoint recorded for this row</p>')
        curve = curves.get((p.experiment, p.trial_id))
        blocks.append(
            f'<details id="{detail_id(i)}" data-row="{escape(p.row_id)}"><summary><b>{escape(p.arch_id)}</b> '
            f"{escape(p.row_id)} [{escape(p.experiment)}] — mIoU {p.miou:.4f}, GMACs {p.gmacs:.4g}</summary>"
            f"<table><tbody>{config}</tbody></table>{checkpoint}"
            f"<p>validation mIoU by epoch{' (of the base model: ISR reuses its weights)' if p.isr else ''}: "
            f"{escape(_curve_text(curve))}</p>"
            f"<pre>{escape(_model_config_lines(p.model_config))}</pre></details>"
        )
    return "".join(blocks)


def breakdown_table(rows: Sequence[BreakdownRow], several: bool) -> str:
    headers = [*([("experiment", False)] if several else []), ("encoder", False), ("decoder", False),
               ("sampled", True), ("finished", True), ("stopped", True), ("infeasible", True), ("failed", True),
               ("on the front", True), ("best mIoU", True), ("least GMACs", True), ("best FPS", True)]
    body = [[*([text(r.experiment)] if several else []), text(r.encoder), text(r.decoder),
             *(Cell(str(v), v) for v in (r.sampled, r.finished, r.stopped, r.infeasible, r.failed, r.on_front)),
             number(r.best_miou, 4), significant(r.least_gmacs), number(r.best_fps, 1)] for r in rows]
    return table(headers, body, "breakdown", sortable=True)


def gallery(data: ReportData) -> str:
    """Empty when no front row carries predictions: the page then has no gallery section."""
    if not data.gallery.items:
        return ""
    figures = []
    for item in data.gallery.items:
        samples = "".join(
            '<div class="sample">' + "".join(
                f'<img alt="{name}" title="{name}" src="data:image/png;base64,{png}">'
                for name, png in (("image", s.image), ("ground truth", s.truth), ("prediction", s.pred))
            ) + "</div>"
            for s in item.samples
        )
        figures.append(f'<figure data-row="{escape(item.row_id)}"><figcaption><b>{escape(item.arch_id)}</b> '
                       f"{escape(item.row_id)} [{escape(item.experiment)}], mIoU {item.miou:.4f}</figcaption>"
                       f'<div class="samples">{samples}</div></figure>')
    skipped = (f'<p class="note">{data.gallery.skipped} prediction entr{"y" if data.gallery.skipped == 1 else "ies"} '
               "left out: not three base64 PNGs.</p>") if data.gallery.skipped else ""
    return ('<section id="gallery"><h2>Predictions of the front models</h2><p class="note">Each sample: the '
            "validation image, its ground truth and the model's prediction (dataset palette).</p>"
            f'<div class="gallery">{"".join(figures)}</div>{skipped}</section>')
