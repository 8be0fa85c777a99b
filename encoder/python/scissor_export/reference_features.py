"""Reference per-frame video features, computed by transformers' own LLaVA-OneVision model.

    python -m scissor_export.reference_features --checkpoint DIR --out-features F.npy
        --out-pixels P.npy IMAGE [IMAGE ...]
    python -m scissor_export.reference_features --checkpoint DIR --out-features F.npy
        --pixels P.npy

Each IMAGE is a picture file (JPEG, PNG: decoded by PIL) or an ``.npy`` holding packed RGB pixels
``uint8 [H, W, 3]``. Each becomes one video frame, preprocessed as the checkpoint's PIL image
processor preprocesses an image (``LlavaOnevisionImageProcessorPil``: convert to RGB, resize to
``size`` with its ``resample`` filter, rescale, normalise; that is also the first, "whole image"
patch of its anyres output). With ``--pixels`` the given ``float32 [F, 3, H, W]`` values are used
as they are.

The frames go through ``LlavaOnevisionForConditionalGeneration.get_video_features`` as one video
``[1, F, 3, H, W]``. Its ``pooler_output`` is ``[1, F*T + 1, D]``; the per-frame features
``[F, T, D]`` (float32) are written to ``--out-features`` and the last row, ``image_newline``, to
``--out-newline`` if given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def preprocess(checkpoint: Path, images: list[str]) -> np.ndarray:
    from PIL import Image
    from transformers.image_utils import SizeDict
    from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
        LlavaOnevisionImageProcessorPil,
    )

    proc = LlavaOnevisionImageProcessorPil.from_pretrained(str(checkpoint))
    size = proc.size if isinstance(proc.size, SizeDict) else SizeDict(**proc.size)
    frames = []
    for path in images:
        if path.endswith(".npy"):
            arr = np.load(path)
            if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
                raise SystemExit(f"{path}: expected uint8 [H, W, 3], got {arr.dtype} {arr.shape}")
            img = Image.fromarray(arr, "RGB")
        else:
            img = Image.open(path)
        x = proc.process_image(img, do_convert_rgb=True)  # uint8 [3, H, W]
        x = proc.resize(image=x, size=size, resample=proc.resample)
        x = proc.rescale(image=x, scale=proc.rescale_factor)
        x = proc.normalize(image=x, mean=proc.image_mean, std=proc.image_std)
        frames.append(x.astype(np.float32))
    return np.stack(frames)


def video_features(checkpoint: Path, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import torch
    from transformers import LlavaOnevisionForConditionalGeneration

    model = LlavaOnevisionForConditionalGeneration.from_pretrained(
        str(checkpoint), dtype=torch.float32).eval()
    cfg = model.config
    with torch.no_grad():
        out = model.get_video_features(
            pixel_values_videos=torch.from_numpy(pixels)[None],
            vision_feature_layer=cfg.vision_feature_layer,
            vision_feature_select_strategy=cfg.vision_feature_select_strategy)
    pooled = out.pooler_output[0]
    f = pixels.shape[0]
    per_frame = pooled[:-1].reshape(f, -1, pooled.shape[-1])
    return per_frame.numpy().astype(np.float32), pooled[-1].numpy().astype(np.float32)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, type=Path)
    ap.add_argument("--out-features", required=True, type=Path)
    ap.add_argument("--out-pixels", type=Path)
    ap.add_argument("--out-newline", type=Path)
    ap.add_argument("--pixels", type=Path, help="float32 [F,3,H,W] to use instead of images")
    ap.add_argument("images", nargs="*")
    a = ap.parse_args(argv)
    if a.pixels is not None:
        pixels = np.load(a.pixels).astype(np.float32)
    elif a.images:
        pixels = preprocess(a.checkpoint, a.images)
    else:
        ap.error("give IMAGE files or --pixels")
    feats, newline = video_features(a.checkpoint, pixels)
    if a.out_pixels is not None:
        np.save(a.out_pixels, pixels)
    np.save(a.out_features, feats)
    if a.out_newline is not None:
        np.save(a.out_newline, newline)
    print(f"{a.out_features}: {list(feats.shape)} from {pixels.shape[0]} frames", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
