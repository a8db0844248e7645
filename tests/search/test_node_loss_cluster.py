"""Node loss and driver loss during a submitted search on the test cluster (tests/ray_cluster.py).

A third worker node of the test's own (`node_c`, one CPU) joins the session cluster, so the three
trials of the search fill the three worker nodes, one trial's Ray Train worker on each; with the
nodes' memory held so that each worker node has room for one trial driver and the head for none,
`node_c` also takes a trial's driver (in the runs so far, with its Ray Train controller, of the
same trial). Once the trial training on `node_c` has written a checkpoint, that node's raylet is SIGKILLed (by PID: the
`raylet` child of the node's `ray start --block`): the trial must go on from its latest checkpoint
on a remaining node while the other trials go on. Then the job's driver is SIGKILLed and the same
spec submitted again: the experiment continues, finished trials are not rerun and the interrupted
ones resume. Where each epoch ran is read from the run's history (`train/node`, per epoch), which
a resumed run carries over from its checkpoint.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pipeline import metric_names as m
from pipeline.results_schema import KIND_TRIAL, STATUS_FINISHED
from pipeline.search import read_results
from pipeline.search._driver import DRIVER_MEMORY_BYTES
from pipeline.storage import Location, read_text, resolve_location
from pipeline.training import HISTORY_FILE
from tests.cli.test_submit_cluster import _CLI, SPACE, _segnas, _wait
from tests.ray_cluster import RayCluster, add_node, memory_held, raylet_pid, remove_node
from tests.s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

EPOCHS, CHECKPOINT_EVERY = 8, 2
SPEC = f"""
name: node_loss
dataset:
  layout: synth
  synth: {{seed: 0, num_train: 16, num_val: 4, size: [64, 64], num_classes: 10}}
  transform: {{crop_size: [64, 64], ratio_range: [1.0, 1.0]}}
train: {{epochs: {EPOCHS}, batch_size: 4, lr: 0.01, head_lr_mult: 1.0, warmup_iters: 0,
         checkpoint_every: {CHECKPOINT_EVERY}, keep_checkpoints: 2}}
scaling: {{num_workers: 1, cpus_per_worker: 1}}
storage: {{path: runs}}
search:
  space: {SPACE}
  num_samples: 3
  objectives: {{val/miou: max, cost/params: min}}
  sampler: random
  scheduler: {{type: none}}  # every trial trains all its epochs
  seed: 3
  input_size: [64, 64]
  latency: {{repeats: 2, warmup: 1}}
"""
POLL_S = 0.3
# Room for one trial driver on each worker node and none on the head: node_c is sure to take one.
ROOM = {"head": 0, "node_a": DRIVER_MEMORY_BYTES * 3 // 2, "node_b": DRIVER_MEMORY_BYTES * 3 // 2,
        "node_c": DRIVER_MEMORY_BYTES * 3 // 2}
PHASE_TIMEOUT_S = 420

# Where every actor of the job ran, and the PID of the job's driver.
_JOB = """
import json, os, sys
from ray.job_submission import JobSubmissionClient
from ray.util.state import list_actors
client = JobSubmissionClient(sys.argv[1], headers={"Authorization": "Bearer " + os.environ["RAY_AUTH_TOKEN"]})
info = client.get_job_info(sys.argv[2])
actors = list_actors(address=sys.argv[1], filters=[("job_id", "=", info.job_id)], limit=1000, detail=True,
                     raise_on_missing_output=False)
print(json.dumps({"driver_pid": info.driver_info.pid if info.driver_info else None,
                  "actors": [[a.class_name, a.node_id, a.state] for a in actors]}))
"""


def _job(cluster: RayCluster, env: dict[str, str], job_id: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _JOB, cluster.dashboard_url, job_id], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _histories(runs: Location) -> dict[str, list[dict]]:
    """Each Ray Train run's history so far (run name → one record per epoch)."""
    found = {}
    for name in runs.children() if runs.exists() else []:
        try:
            text = read_text(runs.join(name, HISTORY_FILE))
        except (OSError, FileNotFoundError):
            continue
        found[name] = [json.loads(line) for line in text.splitlines() if line.strip()]
    return found


def _poll(what: str, check, timeout: float = PHASE_TIMEOUT_S):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(POLL_S)
    pytest.fail(f"timed out waiting for {what}")


