"""What a person sees of a running search, and what ends it early: `SearchMonitor`.

One console line per trial event (started, rung passed, stopped, finished with mIoU and GMACs,
infeasible with the budget it broke, retried or failed with its reason) followed by one progress
line with the counts and an ETA. Tune's own trial table is off: it shows stopped, infeasible and
finished trials all as TERMINATED.

The monitor also decides when the search stops before its trials are done, through
`SearchStopper.stop_all`: on SIGINT/SIGTERM (`interrupt`), and when no trial has started,
reported or ended for `stall_timeout_s` (the watchdog; the reason names the trials that hold
resources, the ones waiting for them, and the free CPUs). A stop by `stop_all` ends trials without
Tune's completion callbacks, so an interrupted trial writes no row and stays RUNNING in the
Optuna study: the next run asks it again and resumes its checkpoint.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ray.tune import Callback
from ray.tune.stopper import Stopper

from pipeline import metric_names as m
from pipeline.results_schema import STATUS_FAILED, STATUS_FINISHED, STATUS_INFEASIBLE, STATUS_STOPPED
from pipeline.search._searcher import STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.search._trial import ERROR_KEY, trial_name

STATUSES = (STATUS_FINISHED, STATUS_STOPPED, STATUS_INFEASIBLE, STATUS_FAILED)


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _name(trial: Any) -> str:
    number = (trial.config or {}).get(TRIAL_NUMBER_KEY)
    return trial_name(int(number)) if number is not None else str(trial.trial_id)


def error_reason(text: str) -> str:
    """The line of a trial's error text a person needs: our own named errors first, else the last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if "NonFiniteError" in line:
            return line[line.index("NonFiniteError"):]
    return lines[-1] if lines else "trial raised"


class SearchMonitor(Callback):
    def __init__(self, total: int, done_before: int, rungs: tuple[int, ...], stall_timeout_s: float,
                 free_cpus: Callable[[], float] = lambda: math.nan, out: TextIO | None = None) -> None:
        self.total = total
        self.done_before = done_before
        self.rungs = rungs
        self.stall_timeout_s = stall_timeout_s
        self.free_cpus = free_cpus
        self.out = out or sys.stdout
        self.counts = dict.fromkeys(STATUSES, 0)
        self.running: dict[str, float] = {}  # trial name → when it started
        self.pending: set[str] = set()
        self.epochs: dict[str, int] = {}
        self.started = time.monotonic()
        self.last_event = self.started
        self.stop_reason: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Tune saves its callbacks with the experiment state; a console stream does not pickle.
        return {k: v for k, v in self.__dict__.items() if k not in ("out", "free_cpus")}

    # What ends the search early.

    def interrupt(self, signal_name: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = f"interrupted by {signal_name}"
            self._line(f"{signal_name}: stopping; finished rows are kept")

    def check_stall(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if self.stop_reason is None and now - self.last_event > self.stall_timeout_s:
            held = ", ".join(f"{n} (epoch {self.epochs.get(n, 0)})" for n in sorted(self.running)) or "none"
            waiting = ", ".join(sorted(self.pending)) or "none"
            self.stop_reason = (
                f"stalled: no trial started, reported or ended for {now - self.last_event:.0f} s "
                f"(search.stall_timeout_s {self.stall_timeout_s:g}); running trials holding resources: {held}; "
                f"waiting: {waiting}; free CPUs: {self._free_cpus():g}"
            )
            self._line(self.stop_reason)
        return self.stop_reason is not None

    def _free_cpus(self) -> float:
        try:
            return float(self.__dict__.get("free_cpus", lambda: math.nan)())
        except Exception:  # the watchdog must report even when the cluster does not answer
            return math.nan

    # Tune events.

    def on_trial_add(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.pending.add(_name(trial))

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        name = _name(trial)
        self.pending.discard(name)
        self.running[name] = time.monotonic()
        self._event(f"{name} started")

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        self.last_event = time.monotonic()
        if STATUS_KEY in result or m.EPOCH not in result:
            return
        name, epoch = _name(trial), int(result[m.EPOCH])
        previous = self.epochs.get(name, 0)
        self.epochs[name] = epoch
        passed = [rung for rung in self.rungs if previous == rung and epoch > rung]
        if passed:
            self._event(f"{name} passed the epoch-{passed[0]} rung")

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        result = dict(trial.last_result or {})
        status = result.get(STATUS_KEY)
        name = _name(trial)
        if status == STATUS_FINISHED:
            text = (f"{name} finished: mIoU {float(result.get(m.VAL_MIOU, math.nan)):.4f}, "
                    f"{float(result.get(m.COST_GMACS, math.nan)):.3g} GMACs")
        elif status == STATUS_INFEASIBLE:
            status, text = STATUS_INFEASIBLE, f"{name} {result.get(ERROR_KEY, 'infeasible')}"
        elif status == STATUS_FAILED:
            text = f"{name} failed: {result.get(ERROR_KEY, '')}"
        else:
            status = STATUS_STOPPED
            text = f"{name} stopped by the scheduler at epoch {int(result.get(m.EPOCH, 0) or 0)}"
        self._end(name, status, text)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        try:
            reason = error_reason(str(trial.get_error() or ""))
        except Exception as read_error:  # the error file may be on storage that is gone
            reason = f"(error text unavailable: {read_error})"
        name = _name(trial)
        self._end(name, STATUS_FAILED, f"{name} failed: {reason}")

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        try:
            # Tune writes the error text locally first; its copy on the experiment's storage comes later.
            local = getattr(trial, "error_file", None)
            text = Path(local).read_text() if local and Path(local).is_file() else str(trial.get_error() or "")
            reason = error_reason(text)
        except Exception as read_error:  # the error file may be on storage that is gone
            reason = f"(error text unavailable: {read_error})"
        name = _name(trial)
        self.running.pop(name, None)
        self._event(f"{name} retried from its latest checkpoint after: {reason}")

    # Console.

    def _end(self, name: str, status: str, text: str) -> None:
        self.running.pop(name, None)
        self.counts[status] += 1
        self._event(text)

    def _event(self, text: str) -> None:
        self.last_event = time.monotonic()
        self._line(text)
        self._line(self.progress_line())

    def progress_line(self) -> str:
        ended = sum(self.counts.values())
        done = self.done_before + ended
        elapsed = time.monotonic() - self.started
        left = max(0, self.total - done)
        eta = format_duration(elapsed / ended * left) if ended else "unknown"
        counts = ", ".join(f"{self.counts[s]} {s}" for s in STATUSES)
        this_run = f"this run: {counts}" if self.done_before else counts
        return f"[{done}/{self.total} trials done; {this_run}; {len(self.running)} running; " \
               f"elapsed {format_duration(elapsed)}, ETA {eta}]"

    def _line(self, text: str) -> None:
        out = self.__dict__.get("out") or sys.stdout
        out.write(text + "\n")
        out.flush()


class SearchStopper(Stopper):
    """Tune's experiment-level stop, driven by the monitor (signals, watchdog)."""

    def __init__(self, monitor: SearchMonitor) -> None:
        self.monitor = monitor

    def __call__(self, trial_id: str, result: dict) -> bool:
        return False

    def stop_all(self) -> bool:
        return self.monitor.check_stall()
