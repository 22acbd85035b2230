"""The reader: a cross-encoder that reads a question and a candidate sentence together (with its
article's title) and gives the probability that the sentence answers, and which of its words do
(the short answer). Fine-tuned from the bundled all-MiniLM-L6-v2 by train/reader.py and shipped as
int8 ONNX in reader_model/ with its model card; nothing is downloaded. onnxruntime and tokenizers
run it; both load only when a reader is made.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import NewsbotError, first_line

MODEL_DIR = Path(__file__).resolve().parent / "reader_model"
MODEL_FILE = "model-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
SETTINGS_FILE = "settings.json"
CARD_FILE = "CARD.md"
TITLE_SEPARATOR = " [SEP] "
TITLE_WORDS = 16  # of an article's title read with a sentence: enough to name the story
SENTENCE_CHARACTERS = 1200  # a longer "sentence" (a table row run together) is read from its start
MAX_SPAN_TOKENS = 12  # the short answer's longest extent
WORD = re.compile(r"\w")


class ReaderModelError(NewsbotError, RuntimeError):
    """The shipped reader model is missing or cannot be read."""


def pair_text(sentence: str, title: str) -> str:
    """The second segment the reader reads: the sentence, then its article's title. The short answer
    is found in the sentence's characters only, which come first."""
    title = " ".join(title.split()[:TITLE_WORDS])
    return f"{sentence[:SENTENCE_CHARACTERS]}{TITLE_SEPARATOR}{title}" if title else sentence[:SENTENCE_CHARACTERS]


@dataclass(frozen=True)
class Reading:
    probability: float  # that the sentence answers the question
    short: tuple[int, int] | None  # character offsets in the sentence of the words that answer


def whole_words(sentence: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) grown to whole words: a span never starts or ends inside a word."""
    while start > 0 and WORD.match(sentence[start - 1]):
        start -= 1
    while end < len(sentence) and WORD.match(sentence[end]):
        end += 1
    return start, end


def trimmed(sentence: str, start: int, end: int) -> tuple[int, int] | None:
    """(start, end) as whole words, without the punctuation around them; a full stop goes only
    when it ends the sentence ("U.S." keeps its own). None when nothing but punctuation is left."""
    start, end = whole_words(sentence, start, end)
    text = sentence[start:end]
    stripped = text.strip(" ,;:\"'“”‘’()")
    if end == len(sentence.rstrip()):
        stripped = stripped.removesuffix(".")
    if not stripped:
        return None
    start += text.index(stripped)
    return start, start + len(stripped)


class Reader:
    def __init__(self, folder: Path | None = None, threads: int = 0):
        self.folder = Path(folder or MODEL_DIR)
        try:
            import onnxruntime
            from tokenizers import Tokenizer

            settings = json.loads((self.folder / SETTINGS_FILE).read_text(encoding="utf-8"))
            self.max_tokens = int(settings["max_tokens"])
            self.card = settings.get("card", {})
            self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
            self.tokenizer.enable_truncation(self.max_tokens, strategy="longest_first")
            self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id("[PAD]") or 0)
            options = onnxruntime.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
            self.session = onnxruntime.InferenceSession(
                str(self.folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
            self.inputs = {node.name for node in self.session.get_inputs()}
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own untyped errors for a bad file
            raise ReaderModelError(
                f"the reader model in {self.folder} is missing or corrupt ({first_line(error)})"
            ) from None

    def read(self, question: str, sentences: list[tuple[str, str]]) -> list[Reading]:
        """One Reading per (sentence, article title), in order."""
        if not sentences:
            return []
        question = question[:SENTENCE_CHARACTERS]
        texts = [pair_text(sentence, title) for sentence, title in sentences]
        encodings = self.tokenizer.encode_batch([(question, text) for text in texts])
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        logits, starts, ends = self.session.run(None, {name: feeds[name] for name in self.inputs})
        probabilities = 1.0 / (1.0 + np.exp(-logits.reshape(-1)))
        return [
            Reading(float(p), self.short(sentence, encoding, start, end))
            for (sentence, _), encoding, p, start, end in zip(sentences, encodings, probabilities, starts, ends)
        ]

    @staticmethod
    def short(sentence: str, encoding, start_logits: np.ndarray, end_logits: np.ndarray) -> tuple[int, int] | None:
        """The best span of the sentence's own tokens (not the question's, not the title's), as
        character offsets grown to whole words."""
        limit = min(len(sentence), SENTENCE_CHARACTERS)
        tokens = [
            i
            for i, (sequence, (begin, finish)) in enumerate(zip(encoding.sequence_ids, encoding.offsets))
            if sequence == 1 and finish <= limit and finish > begin
        ]
        if not tokens:
            return None
        first, last = tokens[0], tokens[-1]
        start_scores = start_logits[first : last + 1]
        end_scores = end_logits[first : last + 1]
        size = len(start_scores)
        pairs = start_scores[:, None] + end_scores[None, :]
        offsets = np.arange(size)
        allowed = (offsets[None, :] >= offsets[:, None]) & (offsets[None, :] - offsets[:, None] < MAX_SPAN_TOKENS)
        pairs = np.where(allowed, pairs, -np.inf)
        begin, finish = np.unravel_index(int(np.argmax(pairs)), pairs.shape)
        start = encoding.offsets[first + int(begin)][0]
        end = encoding.offsets[first + int(finish)][1]
        return trimmed(sentence, start, end)
