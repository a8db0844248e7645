"""The fingerprint records what makes two timings comparable, malloc thresholds included."""

from __future__ import annotations

import json

import pytest
import torch

from pipeline.measure import TIMING_ENV_VARS, collect_fingerprint


def test_fingerprint_records_versions_threads_and_malloc_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "4294967296")
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    fingerprint = collect_fingerprint("cpu")
    assert fingerprint.device == "cpu"
    assert fingerprint.torch_version == torch.__version__
    assert fingerprint.torch_threads == torch.get_num_threads()
    assert fingerprint.cpu_model
    assert fingerprint.env["MALLOC_MMAP_THRESHOLD_"] == "4294967296"
    assert fingerprint.env["MALLOC_TRIM_THRESHOLD_"] is None
    assert set(TIMING_ENV_VARS) == set(fingerprint.env)
    json.dumps(fingerprint.to_dict())  # a JSON row as is
