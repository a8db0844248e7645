"""`segnas report`: Pareto fronts, pareto.parquet and report.html of one experiment, or a comparison of two."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "Write pareto.parquet and a self-contained report.html for an experiment; with a second one, compare them."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", type=Path, metavar="EXPERIMENT_DIR", help="directory holding results.parquet")
    parser.add_argument("other", type=Path, nargs="?", default=None, metavar="EXPERIMENT_DIR_B",
                        help="a second experiment to compare against the first (A → B)")
    parser.add_argument("-o", "--out", type=Path, default=None, metavar="OUT",
                        help="output directory (default: the first experiment directory)")


def run(args: argparse.Namespace) -> int:
    from reports import SchemaError, format_comparison, write_report

    experiments = [args.experiment] if args.other is None else [args.experiment, args.other]
    try:
        paths = write_report(experiments, args.out)
    except SchemaError as error:
        print(f"segnas report: {error}", file=sys.stderr)
        return 2
    for comparison in paths.comparisons:
        print(format_comparison(comparison))
        print()
    print(f"wrote {paths.pareto}")
    print(f"wrote {paths.html}")
    return 0
