"""Row writes under storage faults: a failed write keeps the rows, warns, retries, never raises;
temporary files are removed on failure and at start."""

from __future__ import annotations

import errno
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import pipeline.search._results as results
from pipeline.results_schema import RESULTS_FILE
from pipeline.search import load_search_space
from pipeline.search._results import ResultsCallback, RowContext, append_rows
from pipeline.search._searcher import STATUS_KEY, TRIAL_NUMBER_KEY

TINY_SPACE = Path(__file__).resolve().parent / "tiny_space.yaml"


def _callback(tmp_path: Path) -> ResultsCallback:
    context = RowContext("e", load_search_space(TINY_SPACE), 10, 2, 0, 1, "test", {"torch": "x"})
    callback = ResultsCallback(tmp_path, context)
    callback.warnings = []
    callback.warn = callback.warnings.append
    return callback


def _trial(number: int) -> SimpleNamespace:
    point = {"encoder": "mscan", "mscan.strip_kernels": "[7]", "decoder": "mlp_head", "train.lr": 0.01}
    return SimpleNamespace(trial_id=f"id{number}", config={TRIAL_NUMBER_KEY: number, **point},
                           last_result={STATUS_KEY: "infeasible"})


def test_a_failed_row_write_keeps_the_rows_and_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    callback = _callback(tmp_path)
    real = results.append_rows
    failures = iter([OSError(errno.ENOSPC, "No space left on device"), OSError(errno.EROFS, "Read-only file system")])

    def flaky(directory: Path, rows: list) -> Path:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(directory, rows)

    monkeypatch.setattr(results, "append_rows", flaky)
    callback.on_trial_complete(0, [], _trial(0))  # no space: kept
    callback.on_trial_complete(0, [], _trial(1))  # read-only: kept, both pending
    assert len(callback.pending) == 2 and not (tmp_path / RESULTS_FILE).exists()
    assert len(callback.warnings) == 2 and str(tmp_path / RESULTS_FILE) in callback.warnings[0]
    assert "No space left on device" in callback.warnings[0] and "kept in memory" in callback.warnings[0]
    callback.on_trial_complete(0, [], _trial(2))  # storage back: all three rows written at once
    assert callback.pending == [] and callback.flush()
    assert sorted(pd.read_parquet(tmp_path / RESULTS_FILE)["trial_id"]) == ["t0000", "t0001", "t0002"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int) -> None:  # the bytes are in the temporary file; the disk fills on fsync
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pipeline.storage._io.os.fsync", full_disk)
    with pytest.raises(OSError):
        append_rows(tmp_path, [])
    assert list(tmp_path.iterdir()) == []


def test_temporaries_of_killed_writers_are_removed_at_start(tmp_path: Path) -> None:
    from pipeline._atomic import remove_stale_temporaries

    (tmp_path / f".{RESULTS_FILE}.12345.tmp").write_bytes(b"x")
    (tmp_path / "keep.txt").write_text("x")
    assert remove_stale_temporaries(tmp_path, RESULTS_FILE) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
