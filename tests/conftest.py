"""Session-wide fixtures: one local Ray instance shared by every test that needs Ray."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A loopback-only local Ray head with 2 CPUs for the whole session, addressed explicitly
    (start-up costs seconds; share it). Other Ray instances on the host are never touched.

    The dashboard stays on: Ray Train frees the workers of a trial that Tune stopped through the
    State API, which the dashboard serves; without it their CPUs stay taken for good.
    It declares the search's benchmark resource, as a local instance of `segnas search` does.
    """
    from pipeline.specs._search import DEFAULT_BENCHMARK_RESOURCE
    from pipeline.training import ray_connection

    log_dir: Path = tmp_path_factory.mktemp("ray")
    resources = {DEFAULT_BENCHMARK_RESOURCE: 1.0}
    with ray_connection(None, log_dir, num_cpus=2, log_to_driver=True, resources=resources) as head:
        yield head  # the LocalRay head (None when Ray was already initialized in this process)


@pytest.fixture(scope="session")
def other_ray_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A second, unrelated Ray instance on the host, started the way a colleague would (plain
    `ray start --head`, default addresses); stopped by its PID, never by `ray stop`."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from pipeline.training import free_port

    log = tmp_path_factory.mktemp("other_ray") / "head.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    command = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--disable-usage-stats",
               "--port", str(free_port()), "--num-cpus", "1", "--dashboard-port", str(free_port()),
               "--ray-client-server-port", str(free_port()), "--dashboard-agent-listen-port", str(free_port())]
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while "Ray runtime started" not in log.read_text() and time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        time.sleep(0.5)
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# s3_server / s3_env: a real S3-compatible server; ray_cluster: a head and two worker nodes (one each per session)
pytest_plugins = ["tests.s3_server", "tests.ray_cluster"]
