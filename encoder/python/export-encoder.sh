#!/usr/bin/env bash
# scissor export-encoder: sets up the exporter's venv (once) and runs it.
#   encoder/python/export-encoder.sh --from CHECKPOINT --out DIR [--dtype float32|float16]
# Exit codes: 0 done, 2 an unusable checkpoint (one line on stderr), 1 anything else.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$("$here/setup-venv.sh")"
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$py" -W ignore -m scissor_export "$@"
