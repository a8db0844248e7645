"""From a trained model to a deployed one: bundles from result rows, ONNX / TorchScript export,
ONNX Runtime latency, and predictions drawn with the dataset's palette.

Imports models, data, measurement and training (to read checkpoints); the search uses it for
the prediction thumbnails of its rows, the CLI for `segnas model get / export / predict`.
`onnx` and `onnxruntime` come with the `export` extra and are imported on first use.
"""

from pipeline.deploy._export import (
    DEFAULT_OPSET,
    EXPORT_FORMATS,
    ExportError,
    ExportSettings,
    example_input,
    export_model,
    fixed_random_init,
    has_random_init,
    onnx_bytes,
    tolerance,
    trace_model,
)
from pipeline.deploy._ort import (
    RUNTIMES,
    OnnxCheck,
    check_onnx,
    latency_graph,
    measure_ort_latency,
    ort_session,
    run_session,
    time_graphs,
    verify_onnx,
)
from pipeline.deploy._predict import (
    GALLERY_IMAGES,
    THUMBNAIL_SIDE,
    Inference,
    WrittenPrediction,
    collect_images,
    predict_mask,
    prediction_gallery,
    write_predictions,
)
from pipeline.deploy._rows import (
    EXPERIMENT_INFO_FILE,
    bundle_from_row,
    checkpoint_uri,
    dataset_palette,
    experiment_info,
    gallery_samples,
    local_checkpoint,
    write_experiment_info,
)

__all__ = [
    "EXPERIMENT_INFO_FILE",
    "GALLERY_IMAGES",
    "Inference",
    "THUMBNAIL_SIDE",
    "WrittenPrediction",
    "bundle_from_row",
    "checkpoint_uri",
    "collect_images",
    "dataset_palette",
    "experiment_info",
    "gallery_samples",
    "local_checkpoint",
    "predict_mask",
    "prediction_gallery",
    "write_experiment_info",
    "write_predictions",
    "DEFAULT_OPSET",
    "EXPORT_FORMATS",
    "ExportError",
    "ExportSettings",
    "OnnxCheck",
    "RUNTIMES",
    "check_onnx",
    "example_input",
    "export_model",
    "fixed_random_init",
    "has_random_init",
    "latency_graph",
    "measure_ort_latency",
    "onnx_bytes",
    "ort_session",
    "run_session",
    "time_graphs",
    "tolerance",
    "trace_model",
    "verify_onnx",
]
