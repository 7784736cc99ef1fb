"""Training data.

- `filelist`: `left right` stereo file lists (errors name `file:line`).
- `stereo`: `StereoListDataset` (area resize, reference augmentation seeded per (seed, epoch, index)),
  `collate_skip_none`.
- `augment`, `resize`: the augmentation recipe and `tf.image.resize_area`-style area resize.
- `synth`: procedural stereo scenes with exact depth (`generate(SynthRequest(...)) -> Path`).
- `reproject`: rectilinear stereo data -> equirectangular crops.
- `threed60`: the 3D60 panorama data set.

Submodules are imported on use so that `import panoconv.data` stays light.
"""
