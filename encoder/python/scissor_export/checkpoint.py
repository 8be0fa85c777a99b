"""Reading a LLaVA-OneVision checkpoint without its language model.

A checkpoint is a directory in the ``save_pretrained`` layout (``config.json``, ``*.safetensors``
shards, ``preprocessor_config.json``) or a Hugging Face model id. Only the vision tower, the
multi-modal projector and ``image_newline`` are read from the shards (``safe_open`` reads tensor by
tensor), so a 7B checkpoint costs the memory of its ~400M-parameter tower, not of the LLM.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_MODEL_TYPES = ("llava_onevision",)

# Prefixes of the tensors the exporter needs, as saved by transformers 4.x (hub checkpoints:
# "vision_tower.…") and 5.x ("model.vision_tower.…").
_PARTS = ("vision_tower.", "multi_modal_projector.", "image_newline")


class CheckpointError(Exception):
    """A checkpoint that cannot be exported; the message is one line naming the problem."""


@dataclass
class Checkpoint:
    """A resolved checkpoint: its directory, config dict and safetensors files."""

    source: str
    directory: Path
    config: dict
    shards: list[Path]
    preprocessor: dict


def _read_json(path: Path, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{path.parent}: no {path.name} ({what})") from None
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot read {what}: {e}") from None


def _download(model_id: str) -> Path:
    """Fetches config, processor config and only the shards holding vision weights."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as e:  # pragma: no cover
        raise CheckpointError(f"{model_id}: not a local directory and huggingface_hub is missing ({e})")
    try:
        cfg = Path(hf_hub_download(model_id, "config.json"))
        hf_hub_download(model_id, "preprocessor_config.json")
        try:
            idx = Path(hf_hub_download(model_id, "model.safetensors.index.json"))
            weight_map = _read_json(idx, "safetensors index")["weight_map"]
            needed = sorted({f for k, f in weight_map.items() if _part_of(k) is not None})
            for f in needed:
                hf_hub_download(model_id, f)
        except Exception as e:  # no index: a single-file checkpoint
            if "404" not in str(e) and "EntryNotFound" not in type(e).__name__:
                raise
            hf_hub_download(model_id, "model.safetensors")
        return cfg.parent
    except CheckpointError:
        raise
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{model_id}: not a local directory, and it cannot be fetched from "
                              f"the Hugging Face hub ({type(e).__name__}: {first})") from None


def _part_of(key: str) -> str | None:
    k = key[len("model."):] if key.startswith("model.") else key
    for p in _PARTS:
        if k.startswith(p):
            return p
    return None


def resolve(source: str) -> Checkpoint:
    """Finds the checkpoint's files and checks that it is a LLaVA-OneVision checkpoint."""
    p = Path(source)
    if p.is_dir():
        directory = p
    elif p.exists():
        raise CheckpointError(f"{source}: not a directory (give a save_pretrained directory or a "
                              f"Hugging Face model id)")
    elif source.count("/") == 1 and not source.startswith((".", "/")):
        directory = _download(source)
    else:
        raise CheckpointError(f"{source}: no such directory")
    config = _read_json(directory / "config.json", "the model config")
    mt = config.get("model_type")
    if mt not in SUPPORTED_MODEL_TYPES:
        hint = (" (Qwen2-VL/2.5-VL need their 3-D grid positions; see encoder/python/README.md)"
                if mt in ("qwen2_vl", "qwen2_5_vl") else "")
        raise CheckpointError(f"{source}: model_type '{mt}' is not LLaVA-OneVision; the exporter "
                              f"supports {', '.join(SUPPORTED_MODEL_TYPES)}{hint}")
    vmt = (config.get("vision_config") or {}).get("model_type", "siglip_vision_model")
    if vmt != "siglip_vision_model":
        raise CheckpointError(f"{source}: vision tower model_type '{vmt}' is not supported "
                              f"(only siglip_vision_model)")
    shards = sorted(directory.glob("*.safetensors"))
    index = directory / "model.safetensors.index.json"
    if index.is_file():
        # Only the shards that hold vision tower / projector tensors are read (and, for a hub id,
        # downloaded); the language model's shards may be absent.
        weight_map = _read_json(index, "safetensors index").get("weight_map", {})
        names = sorted({f for k, f in weight_map.items() if _part_of(k) is not None})
        if not names:
            raise CheckpointError(f"{source}: model.safetensors.index.json names no vision_tower "
                                  f"or multi_modal_projector tensors")
        missing = [n for n in names if not (directory / n).is_file()]
        if missing:
            raise CheckpointError(f"{source}: weights file {missing[0]} named in "
                                  f"model.safetensors.index.json is missing")
        shards = [directory / n for n in names]
    if not shards:
        other = [f.name for f in directory.iterdir() if f.suffix in (".bin", ".pt", ".pth")]
        hint = f" (found {other[0]}: only safetensors weights are read)" if other else ""
        raise CheckpointError(f"{source}: no weights file (*.safetensors){hint}")
    pre = _read_json(directory / "preprocessor_config.json", "the image processor config")
    return Checkpoint(source, directory, config, shards, pre)


def load_vision_state(ckpt: Checkpoint) -> dict[str, dict]:
    """Reads the vision tower, projector and image_newline tensors (and nothing else).

    Returns {"vision_tower.": {...}, "multi_modal_projector.": {...}, "image_newline": {...}} with
    the prefixes removed from the keys.
    """
    from safetensors import safe_open

    out: dict[str, dict] = {p: {} for p in _PARTS}
    for shard in ckpt.shards:
        try:
            with safe_open(str(shard), framework="pt") as f:
                for key in f.keys():
                    part = _part_of(key)
                    if part is None:
                        continue
                    k = key[len("model."):] if key.startswith("model.") else key
                    out[part][k[len(part):]] = f.get_tensor(key)
        except CheckpointError:
            raise
        except Exception as e:
            raise CheckpointError(f"{shard}: cannot read safetensors ({type(e).__name__}: "
                                  f"{str(e).splitlines()[0] if str(e) else ''})") from None
    for part in ("vision_tower.", "multi_modal_projector."):
        if not out[part]:
            raise CheckpointError(f"{ckpt.source}: the weights hold no '{part}*' tensors; is "
                                  f"this a LLaVA-OneVision checkpoint?")
    return out
