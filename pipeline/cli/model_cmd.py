"""`segnas model get EXPERIMENT ROW_ID -o DIR`: the bundle of one results row (weights, config, classes).

EXPERIMENT is an experiment directory or an `s3://` prefix (its endpoint and keys from the
standard AWS variables); the bundle is written to a local directory.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "Get a model of a search as a self-describing bundle (`segnas model get EXPERIMENT ROW_ID -o DIR`)."


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    get = actions.add_parser("get", help="write the bundle of one results row", description="write the bundle of one "
                             "results row: weights (weights_only-safe), model config, ISR setting, class names, "
                             "palette, normalisation, inference mode and the row's metrics")
    # A string, not a Path: Path would fold the "//" of an s3:// URI.
    get.add_argument("experiment", metavar="EXPERIMENT_DIR",
                     help="directory or s3://bucket/prefix holding results.parquet (S3 endpoint and keys: the "
                          "standard AWS_* variables)")
    get.add_argument("row_id", metavar="ROW_ID", help="row_id of the row (e.g. t0003, or t0003/isr=2,2,1,1/2,2,2)")
    get.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="bundle directory to write")


def run(args: argparse.Namespace) -> int:
    from pipeline.deploy import bundle_from_row
    from pipeline.models import read_bundle_info

    out = bundle_from_row(args.experiment, args.row_id, args.out)
    info = read_bundle_info(out)
    isr = "/".join(",".join(map(str, f)) if f else "" for f in (info.isr_encoder, info.isr_decoder))
    config = info.model_config
    print(f"{args.row_id}: {config['encoder']['name']} + {config['decoder']['name']}, {info.num_classes} classes"
          f"{', ISR ' + isr if isr != '/' else ''}")
    print("metrics: " + json.dumps(info.metrics, sort_keys=True))
    print(f"wrote {out}")
    return 0
