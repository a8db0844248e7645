"""`segnas weights convert`: writes a file the preset loads strictly; bad input exits 2 with the key names."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pipeline.cli import main
from pipeline.models import resolve_config
from pipeline.weights import validate_pretrained
from tests.weights.conftest import official_keys, synthetic_state_dict


def test_convert_writes_a_file_the_preset_loads_strictly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "sctnet_s.pth"
    torch.save({"state_dict": synthetic_state_dict(official_keys("sctnet_s"))}, source)
    out = tmp_path / "out" / "sctnet_s.pt"
    assert main(["weights", "convert", str(source), "--preset", "sctnet_s", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "layout: mmseg" in printed and "folded" in printed and f"wrote {out}: part(s) encoder, model" in printed
    assert validate_pretrained(out, resolve_config("sctnet_s"), "model", strict=True).clean


def test_convert_stops_on_a_key_no_rule_places(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = synthetic_state_dict(official_keys("sctnet_s"))
    state["backbone.extra_branch.weight"] = torch.zeros(3)
    source = tmp_path / "odd.pth"
    torch.save({"state_dict": state}, source)
    out = tmp_path / "odd.pt"
    assert main(["weights", "convert", str(source), "--preset", "sctnet_s", "-o", str(out)]) == 2
    assert "keys that do not convert for sctnet_s: backbone.extra_branch.weight" in capsys.readouterr().err
    assert not out.exists()
    assert main(["weights", "convert", str(tmp_path / "missing.pth"), "--preset", "sctnet_s", "-o", str(out)]) == 2
    assert "missing.pth: no such file" in capsys.readouterr().err


def test_a_checkpoint_with_another_class_count_needs_num_classes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = [(k, (150, *s[1:]) if k.startswith("decode_head.conv_seg") else s) for k, s in official_keys("sctnet_s")]
    source = tmp_path / "ade.pth"
    torch.save({"state_dict": synthetic_state_dict(keys)}, source)
    out = tmp_path / "ade.pt"
    assert main(["weights", "convert", str(source), "--preset", "sctnet_s", "-o", str(out)]) == 2
    assert "decoder.classifier.weight: (150, 128, 1, 1) vs (19, 128, 1, 1)" in capsys.readouterr().err
    assert main(["weights", "convert", str(source), "--preset", "sctnet_s", "--num-classes", "150", "-o", str(out)]) == 0
