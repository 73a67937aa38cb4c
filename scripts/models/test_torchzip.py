#!/usr/bin/env python3
"""Tests of torchzip.py with the standard library only: `python3 scripts/models/test_torchzip.py`.

Checkpoints are written here the way torch.save writes them (both the zip and the legacy
container), with stand-in `torch` modules registered only while pickling, so no torch is needed.
"""

import collections
import io
import os
import pickle
import struct
import sys
import tempfile
import types
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import stwriter  # noqa: E402
import torchzip  # noqa: E402


class _Storage:
    def __init__(self, key, code, values):
        self.key, self.code, self.values = key, code, values

    def raw(self):
        return struct.pack(f"<{len(self.values)}{self.code}", *self.values)


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (_fake_torch()._utils._rebuild_tensor_v2,
                (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


_FAKE = {}


def _fake_torch():
    """Stand-ins for the torch names a state dict pickles, importable by pickle while dumping."""
    if not _FAKE:
        torch = types.ModuleType("torch")
        utils = types.ModuleType("torch._utils")

        def _rebuild_tensor_v2(*args):
            raise AssertionError("never called while pickling")

        _rebuild_tensor_v2.__module__ = "torch._utils"
        _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
        utils._rebuild_tensor_v2 = _rebuild_tensor_v2
        for name in ("FloatStorage", "LongStorage"):
            cls = type(name, (), {})
            cls.__module__ = "torch"
            setattr(torch, name, cls)
        torch._utils = utils
        _FAKE["torch"], _FAKE["torch._utils"] = torch, utils
    sys.modules.update(_FAKE)
    return _FAKE["torch"]


def _storage_class(code):
    torch = _fake_torch()
    return torch.FloatStorage if code == "f" else torch.LongStorage


class _Pickler(pickle.Pickler):
    def __init__(self, file, legacy):
        super().__init__(file, protocol=2)
        self.legacy = legacy

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            pid = ("storage", _storage_class(obj.code), obj.key, "cpu", len(obj.values))
            return pid + (None,) if self.legacy else pid
        return None


def _dump(obj, legacy):
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, legacy).dump(obj)
    finally:
        for name in _FAKE:
            sys.modules.pop(name, None)
    return buffer.getvalue()


def save_zip(path, state, storages):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", _dump(state, legacy=False))
        archive.writestr("archive/byteorder", "little")
        for storage in storages:
            archive.writestr(f"archive/data/{storage.key}", storage.raw())


def save_legacy(path, state, storages):
    with open(path, "wb") as out:
        for obj in (torchzip.LEGACY_MAGIC, torchzip.LEGACY_PROTOCOL, {"little_endian": True}):
            out.write(pickle.dumps(obj, protocol=2))
        out.write(_dump(state, legacy=True))
        out.write(pickle.dumps([s.key for s in storages], protocol=2))
        for storage in storages:
            out.write(struct.pack("<q", len(storage.values)))
            out.write(storage.raw())


def read_safetensors(path):
    header = stwriter.read_header(path)
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        f.seek(8 + length)
        payload = f.read()
    out = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        code = {"F32": "f", "I64": "q"}[entry["dtype"]]
        out[name] = (entry["dtype"], entry["shape"], list(struct.unpack(f"<{(end - begin) // (4 if code == 'f' else 8)}{code}",
                                                                   payload[begin:end])))
    return out


def sample_state():
    """A 2x3 matrix stored transposed, a slice at an offset, an int64 counter."""
    floats = _Storage("0", "f", [float(i) for i in range(10)])
    longs = _Storage("1", "q", [7])
    state = collections.OrderedDict()
    state["b.transposed"] = _Tensor(floats, 0, (2, 3), (1, 2))       # values [[0,2,4],[1,3,5]]
    state["a.slice"] = _Tensor(floats, 6, (4,), (1,))                 # values [6,7,8,9]
    state["c.num_batches_tracked"] = _Tensor(longs, 0, (), ())
    expected = {
        "a.slice": ("F32", [4], [6.0, 7.0, 8.0, 9.0]),
        "b.transposed": ("F32", [2, 3], [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]),
        "c.num_batches_tracked": ("I64", [], [7]),
    }
    return state, [floats, longs], expected


class TorchZipTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()

    def path(self, name):
        return os.path.join(self.folder, name)

    def test_zip_and_legacy_round_trip(self):
        state, storages, expected = sample_state()
        for kind, save in (("zip", save_zip), ("legacy", save_legacy)):
            with self.subTest(kind=kind):
                save(self.path(f"{kind}.pth"), state, storages)
                torchzip.convert(self.path(f"{kind}.pth"), self.path(f"{kind}.safetensors"))
                self.assertEqual(read_safetensors(self.path(f"{kind}.safetensors")), expected)
                with open(self.path(f"{kind}.safetensors"), "rb") as f:
                    (length,) = struct.unpack("<Q", f.read(8))
                    names = [n for n in __import__("json").loads(f.read(length)) if n != "__metadata__"]
                self.assertEqual(names, sorted(names))

    def test_refuses_foreign_globals(self):
        class Hostile:
            def __reduce__(self):
                return (os.system, ("true",))

        with open(self.path("hostile.pth"), "wb") as out:
            for obj in (torchzip.LEGACY_MAGIC, torchzip.LEGACY_PROTOCOL, {}):
                out.write(pickle.dumps(obj, protocol=2))
            out.write(pickle.dumps({"w": Hostile()}, protocol=2))
        with self.assertRaisesRegex(torchzip.ConversionError, "refusing"):
            torchzip.convert(self.path("hostile.pth"), self.path("out.safetensors"))
        self.assertEqual(os.listdir(self.folder), ["hostile.pth"])

    def test_truncated_and_corrupt_files_leave_nothing_behind(self):
        state, storages, _ = sample_state()
        save_legacy(self.path("full.pth"), state, storages)
        save_zip(self.path("full.zip.pth"), state, storages)
        for name, source in (("legacy", "full.pth"), ("zip", "full.zip.pth")):
            with open(self.path(source), "rb") as f:
                blob = f.read()
            for cut in (len(blob) - 3, len(blob) // 2, 10):
                with self.subTest(kind=name, cut=cut):
                    broken = self.path(f"broken-{name}-{cut}.pth")
                    with open(broken, "wb") as out:
                        out.write(blob[:cut])
                    with self.assertRaises(torchzip.ConversionError) as caught:
                        torchzip.convert(broken, self.path("out.safetensors"))
                    self.assertIn(broken, str(caught.exception))
        self.assertFalse([n for n in os.listdir(self.folder) if n.endswith(".safetensors")])

    def test_bad_magic(self):
        with open(self.path("magic.pth"), "wb") as out:
            out.write(pickle.dumps(12345, protocol=2))
        with self.assertRaisesRegex(torchzip.ConversionError, "bad magic"):
            torchzip.convert(self.path("magic.pth"), self.path("out.safetensors"))


if __name__ == "__main__":
    unittest.main()