def _finished_rows(exp: Location) -> list[dict]:
    rows = read_results(exp)
    rows = rows[(rows["kind"] == KIND_TRIAL)]
    return sorted(rows.to_dict("records"), key=lambda r: r["trial_id"])


def _same(row: dict) -> tuple:
    """What identifies a written row: a row rewritten or trained again differs in its time or metrics.

    (Other columns may change type when later rows are appended, e.g. from all-null to float.)"""
    return tuple(row[key] for key in ("trial_id", "arch_id", "status", "epochs", m.VAL_MIOU, "checkpoint_uri",
                                      "finished_at"))


def _where(history: list[dict]) -> list[tuple]:
    return [(r[m.EPOCH], r[m.TRAIN_NODE][:8], round(r[m.TRAIN_EPOCH_S], 3)) for r in history]


def _kept(before: list[dict], after: list[dict]) -> int:
    """Epochs of `before` that `after` still has unchanged (resumed from a checkpoint, not trained again)."""
    kept = 0
    while kept < min(len(before), len(after)) and before[kept] == after[kept]:
        kept += 1
    return kept


def test_node_lost_mid_trial_then_driver_killed(ray_cluster: RayCluster, s3_env: S3Server, tmp_path: Path) -> None:
    s3_server = s3_env  # the test reads the bucket too
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    (job_dir / "spec.yaml").write_text(SPEC)
    storage = f"s3://{s3_server.bucket}/node-loss-{uuid.uuid4().hex[:8]}"
    env = {**ray_cluster.environment(), **s3_server.environment()}
    env.pop("RAY_ADDRESS")  # the commands are given the dashboard address, as a user would
    exp = resolve_location(f"{storage}/node_loss", endpoint=s3_server.endpoint)
    runs = exp.join("runs")
    submit = [*_CLI, "submit", "spec.yaml", "--working-dir", str(job_dir), "--storage", storage,
              "--env", "AWS_ACCESS_KEY_ID", "--env", "AWS_SECRET_ACCESS_KEY", "--env", "AWS_ENDPOINT_URL",
              "--address", ray_cluster.dashboard_url]

    doomed = add_node(ray_cluster, "node_c")
    survivors = {ray_cluster.node_ids["node_a"], ray_cluster.node_ids["node_b"]}
    try:
        with memory_held(ray_cluster, ROOM):
            first = subprocess.run(submit, env=env, cwd=job_dir, capture_output=True, text=True, timeout=300)
            assert first.returncode == 0, first.stderr
            job_id = first.stdout.strip()

            # The trial training on node_c, once its first checkpoint is on the bucket (and epochs remain).
            def on_doomed_node() -> str | None:
                for name, history in _histories(runs).items():
                    if history and history[-1][m.TRAIN_NODE] == doomed and CHECKPOINT_EVERY <= len(history) < EPOCHS \
                            and f"checkpoint_epoch_{CHECKPOINT_EVERY:04d}" in runs.join(name).children():
                        return name
                return None

            run = _poll("a checkpoint of the trial on node_c", on_doomed_node)
            pid = raylet_pid(ray_cluster, "node_c")
            os.kill(pid, signal.SIGKILL)
            killed_at = time.monotonic()
            rows_at_kill = _finished_rows(exp)
            at_kill = _histories(runs)  # every epoch node_c completed

            # The trial's first epoch reported on a remaining node.
            def moved() -> list[dict] | None:
                history = _histories(runs).get(run, [])
                return history if any(r[m.TRAIN_NODE] in survivors for r in history) else None

            at_recovery = _poll("the trial's first report on a remaining node", moved)
            recover_s = time.monotonic() - killed_at
            placed = _job(ray_cluster, env, job_id)
            lost_actors = sorted(cls for cls, node, _ in placed["actors"] if node == doomed)
            print(f"node kill: {recover_s:.1f} s to the first report elsewhere; {_where(at_kill[run])} then "
                  f"{_where(at_recovery)}; lost actors {lost_actors}")

            # The job's driver, SIGKILLed while the search runs; the same spec submitted again continues it.
            before_driver_kill = _histories(runs)
            rows_at_driver_kill = _finished_rows(exp)
            assert placed["driver_pid"], placed
            os.kill(int(placed["driver_pid"]), signal.SIGKILL)
            assert _wait(ray_cluster, env, job_id) == "FAILED"
            first_log = _segnas(ray_cluster, env, "logs", job_id).stdout
            again = subprocess.run(submit, env=env, cwd=job_dir, capture_output=True, text=True, timeout=300)
            assert again.returncode == 0, again.stderr
            second_id = again.stdout.strip()
            state = _wait(ray_cluster, env, second_id)
            logs = _segnas(ray_cluster, env, "logs", second_id).stdout
            assert state == "SUCCEEDED", logs[-4000:]
    finally:
        remove_node(ray_cluster, "node_c")

    # The trial on node_c resumed from its latest checkpoint there, on a remaining node.
    seen = f"{_where(at_kill[run])} then {_where(at_recovery)}; first job's log:\n{first_log[-3000:]}"
    resumed_epoch = _kept(at_kill[run], at_recovery)  # node_c's records, carried over unchanged
    assert resumed_epoch >= CHECKPOINT_EVERY and resumed_epoch % CHECKPOINT_EVERY == 0, seen
    assert all(r[m.TRAIN_NODE] == doomed for r in at_kill[run]), seen
    assert all(r[m.TRAIN_NODE] in survivors for r in at_recovery[resumed_epoch:]), seen
    assert [r[m.EPOCH] for r in at_recovery] == list(range(1, len(at_recovery) + 1)), seen
    redone_node = len(at_kill[run]) - resumed_epoch  # epochs node_c completed that were trained again
    assert redone_node <= CHECKPOINT_EVERY, seen

    # "N before (resumed)" is left out when no row was finished at the driver kill (timing decides).
    summary = re.search(r"search node_loss: (\d+) trials run this time(?:, (\d+) before \(resumed\))?", logs)
    assert summary, logs[-4000:]
    rerun, before = int(summary[1]), int(summary[2] or 0)
    assert before == len(rows_at_driver_kill) and rerun == 3 - before
    rows = _finished_rows(exp)
    assert len(rows) == 3 and len({r["trial_id"] for r in rows}) == 3  # nothing duplicated
    assert all(r["status"] == STATUS_FINISHED and r["epochs"] == EPOCHS for r in rows)
    by_id = {r["trial_id"]: _same(r) for r in rows}
    for row in rows_at_kill + rows_at_driver_kill:  # no finished row lost or rewritten
        assert by_id[row["trial_id"]] == _same(row)

    final = _histories(runs)
    assert sorted(final) == sorted(before_driver_kill) and len(final) == 3
    history = final[run]
    assert [r[m.EPOCH] for r in history] == list(range(1, EPOCHS + 1))
    assert all(r[m.TRAIN_NODE] == doomed for r in history[:resumed_epoch])
    assert history[-1][m.TRAIN_NODE] in survivors  # finished on a remaining node
    # The trial driver on node_c was lost too, and Tune ran that trial again.
    retried = set(re.findall(r"(t\d{4}) retried from its latest checkpoint", first_log))
    assert retried and "ImplicitFunc" in lost_actors, (lost_actors, first_log[-3000:])
    # A trial that finished in the first job without a retry went on through the node's loss untouched.
    trial_of = {r["checkpoint_uri"].split("/runs/")[1].split("/")[0]: r["trial_id"] for r in rows}
    went_on = [name for name in at_kill if name != run and trial_of[name] not in retried
               and trial_of[name] in {r["trial_id"] for r in rows_at_driver_kill}]
    for name in went_on:
        assert _kept(at_kill[name], final[name]) == len(at_kill[name]), (name, first_log[-3000:])
    # No run started over after either kill: at most the epochs since its last checkpoint were redone.
    redone_driver = 0
    for snapshot in (at_kill, before_driver_kill):
        for name, partial in snapshot.items():
            kept = _kept(partial, final[name])
            assert kept >= len(partial) - CHECKPOINT_EVERY, (name, _where(partial), _where(final[name]))
            if snapshot is before_driver_kill:
                redone_driver = max(redone_driver, len(partial) - kept)
    print(f"node_c raylet PID {pid} SIGKILLed after epoch {len(at_kill[run])} of {run} ({trial_of[run]}); actors "
          f"lost with it: {lost_actors}; retried by Tune: {sorted(retried)}; went on untouched: {len(went_on)}; "
          f"first report on a remaining node "
          f"{recover_s:.1f} s after the kill, resumed from epoch {resumed_epoch} ({redone_node} epoch(s) redone); "
          f"finished rows at the node kill {len(rows_at_kill)}, at the driver kill {len(rows_at_driver_kill)}, "
          f"at the end {len(rows)}; the resubmission ran {rerun} trial(s), at most {redone_driver} epoch(s) redone")
