"""`segnas export BUNDLE_OR_ROW --format onnx|torchscript -o FILE`: a deployable graph of a model.

ONNX files are checked after writing: `onnx.checker`, then ONNX Runtime against PyTorch at the
export size (and a second size with --dynamic), max abs error within 1e-4 of the logits' scale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.cli._model_source import BUNDLE_OR_ROW_HELP

HELP = "Export a bundle or a results row to ONNX or TorchScript, checked against PyTorch."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="BUNDLE_OR_ROW", help=BUNDLE_OR_ROW_HELP)
    parser.add_argument("--format", required=True, help="onnx or torchscript")
    parser.add_argument("--size", nargs=2, type=int, metavar=("H", "W"), default=None,
                        help="example input size (default: the size the row's costs were measured at)")
    parser.add_argument("--dynamic", action="store_true", help="any input height and width, not only --size")
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset (default 18)")
    parser.add_argument("-o", "--out", type=Path, required=True, metavar="FILE", help="file to write")
    parser.add_argument("--no-check", action="store_true", help="skip the ONNX Runtime comparison")


def run(args: argparse.Namespace) -> int:
    from pipeline.cli._model_source import bundle_directory
    from pipeline.deploy import (
        DEFAULT_OPSET,
        ExportError,
        ExportSettings,
        check_onnx,
        export_model,
        has_random_init,
        verify_onnx,
    )
    from pipeline.deploy._export import second_size
    from pipeline.models import load_bundle

    with bundle_directory(args.source) as directory:
        bundle = load_bundle(directory)
    height, width = args.size if args.size is not None else bundle.info.input_size
    settings = ExportSettings(args.format, height, width, args.dynamic, args.opset or DEFAULT_OPSET)
    try:
        path = export_model(bundle.model, args.out, settings)
        print(f"wrote {path} ({settings.format}, input (1, 3, {height}, {width}){', dynamic H, W' if args.dynamic else ''})")
        if settings.format == "onnx" and not args.no_check:
            sizes = [(height, width)] + ([second_size(height, width)] if args.dynamic else [])
            if has_random_init(bundle.model):
                # The file keeps the model's random NMF start; the check compares a copy with it fixed.
                checks = verify_onnx(bundle.model, settings, sizes)
            else:
                checks = check_onnx(bundle.model, path.read_bytes(), sizes)
            for check in checks:
                verdict = "ok" if check.passed else "FAILED"
                print(f"onnxruntime vs torch at {check.height}x{check.width}: max abs error {check.max_abs_error:.2e} "
                      f"(tolerance {check.tolerance:.1e}) {verdict}")
            if not all(check.passed for check in checks):
                return 1
    except ImportError as error:
        print(f"segnas export: {error.name} is missing; install the export extra: pip install 'segnas[export]'",
              file=sys.stderr)
        return 2
    except ExportError as error:
        print(f"segnas export: {error}", file=sys.stderr)
        return 1
    return 0
