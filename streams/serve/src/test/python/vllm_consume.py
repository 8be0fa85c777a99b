"""Consumes a Scissor /v1/ask request the way a vLLM server and the model's own code would.

    python vllm_consume.py --checkpoint CKPT_DIR --case REQUEST.json[:DTYPE] [--case ...]
                           [--expect DIR] [--newline NEWLINE.npy]

1. Every ``image_embeds`` content part is decoded exactly as vLLM decodes it:
   ``ImageEmbeddingMediaIO.load_base64`` in ``vllm/multimodal/media/image.py`` (vLLM commit
   030958a2dc540b8e975efee5fd15a80271c663d6): base64 with ``validate=True``; bytes that start with
   the NumPy magic go to ``np.load`` (no pickle), anything else to
   ``torch.load(weights_only=True)`` under ``torch.sparse.check_sparse_tensor_invariants()``, then
   ``to_dense()``. The few lines are reproduced below (vLLM itself is not installed here).
2. Each decoded tensor must have the case's DTYPE and, with ``--expect`` (a folder of float32
   ``w0.npy, w1.npy, ...``: each window's tokens as Scissor holds them), equal, bit for bit, the
   float32 tokens converted by PyTorch (``Tensor.to(dtype)``).
3. The windows go into transformers' ``LlavaOnevisionForConditionalGeneration`` built from
   CKPT_DIR (random weights, text hidden size = the tokens' dim): a prompt with one ``<image>``
   placeholder run per window, each as long as that window's token count (what vLLM's prompt
   replacement makes of one ``<image>`` with an embedding input), and the decoded tensors passed
   as the model's precomputed image features (``mm_encoder_outputs``). The model's own forward
   checks that features and placeholders match (``get_placeholder_mask``) and scatters them; then
   ``generate`` runs a few greedy steps. The embeddings the language model received at the
   placeholders are checked against the decoded tensors.

Prints one JSON line per case with what it checked; exits non-zero on any mismatch.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from io import BytesIO

import numpy as np
import torch

MAGIC_NUMPY_PREFIX = b"\x93NUMPY"


def vllm_load_bytes(data: bytes) -> torch.Tensor:
    """vLLM's ImageEmbeddingMediaIO.load_bytes (see the module docstring)."""
    if data[:6] == MAGIC_NUMPY_PREFIX:
        with BytesIO(data) as buffer:
            return torch.from_numpy(np.load(buffer))
    with torch.sparse.check_sparse_tensor_invariants():
        buffer = BytesIO(data)
        tensor = torch.load(buffer, weights_only=True)
        return tensor.to_dense()


def vllm_load_base64(data: str) -> torch.Tensor:
    return vllm_load_bytes(base64.b64decode(data, validate=True))


def embeds_of(request: dict) -> list[torch.Tensor]:
    out = []
    for message in request["messages"]:
        content = message.get("content")
        if isinstance(content, list):
            for part in content:
                if part.get("type") == "image_embeds":
                    out.append(vllm_load_base64(part["image_embeds"]))
    return out


def check_case(path: str, dtype: str | None, expect: str | None) -> tuple[list[torch.Tensor], dict]:
    with open(path, encoding="utf-8") as f:
        request = json.load(f)
    request = request.get("request", request)  # /v1/ask without a server wraps it
    windows = embeds_of(request)
    if not windows:
        raise SystemExit(f"{path}: no image_embeds parts in the request")
    report = {"case": path, "windows": len(windows), "tokens": [int(w.shape[0]) for w in windows],
              "dtype": str(windows[0].dtype).replace("torch.", "")}
    for i, w in enumerate(windows):
        if w.dim() != 2:
            raise SystemExit(f"{path}: window {i}: expected [tokens, dim], got {tuple(w.shape)}")
        if dtype and w.dtype != getattr(torch, dtype):
            raise SystemExit(f"{path}: window {i}: dtype {w.dtype}, expected {dtype}")
    if expect:
        for i, w in enumerate(windows):
            r = torch.from_numpy(np.load(f"{expect}/w{i}.npy")).to(w.dtype)
            bits = torch.int16 if w.element_size() == 2 else torch.int32
            if r.shape != w.shape or not torch.equal(r.view(bits), w.view(bits)):
                raise SystemExit(f"{path}: window {i}: decoded tokens differ from the window's tokens in {w.dtype}")
        report["equal_to_window_tokens"] = True
    return windows, report


def consume(model, windows: list[torch.Tensor], newline: str | None, new_tokens: int) -> dict:
    """Runs the windows through the model as precomputed image features (module docstring, 3)."""
    from transformers.modeling_outputs import BaseModelOutputWithPooling

    cfg = model.config
    dim = cfg.text_config.hidden_size
    if windows[0].shape[1] != dim:
        raise SystemExit(f"tokens have {windows[0].shape[1]} dims, the model's text hidden size is {dim}")
    features = [w.to(torch.float32) for w in windows]
    if newline:
        # The video layout the model was trained on: one image_newline after the frames.
        nl = torch.from_numpy(np.load(newline)).to(torch.float32).reshape(1, dim)
        features[-1] = torch.cat([features[-1], nl])
    gen = torch.Generator().manual_seed(0)
    text_ids = min(cfg.image_token_id, cfg.text_config.vocab_size) - 1
    ids = []
    for f in features:
        ids += torch.randint(0, text_ids, (3,), generator=gen).tolist()
        ids += [cfg.image_token_id] * f.shape[0]
    ids += torch.randint(0, text_ids, (5,), generator=gen).tolist()
    input_ids = torch.tensor([ids])
    seen = {}
    lm = model.model.language_model
    lm_forward = lm.forward

    def record(*args, **kwargs):
        if "first" not in seen and kwargs.get("inputs_embeds") is not None:
            seen["first"] = kwargs["inputs_embeds"].detach().clone()
        return lm_forward(*args, **kwargs)

    lm.forward = record
    try:
        with torch.no_grad():
            out = model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                 mm_encoder_outputs={"image": BaseModelOutputWithPooling(pooler_output=features)},
                                 max_new_tokens=new_tokens, do_sample=False)
    finally:
        lm.forward = lm_forward
    got = seen["first"][0][input_ids[0] == cfg.image_token_id]
    if not torch.equal(got, torch.cat(features)):
        raise SystemExit("the language model did not receive the window tokens at the image placeholders")
    generated = out[0, input_ids.shape[1]:].tolist()
    if len(generated) != new_tokens:
        raise SystemExit(f"generated {len(generated)} tokens, expected {new_tokens}")
    return {"placeholders": int((input_ids[0] == cfg.image_token_id).sum()), "generated": generated}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--case", action="append", required=True, help="REQUEST.json[:DTYPE]")
    ap.add_argument("--expect")
    ap.add_argument("--newline")
    ap.add_argument("--new-tokens", type=int, default=4)
    a = ap.parse_args(argv)

    from transformers import LlavaOnevisionForConditionalGeneration

    model = LlavaOnevisionForConditionalGeneration.from_pretrained(a.checkpoint, dtype=torch.float32).eval()
    for case in a.case:
        path, _, dtype = case.partition(":")
        windows, report = check_case(path, dtype or None, a.expect)
        report.update(consume(model, windows, a.newline, a.new_tokens))
        print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
