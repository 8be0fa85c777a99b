"""Exports a LLaVA-OneVision checkpoint's per-frame video features to ONNX.

The graph computes, for each frame, what ``LlavaOnevisionModel.get_video_features`` computes before
the language model (transformers 5.18):

1. the SigLIP vision tower with ``output_hidden_states=True``, taking
   ``hidden_states[vision_feature_layer]`` (a list of layers is concatenated on the last dim) and,
   for strategy ``default``, dropping the first token;
2. ``multi_modal_projector`` (Linear, GELU, Linear) to the LLM's hidden size;
3. ``apply_pooling``: the ``g x g`` grid (``g = image_size // patch_size``) bilinearly resized to
   ``ceil(g/2) x ceil(g/2)`` (``align_corners=False``).

It does not append ``image_newline`` (one per video, not per frame); it is written next to the
model as ``image_newline.npy``.
"""

from __future__ import annotations

import math
import types
from pathlib import Path

import numpy as np

from .checkpoint import Checkpoint, CheckpointError, load_vision_state

OPSET = 17
INPUT_NAME = "pixel_values"
OUTPUT_NAME = "tokens"

# PIL resampling filter ids (PIL.Image.Resampling) as written in preprocessor_config.json.
_RESAMPLE = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


def build_modules(ckpt: Checkpoint):
    """The vision tower and projector of the checkpoint, with its weights, in float32."""
    from transformers import AutoModel, LlavaOnevisionConfig
    from transformers.models.llava_onevision.modeling_llava_onevision import (
        LlavaOnevisionMultiModalProjector,
    )

    try:
        cfg = LlavaOnevisionConfig.from_dict(ckpt.config)
    except Exception as e:
        raise CheckpointError(f"{ckpt.source}: config.json is not a valid LLaVA-OneVision config "
                              f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    check_strategy(cfg, ckpt.source)
    state = load_vision_state(ckpt)
    # eager attention: the plain softmax(QK^T)V graph, the same maths as sdpa, exported as such.
    tower = AutoModel.from_config(cfg.vision_config, attn_implementation="eager")
    projector = LlavaOnevisionMultiModalProjector(cfg)
    tower_sd = state["vision_tower."]
    if not any(k.startswith("vision_model.") for k in tower.state_dict()):
        # transformers 5 dropped SiglipVisionModel's "vision_model." level; hub checkpoints saved
        # by 4.x still have it ("vision_tower.vision_model.encoder...").
        tower_sd = {k[len("vision_model."):] if k.startswith("vision_model.") else k: v
                    for k, v in tower_sd.items()}
    # post_layernorm and head only act after the last layer; the features never use them.
    _load(tower, tower_sd, "vision_tower", ckpt.source, optional=("post_layernorm.", "head."))
    _load(projector, state["multi_modal_projector."], "multi_modal_projector", ckpt.source)
    newline = state["image_newline"].get("")
    tower.eval().float()
    projector.eval().float()
    return cfg, tower, projector, (None if newline is None else newline.float())


def _load(module, sd: dict, name: str, source: str, optional: tuple = ()) -> None:
    import torch

    own = module.state_dict()
    missing = [k for k in own if k not in sd and not k.startswith(optional)]
    unexpected = [k for k in sd if k not in own]
    if missing or unexpected:
        what = (f"missing {name}.{missing[0]}" if missing else f"unexpected {name}.{unexpected[0]}")
        raise CheckpointError(f"{source}: the {name} weights do not fit its config ({what}; "
                              f"{len(missing)} missing, {len(unexpected)} unexpected)")
    for k, v in sd.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise CheckpointError(f"{source}: {name}.{k} has shape {list(v.shape)} but the config "
                                  f"gives {list(own[k].shape)}")
    with torch.no_grad():
        module.load_state_dict({k: v.to(own[k].dtype) for k, v in sd.items()}, strict=False)


def frame_tokens_module(cfg, tower, projector, dtype):
    """pixel_values float32 [N,3,S,S] -> tokens float32 [N,T,D], computing in ``dtype``."""
    import torch
    from transformers.models.llava_onevision.modeling_llava_onevision import LlavaOnevisionModel

    layer = cfg.vision_feature_layer
    strategy = cfg.vision_feature_select_strategy
    pool_owner = types.SimpleNamespace(config=cfg)

    class FrameTokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tower = tower
            self.projector = projector

        def forward(self, pixel_values):
            x = pixel_values.to(dtype)
            hs = self.tower(pixel_values=x, output_hidden_states=True, return_dict=True).hidden_states
            if isinstance(layer, int):
                feat = hs[layer]
            else:
                feat = torch.cat([hs[i] for i in layer], dim=-1)
            if strategy == "default":
                feat = feat[:, 1:]
            feat = self.projector(feat)
            # transformers' own pooling, called unbound (it only reads self.config).
            feat = LlavaOnevisionModel.apply_pooling(pool_owner, feat)
            return feat.float()

    return FrameTokens().eval().to(dtype)


def grid_of(cfg) -> tuple[int, int, int]:
    """(g, pooled grid side, tokens per frame)."""
    g = cfg.vision_config.image_size // cfg.vision_config.patch_size
    p = math.ceil(g / 2)
    return g, p, p * p


def check_strategy(cfg, source: str) -> None:
    strategy = cfg.vision_feature_select_strategy
    if strategy not in ("full", "default"):
        raise CheckpointError(f"{source}: vision_feature_select_strategy '{strategy}' is unknown "
                              f"(full or default)")
    g, _, _ = grid_of(cfg)
    # SigLIP has no class token: 'default' would leave g*g - 1 tokens, which apply_pooling cannot
    # view as a g x g grid (transformers fails the same way).
    if strategy == "default":
        raise CheckpointError(f"{source}: vision_feature_select_strategy 'default' drops the first "
                              f"of SigLIP's {g * g} patch tokens, so the {g}x{g} video pooling is "
                              f"undefined; only 'full' works with a SigLIP tower")


def export(ckpt: Checkpoint, out_dir: Path, dtype_name: str = "float32", log=print) -> Path:
    import torch

    dtype = {"float32": torch.float32, "float16": torch.float16}[dtype_name]
    cfg, tower, projector, newline = build_modules(ckpt)
    size = cfg.vision_config.image_size
    g, p, t = grid_of(cfg)
    d = cfg.text_config.hidden_size
    descriptor = descriptor_text(ckpt, dtype_name, size, p, d)
    model = frame_tokens_module(cfg, tower, projector, dtype)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "model.onnx"
    example = torch.zeros(2, 3, size, size, dtype=torch.float32)
    params = sum(x.numel() for x in model.parameters())
    external = params * (2 if dtype == torch.float16 else 4) > 1_800_000_000
    log(f"exporting {ckpt.source}: SigLIP {cfg.vision_config.num_hidden_layers} layers x "
        f"{cfg.vision_config.hidden_size}, layer {cfg.vision_feature_layer}, "
        f"{cfg.vision_feature_select_strategy}; projector to {d}; {size}px / patch "
        f"{cfg.vision_config.patch_size} -> {g}x{g} -> {p}x{p} tokens; {params / 1e6:.1f}M params, "
        f"{dtype_name}")
    with torch.no_grad():
        torch.onnx.export(
            model, (example,), str(onnx_path), dynamo=False, opset_version=OPSET,
            input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}},
            do_constant_folding=True, external_data=external)
    _declare_shapes(onnx_path, size, t, d, external)
    if newline is not None:
        np.save(out_dir / "image_newline.npy", newline.numpy().astype(np.float32))
    (out_dir / "encoder.properties").write_text(descriptor, encoding="utf-8")
    log(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB), encoder.properties"
        + (", image_newline.npy" if newline is not None else ""))
    return onnx_path


