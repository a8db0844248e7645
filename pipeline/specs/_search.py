"""The `search` section of a job spec: which space, which objectives, which sampler, budgets,
early stopping, ISR settings and the latency protocol. Parsed and validated here, where the spec is
read, so a bad search section fails before Ray starts. Imports no torch and no Ray.

    search:
      space: search_spaces/demo.yaml        # relative to the working directory, else to the spec's folder or its parent
      num_samples: 8                        # trials (points) in the whole search, resumed runs included
      objectives: {val/miou: max, cost/gmacs: min}
      sampler: nsga2                        # nsga2 | tpe | gp | random
      seed: 0
      population_size: 4                    # NSGA-II generation size
      input_size: [64, 64]                  # (H, W) at which GMACs and latency are measured
      budget: {max_gmacs: 0.05, max_params: 200000, max_latency_ms: null, max_ort_latency_ms: null}
      scheduler: {type: mo_halving, grace_epochs: 1, reduction_factor: 2}   # mo_halving | asha | none
      isr: ["2,2,1,1/2,2,2"]                # ISR settings evaluated on every finished ISR-capable trial
      latency: {device: cpu, batch: 1, warmup: 2, repeats: 5}
      benchmark: {resource: segnas_benchmark, threads: 1, cpus: 1}   # where cost/ort_latency_ms is timed
      max_concurrent: null                  # cap on concurrent trials (default: what the cluster fits)
      trial_cpus: 0                         # CPUs reserved by each trial's driver, besides its workers
      pretrained: {mscan: weights/mscan_t.pt}   # encoder name → converted checkpoint its variants inherit from

Every scheduler rung must be an epoch with validation (a multiple of `train.eval.every`): a rung
on an unevaluated epoch would rank trials without mIoU. `check_rungs_evaluated` enforces it.

ONNX Runtime latency (`cost/ort_latency_ms`, as an objective or as `budget.max_ort_latency_ms`) is
timed by the search's benchmark actor (`pipeline.search._benchmark`), which holds the Ray resource
`benchmark.resource`; it needs the `export` extra, checked here.

Reproducibility — exactly what holds for a fixed spec (space, sampler, seed, population size):
  1. The points asked are a function of the sequence of trial ends and their results. The same
     results ending in the same order give the same points in the same order; with
     `max_concurrent: 1` the order is the order of asking, so a search whose training is
     deterministic on its device repeats point for point.
  2. The sampler's random start does not depend on results or their order: NSGA-II's first
     `population_size` points, and TPE's and GP's first 10 (their start-up trials), are the same
     for any completion order; the random sampler's whole sequence is.
  3. Beyond that, with several trials at once the order in which they end depends on timing, and
     so may later proposals; the results rows then still say exactly which points were trained.
`tests/search/test_reproducibility.py` asserts 1 and 2.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.specs._parse import SpecError, build_dataclass, check_keys, require_mapping

QUALITY_OBJECTIVES = {m.VAL_MIOU: "max"}
COST_OBJECTIVES = {m.COST_GMACS: "min", m.COST_PARAMS: "min", m.COST_LATENCY_MS: "min", m.COST_ORT_LATENCY_MS: "min"}
ORT_MODULES = ("onnx", "onnxruntime", "onnxscript")  # the `export` extra: export and ONNX Runtime
ORT_MIN_SIDE = 32  # the ONNX exporter's smallest side (pipeline.deploy: every zoo model downsamples by 32)
DEFAULT_BENCHMARK_RESOURCE = "segnas_benchmark"
RAY_BUILTIN_RESOURCES = ("CPU", "GPU", "memory", "object_store_memory")
SAMPLERS = ("nsga2", "tpe", "gp", "random")
SCHEDULERS = ("mo_halving", "asha", "none")


def _fail(where: str, expected: str, value: object) -> None:
    raise SpecError(f"{where}: expected {expected}, got {value!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class BudgetSpec:
    """Upper limits per image at the search's input size; None = no limit. Points over any are never trained."""

    max_params: int | None = None
    max_gmacs: float | None = None
    max_latency_ms: float | None = None
    max_ort_latency_ms: float | None = None  # ONNX Runtime latency on the benchmark node (search.benchmark)

    def __post_init__(self) -> None:
        for field in ("max_params", "max_gmacs", "max_latency_ms", "max_ort_latency_ms"):
            value = getattr(self, field)
            if value is not None and (not _is_number(value) or value <= 0):
                _fail(f"search.budget.{field}", "a positive number or null", value)

    def violations(self, costs: dict[str, float]) -> dict[str, float]:
        """Metric → how far over its limit (relative: 0.5 = 50 % over); empty when within budget."""
        limits = {m.COST_PARAMS: self.max_params, m.COST_GMACS: self.max_gmacs, m.COST_LATENCY_MS: self.max_latency_ms,
                  m.COST_ORT_LATENCY_MS: self.max_ort_latency_ms}
        return {
            metric: costs[metric] / limit - 1.0
            for metric, limit in limits.items()
            if limit is not None and metric in costs and costs[metric] > limit
        }


