"""`segnas submit SPEC --address http://HEAD:8265`: run a job spec's search on a Ray cluster through
Ray Job Submission; `segnas status JOB_ID`, `segnas logs JOB_ID` and `segnas stop JOB_ID` follow it.

The job's entrypoint is `segnas search SPEC` run from the uploaded working directory (the
repository: code, `jobs/`, `search_spaces/`); inside a Ray job `ray.init()` joins the cluster,
so the search runs there. The cluster's Python environment must have segnas's dependencies
(the image, or `--pip` packages added to the job's runtime environment).

Ray unpacks the working directory read-only, so the experiment must live elsewhere: a relative
`storage.path` is refused unless `--storage` names a place every node can write (an absolute
path on a shared mount, or `s3://bucket/prefix`). `--env NAME` forwards a variable of this shell
(e.g. AWS credentials) into the job. Every cluster call has a deadline and retries transient
answers (`_job_client.py`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.cli._job_client import CALL_TIMEOUT_S, SUBMIT_TIMEOUT_S, JobClientError, connect, with_retries

HELP = "Submit a job spec's search to a Ray cluster (Ray Job Submission); prints the job id."

# Never uploaded with the working directory: results, environments, data and VCS metadata.
UPLOAD_EXCLUDES = ("runs/", ".venv/", "data/", ".git/", "**/__pycache__/", "*.parquet", "*.db")

ClientFactory = Callable[[str], Any]


def build_submission(spec_path: str | Path, name: str, working_dir: str | Path, pip: list[str] | None = None,
                     now: float | None = None, experiment_dir: str | None = None,
                     env: dict[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments of `JobSubmissionClient.submit_job` for one spec (no cluster needed)."""
    working_dir = Path(working_dir).resolve()
    spec = Path(spec_path).resolve()
    try:
        relative = spec.relative_to(working_dir)
    except ValueError:
        raise ValueError(f"{spec_path}: the spec must lie inside the working directory {working_dir}") from None
    runtime_env: dict[str, Any] = {"working_dir": str(working_dir), "excludes": list(UPLOAD_EXCLUDES)}
    if pip:
        runtime_env["pip"] = list(pip)
    if env:
        runtime_env["env_vars"] = dict(env)
    stamp = int(now if now is not None else time.time())
    entrypoint = f"segnas search {shlex.quote(relative.as_posix())}"
    if experiment_dir is not None:
        entrypoint += f" --experiment-dir {shlex.quote(experiment_dir)}"
    return {
        "entrypoint": entrypoint,
        "runtime_env": runtime_env,
        "submission_id": f"segnas-{name}-{stamp}",
        "metadata": {"segnas_spec": relative.as_posix(), "segnas_experiment": name},
    }


def _address_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"),
                        help="Ray dashboard address, e.g. http://HEAD:8265 (default: $RAY_ADDRESS)")
    parser.add_argument("--token-file", default=None, metavar="FILE",
                        help="the cluster's auth token (default: $RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH, ~/.ray/auth_token)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="job spec YAML with a `search` section")
    _address_arg(parser)
    parser.add_argument("--working-dir", default=".", help="directory uploaded as the job's working dir (default: .)")
    parser.add_argument("--pip", action="append", default=[], metavar="REQ",
                        help="pip requirement installed in the job's environment (repeatable)")
    parser.add_argument("--storage", default=None, metavar="PATH_OR_URI",
                        help="where the job keeps its experiments (replaces storage.path): an absolute path every "
                             "node can write, or s3://bucket/prefix; needed when storage.path is relative")
    parser.add_argument("--env", action="append", default=[], metavar="NAME",
                        help="forward this environment variable's value into the job (repeatable), e.g. AWS_ACCESS_KEY_ID")


def _require_address(args: argparse.Namespace, command: str) -> str | None:
    if not args.address:
        print(f"segnas {command}: no cluster address; pass --address http://HEAD:8265 or set RAY_ADDRESS", file=sys.stderr)
        return None
    return str(args.address)


def _job_storage(spec: Any, spec_path: str, storage: str | None) -> str | None:
    """The experiment dir the job is told to use, or None to keep the spec's (absolute or URI) storage.path."""
    from pipeline.storage import is_uri

    if storage is not None:
        if not is_uri(storage) and not Path(storage).is_absolute():
            raise JobClientError(f"--storage: {storage!r} is relative; the job's working directory is a read-only "
                                 "copy: give an absolute path every node can write, or s3://bucket/prefix")
        return storage.rstrip("/") + "/" + spec.name
    if not is_uri(spec.storage.path) and not Path(spec.storage.path).is_absolute():
        raise JobClientError(f"{spec_path}: storage.path: {spec.storage.path!r} is relative, but a job runs in a "
                             "read-only copy of the working directory; pass --storage s3://bucket/prefix (or an "
                             "absolute path every node can write)")
    return None


def _client_factory(args: argparse.Namespace, client_factory: ClientFactory | None) -> ClientFactory:
    return client_factory or (lambda address: connect(address, args.token_file))


def _forwarded_env(names: list[str]) -> dict[str, str]:
    missing = [name for name in names if name not in os.environ]
    if missing:
        raise JobClientError(f"--env: not set in this shell: {', '.join(missing)}")
    return {name: os.environ[name] for name in names}


def run(args: argparse.Namespace, client_factory: ClientFactory | None = None) -> int:
    from pipeline.specs import load_spec

    address = _require_address(args, "submit")
    if address is None:
        return 2
    spec = load_spec(args.spec)  # fail here, not on the cluster, when the spec is wrong
    if spec.search is None:
        print(f"segnas submit: {args.spec}: the spec has no `search` section", file=sys.stderr)
        return 2
    try:
        experiment_dir = _job_storage(spec, args.spec, args.storage)
        submission = build_submission(args.spec, spec.name, args.working_dir, args.pip, experiment_dir=experiment_dir,
                                      env=_forwarded_env(args.env))
        client = _client_factory(args, client_factory)(address)
        job_id = with_retries(lambda: client.submit_job(**submission), address, SUBMIT_TIMEOUT_S, "submit")
    except JobClientError as error:
        print(f"segnas submit: {error}", file=sys.stderr)
        return 2
    print(job_id)
    return 0


class _JobQuery:
    """`segnas status|logs|stop JOB_ID`: one call on the job submission client, under a deadline."""

    def __init__(self, name: str, help_text: str, call: Callable[[Any, str], Any]) -> None:
        self.name = name
        self.HELP = help_text
        self._call = call

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("job_id", metavar="JOB_ID", help="the id `segnas submit` printed")
        _address_arg(parser)

    def run(self, args: argparse.Namespace, client_factory: ClientFactory | None = None) -> int:
        address = _require_address(args, self.name)
        if address is None:
            return 2
        try:
            client = _client_factory(args, client_factory)(address)
            print(with_retries(lambda: self._call(client, args.job_id), address, CALL_TIMEOUT_S, self.name))
        except JobClientError as error:
            print(f"segnas {self.name}: {error}", file=sys.stderr)
            return 2
        return 0


STATUS = _JobQuery("status", "Status of a submitted search job (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED).",
                   lambda client, job_id: client.get_job_status(job_id))
LOGS = _JobQuery("logs", "Logs of a submitted search job so far.", lambda client, job_id: client.get_job_logs(job_id))
STOP = _JobQuery("stop", "Stop a submitted search job (its finished trials stay; submitting the spec again continues).",
                 lambda client, job_id: f"{job_id}: stop requested" if client.stop_job(job_id)
                 else f"{job_id}: not running (already ended)")
