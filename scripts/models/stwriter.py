"""Writes safetensors files with the Python standard library only.

A safetensors file is an 8-byte little-endian header length, a JSON header that names each
tensor's dtype, shape and byte range, then the raw little-endian tensor data. The header is
padded with spaces to a multiple of 8 bytes so the data that follows is aligned.
"""

import json
import os
import struct

# Bytes per element of each dtype the Aerie engine reads.
DTYPE_WIDTH = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4}


def write(path, tensors, metadata=None):
    """Writes `tensors` to `path` (not atomically: callers write to a temporary path and rename).

    tensors: a list of (name, dtype, shape, raw little-endian bytes), in the order to store.
    metadata: optional dict of str -> str, stored under `__metadata__`.
    """
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    seen = set()
    for name, dtype, shape, data in tensors:
        if name in seen:
            raise ValueError(f"tensor {name} appears twice")
        seen.add(name)
        if dtype not in DTYPE_WIDTH:
            raise ValueError(f"tensor {name}: unsupported dtype {dtype}")
        count = 1
        for d in shape:
            count *= d
        if len(data) != count * DTYPE_WIDTH[dtype]:
            raise ValueError(f"tensor {name}: {len(data)} bytes do not fit shape {list(shape)} of {dtype}")
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(encoded)))
        out.write(encoded)
        for _, _, _, data in tensors:
            out.write(data)
        out.flush()
        os.fsync(out.fileno())


def read_header(path):
    """Reads and validates a safetensors header; returns {name: entry} without `__metadata__`.

    Raises ValueError naming what is wrong when the file is not a well-formed safetensors file.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: truncated (no header length)")
        (length,) = struct.unpack("<Q", raw)
        if length > 100_000_000 or 8 + length > size:
            raise ValueError(f"{path}: implausible header length {length}")
        try:
            header = json.loads(f.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: header is not JSON: {error}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    header.pop("__metadata__", None)
    payload = size - 8 - length
    for name, entry in header.items():
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in DTYPE_WIDTH or not isinstance(shape, list) or not isinstance(offsets, list):
            raise ValueError(f"{path}: entry {name} is malformed")
        count = 1
        for d in shape:
            count *= d
        begin, end = offsets
        if end - begin != count * DTYPE_WIDTH[dtype] or end > payload or begin < 0:
            raise ValueError(f"{path}: entry {name}: offsets {offsets} do not fit shape {shape} of {dtype}")
    return header
