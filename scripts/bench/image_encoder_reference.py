#!/usr/bin/env python3
"""PyTorch side of `aerie-bench image-encoder`: times EfficientNet-Lite's forward pass on CPU.

Usage: python image_encoder_reference.py --model efficientnet-lite0 --weights model.safetensors
           --input input.f32 --images N --resolution S --batch B --threads T --seconds X

The model is the reference package's own (`efficientnet-lite-pytorch`), loaded with the same
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
from efficientnet_lite_pytorch import EfficientNet

DTYPES = {"F32": torch.float32, "I64": torch.int64}


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
    model = EfficientNet.from_name(args.model)
    model.load_state_dict(load_safetensors(args.weights), strict=True)
    model.eval()

    with open(args.input, "rb") as f:
        raw = bytearray(f.read())
    s = args.resolution
    images = torch.frombuffer(raw, dtype=torch.float32).reshape(args.images, s, s, 3)
    images = images.permute(0, 3, 1, 2).contiguous()  # NCHW, outside the timed region
    batches = [images[i:i + args.batch].contiguous() for i in range(0, args.images - args.batch + 1, args.batch)]

    def forward(x):
        features = model.extract_features(x)
        return model._avg_pooling(features).flatten(1)

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
