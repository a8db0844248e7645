"""`segnas submit SPEC --address http://HEAD:8265`: run a job spec's search on a Ray cluster through
Ray Job Submission; `segnas status JOB_ID` and `segnas logs JOB_ID` follow it.

The job's entrypoint is `segnas search SPEC` run from the uploaded working directory (the
repository: code, `jobs/`, `search_spaces/`); inside a Ray job `ray.init()` joins the cluster,
so the search runs there. The cluster's Python environment must have segnas's dependencies
(the image, or `--pip` packages added to the job's runtime environment).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HELP = "Submit a job spec's search to a Ray cluster (Ray Job Submission); prints the job id."

# Never uploaded with the working directory: results, environments, data and VCS metadata.
UPLOAD_EXCLUDES = ("runs/", ".venv/", "data/", ".git/", "**/__pycache__/", "*.parquet", "*.db")

ClientFactory = Callable[[str], Any]


def _client(address: str) -> Any:
    from ray.job_submission import JobSubmissionClient

    return JobSubmissionClient(address)


def build_submission(spec_path: str | Path, name: str, working_dir: str | Path, pip: list[str] | None = None,
                     now: float | None = None) -> dict[str, Any]:
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
    stamp = int(now if now is not None else time.time())
    return {
        "entrypoint": f"segnas search {relative.as_posix()}",
        "runtime_env": runtime_env,
        "submission_id": f"segnas-{name}-{stamp}",
        "metadata": {"segnas_spec": relative.as_posix(), "segnas_experiment": name},
    }


def _address_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"),
                        help="Ray dashboard address, e.g. http://HEAD:8265 (default: $RAY_ADDRESS)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="job spec YAML with a `search` section")
    _address_arg(parser)
    parser.add_argument("--working-dir", default=".", help="directory uploaded as the job's working dir (default: .)")
    parser.add_argument("--pip", action="append", default=[], metavar="REQ",
                        help="pip requirement installed in the job's environment (repeatable)")


def _require_address(args: argparse.Namespace, command: str) -> str | None:
    if not args.address:
        print(f"segnas {command}: no cluster address; pass --address http://HEAD:8265 or set RAY_ADDRESS", file=sys.stderr)
        return None
    return str(args.address)


def run(args: argparse.Namespace, client_factory: ClientFactory = _client) -> int:
    from pipeline.specs import load_spec

    address = _require_address(args, "submit")
    if address is None:
        return 2
    spec = load_spec(args.spec)  # fail here, not on the cluster, when the spec is wrong
    if spec.search is None:
        print(f"segnas submit: {args.spec}: the spec has no `search` section", file=sys.stderr)
        return 2
    submission = build_submission(args.spec, spec.name, args.working_dir, args.pip)
    job_id = client_factory(address).submit_job(**submission)
    print(job_id)
    return 0


class _JobQuery:
    """`segnas status JOB_ID` / `segnas logs JOB_ID`: one call on the job submission client."""

    def __init__(self, name: str, help_text: str, call: Callable[[Any, str], Any]) -> None:
        self.name = name
        self.HELP = help_text
        self._call = call

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("job_id", metavar="JOB_ID", help="the id `segnas submit` printed")
        _address_arg(parser)

    def run(self, args: argparse.Namespace, client_factory: ClientFactory = _client) -> int:
        address = _require_address(args, self.name)
        if address is None:
            return 2
        print(self._call(client_factory(address), args.job_id))
        return 0


STATUS = _JobQuery("status", "Status of a submitted search job (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED).",
                   lambda client, job_id: client.get_job_status(job_id))
LOGS = _JobQuery("logs", "Logs of a submitted search job so far.", lambda client, job_id: client.get_job_logs(job_id))
