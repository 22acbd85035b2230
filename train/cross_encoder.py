"""The alternative to the shipped answer picker, measured and not shipped: a cross-encoder that
scores (question, sentence), fine-tuned from the bundled all-MiniLM-L6-v2 on RealTimeQA 2023–2024
(shared/eval/rtqa-train) and exported as int8 ONNX. bench/compare_pickers.py --cross-encoder DIR
puts it beside the shipped picker; docs/answering.md gives why it lost (quality and speed).

    python train/cross_encoder.py --train ../shared/eval/rtqa-train --out DIR

Supervision needs no index: each question's own search results (`gcs_article_ids`) give its
sentences. A sentence holding the gold answer (the Relevance rule of shared/eval/README.md) is a
positive; the sentences of the same articles that BM25 ranks highest for the question, and a few
at random, are its hard negatives. The loss is a softmax over each positive and its negatives
(pick one sentence of many) plus a pointwise logistic term, so that one score both ranks a
question's sentences and says how likely any of them is to answer it (the refusal gate).

Seeded; 22 minutes of training on the 2-core development machine (docs/answering.md).
"""

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answering.answer import quotable  # noqa: E402
from bot.answering.quoting import sentences_of  # noqa: E402
from bot.evaluate import contains  # noqa: E402
from answer_picker import read_jsonl  # noqa: E402  (train/ is the script's folder)

MODEL_FILE = "model-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
SETTINGS_FILE = "settings.json"

SEED = 20
RARE_ANSWER_DF = 0.05  # answers in more than 5% of articles ("President") label sentences by chance
POSITIVES_PER_QUESTION = 2
HARD_NEGATIVES = 24  # BM25's best non-answer sentences of the question's own articles
RANDOM_NEGATIVES = 8
GROUP_SIZE = 8  # one positive and seven negatives per softmax
GROUPS_PER_STEP = 2
MAX_TOKENS = 96
LEARNING_RATE = 3e-5
WARMUP_SHARE = 0.1
POINTWISE_WEIGHT = 0.5
VALIDATION_SHARE = 0.1  # of rtqa-train's weeks, held out of training to report hit@1 on the card


def question_examples(question: dict, articles: dict[str, dict], rng: random.Random) -> list[dict]:
    """Groups of (question, positive, negatives) for one question, or none when its own results
    hold no sentence with the answer."""
    import bm25s

    sentences = []
    for article_id in question["gcs_article_ids"]:
        article = articles.get(article_id)
        if article is None:
            continue
        for sentence in sentences_of(article["text"]):
            if quotable(sentence.text):
                sentences.append(sentence.text)
    sentences = list(dict.fromkeys(sentences))
    answer = str(question["answer"])
    holds = [contains(sentence, answer) for sentence in sentences]
    if not any(holds) or all(holds):
        return []
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(sentences, stopwords="en", show_progress=False), show_progress=False)
    order, _ = retriever.retrieve(
        bm25s.tokenize([question["question"]], stopwords="en", show_progress=False), k=len(sentences), show_progress=False
    )
    ranked = [int(i) for i in order[0]]
    positives = [sentences[i] for i in ranked if holds[i]][:POSITIVES_PER_QUESTION]
    negatives = [sentences[i] for i in ranked if not holds[i]]
    hard, rest = negatives[:HARD_NEGATIVES], negatives[HARD_NEGATIVES:]
    pool = hard + rng.sample(rest, min(RANDOM_NEGATIVES, len(rest)))
    groups = []
    for positive in positives:
        chosen = rng.sample(pool, min(GROUP_SIZE - 1, len(pool)))
        groups.append({"question": question["question"], "id": question["id"], "texts": [positive, *chosen]})
    return groups


def build_groups(train: Path, rng: random.Random) -> tuple[list[dict], list[dict], dict]:
    """(training groups, validation groups, counts). Validation takes whole weeks."""
    questions = [
        q for q in read_jsonl(train / "questions.jsonl")
        if q.get("answer_in_own_results") and q.get("answer_df", 0) <= RARE_ANSWER_DF and len(str(q["answer"])) >= 3
    ]
    wanted = {article_id for q in questions for article_id in q["gcs_article_ids"]}
    articles = {a["id"]: a for a in read_jsonl(train / "articles.jsonl.gz") if a["id"] in wanted}
    weeks = sorted({q["id"].split("_")[0] for q in questions})
    held = set(random.Random(SEED).sample(weeks, round(len(weeks) * VALIDATION_SHARE)))
    training, validation = [], []
    for question in questions:
        groups = question_examples(question, articles, rng)
        (validation if question["id"].split("_")[0] in held else training).extend(groups)
    counts = {
        "questions": len(questions), "weeks": len(weeks), "validation_weeks": len(held),
        "training_groups": len(training), "validation_groups": len(validation), "articles": len(articles),
    }
    return training, validation, counts


