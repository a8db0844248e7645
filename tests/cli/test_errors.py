"""Every expected error is one line `segnas <cmd>: <file or field>: <what is wrong>` with exit code 2;
bugs say so in one line (traceback only with --debug); specs load without torch or Ray."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.cli import _main as cli_main
from pipeline.cli import main
from pipeline.training import ResourceError, ScalingSpec, check_resources

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, time
started = time.perf_counter()
from pipeline.cli import main
code = main(sys.argv[1:])
print(f"{code} {time.perf_counter() - started:.3f} {'torch' in sys.modules} {'ray' in sys.modules}")
"""


def _segnas(*args: str, cwd: Path = ROOT) -> tuple[int, float, bool, bool, str]:
    """Run the CLI in a fresh interpreter: (exit code, seconds, torch imported, ray imported, stderr)."""
    out = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    code, seconds, torch_loaded, ray_loaded = out.stdout.strip().splitlines()[-1].split()
    return int(code), float(seconds), torch_loaded == "True", ray_loaded == "True", out.stderr


def _demo_spec(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "jobs" / "demo.yaml").read_text().replace(old, new)
    spec = tmp_path / "bad.yaml"
    spec.write_text(text.replace("search_spaces/demo.yaml", str(ROOT / "search_spaces" / "demo.yaml")))
    return spec


def test_a_spec_typo_is_one_line_without_torch_or_ray(tmp_path: Path) -> None:
    spec = _demo_spec(tmp_path, "num_samples:", "num_sample:")
    code, seconds, torch_loaded, ray_loaded, err = _segnas("search", str(spec))
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"segnas search: {spec}: search.num_sample: unknown key")
    assert not torch_loaded and not ray_loaded
    assert seconds < 5.0  # about 0.3 s on an idle 2-core CPU machine; generous for a loaded shared one


def test_bad_data_stops_before_ray_starts(tmp_path: Path) -> None:
    from pipeline.data.synth import SynthConfig, write_synth_dataset

    data = tmp_path / "data"
    write_synth_dataset(SynthConfig(num_train=4, num_val=2, size=(32, 32), num_classes=10), data)
    bad = data / "masks" / "train_00001.png"
    Image.fromarray(np.full((32, 32), 200, dtype=np.uint8), mode="L").save(bad)
    spec = _demo_spec(tmp_path, "layout: synth                 # generated into runs/demo/data on first use",
                      f"layout: generic\n  root: {data}")
    spec.write_text(spec.read_text().replace("storage: {path: runs}", f"storage: {{path: {tmp_path / 'runs'}}}"))
    code, seconds, _, ray_loaded, err = _segnas("search", str(spec))
    assert code == 2 and err.count("\n") == 1 and str(bad) in err, err
    assert not (tmp_path / "runs" / "demo" / "ray-head.log").exists()  # no Ray head was started


def test_an_unwritable_experiment_dir_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    spec = _demo_spec(tmp_path, "storage: {path: runs}", f"storage: {{path: {blocker / 'runs'}}}")
    code, _, _, _, err = _segnas("search", str(spec))
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("segnas search: ") and str(blocker / "runs") in err


def test_report_storage_fault_suggests_another_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import reports

    def read_only(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "report.html"))

    monkeypatch.setattr(reports, "write_report", read_only)
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"segnas report: {tmp_path / 'report.html'}: Permission denied (write the report elsewhere with -o DIR)\n"


def test_a_bug_is_one_line_and_its_traceback_needs_debug(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: object) -> int:
        raise KeyError("oops")

    monkeypatch.setattr(cli_main.COMMANDS["models"], "run", broken)
    assert main(["models"]) == cli_main.EXIT_BUG
    assert capsys.readouterr().err == "segnas models: internal error: KeyError: 'oops' (run with --debug for the traceback)\n"
    with pytest.raises(KeyError):
        main(["models", "--debug"])
    with pytest.raises(KeyError):
        main(["--debug", "models"])


def test_more_workers_than_cpus_is_a_resource_error() -> None:
    with pytest.raises(ResourceError, match=r"^scaling: one trial needs 8 CPUs .* but the Ray cluster has 2$"):
        check_resources({"CPU": 2.0}, ScalingSpec(num_workers=8, cpus_per_worker=1), 0.0)
    with pytest.raises(ResourceError, match="GPUs"):
        check_resources({"CPU": 2.0}, ScalingSpec(num_workers=1, use_gpu=True), 0.0)
    check_resources({"CPU": 2.0}, ScalingSpec(num_workers=2, cpus_per_worker=1), 0.0)
