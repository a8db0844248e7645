"""`segnas predict BUNDLE_OR_ROW IMAGE_OR_DIR... -o DIR`: class masks, colour masks and overlays."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.cli._model_source import BUNDLE_OR_ROW_HELP

HELP = "Predict images with a bundle: per image a class-index PNG, a colour mask and an overlay."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="BUNDLE_OR_ROW", help=BUNDLE_OR_ROW_HELP)
    parser.add_argument("images", nargs="+", metavar="IMAGE_OR_DIR", help="images (.png/.jpg) or folders of images")
    parser.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="output folder")


def run(args: argparse.Namespace) -> int:
    from pipeline.cli._model_source import bundle_directory
    from pipeline.deploy import collect_images, write_predictions
    from pipeline.models import load_bundle

    images = collect_images(args.images)
    with bundle_directory(args.source) as directory:
        bundle = load_bundle(directory)
    written = write_predictions(bundle.model, bundle.info, images, args.out)
    mode = bundle.info.inference + (f" {bundle.info.window[0]}x{bundle.info.window[1]}" if bundle.info.inference == "slide" else "")
    print(f"{len(written)} image(s), {mode} inference; per image <stem>.classes.png, .mask.png, .overlay.png")
    print(f"wrote {Path(args.out)}")
    return 0
