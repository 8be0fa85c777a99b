"""Command line: python -m scissor_export --from CHECKPOINT --out DIR [--dtype float32|float16]."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .checkpoint import CheckpointError, resolve

PROG = "scissor export-encoder"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Export a LLaVA-OneVision checkpoint's per-frame video features (SigLIP tower "
                    "at the configured layer, multi-modal projector, 2x2 bilinear pooling) to "
                    "DIR/model.onnx with the encoder descriptor DIR/encoder.properties.")
    ap.add_argument("--from", dest="source", required=True, metavar="CHECKPOINT",
                    help="a save_pretrained directory or a Hugging Face model id")
    ap.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float16"),
                    help="weights and compute dtype of the graph (input and output stay float32)")
    args = ap.parse_args(argv)
    try:
        ckpt = resolve(args.source)
        from .export import export  # torch is imported only for a valid checkpoint

        export(ckpt, args.out, args.dtype, log=lambda m: print(f"{PROG}: {m}", file=sys.stderr))
    except CheckpointError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
