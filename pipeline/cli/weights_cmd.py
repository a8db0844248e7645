"""`segnas weights convert FILE --preset NAME -o OUT`: a released checkpoint → a segnas weight file.

Prints what happened to every key (mapped, folded, fixed, dropped) and which parts of the preset
the file can initialise with strict loading (`model.pretrained.part` in a job spec). A key no rule
places, or a tensor whose shape differs from the preset's, stops the conversion (exit code 2) with
the names, and nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Convert released checkpoints (SegNeXt, EDAFormer, SCTNet, CCNet, their ImageNet backbones)."


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    convert = sub.add_parser("convert", help="convert a released checkpoint for a preset")
    convert.add_argument("file", type=Path, help="the released checkpoint (.pth)")
    convert.add_argument("--preset", required=True, help="the target preset, e.g. segnext_t (see `segnas models`)")
    convert.add_argument("--num-classes", type=int, help="the target's class count (default: the preset's)")
    convert.add_argument("-o", "--out", type=Path, required=True, help="the converted file to write")


def run(args: argparse.Namespace) -> int:
    from pipeline.weights import WeightsError, convert_checkpoint, write_converted

    converted = convert_checkpoint(args.file, args.preset, args.num_classes)
    for line in converted.report.lines():
        print(f"  {line}")
    problems = list(converted.report.unexpected) + converted.model.mismatched
    if problems:
        more = f" (+{len(problems) - 20} more)" if len(problems) > 20 else ""
        hint = " (another class count? pass --num-classes)" if any("classifier" in p for p in problems) else ""
        raise WeightsError(f"{args.file}: keys that do not convert for {args.preset}: {', '.join(problems[:20])}{more}{hint}")
    if not converted.parts:
        raise WeightsError(f"{args.file}: no complete part of {args.preset}: " + "; ".join(converted.encoder.lines()))
    write_converted(converted, args.out, args.file)
    missing = converted.model.missing
    note = "" if not missing else f" (fresh when loading part encoder: {len(missing)} decoder tensors)"
    print(f"segnas weights: wrote {args.out}: part(s) {', '.join(converted.parts)}{note}")
    return 0
