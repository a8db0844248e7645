"""Session-wide fixtures: one local Ray instance shared by every test that needs Ray."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    """A local Ray instance with 2 CPUs for the whole session (start-up costs seconds; share it).

    The dashboard stays on: Ray Train frees the workers of a trial that Tune stopped through the
    State API, which the dashboard serves; without it their CPUs stay taken for good.
    """
    import ray

    ray.init(address="local", num_cpus=2, log_to_driver=True, configure_logging=False)  # never a running cluster
    try:
        yield
    finally:
        ray.shutdown()


# s3_server / s3_env: a real S3-compatible server; ray_cluster: a head and two worker nodes (one each per session)
pytest_plugins = ["tests.s3_server", "tests.ray_cluster"]
