"""A generated segmentation dataset in the generic layout, deterministic by seed.

Written by `segnas data synth --out DIR --seed S`; read back with `DatasetConfig(layout="generic")`.

Classes (K = `num_classes`, 8..32; appearance depends only on the class index, never the seed):
    0 ground      a smooth, desaturated low-frequency colour field with pixel noise
    1 frame       a band of width max(2, min(H, W) // 32) along the image border, warm (red-orange)
                  or cool (blue) hue: the long-range cue
    2 twin_warm   cross-hatch texture, muted green; the class of twin shapes in a warm-framed scene
    3 twin_cool   exactly the same texture and colours; the class of twin shapes in a cool-framed scene
    4..K-1        shape classes: texture stripes / checker / dots / waves (cycling), each with its own
                  hue (golden-ratio steps), base period (6, 8 or 10 px) and orientation
Mask value 255 is ignore.

Per scene, in painting order (later paint covers earlier):
    1. ground everywhere;
    2. 3..7 textured shapes (circle, ellipse, rectangle or triangle, any class from 4 up; scene i
       always includes class 4 + i mod (K - 4)), radius log-uniform in [min(H, W)/40, min(H, W)/4],
       texture period scaled by 0.75..2 per instance, anywhere in the image (even cut by the border);
    3. the frame, warm or cool; exactly half the scenes of a split (seeded order) are warm;
    4. 1..2 twin shapes, radius in [min(H, W)/16, min(H, W)/6], kept at least
       max(8, min(H, W) // 5) pixels inside the frame;
    5. 0..2 smudges: small disks of random noise labelled ignore.
    Each shape's one-pixel outline is labelled ignore with probability 0.3.

Why the twins need context: a twin pixel's neighbourhood looks the same in both twin classes;
only the frame's hue, at least max(8, min(H, W) // 5) pixels from the twin's nearest pixel and
further from its centre, tells them apart. A model whose receptive field stops short of the border can
do no better than chance between the two twin classes; attention or pooled context can reach
100 %. The per-class IoU of twin_warm and twin_cool therefore measures the use of long-range
context. Train on the full image (crop size = image size) to keep the frame in view: a crop that
cuts the frame away also cuts away the information that decides the twins.

Determinism: scene i of a split draws from a generator seeded by (seed, split, i); files are
lossless PNG, so the same seed and config give byte-identical files.
"""

from pipeline.data.synth._appearance import MAX_CLASSES, MIN_CLASSES, ClassLook, class_looks
from pipeline.data.synth._writer import SynthConfig, synth_scene, write_synth_dataset

__all__ = [
    "ClassLook",
    "MAX_CLASSES",
    "MIN_CLASSES",
    "SynthConfig",
    "class_looks",
    "synth_scene",
    "write_synth_dataset",
]
