"""A Ray Job Submission client that cannot hang: deadlines, token auth and retries of transient answers.

Ray's `JobSubmissionClient` sends its HTTP requests without a timeout, so a server that accepts a
connection and never answers blocks it for good. Every call here runs in a daemon thread that the
command stops waiting for at its deadline, and every failure becomes one `JobClientError` line:

- unreachable address (connection refused, unknown host) — at once;
- silent address (accepts, never answers) — after the deadline (`CONNECT_TIMEOUT_S` to connect);
- token missing or rejected — what to set: Ray 2.60 clusters started with `ray start` require
  `RAY_AUTH_MODE=token` and the cluster's token, which is sent when found in `RAY_AUTH_TOKEN`,
  the file `RAY_AUTH_TOKEN_PATH` names, or `~/.ray/auth_token`;
- transient answers of a fresh head ("No available agent to submit job, please try again later",
  HTTP 502/503/504) are retried with a doubling pause, up to `RETRY_BUDGET_S` in all.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pipeline.model_configs import ConfigError

CONNECT_TIMEOUT_S = 20.0  # connect + version check; a silent address fails well within 30 s
CALL_TIMEOUT_S = 60.0  # status, logs, stop
SUBMIT_TIMEOUT_S = 600.0  # submit uploads the working directory first
RETRY_BUDGET_S = 60.0  # time spent retrying transient answers, per call
FIRST_PAUSE_S = 1.0
TRANSIENT_MARKERS = ("No available agent", "try again later", "status code 502", "status code 503", "status code 504")
TOKEN_HELP = ("set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN=<token> (or RAY_AUTH_TOKEN_PATH=<file>; "
              "the head writes it to ~/.ray/auth_token)")

T = TypeVar("T")


class JobClientError(ConfigError):
    """A cluster that cannot be reached or refuses the request; one line saying what to do."""


def find_token(token_file: str | None = None) -> str | None:
    """The cluster token from `token_file`, RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token."""
    if token_file:
        path = Path(token_file).expanduser()
        if not path.is_file():
            raise JobClientError(f"--token-file: no such file {path}")
        return path.read_text().strip() or None
    if os.environ.get("RAY_AUTH_TOKEN"):
        return os.environ["RAY_AUTH_TOKEN"].strip()
    for candidate in (os.environ.get("RAY_AUTH_TOKEN_PATH"), Path.home() / ".ray" / "auth_token"):
        if candidate and Path(candidate).expanduser().is_file():
            return Path(candidate).expanduser().read_text().strip() or None
    return None


def call_with_deadline(call: Callable[[], T], timeout_s: float, what: str) -> T:
    """`call()`, or `JobClientError` when it has not returned within `timeout_s` (the thread is left behind)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, name=f"segnas-job-client: {what}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise JobClientError(f"{what}: no answer within {timeout_s:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _is_transient(error: BaseException) -> bool:
    return any(marker in str(error) for marker in TRANSIENT_MARKERS)


def _describe(error: BaseException, address: str) -> str:
    text = " ".join(str(error).split())
    name = type(error).__name__
    if name == "AuthenticationError" or "Authentication required" in text or "Missing authentication token" in text:
        if "Invalid authentication token" in text or "Authentication failed" in text:
            return f"{address}: the cluster rejected the token; {TOKEN_HELP}"
        return f"{address}: the cluster requires a token; {TOKEN_HELP}"
    if isinstance(error, ConnectionError) or "Failed to connect" in text or "Connection refused" in text:
        return f"{address}: cannot connect (is the Ray head's dashboard listening there?)"
    return f"{address}: {name}: {text[:300]}"


def with_retries(call: Callable[[], T], address: str, timeout_s: float, what: str,
                 budget_s: float = RETRY_BUDGET_S, sleep: Callable[[float], None] = time.sleep) -> T:
    """`call` under a deadline, retried on transient answers with pauses of 1, 2, 4 ... s within `budget_s`."""
    pause, spent = FIRST_PAUSE_S, 0.0
    while True:
        try:
            return call_with_deadline(call, timeout_s, f"{address}: {what}")
        except JobClientError:
            raise
        except Exception as error:
            if not _is_transient(error) or spent + pause > budget_s:
                raise JobClientError(_describe(error, address)) from None
            sleep(pause)
            spent += pause
            pause *= 2


def connect(address: str, token_file: str | None = None) -> Any:
    """A `JobSubmissionClient` for the dashboard at `address`, the token attached when one is found."""
    from ray.job_submission import JobSubmissionClient

    token = find_token(token_file)
    if token is None and os.environ.get("RAY_AUTH_MODE") == "token":
        # Ray's own token loader aborts the process in this case; say it in one line instead.
        raise JobClientError(f"{address}: RAY_AUTH_MODE=token but no token found; {TOKEN_HELP}")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return with_retries(lambda: JobSubmissionClient(address, headers=headers), address, CONNECT_TIMEOUT_S, "connect")
