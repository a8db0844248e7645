"""Training-only modules around a `SegmentationModel`: the auxiliary FCN head and the distillation projections.

They are built here from `model.feature_info`, never inside the model, so the model's inference
graph, parameter count and checkpoint stay those of the paper. Encoder features are taken with a
forward hook on `model.encoder` (the model's own forward runs unchanged).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.model_configs import ConfigError
from pipeline.models import SegmentationModel
from pipeline.training._config import AuxConfig


class FCNHead(nn.Module):
    """mmseg-style auxiliary head: 3x3 conv → BN → ReLU → dropout → 1x1 classifier."""

    def __init__(self, in_channels: int, channels: int, num_classes: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
        )
        self.dropout = nn.Dropout2d(0.1)
        self.classifier = nn.Conv2d(channels, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.conv(x)))  # (B, K, h, w)


class FeatureTap:
    """Keeps the latest output of `encoder` (the list of stage features) via a forward hook."""

    def __init__(self, encoder: nn.Module) -> None:
        self.features: list[torch.Tensor] = []
        self.handle = encoder.register_forward_hook(self._store)

    def _store(self, module: nn.Module, inputs: object, output: list[torch.Tensor]) -> None:
        self.features = list(output)


def _check_stage(what: str, stage: int, model: SegmentationModel) -> None:
    if not 1 <= stage <= len(model.feature_info):
        raise ConfigError(f"{what}: expected an encoder stage in 1..{len(model.feature_info)}, got {stage}")


class TrainingModule(nn.Module):
    """What DDP wraps: the model plus training-only heads. forward → (logits, aux logits, projected features)."""

    def __init__(self, model: SegmentationModel, aux: AuxConfig | None = None,
                 distill_channels: dict[int, int] | None = None) -> None:
        super().__init__()
        self.model = model
        num_classes = model.config.num_classes
        self.aux_stage: int | None = None
        self.aux_head: FCNHead | None = None
        if aux is not None:
            _check_stage("TrainConfig.aux.stage", aux.stage, model)
            self.aux_stage = aux.stage
            self.aux_head = FCNHead(model.feature_info[aux.stage - 1].channels, aux.channels, num_classes)
        self.projections = nn.ModuleDict()
        for stage, teacher_channels in (distill_channels or {}).items():
            _check_stage("TrainConfig.distill.stages", stage, model)
            student_channels = model.feature_info[stage - 1].channels
            self.projections[str(stage)] = nn.Conv2d(student_channels, teacher_channels, 1)
        self.tap = FeatureTap(model.encoder)

    def training_heads(self) -> list[nn.Module]:
        """Modules that exist only in training (saved with the training state, not the model)."""
        heads: list[nn.Module] = [self.projections]
        if self.aux_head is not None:
            heads.append(self.aux_head)
        return heads

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, dict[int, torch.Tensor]]:
        logits = self.model(images)  # (B, K, H, W)
        features = self.tap.features
        aux_logits = None
        if self.aux_head is not None and self.aux_stage is not None:
            aux_logits = F.interpolate(self.aux_head(features[self.aux_stage - 1]), size=images.shape[-2:],
                                       mode="bilinear", align_corners=False)
        projected = {int(stage): proj(features[int(stage) - 1]) for stage, proj in self.projections.items()}
        return logits, aux_logits, projected


class Teacher:
    """A frozen model whose encoder features and logits the student is aligned to."""

    def __init__(self, model: SegmentationModel) -> None:
        self.model = model.eval()
        for param in self.model.parameters():
            param.requires_grad_(False)
        self.tap = FeatureTap(model.encoder)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        logits = self.model(images)
        return logits, self.tap.features
