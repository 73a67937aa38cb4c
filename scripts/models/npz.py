"""Converts a NumPy `.npz` archive (a zip of `.npy` files) to safetensors, standard library only.

Each member `NAME.npy` becomes tensor `NAME`. Fortran-ordered arrays are rewritten in C order so
the engine can read every tensor row-major.
"""

import ast
import array
import struct
import zipfile

import stwriter

# NumPy dtype descriptors -> (safetensors dtype, element width).
_DTYPES = {"<f4": ("F32", 4), "<f2": ("F16", 2), "<i8": ("I64", 8), "<i4": ("I32", 4)}


def _parse_npy(name, blob):
    """Returns (dtype, shape, C-ordered raw bytes) of one .npy file."""
    if blob[:6] != b"\x93NUMPY":
        raise ValueError(f"{name}: not a .npy file (bad magic)")
    major = blob[6]
    if major == 1:
        (length,) = struct.unpack("<H", blob[8:10])
        start = 10
    elif major in (2, 3):
        (length,) = struct.unpack("<I", blob[8:12])
        start = 12
    else:
        raise ValueError(f"{name}: unsupported .npy version {major}")
    try:
        header = ast.literal_eval(blob[start:start + length].decode("latin1"))
    except (ValueError, SyntaxError) as error:
        raise ValueError(f"{name}: unreadable .npy header: {error}") from None
    descr, fortran, shape = header.get("descr"), header.get("fortran_order"), header.get("shape")
    if descr not in _DTYPES:
        raise ValueError(f"{name}: unsupported dtype {descr}")
    dtype, width = _DTYPES[descr]
    shape = tuple(int(d) for d in shape)
    count = 1
    for d in shape:
        count *= d
    data = blob[start + length:]
    if len(data) != count * width:
        raise ValueError(f"{name}: {len(data)} data bytes, shape {shape} needs {count * width}")
    if fortran and len(shape) > 1:
        data = _fortran_to_c(data, shape, width)
    return dtype, shape, bytes(data)


def _fortran_to_c(data, shape, width):
    """Reorders the elements of a column-major array into row-major order."""
    count = len(data) // width
    # Strides (in elements) of the Fortran layout.
    fstrides = []
    stride = 1
    for d in shape:
        fstrides.append(stride)
        stride *= d
    code = {2: "H", 4: "I", 8: "Q"}[width]
    src = memoryview(data).cast(code)
    if len(shape) == 2:
        rows, cols = shape
        values = [src[r + c * rows] for r in range(rows) for c in range(cols)]
        return _pack(values, code)
    out = [0] * count
    index = [0] * len(shape)
    for i in range(count):
        s = sum(ix * st for ix, st in zip(index, fstrides))
        out[i] = src[s]
        for axis in reversed(range(len(shape))):
            index[axis] += 1
            if index[axis] < shape[axis]:
                break
            index[axis] = 0
    return _pack(out, code)


def _pack(values, code):
    """Packs raw element bit patterns (read in native order by the caller) back into bytes."""
    return array.array(code, values).tobytes()


def convert(npz_path, out_path):
    """Converts the archive at `npz_path` to a safetensors file at `out_path`."""
    tensors = []
    try:
        with zipfile.ZipFile(npz_path) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                dtype, shape, data = _parse_npy(member, archive.read(member))
                tensors.append((member[:-4], dtype, shape, data))
    except zipfile.BadZipFile as error:
        raise ValueError(f"{npz_path}: not a zip archive: {error}") from None
    if not tensors:
        raise ValueError(f"{npz_path}: no .npy members")
    stwriter.write(out_path, tensors, {"source": "npz"})
