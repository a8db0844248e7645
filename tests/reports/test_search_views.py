"""Parallel-coordinates data and the encoder × decoder breakdown."""

from __future__ import annotations

import json
import math
from pathlib import Path

from reports import gather_report, load_experiments
from reports._search_views import model_parts
from tests.reports.results_factory import demo_rows, write_results


def _model(encoder: str, decoder: str) -> str:
    return json.dumps({"encoder": {"name": encoder}, "decoder": {"name": decoder}, "num_classes": 3})


def test_parallel_dimensions_are_categories_with_inactive_values(tmp_path: Path) -> None:
    rows = demo_rows()
    rows[0]["config/eft.widths[3]"] = 128.0  # t1 only: inactive (NaN) for the others
    data, _ = gather_report(load_experiments([write_results(tmp_path / "exp", rows)]))
    parallel = data.parallel
    assert parallel.row_ids == ("t1", "t2", "t3")  # finished trials only
    by_name = {d.name: d for d in parallel.dimensions}
    assert by_name["depth"].tick_labels == ("1", "2", "3") and by_name["depth"].values == (1.0, 0.0, 2.0)
    assert by_name["eft.widths[3]"].tick_labels == ("n/a", "128") and by_name["eft.widths[3]"].values == (1, 0, 0)
    assert parallel.miou == (0.6, 0.5, 0.4)


def test_breakdown_counts_each_encoder_decoder_pair(tmp_path: Path) -> None:
    rows = demo_rows()
    encoders = {r["trial_id"]: r.get("config/encoder", "mscan") for r in rows if r["kind"] == "trial"}
    for row in rows:  # an ISR row carries the model config of its trial
        encoder = encoders[row["trial_id"]]
        row["model_config"] = _model(encoder, "mlp_head" if encoder == "eft" else "ham")
    rows[5]["model_config"] = ""  # the failed trial never resolved its config
    data, _ = gather_report(load_experiments([write_results(tmp_path / "exp", rows)]))
    by_pair = {(r.encoder, r.decoder): r for r in data.breakdown}
    eft = by_pair[("eft", "mlp_head")]  # t1 (finished, 2 ISR rows) and t4 (stopped); front: t1, its first ISR
    assert (eft.sampled, eft.finished, eft.stopped, eft.infeasible, eft.failed) == (2, 1, 1, 0, 0)
    assert eft.on_front == 2 and eft.best_miou == 0.6 and eft.least_gmacs == 4.0 and eft.best_fps == 70.0
    mscan = by_pair[("mscan", "ham")]  # t2, t3 finished; t5 infeasible
    assert (mscan.sampled, mscan.finished, mscan.infeasible, mscan.on_front) == (3, 2, 1, 1)
    unknown = by_pair[("?", "?")]
    assert (unknown.sampled, unknown.failed, unknown.on_front) == (1, 1, 0) and math.isnan(unknown.best_miou)
    assert data.breakdown[0] == eft  # most front points first


def test_model_parts_reads_names_or_says_unknown() -> None:
    assert model_parts(_model("eft", "eda_decoder")) == ("eft", "eda_decoder")
    assert model_parts("not json") == ("?", "?") and model_parts("[1]") == ("?", "?")
