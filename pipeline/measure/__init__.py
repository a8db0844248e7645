"""Cost measurement: parameters, multiply-accumulates (MACs), coverage audit, latency/FPS.

Depends on `pipeline.models` only; nothing in the model zoo imports from here. Compute is counted
in MACs (one multiply-accumulate = 1) and named so everywhere; `_mac_rule` states what counts.
"""

from __future__ import annotations

import importlib
from typing import Any

# Every name imported on first use: spec validation (ISR settings) must not import torch.

_LAZY = {
    "model_for_measurement": ("pipeline.measure._config_model", "model_for_measurement"),
    "parameter_count": ("pipeline.measure._config_model", "parameter_count"),
    "CoverageAudit": ("pipeline.measure._coverage", "CoverageAudit"),
    "OpCoverage": ("pipeline.measure._coverage", "OpCoverage"),
    "ReferenceCount": ("pipeline.measure._coverage", "ReferenceCount"),
    "audit_coverage": ("pipeline.measure._coverage", "audit_coverage"),
    "reference_count": ("pipeline.measure._coverage", "reference_count"),
    "TIMING_ENV_VARS": ("pipeline.measure._fingerprint", "TIMING_ENV_VARS"),
    "Fingerprint": ("pipeline.measure._fingerprint", "Fingerprint"),
    "collect_fingerprint": ("pipeline.measure._fingerprint", "collect_fingerprint"),
    "LatencyStats": ("pipeline.measure._latency", "LatencyStats"),
    "measure_latency": ("pipeline.measure._latency", "measure_latency"),
    "measure_latency_variants": ("pipeline.measure._latency", "measure_latency_variants"),
    "summarize_samples": ("pipeline.measure._latency", "summarize_samples"),
    "COUNTED": ("pipeline.measure._mac_rule", "COUNTED"),
    "MAC_HANDLES": ("pipeline.measure._mac_rule", "MAC_HANDLES"),
    "UNSUPPORTED": ("pipeline.measure._mac_rule", "UNSUPPORTED"),
    "ZERO_BY_RULE": ("pipeline.measure._mac_rule", "ZERO_BY_RULE"),
    "ZERO_MAC_OPS": ("pipeline.measure._mac_rule", "ZERO_MAC_OPS"),
    "conv_macs_from_shapes": ("pipeline.measure._mac_rule", "conv_macs_from_shapes"),
    "einsum_macs_from_equation": ("pipeline.measure._mac_rule", "einsum_macs_from_equation"),
    "op_category": ("pipeline.measure._mac_rule", "op_category"),
    "op_status": ("pipeline.measure._mac_rule", "op_status"),
    "HOOK_VISIBLE_LAYERS": ("pipeline.measure._macs", "HOOK_VISIBLE_LAYERS"),
    "MacCount": ("pipeline.measure._macs", "MacCount"),
    "count_macs": ("pipeline.measure._macs", "count_macs"),
    "example_images": ("pipeline.measure._macs", "example_images"),
    "ProfileRecord": ("pipeline.measure._profile", "ProfileRecord"),
    "profile_model": ("pipeline.measure._profile", "profile_model"),
    "PROFILE_COLUMNS": ("pipeline.measure._report", "PROFILE_COLUMNS"),
    "format_coverage": ("pipeline.measure._report", "format_coverage"),
    "format_fingerprint": ("pipeline.measure._report", "format_fingerprint"),
    "format_profiles": ("pipeline.measure._report", "format_profiles"),
    "format_table": ("pipeline.measure._report", "format_table"),
    "profile_row": ("pipeline.measure._report", "profile_row"),
    "DEVICES": ("pipeline.measure._settings", "DEVICES"),
    "PRECISIONS": ("pipeline.measure._settings", "PRECISIONS"),
    "LatencySettings": ("pipeline.measure._settings", "LatencySettings"),
    "SettingsError": ("pipeline.measure._isr_text", "SettingsError"),
    "format_isr": ("pipeline.measure._isr_text", "format_isr"),
    "parse_isr": ("pipeline.measure._isr_text", "parse_isr"),
}



def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")



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
