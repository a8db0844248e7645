"""Drawing profiles: text and Markdown tables. Gathering is elsewhere; nothing here measures."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.measure._coverage import CoverageAudit
from pipeline.measure._fingerprint import Fingerprint
from pipeline.measure._profile import ProfileRecord
from pipeline.measure._settings import format_isr

PROFILE_COLUMNS: tuple[str, ...] = (
    "model",
    "input",
    "device",
    "precision",
    "mode",
    "ISR",
    "params (M)",
    "GMACs",
    "GMACs hook-visible",
    "latency ms (median)",
    "p10–p90 ms",
    "FPS",
    "unsupported ops",
)


def profile_row(record: ProfileRecord) -> dict[str, str]:
    """One record as formatted cells keyed by `PROFILE_COLUMNS`."""
    s = record.settings
    latency = record.latency
    isr = format_isr(record.isr.get("encoder"), record.isr.get("decoder")) if record.isr else "-"
    return {
        "model": record.model,
        "input": f"{s.batch}×3×{s.height}×{s.width}",
        "device": s.device,
        "precision": s.precision,
        "mode": s.mode,
        "ISR": isr,
        "params (M)": f"{record.params / 1e6:.2f}",
        "GMACs": f"{record.gmacs:.2f}",
        "GMACs hook-visible": f"{record.macs.hook_visible_gmacs:.2f}",
        "latency ms (median)": "-" if latency is None else f"{latency.median_ms:.2f}",
        "p10–p90 ms": "-" if latency is None else f"{latency.p10_ms:.2f}–{latency.p90_ms:.2f}",
        "FPS": "-" if latency is None else f"{latency.fps:.2f}",
        "unsupported ops": ", ".join(f"{op}×{n}" for op, n in record.macs.unsupported.items()) or "none",
    }


def format_table(rows: Sequence[dict[str, str]], columns: Sequence[str], markdown: bool = False) -> str:
    """Rows of preformatted cells as an aligned text table, or as a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(row.get(c, "") for c in columns) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max([len(c)] + [len(row.get(c, "")) for row in rows]) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(row.get(c, "").ljust(w) for c, w in zip(columns, widths)) for row in rows]
    return "\n".join(lines)


def format_profiles(records: Sequence[ProfileRecord], markdown: bool = False) -> str:
    return format_table([profile_row(r) for r in records], PROFILE_COLUMNS, markdown)


def format_coverage(audit: CoverageAudit, top: int = 12) -> str:
    """Where the forward's time goes, by MAC-rule category and by op; then the cross-check."""
    lines = [f"coverage of one forward on {list(audit.macs.input_shape)} ({audit.time_source} time "
             f"{audit.forward_ms:.1f} ms):"]
    for category, share in audit.time_share_by_category().items():
        lines.append(f"  {category:<18} {share * 100:6.1f}% of time")
    lines.append(f"  slowest ops (of {len(audit.ops)}):")
    for op in audit.ops[:top]:
        lines.append(
            f"    {op.op:<40} {op.category:<14} calls {op.calls:>5}  GMACs {op.macs / audit.macs.batch / 1e9:8.3f}"
            f"  time {op.time_share * 100:5.1f}%"
        )
    unsupported = audit.unsupported
    if unsupported:
        lines.append("  NOT COUNTED (no MAC rule; may hide MACs):")
        for op in unsupported:
            lines.append(f"    {op.op:<40} calls {op.calls:>5}  time {op.time_share * 100:5.1f}%")
    else:
        lines.append("  every traced op has a MAC rule")
    if audit.reference is not None:
        ref_gmacs = audit.reference.macs / audit.macs.batch / 1e9
        diff = audit.difference_pct
        lines.append(
            f"  FlopCounterMode ({audit.reference.device}): {ref_gmacs:.3f} GMACs; ours {audit.macs.gmacs:.3f}; "
            f"difference {'n/a' if diff is None else f'{diff:+.2f}%'}"
        )
    return "\n".join(lines)


def format_fingerprint(fingerprint: Fingerprint) -> str:
    env = ", ".join(f"{k}={v}" for k, v in fingerprint.env.items() if v is not None) or "none set"
    return (
        f"device {fingerprint.device}; CPU {fingerprint.cpu_model} ({fingerprint.cpu_count} logical, "
        f"{fingerprint.torch_threads} torch threads); torch {fingerprint.torch_version}, CUDA "
        f"{fingerprint.cuda_version}, cuDNN {fingerprint.cudnn_version}; Python {fingerprint.python_version}; "
        f"{fingerprint.platform}; timing env: {env}"
    )
