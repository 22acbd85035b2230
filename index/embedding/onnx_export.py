"""Builds an ONNX copy of a sentence-transformers model, once, from its local files: torch's exporter
writes the transformer, and onnxruntime's dynamic quantiser makes the int8 variant (weights int8 per
channel, activations quantised on the fly). Nothing is downloaded.

Only this module needs torch, onnx and onnxscript; answering with the result needs onnxruntime and
tokenizers alone.
"""

import contextlib
import hashlib
import logging
import os
import tempfile
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
# Bumped when the export changes, so a cached file from an older export is never reused.
EXPORT_VERSION = "1"


def cache_folder(cache_dir: Path, model_location: str) -> Path:
    """Where the exported files of one model live: named after the model's folder and a hash of its
    weights' path and size, so a changed model gets a new folder."""
    source = Path(model_location)
    weights = sorted(source.glob("*.safetensors")) + sorted(source.glob("*.bin"))
    fingerprint = "|".join([EXPORT_VERSION, str(source.resolve())] + [f"{w.name}:{w.stat().st_size}" for w in weights])
    return cache_dir / f"{source.name}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:12]}"


def exported_model(cache_dir: Path, model_location: str, int8: bool) -> Path:
    """The ONNX file for the model at `model_location`, built into `cache_dir` the first time."""
    folder = cache_folder(cache_dir, model_location)
    fp32 = folder / ONNX_FILE
    wanted = folder / INT8_FILE if int8 else fp32
    if wanted.exists():
        return wanted
    folder.mkdir(parents=True, exist_ok=True)
    if not fp32.exists():
        log.warning("Building the ONNX embedding model once, into %s (about 20 s)", folder)
        _atomically(fp32, lambda target: _export(model_location, target))
    if int8:
        log.warning("Quantising the ONNX embedding model to int8 once (a few seconds)")
        _atomically(wanted, lambda target: _quantise(fp32, target))
    return wanted


def _atomically(path: Path, write) -> None:
    """Write through a temporary file in the same folder, so a killed build or a second process
    building at the same time never leaves a half-written model behind."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".partial")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _export(model_location: str, target: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(model_location).eval()
    example = AutoTokenizer.from_pretrained(model_location)(
        ["an example sentence", "a second, longer example sentence"], padding=True, return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class LastHiddenState(torch.nn.Module):
        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    batch, tokens = torch.export.Dim("batch"), torch.export.Dim("tokens", max=512)
    with _quiet():
        torch.onnx.export(
            LastHiddenState(model).eval(),
            tuple(example[name] for name in names),
            str(target),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_shapes={name: {0: batch, 1: tokens} for name in names},
            dynamo=True,
            external_data=False,
            verbose=False,
        )


def _quantise(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weights keep the vectors within 0.99 cosine of the float model's; per-tensor ones
    # fell to 0.93 on news passages.
    with _quiet():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


@contextlib.contextmanager
def _quiet():
    """The exporter and the quantiser warn about things that don't apply here (torchvision ops,
    axis names, a pre-processing step), through warnings and the root logger; a user building the
    model once should see our one line, not theirs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)
