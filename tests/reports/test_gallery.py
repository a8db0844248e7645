"""Prediction gallery: front trials with predictions only; absent or empty column → no section."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from reports import gather_report, load_experiments, render_html
from tests.reports.results_factory import demo_rows, png_base64, predictions, write_results


def _report(tmp_path: Path, rows: list[dict]) -> tuple:
    data, _ = gather_report(load_experiments([write_results(tmp_path / "exp", rows)]))
    return data, render_html(data)


def test_front_trials_with_predictions_get_a_gallery(tmp_path: Path) -> None:
    rows = demo_rows()
    for row in rows:
        row["predictions"] = ""
    rows[0]["predictions"] = predictions(2)  # t1, on the front
    rows[1]["predictions"] = json.dumps([{"image": png_base64((4, 4), (0, 0, 0)), "truth": "bm90IGEgcG5n",
                                          "pred": png_base64((4, 4), (1, 1, 1))}])  # t2: truth is not a PNG
    rows[2]["predictions"] = predictions(1)  # t3: dominated, not on the front
    data, html = _report(tmp_path, rows)
    assert [item.row_id for item in data.gallery.items] == ["t1"] and data.gallery.skipped == 1
    (item,) = data.gallery.items
    assert len(item.samples) == 2 and base64.b64decode(item.samples[0].pred).startswith(b"\x89PNG")
    body = html.split("</head>", 1)[1]  # the plotly.js bundle in the head has its own data URIs
    assert 'id="gallery"' in body and body.count('src="data:image/png;base64,') == 6
    assert "1 prediction entry left out" in html


def test_no_column_or_empty_values_give_no_gallery(tmp_path: Path) -> None:
    data, html = _report(tmp_path / "none", demo_rows())
    assert data.gallery.items == () and 'id="gallery"' not in html
    rows = demo_rows()
    for row in rows:
        row["predictions"] = ""
    data, html = _report(tmp_path / "empty", rows)
    assert data.gallery.items == () and 'id="gallery"' not in html


def test_malformed_values_are_skipped_not_fatal(tmp_path: Path) -> None:
    rows = demo_rows()
    for row in rows:
        row["predictions"] = ""
    rows[0]["predictions"] = "{not json"
    rows[1]["predictions"] = json.dumps({"image": "x"})  # not a list
    data, html = _report(tmp_path, rows)
    assert data.gallery.items == () and data.gallery.skipped == 2 and 'id="gallery"' not in html
