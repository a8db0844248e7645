"""`segnas search` argument handling and `segnas submit/status/logs` submission building, without a cluster."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pipeline.cli import main, submit_cmd
from pipeline.cli._main import build_parser

ROOT = Path(__file__).resolve().parents[2]


class FakeClient:
    def __init__(self, address: str) -> None:
        self.address = address
        self.calls: list[tuple[str, object]] = []

    def submit_job(self, **kwargs: object) -> str:
        self.calls.append(("submit", kwargs))
        return str(kwargs["submission_id"])

    def get_job_status(self, job_id: str) -> str:
        return f"RUNNING({job_id})"

    def get_job_logs(self, job_id: str) -> str:
        return f"logs of {job_id}"


def test_build_submission_uploads_repo_and_runs_segnas_search() -> None:
    kwargs = submit_cmd.build_submission(ROOT / "jobs" / "demo.yaml", "demo", ROOT, pip=["optuna>=4"], now=1000)
    assert kwargs["entrypoint"] == "segnas search jobs/demo.yaml"
    assert kwargs["runtime_env"]["working_dir"] == str(ROOT)
    assert "runs/" in kwargs["runtime_env"]["excludes"] and ".venv/" in kwargs["runtime_env"]["excludes"]
    assert kwargs["runtime_env"]["pip"] == ["optuna>=4"]
    assert kwargs["submission_id"] == "segnas-demo-1000"


def test_spec_outside_working_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="inside the working directory"):
        submit_cmd.build_submission(tmp_path / "x.yaml", "x", ROOT)


def test_submit_status_logs_go_through_the_client(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    clients: list[FakeClient] = []

    def factory(address: str) -> FakeClient:
        clients.append(FakeClient(address))
        return clients[-1]

    args = build_parser().parse_args(["submit", "jobs/demo.yaml", "--address", "http://head:8265",
                                      "--storage", "s3://bucket/runs"])
    assert submit_cmd.run(args, client_factory=factory) == 0
    job_id = capsys.readouterr().out.strip()
    assert job_id.startswith("segnas-demo-") and clients[0].address == "http://head:8265"
    (name, kwargs), = clients[0].calls
    assert kwargs["entrypoint"] == "segnas search jobs/demo.yaml --experiment-dir s3://bucket/runs/demo"  # type: ignore[index]
    status = build_parser().parse_args(["status", job_id, "--address", "http://head:8265"])
    assert submit_cmd.STATUS.run(status, client_factory=factory) == 0
    logs = build_parser().parse_args(["logs", job_id, "--address", "http://head:8265"])
    assert submit_cmd.LOGS.run(logs, client_factory=factory) == 0
    out = capsys.readouterr().out
    assert f"RUNNING({job_id})" in out and f"logs of {job_id}" in out


def test_submit_without_address_fails_clearly(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.chdir(ROOT)
    assert main(["submit", "jobs/demo.yaml"]) == 2
    assert "no cluster address" in capsys.readouterr().err


def test_search_rejects_a_spec_without_search_section(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["search", "jobs/demo_train.yaml"]) == 2
    assert "no `search` section" in capsys.readouterr().err


def test_search_spec_error_names_file_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "jobs" / "demo.yaml").read_text().replace("num_samples:", "num_sample:")
    spec = tmp_path / "bad.yaml"
    spec.write_text(text.replace("search_spaces/demo.yaml", str(ROOT / "search_spaces" / "demo.yaml")))
    assert main(["search", str(spec)]) == 2
    err = capsys.readouterr().err
    assert str(spec) in err and "search.num_sample" in err and "did you mean 'num_samples'" in err


def test_parser_knows_the_commands() -> None:
    parser = build_parser()
    for command in ("search", "submit", "status", "logs"):
        assert isinstance(parser.parse_args([command, "x"] + (["--address", "a"] if command != "search" else [])), argparse.Namespace)
