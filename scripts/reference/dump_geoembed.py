#!/usr/bin/env python3
"""Dump geoembed v3 reference activations for Aerie's Swift tests (run by hand, not in CI).

Usage:
    python scripts/reference/dump_geoembed.py [--out Tests/AerieModelsTests/Fixtures]

Needs geoembed==1.1.2 and its dependencies (netcl, which runs on NumPy when no OpenCL device is
present; numpy; pillow) and safetensors. The reference is the package's own code: its
`preprocess` (PIL bilinear resize to 128x128, (x / 255 - 0.5) / 0.5) and `TileEncoderV3`, whose
backbone is run block by block here exactly as `NetCLResNet18.forward` does, to record stages.

Inputs: the three synthetic images of synthetic.py. Written to ``geoembed.safetensors``:
    input.row_means, input.column_means (n, 3, 128), input.top_left (n, 3, 8, 8)
    <stage>.channel_means (n, C); <stage>.top_left, <stage>.bottom_right (n, min(C, 16), 8, 8)
        for stem, layer2.0, layer4.1 and pooled (the 4x4 average-pool grid, 512 channels)
    embedding (n, 256), unit length
"""

import argparse
import os

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

from geoembed import Model
from geoembed.preprocess import preprocess
from netcl import autograd as ag
from netcl import ops
from netcl.core.tensor import Tensor

from synthetic import IMAGES, synthetic_image


def stage_tensors(prefix, x):
    c = min(x.shape[1], 16)
    return {
        f"{prefix}.channel_means": x.mean(axis=(2, 3)),
        f"{prefix}.top_left": x[:, :c, :8, :8],
        f"{prefix}.bottom_right": x[:, :c, -8:, -8:],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="Tests/AerieModelsTests/Fixtures")
    args = parser.parse_args()
    model = Model.v3(device="cpu")
    encoder = model._model
    inputs = np.stack([preprocess(Image.fromarray(synthetic_image(*spec), mode="RGB"), 128) for spec in IMAGES])
    tensors = {
        "input.row_means": inputs.mean(axis=3),
        "input.column_means": inputs.mean(axis=2),
        "input.top_left": inputs[:, :, :8, :8],
    }
    bb = encoder.backbone
    with ag.no_grad():
        h = ag.tensor(Tensor.from_host(encoder.queue, inputs))
        h = ag.relu(bb.stem_bn(bb.stem_conv(h)))
        tensors.update(stage_tensors("stem", h.value.to_host()))
        for stage, blocks in (("layer1", bb.layer1), ("layer2", bb.layer2), ("layer3", bb.layer3), ("layer4", bb.layer4)):
            for index, block in enumerate(blocks):
                h = block.forward(h)
                if f"{stage}.{index}" in ("layer2.0", "layer4.1"):
                    tensors.update(stage_tensors(f"{stage}.{index}", h.value.to_host()))
        feat = h.value
    pooled = ops.avg_pool2d(feat, kernel_size=feat.shape[2] // encoder.pool_size, stride=feat.shape[3] // encoder.pool_size)
    tensors.update(stage_tensors("pooled", pooled.to_host()))
    embedding = encoder.forward(inputs)  # the package's own forward, end to end
    tensors["embedding"] = embedding
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    metadata = {"model": "geoembed", "variant": "v3", "resolution": "128",
                "images": ";".join(f"{w}x{h}:{s}" for w, h, s in IMAGES)}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "geoembed.safetensors")
    save_file(tensors, path, metadata=metadata)
    os.chmod(path, 0o644)
    print(f"{path}: {sum(v.size for v in tensors.values())} floats")


if __name__ == "__main__":
    main()
