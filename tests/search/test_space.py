"""Space files: format errors name the file, the dimension and the nearest valid field; unbuildable points fail on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.search import SpaceError, load_search_space

SPACES = sorted((Path(__file__).resolve().parents[2] / "search_spaces").glob("*.yaml"))

BASE = """
name: t
encoders:
  mscan:
    fixed: {widths: [8, 16, 32, 64], depths: [1, 1, 1, 1], mlp_ratios: [2, 2, 2, 2]}
    dimensions:
      DIMS
decoders:
  mlp_head:
    fixed: {channels: 16}
"""


def write(tmp_path: Path, dims: str, extra: str = "") -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(BASE.replace("DIMS", dims) + extra)
    return path


@pytest.mark.parametrize("path", SPACES, ids=[p.stem for p in SPACES])
def test_shipped_spaces_load_and_build(path: Path) -> None:
    space = load_search_space(path)
    assert space.dimension_names()


def test_unknown_field_names_file_dimension_and_nearest_field(tmp_path: Path) -> None:
    path = write(tmp_path, "depth: {type: categorical, choices: [[1, 1, 1, 1]]}")
    with pytest.raises(SpaceError) as error:
        load_search_space(path)
    message = str(error.value)
    assert str(path) in message and "dimensions.depth" in message and "did you mean 'depths'" in message


def test_unknown_encoder_suggests_nearest(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(BASE.replace("mscan:", "mscn:").replace("DIMS", "square_kernel: {type: int, low: 3, high: 5, step: 2}"))
    with pytest.raises(SpaceError, match="did you mean 'mscan'"):
        load_search_space(path)


@pytest.mark.parametrize(
    ("dims", "match"),
    [
        ("square_kernel: {type: int, low: 7, high: 3}", "low <= high"),
        ("drop_path: {type: float, low: 0.0, high: 0.2, log: true}", "log-scale range needs low > 0"),
        ("square_kernel: {type: categorical, choices: []}", "non-empty list"),
        ("square_kernel: {type: int, low: 3, high: 8, step: 2}", "multiple of step"),
        ("depths[4]: {type: int, low: 1, high: 2}", "index 4 out of range"),
        ("square_kernel[0]: {type: int, low: 3, high: 5, step: 2}", "not a per-stage tuple"),
        ("square_kernel: {type: normal, low: 3, high: 5}", "type one of"),
    ],
)
def test_impossible_dimensions_fail_on_load(tmp_path: Path, dims: str, match: str) -> None:
    with pytest.raises(SpaceError, match=match):
        load_search_space(write(tmp_path, dims))


def test_unbuildable_points_are_listed_before_any_trial(tmp_path: Path) -> None:
    # Even square kernels cannot build; 4 of the 6 product points carry one.
    path = write(tmp_path, "square_kernel: {type: categorical, choices: [3, 4, 6]}\n      depths[2]: {type: int, low: 1, high: 2}")
    with pytest.raises(SpaceError) as error:
        load_search_space(path)
    message = str(error.value)
    assert "4 of 6 checked points do not build" in message
    assert "square_kernel" in message and str(path) in message


def test_unknown_train_field_suggests_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, "square_kernel: {type: categorical, choices: [3, 5]}", "train:\n  learning_rate: {type: float, low: 0.001, high: 0.01}\n")
    with pytest.raises(SpaceError, match=r"train\.learning_rate: unknown field of TrainConfig"):
        load_search_space(path)


def test_impossible_train_value_fails_on_load(tmp_path: Path) -> None:
    path = write(tmp_path, "square_kernel: {type: categorical, choices: [3, 5]}", "train:\n  weight_decay: {type: float, low: 0.1, high: 2.0}\n")
    with pytest.raises(SpaceError, match="weight_decay"):
        load_search_space(path)


@pytest.mark.parametrize("name", ["demo", "cityscapes", "ade20k"])
def test_search_job_specs_load_with_their_spaces(name: str) -> None:
    from pipeline.specs import load_spec

    root = Path(__file__).resolve().parents[2]
    spec = load_spec(root / "jobs" / f"{name}.yaml")
    assert spec.search is not None and spec.search.space is not None
    assert spec.search.scheduler.rungs(spec.train.epochs)  # every shipped search stops early somewhere
