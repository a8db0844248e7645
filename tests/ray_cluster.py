"""A real multi-node Ray cluster on one host for the tests: a head and two worker nodes, each a
`ray start --block` process with its own raylet, ports and custom resource.

Every service of every node gets a free port of its own, the cluster keeps its files in a
throw-away temp dir of its own, token authentication is on (as `ray start` sets it up in Ray 2.60; the
token is generated here and handed to clients through `environment()`), and each node is stopped
by the PID of its `ray start` process, which takes its raylet and workers down with it. No other
Ray instance on the host is touched. A test may add a node of its own (`add_node`) to kill (its
raylet's PID: `raylet_pid`) and remove, and hold nodes' `memory` resource (`memory_held`) to
decide where actors that reserve memory go. Nodes start one after another: Ray gives a raylet 30 s to
register, which two nodes starting at once on a loaded 2-core machine can miss.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NODE_START_TIMEOUT_S = 90.0
WORKER_PORTS = 40  # ports for a node's worker processes (actors, tasks), one each
WORKER_NODES = ("node_a", "node_b")  # each also carries a custom resource of its name
# The head has no CPU: training workers can only land on the worker nodes, one core each, so where they
# run is decided by the test, not by chance (trial drivers reserve no CPU: search.trial_cpus 0).
NODE_CPUS = {"head": 0, "node_a": 1, "node_b": 1}


@dataclass
class RayCluster:
    gcs_address: str  # 127.0.0.1:<port>
    dashboard_url: str  # http://127.0.0.1:<port>
    token: str
    temp_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)  # node name → its `ray start --block`
    node_ids: dict[str, str] = field(default_factory=dict)  # node name → Ray node id
    start_seconds: float = 0.0

    def environment(self) -> dict[str, str]:
        """Environment of a client process (driver, `segnas submit`) of this cluster and no other."""
        return {**environ_without_ray(), "RAY_ADDRESS": self.gcs_address, "RAY_AUTH_MODE": "token",
                "RAY_AUTH_TOKEN": self.token}


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (all held open while they are picked, so none repeats)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _node_ports(ports: Iterator[int]) -> list[str]:
    services = ("node-manager-port", "object-manager-port", "runtime-env-agent-port", "dashboard-agent-grpc-port",
                "dashboard-agent-listen-port", "metrics-export-port")
    workers = ",".join(str(next(ports)) for _ in range(WORKER_PORTS))
    return [*(f"--{service}={next(ports)}" for service in services), f"--worker-port-list={workers}"]


def environ_without_ray() -> dict[str, str]:
    """This process's environment less Ray's settings: the session's local head puts its address and
    its local-only switch there, which would point the cluster's nodes and clients at that head."""
    return {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}


