"""The search console and its stop rules, driven with stand-in Tune trials (no Ray)."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from pipeline import metric_names as m
from pipeline.search._monitor import SearchMonitor, SearchStopper, error_reason
from pipeline.search._searcher import STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.search._trial import ERROR_KEY


def _trial(number: int, last: dict | None = None, error: str = "") -> SimpleNamespace:
    return SimpleNamespace(trial_id=f"id{number}", config={TRIAL_NUMBER_KEY: number}, last_result=last or {},
                           get_error=lambda: error)


def test_one_line_per_event_with_statuses_kept_apart() -> None:
    out = io.StringIO()
    monitor = SearchMonitor(total=7, done_before=2, rungs=(3, 6), stall_timeout_s=60, out=out)
    trials = [_trial(i) for i in range(5)]
    for trial in trials:
        monitor.on_trial_add(0, [], trial)
        monitor.on_trial_start(0, [], trial)
    for epoch in (1, 2, 3, 4):
        monitor.on_trial_result(0, [], trials[0], {m.EPOCH: epoch, m.VAL_MIOU: 0.1})
    trials[0].last_result = {STATUS_KEY: "finished", m.VAL_MIOU: 0.4321, m.COST_GMACS: 0.0123, m.EPOCH: 10}
    monitor.on_trial_complete(0, [], trials[0])
    trials[1].last_result = {m.EPOCH: 3, m.VAL_MIOU: 0.05}
    monitor.on_trial_complete(0, [], trials[1])
    trials[2].last_result = {STATUS_KEY: "infeasible", ERROR_KEY: "infeasible: cost/params 3.4e+06 is 240% over budget"}
    monitor.on_trial_complete(0, [], trials[2])
    trials[3].get_error = lambda: "Traceback ...\n  File x\nNonFiniteError: non-finite loss at epoch 2, step 14\n" \
                                  "\nThe above exception was the direct cause of:\nTrainingFailedError: boom"
    monitor.on_trial_error(0, [], trials[3])
    trials[4].last_result = {STATUS_KEY: "failed", ERROR_KEY: "NonFiniteError: non-finite val/miou (nan) of the trained model"}
    monitor.on_trial_complete(0, [], trials[4])  # failed on its own: reported, not raised
    lines = out.getvalue().splitlines()
    events = [line for line in lines if not line.startswith("[")]
    assert events == [
        "t0000 started", "t0001 started", "t0002 started", "t0003 started", "t0004 started",
        "t0000 passed the epoch-3 rung",
        "t0000 finished: mIoU 0.4321, 0.0123 GMACs",
        "t0001 stopped by the scheduler at epoch 3",
        "t0002 infeasible: cost/params 3.4e+06 is 240% over budget",
        "t0003 failed: NonFiniteError: non-finite loss at epoch 2, step 14",
        "t0004 failed: NonFiniteError: non-finite val/miou (nan) of the trained model",
    ]
    assert all(lines[i + 1].startswith("[") for i, line in enumerate(lines) if not line.startswith("["))
    assert "TERMINATED" not in out.getvalue()
    assert lines[-1].startswith("[7/7 trials done; this run: 1 finished, 1 stopped, 1 infeasible, 2 failed; 0 running;")


def test_a_retried_trial_is_named_with_its_reason_and_counted_once_it_ends() -> None:
    out = io.StringIO()
    monitor = SearchMonitor(total=1, done_before=0, rungs=(), stall_timeout_s=60, out=out)
    trial = _trial(7, error="Traceback ...\nray.exceptions.ActorDiedError: The actor died unexpectedly")
    monitor.on_trial_add(0, [], trial)
    monitor.on_trial_start(0, [], trial)
    monitor.on_trial_recover(0, [], trial)
    assert monitor.running == {}  # waits for a node again, no longer holds one
    monitor.on_trial_start(0, [], trial)
    trial.last_result = {STATUS_KEY: "finished", m.VAL_MIOU: 0.5, m.COST_GMACS: 1.0}
    monitor.on_trial_complete(0, [], trial)
    events = [line for line in out.getvalue().splitlines() if not line.startswith("[")]
    assert events == ["t0007 started",
                      "t0007 retried from its latest checkpoint after: ray.exceptions.ActorDiedError: The actor died "
                      "unexpectedly",
                      "t0007 started", "t0007 finished: mIoU 0.5000, 1 GMACs"]
    assert out.getvalue().splitlines()[-1].startswith("[1/1 trials done; 1 finished, 0 stopped")


def test_a_retry_reason_comes_from_tunes_local_error_file_first(tmp_path: Path) -> None:
    out = io.StringIO()
    monitor = SearchMonitor(total=1, done_before=0, rungs=(), stall_timeout_s=60, out=out)
    trial = _trial(3)  # the copy on the experiment's storage is not written yet: get_error() has nothing
    trial.error_file = str(tmp_path / "error.txt")
    (tmp_path / "error.txt").write_text("Failure # 1\nray.exceptions.ActorUnavailableError: node gone\n")
    monitor.on_trial_recover(0, [], trial)
    assert out.getvalue().splitlines()[0] == \
        "t0003 retried from its latest checkpoint after: ray.exceptions.ActorUnavailableError: node gone"


def test_progress_line_has_an_eta_once_a_trial_ended() -> None:
    monitor = SearchMonitor(total=4, done_before=0, rungs=(), stall_timeout_s=60, out=io.StringIO())
    assert monitor.progress_line().endswith("ETA unknown]")
    monitor.started -= 100.0
    trial = _trial(0, {STATUS_KEY: "finished", m.VAL_MIOU: 0.5, m.COST_GMACS: 1.0})
    monitor.on_trial_start(0, [], trial)
    monitor.on_trial_complete(0, [], trial)
    assert monitor.progress_line().endswith("ETA 0:05:00]")  # 100 s per trial, 3 to go


def test_watchdog_names_what_is_held_and_what_waits() -> None:
    out = io.StringIO()
    monitor = SearchMonitor(total=4, done_before=0, rungs=(), stall_timeout_s=30, free_cpus=lambda: 0.0, out=out)
    stopper = SearchStopper(monitor)
    held, waiting = _trial(0), _trial(1)
    monitor.on_trial_add(0, [], held)
    monitor.on_trial_start(0, [], held)
    monitor.on_trial_result(0, [], held, {m.EPOCH: 2})
    monitor.on_trial_add(0, [], waiting)
    assert not stopper.stop_all()
    monitor.last_event -= 31
    assert stopper.stop_all()
    assert monitor.stop_reason is not None
    assert "no trial started, reported or ended for 31 s" in monitor.stop_reason
    assert "holding resources: t0000 (epoch 2)" in monitor.stop_reason
    assert "waiting: t0001" in monitor.stop_reason and "free CPUs: 0" in monitor.stop_reason


def test_a_signal_stops_the_search_once() -> None:
    out = io.StringIO()
    monitor = SearchMonitor(total=2, done_before=0, rungs=(), stall_timeout_s=30, out=out)
    monitor.interrupt("SIGTERM")
    monitor.interrupt("SIGINT")
    assert SearchStopper(monitor).stop_all() and monitor.stop_reason == "interrupted by SIGTERM"
    assert out.getvalue().count("stopping") == 1


def test_error_reason_falls_back_to_the_last_line() -> None:
    assert error_reason("a\nb\nValueError: x\n") == "ValueError: x"
    assert error_reason("") == "trial raised"


def test_ray_tune_and_optuna_records_go_to_the_log_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import logging

    import optuna

    from pipeline.search._driver import _ray_output

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO)  # Optuna's default; another test may have lowered it
    try:
        with _ray_output(tmp_path / "ray.log", verbose=False):
            logging.getLogger("ray.tune.analysis.experiment_analysis").warning("Failed to fetch metrics")
            logging.getLogger("optuna.storages._rdb.storage").info("A new study created")
    finally:
        optuna.logging.set_verbosity(verbosity)
    assert capsys.readouterr().err == ""
    text = (tmp_path / "ray.log").read_text()
    assert "Failed to fetch metrics" in text and "A new study created" in text
