"""Embedding: MiniLM on torch, ONNX or OpenVINO, and sentences' vectors packed for storing."""
