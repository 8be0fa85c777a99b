"""Builds tiny, architecture-true LLaVA-OneVision checkpoints with seeded random weights.

    python -m scissor_export.make_tiny_checkpoint --out DIR [--variant NAME ...] [--seed 0]

Each variant is a real ``LlavaOnevisionForConditionalGeneration`` (SigLIP vision tower, projector,
Qwen2 LM) built from transformers configs, written with ``save_pretrained`` next to the PIL image
processor's ``preprocessor_config.json``: the layout of a hub checkpoint, a few MB in size.

Variants (DIR/<name>/):
  tiny-384  SigLIP 384px / patch 14 (27x27 -> 14x14 = 196 tokens), 2 layers of 32, feature layer
            -1, LLM hidden 64, bicubic, mean/std 0.5 (the OneVision processor settings)
  tiny-224  SigLIP 224px / patch 16 (14x14 -> 7x7 = 49 tokens), 3 layers of 48, feature layers
            [-2, -1] concatenated, LLM hidden 96, bilinear, CLIP mean/std; written in the key
            layout of the llava-hf hub checkpoints (transformers 4.x: "vision_tower.vision_model.",
            "language_model.model.") and sharded, with model.safetensors.index.json
Also: ``--variant so400m-7b`` gives the full-size tower of llava-onevision-qwen2-7b-ov (SigLIP
so400m 384/14, 26 layers of 1152, projector to 3584) with a 1-layer, small-vocabulary LLM
(about 1.7 GB; for timing only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

VARIANTS = {
    "tiny-384": dict(image_size=384, patch_size=14, v_hidden=32, v_inter=64, v_layers=2, v_heads=2,
                     t_hidden=64, t_inter=128, feature_layer=-1, resample=3,
                     mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5]),
    "tiny-224": dict(image_size=224, patch_size=16, v_hidden=48, v_inter=96, v_layers=3, v_heads=3,
                     t_hidden=96, t_inter=192, feature_layer=[-2, -1], resample=2,
                     mean=[0.48145466, 0.4578275, 0.40821073],
                     std=[0.26862954, 0.26130258, 0.27577711], hub_layout=True),
    "so400m-7b": dict(image_size=384, patch_size=14, v_hidden=1152, v_inter=4304, v_layers=26,
                      v_heads=16, t_hidden=3584, t_inter=512, feature_layer=-1, resample=3,
                      mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5]),
}


def build(name: str, out: Path, seed: int = 0) -> Path:
    import torch
    from transformers import (LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration,
                              Qwen2Config, SiglipVisionConfig)
    from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
        LlavaOnevisionImageProcessorPil,
    )

    v = VARIANTS[name]
    vision = SiglipVisionConfig(
        hidden_size=v["v_hidden"], intermediate_size=v["v_inter"], num_hidden_layers=v["v_layers"],
        num_attention_heads=v["v_heads"], image_size=v["image_size"], patch_size=v["patch_size"],
        hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6, vision_use_head=False)
    text = Qwen2Config(
        hidden_size=v["t_hidden"], intermediate_size=v["t_inter"], num_hidden_layers=1,
        num_attention_heads=4, num_key_value_heads=2, vocab_size=320,
        max_position_embeddings=4096, tie_word_embeddings=False)
    cfg = LlavaOnevisionConfig(
        vision_config=vision, text_config=text, image_token_index=300, video_token_index=301,
        projector_hidden_act="gelu", vision_feature_select_strategy="full",
        vision_feature_layer=v["feature_layer"], vision_aspect_ratio="anyres_max_9")
    torch.manual_seed(seed)
    model = LlavaOnevisionForConditionalGeneration(cfg).eval()
    # Random init of transformers leaves LayerNorms at 1/0 and biases at 0; perturb every tensor so
    # that a wrong weight mapping cannot go unnoticed.
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "vision_tower" in pname or "multi_modal_projector" in pname or "image_newline" in pname:
                p.add_(torch.randn(p.shape, generator=g) * 0.02)
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    if v.get("hub_layout"):
        _save_hub_layout(model, d)
    else:
        model.save_pretrained(d)
    proc = LlavaOnevisionImageProcessorPil(
        size={"height": v["image_size"], "width": v["image_size"]}, resample=v["resample"],
        image_mean=v["mean"], image_std=v["std"], rescale_factor=1 / 255,
        image_grid_pinpoints=[[v["image_size"], v["image_size"]],
                              [v["image_size"], 2 * v["image_size"]]])
    proc.save_pretrained(d)
    return d


def _save_hub_layout(model, d: Path) -> None:
    """save_pretrained, then the keys renamed as transformers 4.x wrote them, in two shards."""
    import json

    from safetensors.torch import load_file, save_file

    model.save_pretrained(d)
    tensors = {}
    for f in sorted(d.glob("*.safetensors")):
        tensors.update(load_file(str(f)))
        f.unlink()
    (d / "model.safetensors.index.json").unlink(missing_ok=True)

    def hub_key(k: str) -> str:
        k = k[len("model."):] if k.startswith("model.") else k
        if k.startswith(("lm_head.", "language_model.lm_head.")):
            return "language_model.lm_head." + k.split("lm_head.", 1)[1]
        if k.startswith("vision_tower.") and not k.startswith("vision_tower.vision_model."):
            return "vision_tower.vision_model." + k[len("vision_tower."):]
        if k.startswith("language_model.") and not k.startswith("language_model.model."):
            return "language_model.model." + k[len("language_model."):]
        return k

    renamed = {hub_key(k): v.contiguous() for k, v in tensors.items()}
    keys = sorted(renamed)
    # shard 1: the language model; shard 2: everything else (as in the hub's multi-shard files)
    names = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
    parts = ({k: renamed[k] for k in keys if k.startswith("language_model.")},
             {k: renamed[k] for k in keys if not k.startswith("language_model.")})
    weight_map = {}
    for name, part in zip(names, parts):
        save_file(part, str(d / name), metadata={"format": "pt"})
        weight_map.update({k: name for k in part})
    total = sum(t.numel() * t.element_size() for t in renamed.values())
    (d / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2, sort_keys=True))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--variant", action="append", choices=sorted(VARIANTS),
                    help="default: tiny-384 and tiny-224")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    for name in a.variant or ["tiny-384", "tiny-224"]:
        print(build(name, a.out, a.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
