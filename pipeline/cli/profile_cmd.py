"""`segnas profile`: parameters, MACs, coverage audit and latency of one preset or model config."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "Count parameters and GMACs, audit the count's coverage and time the latency/FPS of one model."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="PRESET_OR_CONFIG",
                        help="a preset name, a YAML/JSON model config file, or a bundle directory (segnas model get)")
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
    parser.add_argument("--runtime", default="torch",
                        help="torch (eager PyTorch, the default) or onnxruntime (the model exported to ONNX, run by an "
                             "ONNX Runtime CPU session; fp32, no --compile / --channels-last)")


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
    from pipeline.deploy import RUNTIMES

    if args.runtime not in RUNTIMES:
        print(f"segnas profile: --runtime: expected one of {list(RUNTIMES)}, got {args.runtime!r}", file=sys.stderr)
        return 2
    if args.runtime == "onnxruntime":
        from pipeline.deploy._ort import check_ort_settings

        try:
            check_ort_settings(settings)
        except SettingsError as error:
            print(f"segnas profile: {error}", file=sys.stderr)
            return 2
    label, model = _model(args)
    model.set_isr(encoder=isr[0], decoder=isr[1])
    on_ort = args.runtime == "onnxruntime" and not args.no_latency
    record = profile_model(model, settings, name=label, audit=not args.no_audit, timed=not args.no_latency and not on_ort)
    runtime = {"name": "torch", "version": torch_version()}
    if on_ort:
        try:
            record, runtime = _with_ort_latency(record, model, settings)
        except ImportError as error:
            print(f"segnas profile: {error.name} is missing; install the export extra: pip install 'segnas[export]'",
                  file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(record.to_dict() | {"runtime": runtime}))
        return 0
    print(format_profiles([record]))
    if record.coverage is not None:
        print()
        print(format_coverage(record.coverage))
    print()
    print("fingerprint: " + format_fingerprint(record.fingerprint))
    print("runtime: " + " ".join(f"{k}={v}" for k, v in runtime.items()))
    return 0


def torch_version() -> str:
    import torch

    return torch.__version__


def _model(args: argparse.Namespace) -> tuple[str, Any]:
    """(label, model) of a preset, a config file or a bundle directory (with its trained weights and ISR)."""
    from pipeline.models import BUNDLE_FILE, build_model, load_bundle

    if (Path(args.model) / BUNDLE_FILE).is_file():
        if args.num_classes is not None:
            from pipeline.model_configs import ConfigError

            raise ConfigError(f"--num-classes: a bundle's classifier is trained for its classes; drop it for {args.model}")
        return Path(args.model).name, load_bundle(args.model).model
    label, config = load_model_config(args.model, args.num_classes)
    return label, build_model(config)


def _with_ort_latency(record: Any, model: Any, settings: Any) -> tuple[Any, dict[str, str]]:
    """The record with ONNX Runtime's latency of the model under the same protocol."""
    import dataclasses

    import onnxruntime
    import torch

    from pipeline.deploy import measure_ort_latency

    latency = measure_ort_latency(model, settings)
    runtime = {"name": "onnxruntime", "version": onnxruntime.__version__, "provider": "CPUExecutionProvider",
               "intra_op_threads": str(torch.get_num_threads())}
    return dataclasses.replace(record, latency=latency), runtime