def train_model(base: str, training: list[dict], epochs: float, threads: int, log_every: int = 25):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    model.train()
    steps = int(len(training) * epochs / GROUPS_PER_STEP)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(steps * WARMUP_SHARE), steps)
    order = list(range(len(training)))
    rng = random.Random(SEED)
    started = time.time()
    position = len(order)
    for step in range(steps):
        batch = []
        for _ in range(GROUPS_PER_STEP):
            if position >= len(order):
                rng.shuffle(order)
                position = 0
            batch.append(training[order[position]])
            position += 1
        pairs = [(group["question"], text) for group in batch for text in group["texts"]]
        encoded = tokenizer(
            [q for q, _ in pairs], [t for _, t in pairs], padding=True, truncation="longest_first",
            max_length=MAX_TOKENS, return_tensors="pt",
        )
        logits = model(**encoded).logits.squeeze(-1)
        labels = torch.zeros_like(logits)
        listwise = 0.0
        offset = 0
        for group in batch:
            size = len(group["texts"])
            labels[offset] = 1.0
            listwise = listwise + torch.nn.functional.cross_entropy(logits[offset : offset + size][None], torch.tensor([0]))
            offset += size
        pointwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss = listwise / len(batch) + POINTWISE_WEIGHT * pointwise
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if (step + 1) % log_every == 0:
            elapsed = time.time() - started
            print(f"step {step + 1}/{steps}  loss {loss.item():.3f}  {elapsed:.0f} s  ~{elapsed / (step + 1) * steps:.0f} s in all", flush=True)
    model.eval()
    return model, tokenizer


def export(model, tokenizer, base: str, target: Path) -> None:
    """The fine-tuned model as int8 ONNX (weights per channel), with its tokenizer, into `target`."""
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    example = tokenizer(["who won?", "what is it?"], ["The Bills won the game.", "It is a test."], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    batch, tokens = torch.export.Dim("batch"), torch.export.Dim("tokens", max=512)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "fp32.onnx"
        torch.onnx.export(
            Logits(model).eval(), tuple(example[name] for name in names), str(fp32), input_names=names,
            output_names=["logits"], dynamic_shapes={name: {0: batch, 1: tokens} for name in names},
            dynamo=True, external_data=False, verbose=False,
        )
        quantize_dynamic(str(fp32), str(target / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copy(Path(base) / "tokenizer.json", target / TOKENIZER_FILE)
    (target / SETTINGS_FILE).write_text(json.dumps({"max_tokens": MAX_TOKENS}) + "\n", encoding="utf-8")


class CrossEncoderScorer:
    """The exported model, run by onnxruntime and tokenizers: the probability that a sentence answers."""

    def __init__(self, folder: Path):
        import numpy as np
        import onnxruntime
        from tokenizers import Tokenizer

        self.np = np
        settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(int(settings["max_tokens"]), strategy="longest_first")
        self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id("[PAD]") or 0)
        self.session = onnxruntime.InferenceSession(str(folder / MODEL_FILE), providers=["CPUExecutionProvider"])
        self.inputs = {node.name for node in self.session.get_inputs()}

    def scores(self, question: str, sentences: list[str]):
        np = self.np
        if not sentences:
            return np.zeros(0)
        encodings = self.tokenizer.encode_batch([(question, s) for s in sentences])
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        logits = self.session.run(None, {n: feeds[n] for n in self.inputs})[0].reshape(-1)
        return 1.0 / (1.0 + np.exp(-logits))


def validate(picker, groups: list[dict]) -> dict:
    """hit@1 within groups (the positive scored above its seven negatives), and the mean scores."""
    hits = 0
    positive, negative = [], []
    for group in groups:
        scores = picker.scores(group["question"], group["texts"])
        hits += int(scores.argmax() == 0)
        positive.append(float(scores[0]))
        negative.extend(float(s) for s in scores[1:])
    n = max(len(groups), 1)
    return {
        "groups": len(groups), "hit@1_of_8": round(hits / n, 3),
        "mean_positive": round(sum(positive) / max(len(positive), 1), 3),
        "mean_negative": round(sum(negative) / max(len(negative), 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, default=ROOT.parent / "shared" / "eval" / "rtqa-train")
    parser.add_argument("--out", type=Path, required=True, help="where the int8 model and its figures go")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="train on this many groups only (a smoke run)")
    args = parser.parse_args()

    from index.embedding.embedder import BUNDLED_MODEL, resolve_model

    base, _ = resolve_model(BUNDLED_MODEL)
    started = time.time()
    rng = random.Random(SEED)
    training, validation, counts = build_groups(args.train, rng)
    if args.limit:
        training = training[: args.limit]
    print(f"{counts} built in {time.time() - started:.0f} s", flush=True)
    model, tokenizer = train_model(base, training, args.epochs, args.threads)
    trained = time.time()
    export(model, tokenizer, base, args.out)
    picker = CrossEncoderScorer(args.out)
    figures = validate(picker, validation)
    settings = {
        "seed": SEED, "epochs": args.epochs, "groups_per_step": GROUPS_PER_STEP, "group_size": GROUP_SIZE,
        "learning_rate": LEARNING_RATE, "warmup_share": WARMUP_SHARE, "pointwise_weight": POINTWISE_WEIGHT,
        "max_tokens": MAX_TOKENS, "positives_per_question": POSITIVES_PER_QUESTION,
        "hard_negatives": HARD_NEGATIVES, "random_negatives": RANDOM_NEGATIVES, "max_answer_df": RARE_ANSWER_DF,
        "threads": args.threads, "limit": args.limit or None,
    }
    record = {
        "data": counts, "settings": settings, "validation": figures,
        "training_seconds": round(trained - started), "total_seconds": round(time.time() - started),
        "size_bytes": (args.out / MODEL_FILE).stat().st_size,
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
