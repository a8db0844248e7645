"""`segnas data`: write the generated dataset (`synth`) or open and check a dataset on disk (`check`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HELP = "Write the generated dataset, or open and check a dataset on disk."


def configure(parser: argparse.ArgumentParser) -> None:
    # No pipeline.data import here: building the parser must stay cheap for every other subcommand.
    # Unset options stay None and fall back to the config defaults; the configs validate the values.
    actions = parser.add_subparsers(dest="data_action", required=True, metavar="ACTION")

    synth = actions.add_parser(
        "synth",
        help="write the generated dataset (generic layout), deterministic by seed",
        description="Write the generated dataset in the generic layout; the same seed gives the same files.",
    )
    synth.add_argument("--out", type=Path, required=True, help="new or empty output folder")
    synth.add_argument("--seed", type=int, help="scene seed (default 0)")
    synth.add_argument("--num-train", type=int, help="training scenes (default 64)")
    synth.add_argument("--num-val", type=int, help="validation scenes (default 16)")
    synth.add_argument("--size", type=int, nargs=2, metavar=("H", "W"), help="scene height and width (default 128 128)")
    synth.add_argument("--classes", type=int, help="class count, 8..32 (default 10)")

    check = actions.add_parser(
        "check",
        help="index a dataset split and check its files",
        description="Index a dataset split, check its image/mask pairs, and print a summary.",
    )
    check.add_argument("--layout", required=True, help="cityscapes, ade20k, coco_stuff or generic")
    check.add_argument("--root", type=Path, required=True, help="dataset folder")
    check.add_argument("--split", help="train or val (default train)")
    check.add_argument("--validate", default="full", help="full, sample, none or auto (default full)")
    check.add_argument("--coco-variant", help="COCO-Stuff annotation variant (default auto)")


def _given(**options: Any) -> dict[str, Any]:
    return {name: value for name, value in options.items() if value is not None}


def _synth(args: argparse.Namespace) -> int:
    from pipeline.data.synth import SynthConfig, write_synth_dataset

    size = None if args.size is None else (args.size[0], args.size[1])
    config = SynthConfig(
        **_given(seed=args.seed, num_train=args.num_train, num_val=args.num_val, size=size, num_classes=args.classes)
    )
    start = time.perf_counter()
    counts = write_synth_dataset(config, args.out)
    seconds = time.perf_counter() - start
    print(
        f"wrote {counts['train']} train + {counts['val']} val scenes, {config.num_classes} classes, "
        f"to {args.out} in {seconds:.1f} s"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    from pipeline.data import DatasetConfig, open_dataset

    config = DatasetConfig(
        layout=args.layout,
        root=str(args.root),
        **_given(split=args.split, validate=args.validate, coco_variant=args.coco_variant),
    )
    start = time.perf_counter()
    source = open_dataset(config)
    seconds = time.perf_counter() - start
    print(
        f"{source.name}: {len(source)} pairs, {source.num_classes} classes, "
        f"checked ({config.validate}) in {seconds:.1f} s"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    from pipeline.data import DatasetConfigError, DatasetError

    try:
        return _synth(args) if args.data_action == "synth" else _check(args)
    except (DatasetError, DatasetConfigError) as error:
        print(f"segnas data {args.data_action}: {error}", file=sys.stderr)
        return 2
