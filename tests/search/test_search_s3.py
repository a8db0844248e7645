"""A search whose experiment lives on a real S3 server: rows, report and study journal go there; the
driver is killed after its first trial and the same command, run again with the local scratch
folder deleted, finishes the search from what is in the bucket."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest

from pipeline.results_schema import RESULTS_FILE
from pipeline.search import read_results
from pipeline.specs import load_spec
from pipeline.storage import read_bytes, read_text
from tests.s3_server import S3Server

pytestmark = pytest.mark.slow

SPEC = """
name: s3_search
dataset:
  layout: synth
  synth: {seed: 0, num_train: 8, num_val: 4, size: [64, 64], num_classes: 10}
  transform: {crop_size: [64, 64], ratio_range: [1.0, 1.0]}
train: {epochs: 1, batch_size: 4, lr: 0.01, head_lr_mult: 1.0, warmup_iters: 0, checkpoint_every: 1, keep_checkpoints: 1}
scaling: {num_workers: 1, cpus_per_worker: 1}
storage: {path: "s3://BUCKET/PREFIX"}
ray: {address: ADDRESS}
search:
  space: SPACE
  num_samples: 2
  objectives: {val/miou: max, cost/params: min}
  sampler: random
  seed: 1
  input_size: [64, 64]
  latency: {repeats: 2, warmup: 1}
  max_concurrent: 1
"""
SPACE = Path(__file__).with_name("tiny_space.yaml")
KILL_TIMEOUT_S = 300


def _search(spec_path: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "import sys; from pipeline.cli import main; sys.exit(main())"]
    # Its own local head, as a user's run would start: the session head's address stays out.
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    return subprocess.Popen([*command, "search", str(spec_path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def test_search_on_s3_resumes_from_the_bucket_after_a_driver_kill(
    ray_local: None, s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ray

    cache = tmp_path / "cache"
    monkeypatch.setenv("SEGNAS_CACHE_DIR", str(cache))
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC.replace("BUCKET", s3_env.bucket).replace("PREFIX", f"search-{uuid.uuid4().hex[:8]}")
                         .replace("SPACE", str(SPACE)).replace("ADDRESS", ray.get_runtime_context().gcs_address))
    exp = load_spec(spec_path).experiment_location()

    driver = _search(spec_path)
    deadline = time.monotonic() + KILL_TIMEOUT_S
    while not exp.join(RESULTS_FILE).is_file():  # the first trial's row is in the bucket
        assert driver.poll() is None, driver.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "no result row within the time limit"
        time.sleep(1.0)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait(timeout=30)
    before = read_results(exp)
    assert len(before) == 1 and before["status"].iloc[0] == "finished"

    shutil.rmtree(cache)  # study journal copy and generated data: the rerun has only the bucket
    rerun = _search(spec_path)
    output = rerun.communicate(timeout=KILL_TIMEOUT_S)[0]
    assert rerun.returncode == 0, output[-3000:]
    after = read_results(exp)
    assert len(after) == 2 and set(after["status"]) <= {"finished", "stopped", "infeasible"}
    # The row written before the kill is kept as it was, not retrained or rewritten.
    assert after.iloc[0].astype(str).to_dict() == before.iloc[0].astype(str).to_dict()  # as text: NaN equals NaN
    assert read_text(exp.join("spec.yaml")) == spec_path.read_text()
    assert b"<html" in read_bytes(exp.join("report.html"))[:2000].lower()
    assert exp.join("pareto.parquet").is_file()
    # The journal in the bucket holds both told trials (it is what the rerun resumed from).
    journal = tmp_path / "study.journal"
    journal.write_bytes(read_bytes(exp.join("study.journal")))
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    trials = optuna.load_study(study_name="s3_search", storage=storage).trials
    told = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE and not t.user_attrs.get("duplicate")]
    assert sorted(str(t.user_attrs.get("status")) for t in told) == sorted(after["status"]), [
        (t.number, t.state, t.user_attrs) for t in trials]
