"""Exports LLaVA-OneVision's vision tower + projector + video pooling to ONNX for Scissor's encoder.

Run ``python -m scissor_export --from CHECKPOINT --out DIR [--dtype float16|float32]`` (the
launcher: ``./scissor export-encoder ...``). See ../README.md.
"""
