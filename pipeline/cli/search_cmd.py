"""`segnas search SPEC`: run (or continue) a job spec's architecture/hyperparameter search on Ray."""

from __future__ import annotations

import argparse
import sys

HELP = "Run or resume the search of a job spec on Ray Tune (local Ray unless --address); writes results.parquet."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="job spec YAML with a `search` section, e.g. jobs/demo.yaml")
    parser.add_argument("--address", default=None,
                        help="Ray cluster address (e.g. auto, ray://HEAD:10001); default: the spec's ray.address, "
                             "else a local Ray instance")
    parser.add_argument("--experiment-dir", default=None, metavar="DIR",
                        help="experiment directory (default: <storage.path>/<name> of the spec)")


def run(args: argparse.Namespace) -> int:
    from pipeline.search import run_search
    from pipeline.specs import load_spec

    spec = load_spec(args.spec)
    if spec.search is None:
        print(f"segnas search: {args.spec}: the spec has no `search` section", file=sys.stderr)
        return 2
    outcome = run_search(spec, spec_path=args.spec, address=args.address, experiment_dir=args.experiment_dir)
    print(
        f"search {spec.name}: {outcome.trials_run} trials run this time, {outcome.trials_before} before "
        f"(resumed), {outcome.duplicates} duplicate points reused; {outcome.wall_time_s:.0f} s"
    )
    print(f"results: {outcome.results_path}")
    print(f"report: {outcome.report}")
    return 0
