"""Cost measurement: parameters, multiply-accumulates (MACs), coverage audit, latency/FPS.

Depends on `pipeline.models` only; nothing in the model zoo imports from here. Compute is counted
in MACs (one multiply-accumulate = 1) and named so everywhere; `_mac_rule` states what counts.
"""

from pipeline.measure._config_model import model_for_measurement, parameter_count
from pipeline.measure._coverage import CoverageAudit, OpCoverage, ReferenceCount, audit_coverage, reference_count
from pipeline.measure._fingerprint import TIMING_ENV_VARS, Fingerprint, collect_fingerprint
from pipeline.measure._latency import LatencyStats, measure_latency, measure_latency_variants, summarize_samples
from pipeline.measure._mac_rule import (
    COUNTED,
    MAC_HANDLES,
    UNSUPPORTED,
    ZERO_BY_RULE,
    ZERO_MAC_OPS,
    conv_macs_from_shapes,
    einsum_macs_from_equation,
    op_category,
    op_status,
)
from pipeline.measure._macs import HOOK_VISIBLE_LAYERS, MacCount, count_macs, example_images
from pipeline.measure._profile import ProfileRecord, profile_model
from pipeline.measure._report import (
    PROFILE_COLUMNS,
    format_coverage,
    format_fingerprint,
    format_profiles,
    format_table,
    profile_row,
)
from pipeline.measure._settings import (
    DEVICES,
    PRECISIONS,
    LatencySettings,
    SettingsError,
    format_isr,
    parse_isr,
)

__all__ = [
    "COUNTED",
    "CoverageAudit",
    "DEVICES",
    "Fingerprint",
    "HOOK_VISIBLE_LAYERS",
    "LatencySettings",
    "LatencyStats",
    "MAC_HANDLES",
    "MacCount",
    "OpCoverage",
    "PRECISIONS",
    "PROFILE_COLUMNS",
    "ProfileRecord",
    "ReferenceCount",
    "SettingsError",
    "TIMING_ENV_VARS",
    "UNSUPPORTED",
    "ZERO_BY_RULE",
    "ZERO_MAC_OPS",
    "audit_coverage",
    "collect_fingerprint",
    "conv_macs_from_shapes",
    "count_macs",
    "einsum_macs_from_equation",
    "example_images",
    "format_coverage",
    "format_fingerprint",
    "format_isr",
    "format_profiles",
    "format_table",
    "measure_latency",
    "measure_latency_variants",
    "model_for_measurement",
    "op_category",
    "op_status",
    "parameter_count",
    "parse_isr",
    "profile_model",
    "profile_row",
    "reference_count",
    "summarize_samples",
]
