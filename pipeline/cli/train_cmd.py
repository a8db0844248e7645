"""`segnas train SPEC.yaml [--address ADDR]`: train the spec's model on Ray Train.

Prints one progress line per epoch (epoch, loss, mIoU, images/s, ETA; from the rank-0 worker),
writes checkpoints and `history.jsonl` into the experiment directory (<storage.path>/<name>), and
resumes from the latest readable checkpoint there when one exists. The dataset is checked and the
requested workers are compared with the cluster before any worker starts. Without an address a
loopback-only local Ray head with every CPU of this machine is started, and stopped at the end.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "Train the model of a job spec on Ray Train (checkpoints, history, resume)."


def configure(parser: argparse.ArgumentParser) -> None:
    # No torch/Ray import here: building the parser must stay cheap for every other subcommand.
    parser.add_argument("spec", type=Path, help="experiment spec (YAML), e.g. jobs/demo_train.yaml")
    parser.add_argument("--address", help="Ray cluster address (overrides the spec's ray.address); none: local Ray")


def run(args: argparse.Namespace) -> int:
    from pipeline.specs import SpecError, load_spec
    from pipeline.storage import copy_file

    spec = load_spec(args.spec)
    if spec.model is None:
        raise SpecError(f"{args.spec}: model: missing section; `segnas train` trains the model it names")

    import ray

    from pipeline import metric_names as m
    from pipeline.training import (
        HISTORY_FILE,
        alive_node_resources,
        check_dataset,
        check_resources,
        fit_model,
        prepare_dataset,
        ray_connection,
    )

    experiment_dir = spec.experiment_location()
    experiment_dir.makedirs()
    copy_file(args.spec, experiment_dir.join("spec.yaml"))
    dataset = spec.resolved_dataset()
    num_classes = prepare_dataset(dataset)
    scratch = experiment_dir.scratch_dir()  # local: caches and Ray's logs
    scratch.mkdir(parents=True, exist_ok=True)
    check_dataset(dataset, scratch)
    model_config = spec.model.model_config_dict(num_classes)
    train = spec.model.train_with_weights(spec.train, model_config)
    with ray_connection(args.address or spec.ray.address, scratch, log_to_driver=True):
        check_resources(ray.cluster_resources(), spec.scaling, 0.0, nodes=alive_node_resources(ray.nodes()))
        print(
            f"segnas train: {spec.name}: {spec.train.epochs} epochs on {spec.scaling.num_workers} worker(s) "
            f"({'GPU' if spec.scaling.use_gpu else 'CPU'}), run dir {experiment_dir.uri}",
            flush=True,
        )
        result = fit_model(
            model_config,
            train,
            dataset,
            spec.scaling,
            run_name=spec.name,
            storage_path=spec.storage.root(),
        )
    final = result.metrics
    print(
        f"segnas train: done in {result.wall_time_s:.1f} s: epoch {final.get(m.EPOCH)}, "
        f"mIoU {final.get(m.VAL_MIOU, float('nan')):.4f}, pixel acc {final.get(m.VAL_PIXEL_ACC, float('nan')):.4f}; "
        f"checkpoint {result.checkpoint_path}; history {result.run_dir}/{HISTORY_FILE}",
        file=sys.stdout,
    )
    return 0