@dataclass(frozen=True)
class SchedulerSpec:
    type: str = "mo_halving"  # keeps the (mIoU, cost) front at each rung; "asha" cuts on mIoU only
    grace_epochs: int = 1  # first rung: no trial is stopped before this many epochs
    reduction_factor: float = 2.0  # rungs at grace × rf^k; about 1/rf of a rung goes on (front always)

    def __post_init__(self) -> None:
        if self.type not in SCHEDULERS:
            _fail("search.scheduler.type", f"one of {SCHEDULERS}", self.type)
        if isinstance(self.grace_epochs, bool) or not isinstance(self.grace_epochs, int) or self.grace_epochs < 1:
            _fail("search.scheduler.grace_epochs", "an integer >= 1", self.grace_epochs)
        if not _is_number(self.reduction_factor) or self.reduction_factor <= 1:
            _fail("search.scheduler.reduction_factor", "a number > 1", self.reduction_factor)

    def rungs(self, max_epochs: int) -> tuple[int, ...]:
        """Epochs at which trials are compared; all below max_epochs (a finished trial is never cut)."""
        rungs, epoch = [], float(self.grace_epochs)
        while round(epoch) < max_epochs:
            if not rungs or round(epoch) > rungs[-1]:
                rungs.append(round(epoch))
            epoch *= self.reduction_factor
        return tuple(rungs)


