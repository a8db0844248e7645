"""The study store: SQLite beside local results; on S3 a journal synced after every tell, resumable
from the bucket alone."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import optuna
import pytest

from pipeline.search._study import JOURNAL_FILE, STUDY_FILE, SyncedJournalBackend, open_study_storage
from pipeline.storage import read_bytes, resolve_location
from tests.s3_server import S3Server


def _journal_trials(data: bytes, tmp_path: Path) -> list[optuna.trial.FrozenTrial]:
    copy = tmp_path / f"copy-{uuid.uuid4().hex[:6]}.journal"
    copy.write_bytes(data)
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(copy)))
    return optuna.load_study(study_name="s", storage=storage).trials


def test_local_experiment_keeps_sqlite_beside_its_results(tmp_path: Path) -> None:
    storage = open_study_storage(resolve_location(tmp_path / "exp"))
    optuna.create_study(study_name="s", storage=storage).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert (tmp_path / "exp" / STUDY_FILE).is_file()


def test_s3_journal_is_uploaded_after_each_tell_and_resumes_from_the_bucket(
    s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGNAS_CACHE_DIR", str(tmp_path / "cache"))
    exp = resolve_location(f"s3://{s3_env.bucket}/study-{uuid.uuid4().hex[:8]}/exp")
    storage = open_study_storage(exp)
    backend = storage._backend
    assert isinstance(backend, SyncedJournalBackend)
    study = optuna.create_study(study_name="s", storage=storage)
    created = backend.uploads
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.set_user_attr("arch_id", "a")
    assert backend.uploads == created  # asking and attributes: local only
    study.tell(trial, 0.5)
    assert backend.uploads == created + 1
    remote = _journal_trials(read_bytes(exp.join(JOURNAL_FILE)), tmp_path)
    assert [(t.state, t.value, t.user_attrs) for t in remote] == [(optuna.trial.TrialState.COMPLETE, 0.5, {"arch_id": "a"})]

    shutil.rmtree(tmp_path / "cache")  # a new driver elsewhere: only the bucket's copy exists
    resumed = optuna.load_study(study_name="s", storage=open_study_storage(exp))
    assert [t.value for t in resumed.trials] == [0.5]
    resumed.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert len(_journal_trials(read_bytes(exp.join(JOURNAL_FILE)), tmp_path)) == 2


def test_a_local_journal_without_a_bucket_copy_is_not_resumed(
    s3_env: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGNAS_CACHE_DIR", str(tmp_path / "cache"))
    exp = resolve_location(f"s3://{s3_env.bucket}/study-{uuid.uuid4().hex[:8]}/exp")
    stale = exp.scratch_dir() / JOURNAL_FILE
    stale.parent.mkdir(parents=True)
    stale.write_text("left by a deleted experiment\n")
    storage = open_study_storage(exp)
    assert optuna.get_all_study_summaries(storage) == []


def test_an_rdb_url_in_the_spec_is_used_as_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    storage = open_study_storage(resolve_location(tmp_path / "exp"), url)
    assert isinstance(storage, optuna.storages.RDBStorage) and (tmp_path / "shared.db").is_file()
