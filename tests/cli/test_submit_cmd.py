"""`segnas submit/status/logs/stop` against addresses that misbehave: a port that accepts and never
answers, a closed port, a server that wants a token, transient answers, and job storage checks."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.cli import _job_client, main
from pipeline.cli._job_client import JobClientError, with_retries

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "segnas-test-token"


@pytest.fixture
def silent_address() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never reads or answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture
def closed_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


class _TokenDashboard(BaseHTTPRequestHandler):
    """The few routes of Ray's dashboard the status command uses, behind token auth as Ray 2.60 has it."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.headers.get("Authorization") is None:
            return self._answer(401, "Unauthorized: Missing authentication token", "text/plain")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(403, "Forbidden: Invalid authentication token", "text/plain")
        if self.path == "/api/version":
            return self._answer(200, json.dumps({"version": "4", "ray_version": "2.60.0", "ray_commit": "x"}))
        job_id = self.path.rsplit("/", 1)[-1]
        self._answer(200, json.dumps({"type": "SUBMISSION", "submission_id": job_id, "status": "RUNNING",
                                      "entrypoint": "segnas search x.yaml"}))

    def _answer(self, code: int, body: str, kind: str = "application/json") -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def token_dashboard() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenDashboard)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ray/auth_token
    for name in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE"):
        monkeypatch.delenv(name, raising=False)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_the_connect_deadline_is_within_30_seconds() -> None:
    assert _job_client.CONNECT_TIMEOUT_S < 30


@pytest.mark.parametrize("command", ["status", "logs", "stop"])
def test_silent_address_gives_one_line_at_the_deadline(
    command: str, silent_address: str, no_token: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(_job_client, "CONNECT_TIMEOUT_S", 2.0)  # the real deadline is tested above
    started = time.monotonic()
    assert main([command, "job-1", "--address", silent_address]) == 2
    assert time.monotonic() - started < 10
    line = _one_line(capsys.readouterr().err)
    assert line == f"segnas {command}: {silent_address}: connect: no answer within 2 s"


def test_submit_to_a_silent_address_gives_one_line(
    silent_address: str, no_token: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_job_client, "CONNECT_TIMEOUT_S", 2.0)
    monkeypatch.chdir(ROOT)
    assert main(["submit", "jobs/demo.yaml", "--address", silent_address, "--storage", "s3://b/runs"]) == 2
    assert "no answer within 2 s" in _one_line(capsys.readouterr().err)


def test_closed_port_gives_one_line_at_once(closed_address: str, no_token: None,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["status", "job-1", "--address", closed_address]) == 2
    assert time.monotonic() - started < 15
    assert _one_line(capsys.readouterr().err) == (
        f"segnas status: {closed_address}: cannot connect (is the Ray head's dashboard listening there?)")


def test_missing_token_says_what_to_set(token_dashboard: str, no_token: None,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "job-1", "--address", token_dashboard]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "requires a token" in line and "RAY_AUTH_MODE=token" in line and "RAY_AUTH_TOKEN" in line


def test_token_is_passed_through_from_the_environment_or_a_file(
    token_dashboard: str, no_token: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RAY_AUTH_TOKEN", TOKEN)
    assert main(["status", "job-7", "--address", token_dashboard]) == 0
    assert capsys.readouterr().out.strip() == "RUNNING"
    monkeypatch.delenv("RAY_AUTH_TOKEN")
    (tmp_path / ".ray").mkdir()
    (tmp_path / ".ray" / "auth_token").write_text(TOKEN + "\n")  # where `ray start` writes it
    assert main(["status", "job-7", "--address", token_dashboard]) == 0
    wrong = tmp_path / "wrong"
    wrong.write_text("nope")
    assert main(["status", "job-7", "--address", token_dashboard, "--token-file", str(wrong)]) == 2
    assert "rejected the token" in _one_line(capsys.readouterr().err)


def test_transient_answers_are_retried_with_doubling_pauses() -> None:
    answers = iter([RuntimeError("No available agent to submit job, please try again later.")] * 2 + ["job-1"])
    pauses: list[float] = []

    def call() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(call, "http://head:8265", 5, "submit", sleep=pauses.append) == "job-1"
    assert pauses == [1.0, 2.0]


def test_retries_are_bounded() -> None:
    pauses: list[float] = []

    def call() -> str:
        raise RuntimeError("Request failed with status code 503: busy.")

    with pytest.raises(JobClientError, match=r"http://head:8265: RuntimeError: Request failed with status code 503"):
        with_retries(call, "http://head:8265", 5, "submit", budget_s=20, sleep=pauses.append)
    assert pauses == [1.0, 2.0, 4.0, 8.0] and sum(pauses) <= 20


def test_a_non_transient_error_is_not_retried() -> None:
    pauses: list[float] = []

    def call() -> str:
        raise RuntimeError("Request failed with status code 400: bad entrypoint.")

    with pytest.raises(JobClientError, match="status code 400"):
        with_retries(call, "http://head:8265", 5, "submit", sleep=pauses.append)
    assert pauses == []


def test_submit_refuses_a_relative_storage_path(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["submit", "jobs/demo.yaml", "--address", "http://head:8265"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("segnas submit: jobs/demo.yaml: storage.path: 'runs' is relative") and "--storage" in line
    assert main(["submit", "jobs/demo.yaml", "--address", "http://head:8265", "--storage", "runs"]) == 2
    assert "--storage: 'runs' is relative" in _one_line(capsys.readouterr().err)


def test_submit_forwards_named_environment_variables(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import submit_cmd
    from pipeline.cli._main import build_parser

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.delenv("SEGNAS_UNSET_FOR_TEST", raising=False)
    submitted: list[dict] = []

    class Client:
        def submit_job(self, **kwargs: object) -> str:
            submitted.append(kwargs)
            return "job-1"

    args = build_parser().parse_args(["submit", "jobs/demo.yaml", "--address", "http://h:8265", "--storage",
                                      "/shared/runs", "--env", "AWS_ACCESS_KEY_ID"])
    assert submit_cmd.run(args, client_factory=lambda address: Client()) == 0
    assert submitted[0]["runtime_env"]["env_vars"] == {"AWS_ACCESS_KEY_ID": "key"}
    assert submitted[0]["entrypoint"].endswith("--experiment-dir /shared/runs/demo")
    args.env = ["SEGNAS_UNSET_FOR_TEST"]
    assert submit_cmd.run(args, client_factory=lambda address: Client()) == 2
    assert "--env: not set in this shell: SEGNAS_UNSET_FOR_TEST" in capsys.readouterr().err


def test_token_mode_without_a_token_says_what_to_set(no_token: None, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    assert main(["status", "job-1", "--address", "http://127.0.0.1:1"]) == 2
    assert "RAY_AUTH_MODE=token but no token found; set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN" in _one_line(
        capsys.readouterr().err)
