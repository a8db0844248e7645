"""Prediction gallery of the front models, from the optional `predictions` column of the results.

The column (when the search wrote it) holds, per finished trial row, a JSON list of up to four
objects `{"image", "truth", "pred"}`: base64 PNG thumbnails of a fixed validation image, its
ground-truth mask and the model's prediction. A file without the column, or rows with an empty
string, give no gallery. A value that is not such a list, or an entry that is not three PNGs, is
left out and counted, so one bad row cannot break the report.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import NamedTuple

import pandas as pd

from pipeline import metric_names as m
from pipeline.results_schema import KIND_TRIAL

PREDICTIONS_COLUMN = "predictions"
PANELS = ("image", "truth", "pred")
MAX_SAMPLES = 4
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Sample(NamedTuple):
    image: str  # base64 PNG
    truth: str
    pred: str


class GalleryItem(NamedTuple):
    experiment: str
    row_id: str
    arch_id: str
    miou: float
    samples: tuple[Sample, ...]


class Gallery(NamedTuple):
    items: tuple[GalleryItem, ...]
    skipped: int  # entries left out because they were not three base64 PNGs


def _is_png(text: object) -> bool:
    if not isinstance(text, str) or not text:
        return False
    try:
        decoded = base64.b64decode(text, validate=True)  # the whole string: it goes into an attribute
    except (binascii.Error, ValueError):
        return False
    return decoded.startswith(_PNG_SIGNATURE)


def _samples(value: str) -> tuple[tuple[Sample, ...], int]:
    try:
        entries = json.loads(value)
    except json.JSONDecodeError:
        return (), 1
    if not isinstance(entries, list):
        return (), 1
    samples, skipped = [], 0
    for entry in entries[:MAX_SAMPLES]:
        if isinstance(entry, dict) and all(_is_png(entry.get(p)) for p in PANELS):
            samples.append(Sample(*(entry[p] for p in PANELS)))
        else:
            skipped += 1
    return tuple(samples), skipped


def gallery(ranked: pd.DataFrame, table_set: str) -> Gallery:
    """Front trials of the table's objective set that carry predictions, best mIoU first."""
    if PREDICTIONS_COLUMN not in ranked.columns or ranked.empty:
        return Gallery((), 0)
    rows = ranked[(ranked["kind"] == KIND_TRIAL) & ranked[f"on_front/{table_set}"]]
    items, skipped = [], 0
    for _, row in rows.sort_values(m.VAL_MIOU, ascending=False, kind="stable").iterrows():
        value = row[PREDICTIONS_COLUMN]
        if not isinstance(value, str) or not value.strip():
            continue
        samples, bad = _samples(value)
        skipped += bad
        if samples:
            items.append(GalleryItem(row["experiment"], row["row_id"], row["arch_id"], float(row[m.VAL_MIOU]), samples))
    return Gallery(tuple(items), skipped)