def _declare_shapes(path: Path, size: int, tokens: int, dim: int, external: bool) -> None:
    """Sets the declared input/output shapes to the contract: [N,3,S,S] and [N,T,D]."""
    import onnx

    m = onnx.load(str(path), load_external_data=False)
    for vi, dims in ((m.graph.input[0], ["N", 3, size, size]), (m.graph.output[0], ["N", tokens, dim])):
        vi.type.tensor_type.elem_type = onnx.TensorProto.FLOAT
        shape = vi.type.tensor_type.shape
        del shape.dim[:]
        for x in dims:
            dd = shape.dim.add()
            if isinstance(x, str):
                dd.dim_param = x
            else:
                dd.dim_value = x
    m.producer_name = "scissor_export"
    onnx.save(m, str(path))  # initializers already external (if any) keep their data file


def descriptor_text(ckpt: Checkpoint, dtype_name: str, size: int, pooled: int, dim: int) -> str:
    """encoder.properties for the export (checked before anything is written)."""
    pre = ckpt.preprocessor
    sz = pre.get("size") or {"height": size, "width": size}
    if not isinstance(sz, dict) or "height" not in sz or "width" not in sz:
        raise CheckpointError(f"{ckpt.source}: preprocessor size {sz} is not a fixed "
                              f"height x width; the encoder resizes every frame to one size")
    h = int(sz["height"])
    w = int(sz["width"])
    if (h, w) != (size, size):
        raise CheckpointError(f"{ckpt.source}: preprocessor size {h}x{w} differs from the vision "
                              f"tower's image_size {size}")
    mean = pre.get("image_mean", [0.48145466, 0.4578275, 0.40821073]) if pre.get("do_normalize", True) else [0, 0, 0]
    std = pre.get("image_std", [0.26862954, 0.26130258, 0.27577711]) if pre.get("do_normalize", True) else [1, 1, 1]
    scale = pre.get("rescale_factor", 1 / 255) if pre.get("do_rescale", True) else 1.0
    resample = _RESAMPLE.get(int(pre.get("resample", 3)))
    if resample not in ("bilinear", "bicubic"):
        raise CheckpointError(f"{ckpt.source}: preprocessor resample {pre.get('resample')} "
                              f"({resample}) is not supported (bilinear or bicubic)")
    name = ckpt.source.rstrip("/").split("/")[-1]
    lines = [
        f"# Written by scissor_export from {ckpt.source}.",
        "# frames -> LLaVA-OneVision per-frame video tokens (vision tower, projector, 2x2 pooling);",
        "# image_newline (one per video) is not a frame token: see image_newline.npy.",
        f"id={name}-{dtype_name}",
        "model=model.onnx",
        f"checkpoint={ckpt.source}",
        f"input.name={INPUT_NAME}",
        f"input.height={size}",
        f"input.width={size}",
        "input.channelOrder=RGB",
        f"input.scale={_num(scale)}",
        "input.mean=" + ",".join(_num(x) for x in _three(mean)),
        "input.std=" + ",".join(_num(x) for x in _three(std)),
        f"input.resample=pil-{resample}",
        f"output.name={OUTPUT_NAME}",
        "output.layout=NTD",
        f"grid.height={pooled}",
        f"grid.width={pooled}",
        f"token.dim={dim}",
        "token.dtype=float16",
        f"model.dtype={dtype_name}",
    ]
    return "\n".join(lines) + "\n"


def _three(v):
    v = list(v) if isinstance(v, (list, tuple)) else [v] * 3
    return v if len(v) == 3 else (v * 3)[:3]


def _num(x) -> str:
    return repr(float(x))
