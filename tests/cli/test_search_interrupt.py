"""`segnas search` end to end on its own local Ray head: interrupted, it exits non-zero saying how
far it got and keeps every finished row; the same command then continues it to the end."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from pipeline.results_schema import RESULTS_FILE
from tests.search.test_search_ray import POINTS, SPACE, SPEC

CLI = "import sys; from pipeline.cli import main; sys.exit(main(sys.argv[1:]))"


def _environment() -> dict[str, str]:
    # The command starts and addresses its own head: nothing of the test session's Ray may leak in.
    return {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}


@pytest.mark.slow
def test_interrupted_search_exits_nonzero_and_the_same_command_continues(tmp_path: Path) -> None:
    (tmp_path / "space.yaml").write_text(SPACE)
    spec = tmp_path / "spec.yaml"
    text = SPEC.replace("STORAGE", str(tmp_path / "runs")).replace("SPACE", str(tmp_path / "space.yaml"))
    spec.write_text(text.replace("num_samples: 4", "num_samples: 2"))
    exp_dir = tmp_path / "runs" / "ray_test"
    exp_dir.mkdir(parents=True)
    study = optuna.create_study(storage=f"sqlite:///{exp_dir / 'study.db'}", study_name="ray_test",
                                directions=["maximize", "minimize"])
    for point in (POINTS[1], POINTS[0]):  # over budget (ends at once), then one that trains 2 epochs
        study.enqueue_trial(point)

    command = [sys.executable, "-c", CLI, "search", str(spec)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=_environment(), start_new_session=True)
    lines = []
    for line in process.stdout:  # type: ignore[union-attr]
        lines.append(line.rstrip())
        if line.startswith("t0000 infeasible"):
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=300)
    lines += out.splitlines()
    assert process.returncode == 1, (lines, err)
    assert "Tuner.restore" not in out + err and "(resumed)" not in out
    stopped = re.search(r"segnas search: (\d) of 2 trials done \(interrupted by SIGINT\); run the same command "
                        r"to continue", err)
    assert stopped is not None, err
    rows = pd.read_parquet(exp_dir / RESULTS_FILE)
    trials = rows[rows["kind"] == "trial"]
    assert len(trials) == int(stopped.group(1)) and "t0000" in set(trials["trial_id"])
    assert (exp_dir / "ray-head.log").is_file() and (exp_dir / "ray.log").is_file()  # Ray's output, not the console
    assert any(line.startswith("[") and "trials done" in line for line in lines)

    again = subprocess.run(command, capture_output=True, text=True, env=_environment(), timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{len(trials)} before (resumed)" in again.stdout
    rows = pd.read_parquet(exp_dir / RESULTS_FILE)
    trials = rows[rows["kind"] == "trial"]
    assert sorted(trials["trial_id"]) == ["t0000", "t0001"]  # nothing lost, nothing twice
    assert dict(zip(trials["trial_id"], trials["status"])) == {"t0000": "infeasible", "t0001": "finished"}
