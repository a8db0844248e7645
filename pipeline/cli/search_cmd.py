"""`segnas search SPEC`: run (or continue) a job spec's architecture/hyperparameter search on Ray.

Exit status: 0 when every trial of the spec is done; 1 when the run ended before that
(interrupted, stalled, rows not written, or trials that failed); 2 for a bad spec, dataset,
storage or resource request (one line on stderr).
"""

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
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also show Ray's and Tune's own output (always in <experiment dir>/ray.log)")


def run(args: argparse.Namespace) -> int:
    from pipeline.specs import SpecError, load_spec

    spec = load_spec(args.spec)
    if spec.search is None:
        raise SpecError(f"{args.spec}: the spec has no `search` section; `segnas train` trains its model")
    from pipeline.search import run_search

    outcome = run_search(spec, spec_path=args.spec, address=args.address, experiment_dir=args.experiment_dir,
                         verbose=args.verbose)
    resumed = f", {outcome.trials_before} before (resumed)" if outcome.trials_before else ""
    print(f"search {spec.name}: {outcome.trials_run} trials run this time{resumed}, "
          f"{outcome.duplicates} duplicate points reused; {outcome.wall_time_s:.0f} s")
    print(f"results: {outcome.results_path}")
    print(f"report: {outcome.report}")
    if outcome.rows_pending:
        print(f"segnas search: {outcome.results_path}: {outcome.rows_pending} row(s) could not be written; "
              "their trials are in the study and run again next time", file=sys.stderr)
    if outcome.stop_reason is not None or outcome.trials_done < outcome.num_samples:
        reason = f" ({outcome.stop_reason})" if outcome.stop_reason else ""
        print(f"segnas search: {outcome.trials_done} of {outcome.num_samples} trials done{reason}; "
              "run the same command to continue", file=sys.stderr)
        return 1
    if outcome.failed:
        print(f"segnas search: {outcome.trials_done} of {outcome.num_samples} trials done, {outcome.failed} failed "
              f"(see the error column of {outcome.results_path})", file=sys.stderr)
        return 1
    return 0 if outcome.complete else 1
