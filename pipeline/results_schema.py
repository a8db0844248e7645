"""The schema of an experiment's result rows, shared by the search driver (writer) and the
reporting stage (reader). Imports neither torch nor Ray.

One row per evaluated point: a trained (or stopped, or rejected) trial, or one ISR setting of a
finished trial. Sampled search dimensions and resolved config fields are flattened into extra
columns named `config/<name>`; every other column is listed here.
"""

from __future__ import annotations

from typing import NamedTuple

from pipeline import metric_names as m

RESULTS_FILE = "results.parquet"  # in the experiment directory

# Row kinds.
KIND_TRIAL = "trial"
KIND_ISR = "isr"
KINDS = (KIND_TRIAL, KIND_ISR)

# Trial states. "stopped": ended early by the scheduler, its metrics are from fewer epochs.
STATUS_FINISHED = "finished"
STATUS_STOPPED = "stopped"
STATUS_INFEASIBLE = "infeasible"  # rejected by the cost gate, never trained
STATUS_FAILED = "failed"  # raised; its error is in `error`
STATUSES = (STATUS_FINISHED, STATUS_STOPPED, STATUS_INFEASIBLE, STATUS_FAILED)

CONFIG_PREFIX = "config/"


class Column(NamedTuple):
    name: str
    dtype: str  # pandas dtype the reader checks: "string", "int64", "float64", "bool", "list<float64>"
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("row_id", "string", "unique id of the row: the trial id, or '<trial id>/isr=<enc>/<dec>'"),
    Column("experiment", "string", "experiment name from the job spec"),
    Column("trial_id", "string", "deterministic trial name"),
    Column("arch_id", "string", "stable hash of the resolved model config (same architecture → same id)"),
    Column("kind", "string", f"one of {KINDS}"),
    Column("status", "string", f"one of {STATUSES}"),
    Column("parent_trial_id", "string", "for ISR rows, the trial the weights come from; empty otherwise"),
    Column("isr_encoder", "string", "ISR factors of the encoder, comma-separated; empty when none"),
    Column("isr_decoder", "string", "ISR factors of the decoder, comma-separated; empty when none"),
    Column("epochs", "int64", "epochs the weights were trained for (0 when never trained)"),
    Column("max_epochs", "int64", "epochs the schedule asked for"),
    Column(m.VAL_MIOU, "float64", "validation mIoU in [0, 1]; NaN when never trained"),
    Column(m.VAL_PIXEL_ACC, "float64", "validation pixel accuracy in [0, 1]; NaN when never trained"),
    Column(m.COST_PARAMS, "int64", "parameters of the inference graph"),
    Column(m.COST_GMACS, "float64", "1e9 multiply-accumulates per image at the spec's input size"),
    Column(m.COST_LATENCY_MS, "float64", "median latency of one forward, ms; NaN when not measured"),
    Column(m.COST_LATENCY_P10_MS, "float64", "p10 latency, ms; NaN when not measured"),
    Column(m.COST_LATENCY_P90_MS, "float64", "p90 latency, ms; NaN when not measured"),
    Column(m.COST_FPS, "float64", "images per second at the median latency; NaN when not measured"),
    Column(m.COST_ORT_LATENCY_MS, "float64",
           "median ONNX Runtime CPU latency of one forward, ms, on the benchmark node (see `benchmark`); "
           "NaN when the search does not measure it"),
    Column(m.COST_ORT_LATENCY_P10_MS, "float64", "p10 ONNX Runtime latency, ms; NaN when not measured"),
    Column(m.COST_ORT_LATENCY_P90_MS, "float64", "p90 ONNX Runtime latency, ms; NaN when not measured"),
    Column("learning_curve", "list<float64>", "validation mIoU after each evaluated epoch, in order"),
    Column("model_config", "string", "JSON of the resolved model config (pipeline.model_configs dict form)"),
    Column("hparams", "string", "JSON of the training hyperparameters of the trial"),
    Column("seed", "int64", "seed of the trial"),
    Column("wall_time_s", "float64", "wall time of the trial (training + evaluation), seconds"),
    Column("device_hours", "float64", "accelerator- or CPU-worker-hours spent: workers × wall time / 3600"),
    Column("device", "string", "fingerprint of the device the metrics were measured on"),
    Column(
        "benchmark",
        "string",
        "JSON: where and how the ONNX Runtime latency was measured (Ray node id and hostname of the "
        "benchmark actor, the Ray resource it holds, the CPUs it reserves, runtime and version, threads, "
        "fingerprint, whether the trial trained on the same node, and whether the timed weights were "
        "trained or freshly initialised); empty when not measured",
    ),
    Column("code_version", "string", "git commit (or package version) of segnas"),
    Column("library_versions", "string", "JSON: torch, ray, optuna versions"),
    Column("finished_at", "float64", "UNIX time the row was written; orders the search's history"),
    Column("error", "string", "why the trial failed or was infeasible; empty otherwise"),
    Column(
        "pretrained",
        "string",
        "JSON: the checkpoint the encoder inherited from and, per tensor family, how many tensors were "
        "copied, cropped or fresh; empty when the trial started from scratch",
    ),
    Column(
        "checkpoint_uri",
        "string",
        "URI of the final checkpoint of a finished trial (file:// locally); ISR rows name their parent's; "
        "empty otherwise. `segnas model get EXPERIMENT ROW_ID` turns it into a bundle",
    ),
    Column(
        "predictions",
        "string",
        "JSON list of up to 4 {image, truth, pred} base64 PNG thumbnails (<= 128 px) of fixed validation "
        "images, masks in the dataset palette; empty when none",
    ),
)

# Columns later versions added: a results file written before them lacks them, and a reader fills
# them with their empty value instead of rejecting the file.
ADDED_COLUMNS: frozenset[str] = frozenset({
    "checkpoint_uri",
    "predictions",
    m.COST_ORT_LATENCY_MS,
    m.COST_ORT_LATENCY_P10_MS,
    m.COST_ORT_LATENCY_P90_MS,
    "benchmark",
})

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)


def empty_value(column: Column) -> object:
    """What a row holds in a column it was written without: NaN for numbers, "" for strings."""
    return float("nan") if column.dtype == "float64" else ""
