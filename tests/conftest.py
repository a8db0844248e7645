"""Session-wide fixtures: one local Ray instance shared by every test that needs Ray."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A loopback-only local Ray head with 2 CPUs for the whole session, addressed explicitly
    (start-up costs seconds; share it). Other Ray instances on the host are never touched.

    The dashboard stays on: Ray Train frees the workers of a trial that Tune stopped through the
    State API, which the dashboard serves; without it their CPUs stay taken for good.
    """
    from pipeline.training import ray_connection

    log_dir: Path = tmp_path_factory.mktemp("ray")
    with ray_connection(None, log_dir, num_cpus=2, log_to_driver=True):
        yield
