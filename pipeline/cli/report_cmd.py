"""`segnas report`: Pareto fronts, pareto.parquet and report.html of one experiment, or a comparison of two.

An experiment is a local directory or an object-store URI (`s3://bucket/prefix/name`); remote
results are read into a temporary directory, the report is made there and stored back (to the
first experiment, or to `-o`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys

HELP = "Write pareto.parquet and a self-contained report.html for an experiment; with a second one, compare them."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", metavar="EXPERIMENT_DIR",
                        help="directory (or s3://bucket/prefix) holding results.parquet")
    parser.add_argument("other", nargs="?", default=None, metavar="EXPERIMENT_DIR_B",
                        help="a second experiment to compare against the first (A → B)")
    parser.add_argument("-o", "--out", default=None, metavar="OUT",
                        help="output directory or s3:// URI (default: the first experiment directory)")
    parser.add_argument("--endpoint", default=None, metavar="URL",
                        help="S3-compatible endpoint for s3:// experiments (default: $AWS_ENDPOINT_URL, else AWS)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.results_schema import RESULTS_FILE
    from pipeline.storage import is_uri, resolve_location, staged
    from reports import PARETO_FILE, REPORT_FILE, SchemaError, format_comparison, write_report

    experiments = [args.experiment] if args.other is None else [args.experiment, args.other]
    try:
        if not any(is_uri(p) for p in [*experiments, args.out or ""]):
            paths = write_report([Path(p) for p in experiments], Path(args.out) if args.out else None)
            written = [str(paths.pareto), str(paths.html)]
        else:
            sources = [resolve_location(p, args.endpoint, field="EXPERIMENT_DIR") for p in experiments]
            out = resolve_location(args.out, args.endpoint, field="--out") if args.out else sources[0]
            with contextlib.ExitStack() as stack:
                local = [stack.enter_context(staged(s, inputs=[RESULTS_FILE], outputs=[])) for s in sources]
                out_local = stack.enter_context(staged(out, inputs=[], outputs=[PARETO_FILE, REPORT_FILE]))
                paths = write_report(local, out_local)
            written = [out.join(PARETO_FILE).uri, out.join(REPORT_FILE).uri]
    except SchemaError as error:
        print(f"segnas report: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if not any(is_uri(p) for p in [*experiments, args.out or ""]):
            raise  # local file errors are the local writer's to report
        print(f"segnas report: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    for comparison in paths.comparisons:
        print(format_comparison(comparison))
        print()
    for path in written:
        print(f"wrote {path}")
    return 0
