"""Benchmark (not a test): the presets against the official implementations, run side by side.

Each official module is built from a checkout of its repository (random weights), its state_dict
goes through `segnas weights convert`'s tables into the preset (strict loading), and both run on
the same input. The official repositories import training frameworks (mmcv, mmseg, timm,
InPlace-ABN) for registries and layers; the stand-ins here provide the registries, identity drop
path, and InPlace-ABN's inference formula (scale |weight| + eps, then LeakyReLU(0.01) or none).
Nothing of the official code is copied: it is imported from the given checkouts.

    python bench/compare_release.py --edaformer ~/src/EDAFormer --sctnet ~/src/SCTNet \
        --ccnet ~/src/CCNet --sotr ~/src/SOTR

Prints a Markdown table and writes bench/results/release_comparison.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.measure import collect_fingerprint, format_fingerprint
from pipeline.models import build_model, resolve_config
from pipeline.weights import convert_checkpoint, load_pretrained, write_converted

RESULTS = Path(__file__).parent / "results" / "release_comparison.json"


def _stub(name: str, **attrs: Any) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules.setdefault(name, module)
    sys.modules[name].__dict__.update(attrs)


class _Registry:
    def register_module(self, *args: Any, **kwargs: Any) -> Callable[[type], type]:
        return lambda cls: cls


class _NoDropPath(nn.Module):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class _BaseModule(nn.Module):
    def __init__(self, init_cfg: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.init_cfg = types.SimpleNamespace(type=None)

    def init_weights(self) -> None:
        """The comparison sets its own random values."""


class _InPlaceABN(nn.Module):
    """InPlace-ABN at inference: BatchNorm with scale |weight| + eps, then its activation."""

    def __init__(self, channels: int, activation: str = "leaky_relu", eps: float = 1e-5, **kwargs: Any) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.activation, self.eps = activation, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight.abs() + self.eps
        x = F.batch_norm(x, self.running_mean, self.running_var, scale, self.bias, False, 0.0, self.eps)
        return F.leaky_relu(x, 0.01) if self.activation == "leaky_relu" else x


def _install_stand_ins() -> None:
    def init(tensor: Any = None, *args: Any, **kwargs: Any) -> None:
        return None

    for name in ("timm", "timm.models", "mmseg", "mmseg.models", "mmcv", "mmcv.cnn.utils", "utils"):
        _stub(name)
    _stub("timm.models.layers", DropPath=_NoDropPath, to_2tuple=lambda v: v if isinstance(v, tuple) else (v, v),
          trunc_normal_=nn.init.trunc_normal_)
    _stub("timm.models.registry", register_model=lambda f: f)
    _stub("timm.models.vision_transformer", _cfg=lambda **kwargs: kwargs)
    _stub("mmseg.models.builder", BACKBONES=_Registry())
    _stub("mmseg.utils", get_root_logger=lambda: None)
    _stub("mmcv.runner", load_checkpoint=init, BaseModule=_BaseModule)
    _stub("mmcv.cnn", Conv2d=nn.Conv2d, ConvModule=None)
    _stub("mmcv.cnn.utils.weight_init", constant_init=init, kaiming_init=init, trunc_normal_init=init, normal_init=init)
    _stub("inplace_abn", InPlaceABN=_InPlaceABN, InPlaceABNSync=_InPlaceABN)
    _stub("utils.pyt_utils", load_model=None)


def _load_file(path: Path, name: str, package: str | None = None) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if package is not None:
        module.__package__ = package
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _randomise(module: nn.Module) -> None:
    """Non-trivial values everywhere: norms' statistics and scales, biases, ReZero gates, CCNet's γ."""
    with torch.no_grad():
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
            if name.endswith("running_var"):
                tensor.copy_(torch.rand_like(tensor) + 0.5)
            elif name.endswith(("running_mean", ".bias")):
                tensor.copy_(0.1 * torch.randn_like(tensor))
            elif name.endswith((".g", "gamma")) or (name.endswith(".weight") and tensor.ndim == 1):
                tensor.copy_(0.5 + 0.1 * torch.randn_like(tensor))
            elif tensor.ndim >= 2 and tensor.is_floating_point():
                tensor.copy_(torch.randn_like(tensor) / tensor[0].numel() ** 0.5)


def _relative(ours: torch.Tensor, ref: torch.Tensor) -> float:
    return ((ours - ref).norm() / ref.norm()).item()


def _converted(state: dict[str, torch.Tensor], preset: str, part: str, work: Path, config: Any = None) -> nn.Module:
    source = work / f"{preset}.pth"
    torch.save(state, source)
    target = config if config is not None else preset
    converted = convert_checkpoint(source, target)
    if converted.report.unexpected or part not in converted.parts:
        raise RuntimeError(f"{preset}: conversion incomplete: {converted.report.unexpected} {converted.model.lines()}")
    out = work / f"{preset}.pt"
    write_converted(converted, out, source)
    model = build_model(converted.config).eval()
    load_pretrained(model, out, part, strict=True)
    return model


def compare_edaformer(root: Path, work: Path) -> list[dict[str, Any]]:
    eft = _load_file(root / "mmseg/models/backbones/eft.py", "official_eft")
    rows = []
    for variant, preset in (("EFT_T", "edaformer_t"), ("EFT_B", "edaformer_b")):
        official = getattr(eft, variant)(reduction_ratios=[1, 1, 1, 1]).eval()
        _randomise(official)
        official_isr = getattr(eft, variant)(reduction_ratios=[2, 2, 1, 1]).eval()
        official_isr.load_state_dict(official.state_dict())
        for ceil in (False, True):
            base = resolve_config(preset)
            config = dataclasses.replace(base, encoder=dataclasses.replace(base.encoder, kv_pool_ceil=ceil))
            ours = _converted(official.state_dict(), preset, "encoder", work, config)
            for size in ((512, 683), (256, 256)):
                x = torch.randn(1, 3, *size)
                with torch.no_grad():
                    diff = max(map(_relative, ours.encoder(x), official(x)))
                rows.append({"release": f"EDAFormer {variant} encoder", "setting": f"kv_pool_ceil={ceil}",
                             "input": f"{size[0]}x{size[1]}", "relative_l2": diff})
            if not ceil:
                ours.set_isr(encoder=(2, 2, 1, 1))
                x = torch.randn(1, 3, 512, 683)
                with torch.no_grad():
                    diff = max(map(_relative, ours.encoder(x), official_isr(x)))
                rows.append({"release": f"EDAFormer {variant} encoder", "setting": "ISR 2,2,1,1",
                             "input": "512x683", "relative_l2": diff})
    return rows


def compare_sctnet(root: Path, work: Path) -> list[dict[str, Any]]:
    package = work / "sctnet_pkg"
    (package / "models" / "backbones").mkdir(parents=True, exist_ok=True)
    for init in ("__init__.py", "models/__init__.py", "models/backbones/__init__.py"):
        (package / init).write_text("")
    (package / "models" / "builder.py").write_text(
        "class _R:\n    def register_module(self, *a, **k):\n        return lambda c: c\nBACKBONES = _R()\n")
    (package / "models" / "backbones" / "sctnet.py").write_text((root / "mmseg/models/backbones/sctnet.py").read_text())
    sys.path.insert(0, str(work))
    official_cls = importlib.import_module("sctnet_pkg.models.backbones.sctnet").SCTNet
    rows = []
    for preset, base, spp in (("sctnet_s", 32, 64), ("sctnet_b", 64, 128)):
        official = official_cls(base_channels=base, spp_channels=spp).eval()
        _randomise(official)
        c = 4 * base
        head = {"bn1": nn.BatchNorm2d(c), "conv1": nn.Conv2d(c, c, 3, padding=1), "bn2": nn.BatchNorm2d(c),
                "conv_seg": nn.Conv2d(c, 19, 1)}
        head_module = nn.ModuleDict(head).eval()
        _randomise(head_module)
        state = {**{f"backbone.{k}": v for k, v in official.state_dict().items()},
                 **{f"decode_head.{k}": v for k, v in head_module.state_dict().items()}}
        ours = _converted({"state_dict": state}, preset, "model", work)
        x = torch.randn(1, 3, 256, 512)
        with torch.no_grad():
            features = official(x)[0]
            hidden = head["conv1"](F.relu(head["bn1"](features)))
            ref = head["conv_seg"](F.relu(head["bn2"](hidden)))  # the release's SCTHead at inference
            diff = _relative(ours.decoder(ours.encoder(x)), ref)
        rows.append({"release": f"SCTNet {preset[-1].upper()} backbone + DAPPM + head", "setting": "default",
                     "input": "256x512", "relative_l2": diff})
    return rows


def compare_ccnet(root: Path, work: Path) -> list[dict[str, Any]]:
    sys.path.insert(0, str(root))
    functions = importlib.import_module("cc_attention.functions")

    def cpu_inf(batch: int, height: int, width: int) -> torch.Tensor:
        return -torch.diag(torch.tensor(float("inf")).repeat(height), 0).unsqueeze(0).repeat(batch * width, 1, 1)

    official = _load_file(root / "networks/ccnet.py", "official_ccnet").Seg_Model(num_classes=19, recurrence=2).eval()
    for module in official.modules():
        if isinstance(module, functions.CrissCrossAttention):
            module.INF = cpu_inf  # the release builds its mask with .cuda()
    _randomise(official)
    ours = _converted({f"module.{k}": v for k, v in official.state_dict().items()}, "ccnet_r101", "model", work)
    x = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        diff = _relative(ours.decoder(ours.encoder(x)), official(x)[0])
    return [{"release": "CCNet ResNet-101 + RCCA head (R = 2)", "setting": "default", "input": "256x256",
             "relative_l2": diff}]


def compare_sotr(root: Path, work: Path) -> list[dict[str, Any]]:
    from pipeline.models.twin_attention import TwinTransformer

    package = root / "adet/modeling/sotr"
    _stub("sotr_official")
    sys.modules["sotr_official"].__path__ = [str(package)]  # type: ignore[attr-defined]
    official_cls = importlib.import_module("sotr_official.transformer").TwinTransformer
    dim, depth, heads = 256, 12, 8
    official = official_cls(dim=dim, depth=depth, heads=heads).eval()
    _randomise(official)
    state = official.state_dict()
    ported = {}  # the twin transformer has no conversion table (SOTR releases no semantic model)
    for layer in range(depth):
        attn, convs = f"layers.blocks.{2 * layer}", f"layers.blocks.{2 * layer + 1}"
        for i, path in enumerate(("column", "row")):
            for ours_name, release_name in (("query.weight", "to_q.weight"), ("key_value.weight", "to_kv.weight"),
                                            ("proj.weight", "to_out.weight"), ("proj.bias", "to_out.bias")):
                ported[f"layers.{layer}.attn.{path}.{ours_name}"] = state[f"{attn}.{i}.fn.fn.{release_name}"]
            ported[f"layers.{layer}.attn.{path}_gate"] = state[f"{attn}.{i}.fn.g"]
        for b in range(2):
            for index, name in ((0, "conv1"), (2, "conv2")):
                for p in ("weight", "bias"):
                    ported[f"layers.{layer}.convs.{b}.{name}.{p}"] = state[f"{convs}.{b}.fn.{index}.{p}"]
            ported[f"layers.{layer}.convs.{b}.gate"] = state[f"{convs}.{b}.g"]
    # Float64: twelve residual layers with non-zero gates amplify float32 rounding to ~1e-4.
    x = torch.randn(1, dim, 24, 24, dtype=torch.float64)
    official.double()
    rows = []
    for duplicate in (True, False):
        ours = TwinTransformer(dim, depth, heads, dim, 2, "none", duplicate_width=duplicate).eval()
        ours.load_state_dict(ported, strict=True)
        with torch.no_grad():
            diff = _relative(ours.double()(x), official(x))
        rows.append({"release": "SOTR twin transformer (12 layers, 256)", "setting": f"duplicate_width={duplicate}",
                     "input": "24x24 map, float64", "relative_l2": diff})
    return rows


COMPARISONS: dict[str, Callable[[Path, Path], list[dict[str, Any]]]] = {
    "edaformer": compare_edaformer,
    "sctnet": compare_sctnet,
    "ccnet": compare_ccnet,
    "sotr": compare_sotr,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in COMPARISONS:
        parser.add_argument(f"--{name}", type=Path, help=f"checkout of the official {name} repository")
    args = parser.parse_args()
    _install_stand_ins()
    torch.manual_seed(0)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as work:
        for name, compare in COMPARISONS.items():
            root = getattr(args, name)
            if root is not None:
                rows += compare(root.expanduser().resolve(), Path(work))
    device = format_fingerprint(collect_fingerprint("cpu"))
    print(f"# Presets against the official code\n\n{device}\n")
    print("| release module | setting | input | relative L2 difference |\n|---|---|---|---|")
    for row in rows:
        print(f"| {row['release']} | {row['setting']} | {row['input']} | {row['relative_l2']:.1e} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"device": device, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
