"""`segnas profile`: parameters, MACs, coverage audit and latency of one preset or model config."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "Count parameters and GMACs, audit the count's coverage and time the latency/FPS of one model."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="PRESET_OR_CONFIG", help="a preset name or a YAML/JSON model config file")
    parser.add_argument("--size", nargs=2, type=int, metavar=("H", "W"), required=True, help="input height and width")
    parser.add_argument("--batch", type=int, default=1, help="images per forward for the latency (default 1)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--precision", default="fp32", help="fp32, fp16 or bf16 (fp16/bf16 under autocast)")
    parser.add_argument("--channels-last", action="store_true", help="NHWC memory format for model and input")
    parser.add_argument("--compile", action="store_true", help="time the torch.compile'd model")
    parser.add_argument("--isr", default=None, metavar="ENC/DEC", help="ISR factors, e.g. 2,2,1,1/2,2,2 (a side may be empty)")
    parser.add_argument("--repeats", type=int, default=50, help="timed forwards (default 50)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed forwards before timing (default 10)")
    parser.add_argument("--num-classes", type=int, default=None, help="replace the classifier's class count")
    parser.add_argument("--no-audit", action="store_true", help="skip the profiler-based coverage audit")
    parser.add_argument("--no-latency", action="store_true", help="count only; skip the latency protocol")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def load_model_config(text: str, num_classes: int | None) -> tuple[str, Any]:
    """A preset name, or a path to a YAML/JSON model config dict; returns (label, ModelConfig)."""
    from pipeline.model_configs import ConfigError, model_config_from_dict
    from pipeline.models import PRESETS, resolve_config

    if text in PRESETS:
        return text, resolve_config(text, num_classes)
    path = Path(text)
    if not path.is_file():
        raise ConfigError(f"{text!r} is neither a preset ({', '.join(sorted(PRESETS))}) nor a config file")
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(raw)
    else:
        import yaml

        data = yaml.safe_load(raw)
    return path.stem, resolve_config(model_config_from_dict(data), num_classes)


def run(args: argparse.Namespace) -> int:
    from pipeline.measure import (
        LatencySettings,
        SettingsError,
        format_coverage,
        format_fingerprint,
        format_profiles,
        parse_isr,
        profile_model,
    )
    from pipeline.models import build_model

    try:
        settings = LatencySettings(
            height=args.size[0],
            width=args.size[1],
            batch=args.batch,
            device=args.device,
            precision=args.precision,
            channels_last=args.channels_last,
            compile=args.compile,
            warmup=args.warmup,
            repeats=args.repeats,
        )
        settings.check_available()
        isr = parse_isr(args.isr) if args.isr is not None else (None, None)
    except SettingsError as error:
        print(f"segnas profile: {error}", file=sys.stderr)
        return 2
    label, config = load_model_config(args.model, args.num_classes)
    model = build_model(config)
    model.set_isr(encoder=isr[0], decoder=isr[1])
    record = profile_model(model, settings, name=label, audit=not args.no_audit, timed=not args.no_latency)
    if args.json:
        print(json.dumps(record.to_dict()))
        return 0
    print(format_profiles([record]))
    if record.coverage is not None:
        print()
        print(format_coverage(record.coverage))
    print()
    print("fingerprint: " + format_fingerprint(record.fingerprint))
    return 0
