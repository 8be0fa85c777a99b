#!/usr/bin/env bash
# Creates (once) the Python environment of the encoder exporter and prints its python's path.
#
#   py="$(encoder/python/setup-venv.sh)"        # then: PYTHONPATH=encoder/python "$py" -m scissor_export ...
#
# The venv lives in ${SCISSOR_VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scissor}/venv-<hash>, where
# <hash> is the sha256 of requirements.txt (first 12 hex digits): a changed pin gives a new venv.
# A finished venv carries a marker file, so later calls only check it and return at once.
# pip uses its ordinary configuration (index, find-links); nothing else is downloaded.
# Progress goes to stderr; stdout holds only the python path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
hash="$(sha256sum "$req" | cut -c1-12)"
base="${SCISSOR_VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/scissor}"
venv="$base/venv-$hash"
py="$venv/bin/python"
if [[ -f "$venv/.scissor-ready" && -x "$py" ]]; then
  echo "$py"
  exit 0
fi
python="${SCISSOR_PYTHON3:-python3}"
command -v "$python" >/dev/null || { echo "setup-venv: $python not found (set SCISSOR_PYTHON3)" >&2; exit 1; }
mkdir -p "$base"
# One set-up at a time (CI jobs and a developer's shell may race).
exec 9>"$base/.venv-$hash.lock"
flock 9
if [[ ! -f "$venv/.scissor-ready" ]]; then
  echo "setup-venv: creating $venv (one minute, once)" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$py" -m pip install -q --disable-pip-version-check --retries 0 --no-deps -r "$req" >&2 \
    || { echo "setup-venv: pip install failed (see above); is pip's local index configured?" >&2; rm -rf "$venv"; exit 1; }
  "$py" -c "import torch, transformers, onnx, onnxruntime, safetensors, numpy, PIL" >&2 \
    || { echo "setup-venv: the installed packages do not import" >&2; rm -rf "$venv"; exit 1; }
  touch "$venv/.scissor-ready"
fi
echo "$py"
