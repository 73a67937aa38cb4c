#!/usr/bin/env python3
"""PyTorch side of `aerie-bench image-encoder`: times an image encoder's forward pass on CPU.

Usage: python image_encoder_reference.py --model efficientnet-lite0 --weights model.safetensors
           --input input.f32 --images N --resolution S --batch B --threads T --seconds X

EfficientNet-Lite is the reference package's own model (`efficientnet-lite-pytorch`); geoembed's
package runs on NetCL, so here it is the same network (`TileEncoderV3`: CIFAR-style ResNet-18,
4x4 average-pool grid, linear, L2 normalisation) in `torch.nn.functional`. Both load the same
converted weights Aerie reads (so both sides run identical numbers); the input is the raw NHWC
float32 file Aerie's preprocessing wrote, so both sides time the network only. The result is one
JSON line: median seconds per batch, images/s, peak resident memory (KiB), and a checksum of the
first batch's pooled features for a sanity comparison.
"""

import argparse
import json
import resource
import struct
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "I64": torch.int64, "I32": torch.int32}


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        data = bytearray(blob[base + begin: base + end])
        tensors[name] = torch.frombuffer(data, dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors


def efficientnet(name, weights):
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name(name)
    model.load_state_dict(weights, strict=True)
    model.eval()

    def forward(x):
        return model._avg_pooling(model.extract_features(x)).flatten(1)

    return forward


def geoembed(weights, eps=1e-5):
    """geoembed v3's TileEncoderV3 in torch.nn.functional (netcl's BatchNorm eps is 1e-5)."""
    def bn(x, prefix):
        return F.batch_norm(x, weights[f"{prefix}.running_mean"], weights[f"{prefix}.running_var"],
                            weights[f"{prefix}.weight"], weights[f"{prefix}.bias"], False, 0.0, eps)

    def block(x, p, stride):
        h = F.relu(bn(F.conv2d(x, weights[f"{p}.conv1.weight"], stride=stride, padding=1), f"{p}.bn1"))
        h = bn(F.conv2d(h, weights[f"{p}.conv2.weight"], padding=1), f"{p}.bn2")
        if f"{p}.short.0.weight" in weights:
            x = bn(F.conv2d(x, weights[f"{p}.short.0.weight"], stride=stride), f"{p}.short.1")
        return F.relu(h + x)

    def forward(x):
        h = F.relu(bn(F.conv2d(x, weights["bb.stem.0.weight"], padding=1), "bb.stem.1"))
        for stage in range(1, 5):
            for index in range(2):
                h = block(h, f"bb.layer{stage}.{index}", 2 if stage > 1 and index == 0 else 1)
        pooled = F.avg_pool2d(h, kernel_size=h.shape[2] // 4).flatten(1)
        out = pooled @ weights["fc.weight"] + weights["fc.bias"]
        return out / out.norm(dim=1, keepdim=True).clamp_min(1e-8)

    return forward


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--model", "--weights", "--input"):
        parser.add_argument(flag, required=True)
    for flag in ("--images", "--resolution", "--batch", "--threads"):
        parser.add_argument(flag, type=int, required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    weights = load_safetensors(args.weights)
    forward = geoembed(weights) if args.model == "geoembed" else efficientnet(args.model, weights)

    with open(args.input, "rb") as f:
        raw = bytearray(f.read())
    s = args.resolution
    images = torch.frombuffer(raw, dtype=torch.float32).reshape(args.images, s, s, 3)
    images = images.permute(0, 3, 1, 2).contiguous()  # NCHW, outside the timed region
    batches = [images[i:i + args.batch].contiguous() for i in range(0, args.images - args.batch + 1, args.batch)]

    times = []
    with torch.inference_mode():
        checksum = float(forward(batches[0]).sum())  # warm-up
        started = time.perf_counter()
        i = 0
        while time.perf_counter() - started < args.seconds or len(times) < 3:
            t0 = time.perf_counter()
            forward(batches[i % len(batches)])
            times.append(time.perf_counter() - t0)
            i += 1
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({
        "engine": "pytorch", "torch": torch.__version__, "model": args.model, "batch": args.batch,
        "threads": torch.get_num_threads(), "iterations": len(times), "median_seconds": median,
        "images_per_second": args.batch / median,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "checksum": checksum,
    }))


if __name__ == "__main__":
    main()