@dataclass(frozen=True)
class LatencySpec:
    """Latency protocol of the search (see pipeline.measure.LatencySettings); few repeats: it runs per trial."""

    device: str = "cpu"  # "cpu" or "cuda": where each trial's driver times its model
    batch: int = 1  # deployment-style single-image latency
    warmup: int = 2  # allocator and oneDNN algorithm choice settle within a couple of calls at small sizes
    repeats: int = 10  # enough for a median; p10/p90 are rough at this count

    def __post_init__(self) -> None:
        if self.device not in ("cpu", "cuda"):
            _fail("search.latency.device", "'cpu' or 'cuda'", self.device)
        for field, low in (("batch", 1), ("warmup", 0), ("repeats", 1)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                _fail(f"search.latency.{field}", f"an integer >= {low}", value)


@dataclass(frozen=True)
class BenchmarkSpec:
    """Where ONNX Runtime latency is timed: one actor holding a Ray resource that no trial requests.

    The operator declares the resource on exactly one node (`ray start --resources
    '{"segnas_benchmark": 1}'`; a local instance started by segnas declares it itself), so benchmark
    jobs run one at a time there, never beside another benchmark.
    """

    resource: str = DEFAULT_BENCHMARK_RESOURCE  # custom Ray resource; the actor takes 1 of it for the search
    threads: int = 1  # ONNX Runtime intra-op threads: single-stream deployment latency
    cpus: float = 1.0  # CPUs the actor holds for the whole search: trials are never scheduled on them

    def __post_init__(self) -> None:
        if not isinstance(self.resource, str) or not self.resource or self.resource in RAY_BUILTIN_RESOURCES:
            _fail("search.benchmark.resource",
                  f"the name of a custom Ray resource (not one of {RAY_BUILTIN_RESOURCES})", self.resource)
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            _fail("search.benchmark.threads", "an integer >= 1", self.threads)
        if not _is_number(self.cpus) or self.cpus < 0:
            _fail("search.benchmark.cpus", "a number >= 0 (0 on a node kept free of trials by --num-cpus 0)", self.cpus)
        if 0 < self.cpus < self.threads:
            _fail("search.benchmark.threads", f"at most search.benchmark.cpus ({self.cpus:g}): more threads than "
                  "reserved CPUs would time on cores the trials train on", self.threads)


@dataclass(frozen=True)
class SearchSpec:
    space_path: str  # the space file, as resolved when the spec was read
    num_samples: int  # trials of the whole search; a resumed search runs only the missing ones
    objectives: tuple[tuple[str, str], ...] = ((m.VAL_MIOU, "max"), (m.COST_GMACS, "min"))  # accuracy vs compute
    sampler: str = "nsga2"  # multi-objective evolutionary; handles conditional spaces and constraints
    seed: int = 0  # seeds the sampler; what this reproduces: see the module docstring
    population_size: int = 8  # NSGA-II generation; the first generation is random
    input_size: tuple[int, int] = (512, 512)  # (H, W) of the cost gate and the latency protocol
    budget: BudgetSpec = dataclasses.field(default_factory=BudgetSpec)
    scheduler: SchedulerSpec = dataclasses.field(default_factory=SchedulerSpec)
    isr: tuple[str, ...] = ()  # "ENC/DEC" factor strings (pipeline.measure.parse_isr form)
    latency: LatencySpec = dataclasses.field(default_factory=LatencySpec)
    benchmark: BenchmarkSpec = dataclasses.field(default_factory=BenchmarkSpec)  # used only for ORT latency
    max_concurrent: int | None = None  # None: what the cluster's CPUs and GPUs (of scaling.accelerator_type) fit
    trial_cpus: float = 0.0  # the trial driver only waits on its trainer, so it needs no core of its own
    stall_timeout_s: float = 3600.0  # watchdog: end the search when no trial starts, reports or ends for this long
    pretrained: tuple[tuple[str, str], ...] = ()  # (encoder name, converted file): variants inherit its weights
    space: Any = dataclasses.field(default=None, compare=False, repr=False)  # the loaded SearchSpace

    def __post_init__(self) -> None:
        if isinstance(self.num_samples, bool) or not isinstance(self.num_samples, int) or self.num_samples < 1:
            _fail("search.num_samples", "an integer >= 1", self.num_samples)
        metrics = [metric for metric, _ in self.objectives]
        if not metrics or metrics[0] not in QUALITY_OBJECTIVES or len(set(metrics)) != len(metrics):
            _fail("search.objectives", f"{m.VAL_MIOU}: max first, then distinct cost metrics of {list(COST_OBJECTIVES)}",
                  dict(self.objectives))
        for metric, mode in self.objectives:
            expected = {**QUALITY_OBJECTIVES, **COST_OBJECTIVES}.get(metric)
            if expected is None:
                _fail(f"search.objectives.{metric}", f"one of {[*QUALITY_OBJECTIVES, *COST_OBJECTIVES]}", metric)
            if mode != expected:
                _fail(f"search.objectives.{metric}", f"{expected!r}", mode)
        if self.sampler not in SAMPLERS:
            _fail("search.sampler", f"one of {SAMPLERS}", self.sampler)
        for field, low in (("seed", 0), ("population_size", 2)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                _fail(f"search.{field}", f"an integer >= {low}", value)
        size = self.input_size
        if not (isinstance(size, tuple) and len(size) == 2 and all(isinstance(v, int) and v >= 8 for v in size)):
            _fail("search.input_size", "[height, width], integers >= 8", size)
        for text in self.isr:
            parse_isr_setting(text)
        if self.max_concurrent is not None and (isinstance(self.max_concurrent, bool) or
                                                not isinstance(self.max_concurrent, int) or self.max_concurrent < 1):
            _fail("search.max_concurrent", "an integer >= 1 or null", self.max_concurrent)
        if not _is_number(self.trial_cpus) or self.trial_cpus < 0:
            _fail("search.trial_cpus", "a number >= 0", self.trial_cpus)
        if not _is_number(self.stall_timeout_s) or self.stall_timeout_s <= 0:
            _fail("search.stall_timeout_s", "a number of seconds > 0", self.stall_timeout_s)
        if self.ort_field is not None:
            check_ort_available(self.ort_field)
            if min(size) < ORT_MIN_SIDE:
                _fail("search.input_size", f"sides >= {ORT_MIN_SIDE} for ONNX export ({self.ort_field})", size)

    @property
    def cost_objectives(self) -> tuple[str, ...]:
        return tuple(metric for metric, _ in self.objectives[1:])

    @property
    def ort_field(self) -> str | None:
        """The spec field that asks for ONNX Runtime latency (objective or budget); None when none does."""
        if m.COST_ORT_LATENCY_MS in self.cost_objectives:
            return f"search.objectives.{m.COST_ORT_LATENCY_MS}"
        if self.budget.max_ort_latency_ms is not None:
            return "search.budget.max_ort_latency_ms"
        return None


def check_ort_available(field: str) -> None:
    """SpecError naming `field` when the `export` extra (ONNX export, ONNX Runtime) is not installed."""
    import importlib.util

    missing = [name for name in ORT_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise SpecError(f"{field}: needs {', '.join(missing)} (ONNX export and ONNX Runtime), which are not installed; "
                        "pip install 'segnas[export]'")


def check_rungs_evaluated(search: SearchSpec, epochs: int, eval_every: int) -> None:
    """SpecError unless every rung of the scheduler falls on an epoch with validation (and mIoU)."""
    if search.scheduler.type == "none":
        return
    rungs = search.scheduler.rungs(epochs)
    blind = [rung for rung in rungs if rung % eval_every != 0]
    if blind:
        raise SpecError(
            f"search.scheduler: rung epochs {list(rungs)} include {blind}, which train.eval.every = {eval_every} "
            f"does not evaluate; choose search.scheduler.grace_epochs and reduction_factor so that every rung is "
            f"a multiple of {eval_every}, or set train.eval.every to a divisor of every rung"
        )


def parse_isr_setting(text: object) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """`"2,2,1,1/2,2,2"` → (encoder factors, decoder factors), as `segnas profile --isr` reads them."""
    from pipeline.measure import SettingsError, parse_isr

    try:
        return parse_isr(text)  # type: ignore[arg-type]
    except SettingsError as error:
        raise SpecError(f"search.isr: {error}") from None


def _resolve_space(text: object, spec_path: Path) -> Path:
    if not isinstance(text, str) or not text:
        _fail("search.space", "a search space file path", text)
    path = Path(str(text))
    candidates = [path] if path.is_absolute() else [path, spec_path.parent / path, spec_path.parent.parent / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SpecError(f"search.space: file {text!r} not found (looked in {', '.join(str(c) for c in candidates)})")


def _parse_pretrained(value: object) -> tuple[tuple[str, str], ...]:
    """`{encoder name: converted file}`; each file must be a converted checkpoint of that encoder."""
    from pipeline.model_configs import ENCODER_CONFIGS
    from pipeline.weights import read_converted

    if not isinstance(value, dict):
        _fail("search.pretrained", "a mapping of encoder name to a converted weight file", value)
    pairs = []
    for encoder, path in value.items():
        where = f"search.pretrained.{encoder}"
        if encoder not in ENCODER_CONFIGS:
            _fail("search.pretrained", f"encoder names of {sorted(ENCODER_CONFIGS)}", encoder)
        if not isinstance(path, str) or not path:
            _fail(where, "the path of a converted weight file (segnas weights convert)", path)
        try:
            found = read_converted(path)["model_config"]["encoder"]["name"]
        except ConfigError as error:
            raise SpecError(f"{where}: {error}") from None
        if found != encoder:
            _fail(where, f"a checkpoint of a {encoder} encoder", f"{path} holds a {found} encoder")
        pairs.append((encoder, path))
    return tuple(pairs)


def parse_search_section(value: object, spec_path: Path) -> SearchSpec:
    """The `search` section parser of `SECTION_PARSERS`: validates the section and loads and checks its space."""
    from pipeline.search._space import load_search_space

    raw = dict(require_mapping(value, "search"))
    if "space" not in raw:
        raise SpecError("search.space: missing required key (a file of search_spaces/)")
    raw["space_path"] = raw.pop("space")
    check_keys(raw, [f.name for f in dataclasses.fields(SearchSpec) if f.name != "space"], "search")
    space_path = _resolve_space(raw["space_path"], Path(spec_path))
    raw["space_path"] = str(space_path)
    objectives = raw.get("objectives", dict(SearchSpec.__dataclass_fields__["objectives"].default))
    if not isinstance(objectives, dict):
        _fail("search.objectives", "a mapping of metric name to max/min", objectives)
    raw["objectives"] = tuple((str(k), v) for k, v in objectives.items())
    for key, cls in (("budget", BudgetSpec), ("scheduler", SchedulerSpec), ("latency", LatencySpec),
                     ("benchmark", BenchmarkSpec)):
        if key in raw:
            raw[key] = build_dataclass(cls, raw[key], f"search.{key}")
    for key in ("input_size", "isr"):
        if isinstance(raw.get(key), list):
            raw[key] = tuple(raw[key])
    if "pretrained" in raw:
        raw["pretrained"] = _parse_pretrained(raw["pretrained"])
    try:
        spec = SearchSpec(**raw)
        space = load_search_space(space_path)
    except SpecError:
        raise
    except ConfigError as error:
        raise SpecError(str(error)) from None
    return dataclasses.replace(spec, space=space)
