"""The answer picker: the probability that a sentence holds the answer to a question, from a
logistic model over some of the sentence's features (FEATURES, all computed by
bot/answering/answer.py:sentence_features; the model names the ones it uses, chosen on the
development sets by bench/tuning/select_picker_features.py). Its weights were learned on RealTimeQA
2023–2024 by train/answer_picker.py and ship in picker_model/, with the model card; nothing is
downloaded. The same probability ranks the sentences and gates refusals.
"""

import json
import math
from pathlib import Path

import numpy as np

from index.errors import NewsbotError, first_line

MODEL_DIR = Path(__file__).resolve().parent / "picker_model"
WEIGHTS_FILE = "weights.json"
CARD_FILE = "CARD.md"
FIXTURE_FILE = "fixture.jsonl"
FEATURES = (
    "similarity",  # cosine of the question's and the sentence's MiniLM vectors
    "overlap",  # share of the question's content words the sentence holds
    "title_overlap",  # share of them its article's title holds
    "names_held",  # share of the question's names and years the sentence holds
    "of_kind",  # holds a thing of the kind asked for (person, place, date, number, name) not in the question
    "new_names",  # capitalised names the question doesn't mention, log(1 + count)
    "has_number",
    "words",  # log of its length in words
    "opens_article",  # the article's first sentence
    "refers_back",  # leans on the sentence before it ("He said…")
    "search_rank",  # 1 / (1 + the rank search gave its passage or article)
    "age",  # log(1 + days between its article's date and the day asked about); undated counts as ten years
)


class PickerModelError(NewsbotError, RuntimeError):
    """The shipped picker model is missing or cannot be read."""


class AnswerPicker:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder or MODEL_DIR)
        path = self.folder / WEIGHTS_FILE
        try:
            model = json.loads(path.read_text(encoding="utf-8"))
            unknown = [name for name in model["features"] if name not in FEATURES]
            if unknown:
                raise ValueError(f"it uses features this newsbot doesn't compute ({', '.join(unknown)})")
            self.features = tuple(model["features"])
            self._columns = [FEATURES.index(name) for name in self.features]
            self.mean = np.array(model["mean"], dtype=np.float64)
            self.scale = np.array(model["scale"], dtype=np.float64)
            self.coef = np.array(model["coef"], dtype=np.float64)
            self.intercept = float(model["intercept"])
            if not (len(self.mean) == len(self.scale) == len(self.coef) == len(self.features)) or not math.isfinite(
                self.intercept
            ):
                raise ValueError("its weights don't match its features")
            self.card = model.get("card", {})
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise PickerModelError(
                f"the answer picker model {path} is missing or corrupt ({first_line(error)}): "
                "reinstall newsbot (pip install --force-reinstall newsbot)"
            ) from None

    def confidences(self, features: np.ndarray) -> np.ndarray:
        """The probability that each row's sentence answers (rows of all FEATURES, in order)."""
        if len(features) == 0:
            return np.zeros(0)
        chosen = np.asarray(features, dtype=np.float64)[:, self._columns]
        logits = ((chosen - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))