def start_node(name: str, args: list[str], ports: Iterator[int], env: dict[str, str], log: Path,
               cpus: int | None = None, gpus: int = 0, resources: dict[str, float] | None = None) -> subprocess.Popen:
    """One `ray start --block` node with every port its own, the custom resource of its name (and
    `resources`), `gpus` logical GPUs; returns once the node says it runs."""
    cpus = NODE_CPUS[name] if cpus is None else cpus
    common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus}", f"--num-gpus={gpus}",
              f"--resources={json.dumps({name: 1, **(resources or {})})}",
              "--object-store-memory=80000000", "--disable-usage-stats", "--block"]
    ray = str(Path(sys.executable).with_name("ray"))
    process = subprocess.Popen([ray, "start", *args, *common, *_node_ports(ports)], env=env, stdout=open(log, "wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + NODE_START_TIMEOUT_S
    while b"Ray runtime started" not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_nodes(process)
            pytest.fail(f"Ray node {name} did not start; log tail:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)
    return process


def stop_nodes(*processes: subprocess.Popen) -> None:
    """SIGTERM to all at once (`ray start --block` then stops its raylet and workers), SIGKILL after 30 s."""
    running = [p for p in processes if p.poll() is None]
    for process in running:
        os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


_NODE_IDS = """
import json, ray
ray.init(address="auto", logging_level="ERROR", log_to_driver=False)
print(json.dumps({n["NodeID"]: sorted(n["Resources"]) for n in ray.nodes() if n["Alive"]}))
"""


def _alive_node_ids(cluster: RayCluster) -> dict[str, list[str]]:
    out = subprocess.run([sys.executable, "-c", _NODE_IDS], env=cluster.environment(), capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _node_environment(cluster: RayCluster) -> dict[str, str]:
    # The job entrypoint `segnas ...` must resolve to this environment's script on every node.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**environ_without_ray(), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": cluster.token, "PATH": path}


def add_node(cluster: RayCluster, name: str, cpus: int = 1) -> str:
    """A further worker node joined to the running cluster (ports, temp dir and custom resource of its
    own), for a test to stop or kill without touching the session's nodes; its Ray node id."""
    ports = iter(free_ports(6 + WORKER_PORTS))
    args = [f"--address={cluster.gcs_address}", f"--temp-dir={cluster.temp_dir / name}"]
    cluster.processes[name] = start_node(name, args, ports, _node_environment(cluster),
                                          cluster.temp_dir / f"{name}.log", cpus)
    try:
        found = [node for node, resources in _alive_node_ids(cluster).items() if name in resources]
        assert len(found) == 1, found
    except BaseException:
        remove_node(cluster, name)
        raise
    cluster.node_ids[name] = found[0]
    return found[0]


def raylet_pid(cluster: RayCluster, name: str) -> int:
    """PID of the raylet of a node: the child named `raylet` of the node's `ray start --block`."""
    parent = cluster.processes[name].pid
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while the table was read
            continue
        comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 1:].split()
        if comm == "raylet" and int(rest[1]) == parent:
            return int(stat.parent.name)
    raise LookupError(f"node {name}: no raylet child of `ray start` (PID {parent})")


_HOLD_MEMORY = """
import json, sys, ray
ray.init(logging_level="ERROR", log_to_driver=False)
free = json.loads(sys.argv[1])

@ray.remote(num_cpus=0)
class Hold:
    def ready(self):
        return True

held = []
for node in ray.nodes():
    name = next((n for n in free if n in node["Resources"]), None) if node["Alive"] else None
    if name is not None:
        reserve = int(node["Resources"]["memory"]) - free[name]
        held.append(Hold.options(memory=reserve, resources={name: 0.001}).remote())
ray.get([h.ready.remote() for h in held])
print("held", flush=True)
sys.stdin.read()  # until the test ends this process, which frees what it holds
"""


@contextlib.contextmanager
def memory_held(cluster: RayCluster, free: dict[str, int]) -> Iterator[None]:
    """Reserve each named node's `memory` resource but `free[name]` bytes, for the duration: actors that
    reserve memory (search trial drivers) then fit only where the test leaves room for them."""
    process = subprocess.Popen([sys.executable, "-c", _HOLD_MEMORY, json.dumps(free)], env=cluster.environment(),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held", "memory not held"
        yield
    finally:
        stop_nodes(process)


def remove_node(cluster: RayCluster, name: str) -> None:
    """Stop a node added by `add_node` (what is left of it after a kill) and forget it."""
    stop_nodes(cluster.processes.pop(name))
    cluster.node_ids.pop(name, None)


def start_cluster(temp_dir: Path) -> RayCluster:
    started = time.monotonic()
    token = secrets.token_hex(32)
    # Every port of every node picked at once: ports picked one by one may repeat, and Ray refuses
    # a node whose services share one.
    ports = iter(free_ports(3 + (1 + len(WORKER_NODES)) * (6 + WORKER_PORTS)))
    gcs, dashboard = next(ports), next(ports)
    cluster = RayCluster(f"127.0.0.1:{gcs}", f"http://127.0.0.1:{dashboard}", token, temp_dir)
    env = _node_environment(cluster)
    try:
        cluster.processes["head"] = start_node(
            "head", ["--head", f"--port={gcs}", f"--dashboard-port={dashboard}", "--dashboard-host=127.0.0.1",
                     f"--ray-client-server-port={next(ports)}", f"--temp-dir={temp_dir / 'ray'}"],
            ports, env, temp_dir / "head.log")
        for name in WORKER_NODES:
            # A temp dir per node, as on separate machines: nodes sharing one would also share the
            # unpacked job packages, which one node's runtime-env agent may delete under another.
            cluster.processes[name] = start_node(
                name, [f"--address={cluster.gcs_address}", f"--temp-dir={temp_dir / name}"], ports, env,
                temp_dir / f"{name}.log")
        alive = _alive_node_ids(cluster)
        for node_id, resources in alive.items():
            cluster.node_ids.update({name: node_id for name in ("head", *WORKER_NODES) if name in resources})
        assert sorted(cluster.node_ids) == sorted(("head", *WORKER_NODES)), alive
    except BaseException:
        stop_nodes(*cluster.processes.values())
        raise
    cluster.start_seconds = time.monotonic() - started
    return cluster


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayCluster]:
    temp_dir = Path(tempfile.mkdtemp(prefix="segnas-cluster-", dir="/tmp"))  # Ray's socket paths must stay short
    cluster = start_cluster(temp_dir)
    try:
        yield cluster
    finally:
        stop_nodes(*cluster.processes.values())
        shutil.rmtree(temp_dir, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Cluster tests run last, so the cluster is up only after every test of the local Ray instance.

    Ray helpers that find "the" instance by scanning processes (issue: several instances on one host)
    would otherwise also see this cluster while the local-instance tests run.
    """
    items.sort(key=lambda item: item.get_closest_marker("cluster") is not None)
