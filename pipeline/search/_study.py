"""Where the Optuna study of an experiment lives, so that it resumes wherever the experiment does.

- A local experiment directory keeps `study.db` (SQLite) beside its results.
- An experiment on object storage keeps `study.journal` (Optuna's journal storage, one JSON line
  per change). The driver works on a local copy in the experiment's scratch directory and uploads
  it after every change of a trial's state (each `tell`, each interrupted trial marked failed), so
  a new driver on any machine resumes from the copy in the bucket. Before opening, the bucket's
  copy replaces the local one: it is the authoritative record.
- `storage.study` names an RDB URL (e.g. PostgreSQL) shared by every driver instead.

Open either with optuna-dashboard: `optuna-dashboard sqlite:///<dir>/study.db`, or
`optuna-dashboard <dir>/study.journal` (copy it from the bucket first).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import optuna
from optuna.storages.journal import BaseJournalBackend, JournalFileBackend, JournalStorage

from pipeline.storage import Location, read_bytes, write_bytes_atomic

STUDY_FILE = "study.db"
JOURNAL_FILE = "study.journal"
_SYNC_OPS = {0, 6}  # JournalOperation.CREATE_STUDY, SET_TRIAL_STATE_VALUES (tell, fail, finish)


class SyncedJournalBackend(BaseJournalBackend):
    """A journal file on local disk, uploaded to `remote` after each log batch that changes a trial's state."""

    def __init__(self, local_path: str, remote: Location) -> None:
        self._local_path = local_path
        self._file = JournalFileBackend(local_path)
        self._remote = remote
        self.uploads = 0

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        return self._file.read_logs(log_number_from)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        self._file.append_logs(logs)
        if any(log.get("op_code") in _SYNC_OPS for log in logs):
            self.sync()

    def sync(self) -> None:
        with open(self._local_path, "rb") as file:
            write_bytes_atomic(self._remote, file.read())
        self.uploads += 1


def open_study_storage(location: Location, url: str | None = None) -> optuna.storages.BaseStorage:
    """The study storage of the experiment at `location` (see the module docstring)."""
    if url is not None:
        return optuna.storages.RDBStorage(url)
    if location.is_local:
        location.local_path.mkdir(parents=True, exist_ok=True)
        return optuna.storages.RDBStorage(f"sqlite:///{location.local_path / STUDY_FILE}")
    scratch = location.scratch_dir()
    scratch.mkdir(parents=True, exist_ok=True)
    local = scratch / JOURNAL_FILE
    remote = location.join(JOURNAL_FILE)
    if remote.is_file():
        local.write_bytes(read_bytes(remote))
    else:
        local.unlink(missing_ok=True)  # left by an experiment of the same URI that was deleted from the bucket
    return JournalStorage(SyncedJournalBackend(str(local), remote))
