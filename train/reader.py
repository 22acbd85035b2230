"""Trains the reader shipped in bot/answering/reader_model/: a cross-encoder over (question,
sentence + its article's title) with two heads, the probability that the sentence answers and the
start and end of the words that do (the short answer). Fine-tuned from the bundled
all-MiniLM-L6-v2 and exported as int8 ONNX.

    python train/reader.py --out bot/answering/reader_model

Training data (the rules of shared/eval/README.md): RealTimeQA 2023–2024 (rtqa-train) and 2022
(rtqa-train-2022), and SelQA's labelled Wikipedia answer sentences. Nothing from the dev sets.

- News: each question's candidates are built as train/answer_picker.py builds them, the sentences
  of the ten passages of its own search results that BM25 ranks highest. A sentence holding the
  gold answer (the Relevance rule) is a positive and where the answer sits in it is the span's
  label; the other candidates are its hard negatives, the ones sharing most of the question's
  words first.
- SelQA: a labelled answer sentence is a positive (no span label), the section's other sentences
  its negatives.

The loss is a softmax over each positive and its negatives (pick one sentence of many), a pointwise
logistic term (so the probability also gates refusals), and the span's start and end. Seeded.
"""

import argparse
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.offline import configure_offline  # noqa: E402

configure_offline()
from answer_picker import RARE_ANSWER_DF, candidates, read_jsonl  # noqa: E402  (train/ is the script's folder)

from bot.answering.reader import MODEL_FILE, SETTINGS_FILE, TOKENIZER_FILE, Reader, pair_text  # noqa: E402
from bot.answering.words import content_words, word_overlap  # noqa: E402
from bot.evaluate import contains  # noqa: E402

SEED = 30
SOURCES = ("rtqa-train", "rtqa-train-2022", "selqa")
POSITIVES_PER_QUESTION = 2
HARD_NEGATIVES = 4  # per group, those sharing most of the question's words
GROUP_SIZE = 8  # one positive and seven negatives per softmax
GROUPS_PER_STEP = 4
MAX_TOKENS = 96
LEARNING_RATE = 5e-5
HEAD_LEARNING_RATE = 5e-4  # the two heads start from nothing
WARMUP_SHARE = 0.1
POINTWISE_WEIGHT = 0.5
SPAN_WEIGHT = 0.5
VALIDATION_SHARE = 0.1  # of rtqa-train's weeks, held out of training for the card's hit@1
# A proper word (not a sentence's first) that names the thing asked about: "Russian" in "What about the
# Russian delegation?". Nationality adjectives are swapped only for one another.
PROPER_WORD = re.compile(r"(?<=\s)[A-Z][a-z]{2,}\b")
ADJECTIVAL = re.compile(r"(?:ian|ean|ese|ish|an|i)$")


def answer_span(sentence: str, answer: str) -> tuple[int, int] | None:
    """Where the answer's words sit in the sentence, ignoring case and runs of spaces."""
    words = str(answer).strip(" .,;:!?\"'()[]").split()
    if not words:
        return None
    found = re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", sentence, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def news_groups(question: dict, articles: dict[str, dict], rng: random.Random) -> list[dict]:
    rows = candidates(question, articles)
    if not rows:
        return []
    answer = str(question["answer"])
    words = content_words(question["question"])
    positives = [row for row in rows if row["holds"]][:POSITIVES_PER_QUESTION]
    negatives = [row for row in rows if not row["holds"]]
    if not negatives:
        return []
    negatives.sort(key=lambda row: word_overlap(words, row["text"]), reverse=True)
    hard, rest = negatives[: HARD_NEGATIVES * 2], negatives[HARD_NEGATIVES * 2 :]
    groups = []
    for positive in positives:
        chosen = rng.sample(hard, min(HARD_NEGATIVES, len(hard)))
        chosen += rng.sample(rest, min(GROUP_SIZE - 1 - len(chosen), len(rest)))
        groups.append(
            {
                "source": "news",
                "question": question["question"],
                "texts": [(row["text"], row["title"]) for row in [positive, *chosen]],
                "span": answer_span(positive["text"], answer),
            }
        )
    return groups


def selqa_groups(record: dict, rng: random.Random) -> list[dict]:
    sentences = record["candidates"]
    answers = set(record["answers"])
    negatives = [s for i, s in enumerate(sentences) if i not in answers]
    if not negatives or not answers:
        return []
    title = record["article"]
    groups = []
    for index in sorted(answers)[:POSITIVES_PER_QUESTION]:
        chosen = rng.sample(negatives, min(GROUP_SIZE - 1, len(negatives)))
        groups.append(
            {
                "source": "selqa",
                "question": record["question"],
                "texts": [(sentences[index], title), *((s, title) for s in chosen)],
                "span": None,
            }
        )
    return groups


def proper_words(question: str) -> list[str]:
    asked = content_words(question)
    return [word for word in PROPER_WORD.findall(question) if word.lower() in asked]


def with_contrasts(groups: list[dict], rng: random.Random) -> int:
    """Give each group whose positive holds a proper word of its question one more negative: the
    positive with that word swapped for another question's ("the Ukrainian delegation" does not
    answer a question about the Russian one). The last random negative makes room. How many were given."""
    pool = sorted({word for group in groups for word in proper_words(group["question"])})
    kinds = {True: [w for w in pool if ADJECTIVAL.search(w)], False: [w for w in pool if not ADJECTIVAL.search(w)]}
    given = 0
    for group in groups:
        positive, title = group["texts"][0]
        shared = [w for w in proper_words(group["question"]) if re.search(rf"(?<!\w){w}(?!\w)", positive)]
        if not shared or len(group["texts"]) < 2:
            continue
        word = rng.choice(shared)
        others = [w for w in kinds[bool(ADJECTIVAL.search(word))] if w not in group["question"] and w not in positive]
        if not others:
            continue
        swapped = re.sub(rf"(?<!\w){word}(?!\w)", rng.choice(others), positive)
        group["texts"] = (
            [*group["texts"][:-1], (swapped, title)]
            if len(group["texts"]) == GROUP_SIZE
            else [*group["texts"], (swapped, title)]
        )
        given += 1
    return given


def build_groups(
    eval_dir: Path, sources: tuple[str, ...], rng: random.Random, contrasts: bool = False
) -> tuple[list[dict], list[dict], dict]:
    """(training groups, validation groups, counts). Validation takes whole weeks of rtqa-train."""
    training, validation, counts = [], [], {}
    for source in sources:
        folder = eval_dir / source
        if source == "selqa":
            found = [g for record in read_jsonl(folder / "questions.jsonl") for g in selqa_groups(record, rng)]
            training.extend(found)
            counts[source] = {"groups": len(found)}
            continue
        questions = [
            q
            for q in read_jsonl(folder / "questions.jsonl")
            if q.get("answer_in_own_results") and q.get("answer_df", 0) <= RARE_ANSWER_DF and len(str(q["answer"])) >= 3
        ]
        wanted = {article_id for q in questions for article_id in q["gcs_article_ids"]}
        articles = {a["id"]: a for a in read_jsonl(folder / "articles.jsonl.gz") if a["id"] in wanted}
        weeks = sorted({q["id"].split("_")[0] for q in questions})
        held = (
            set(random.Random(SEED).sample(weeks, round(len(weeks) * VALIDATION_SHARE)))
            if source == "rtqa-train"
            else set()
        )
        kept = 0
        for question in questions:
            groups = news_groups(question, articles, rng)
            kept += bool(groups)
            (validation if question["id"].split("_")[0] in held else training).extend(groups)
        counts[source] = {"questions": len(questions), "with_a_positive": kept, "validation_weeks": len(held)}
        print(f"{source}: {counts[source]}", flush=True)
    if contrasts:
        counts["with_a_contrast"] = with_contrasts(training, rng)
    counts["training_groups"] = len(training)
    counts["validation_groups"] = len(validation)
    counts["with_span_label"] = sum(g["span"] is not None for g in training)
    return training, validation, counts


def reader_network(base: str):
    import torch
    from transformers import AutoModel

    class ReaderNetwork(torch.nn.Module):
        """MiniLM, a score from its [CLS] state, and per-token start and end logits."""

        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base)
            width = self.encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(0.1)
            self.score = torch.nn.Linear(width, 1)
            self.span = torch.nn.Linear(width, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            states = self.dropout(states)
            logits = self.score(states[:, 0]).squeeze(-1)
            starts, ends = self.span(states).unbind(-1)
            return logits, starts, ends

    return ReaderNetwork()


def encode(tokenizer, batch: list[dict]):
    pairs = [(group["question"], pair_text(sentence, title)) for group in batch for sentence, title in group["texts"]]
    return tokenizer(
        [q for q, _ in pairs],
        [t for _, t in pairs],
        padding=True,
        truncation="longest_first",
        max_length=MAX_TOKENS,
        return_tensors="pt",
    )


def train_model(base: str, training: list[dict], epochs: float, threads: int, log_every: int = 50):
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = reader_network(base)
    model.encoder.embeddings.word_embeddings.weight.requires_grad = False  # a third of the weights, and of the step
    model.train()
    heads = [*model.score.parameters(), *model.span.parameters()]
    body = [p for p in model.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": LEARNING_RATE}, {"params": heads, "lr": HEAD_LEARNING_RATE}], weight_decay=0.01
    )
    steps = int(len(training) * epochs / GROUPS_PER_STEP)
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
        encoded = encode(tokenizer, batch)
        logits, starts, ends = model(encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"])
        labels = torch.zeros_like(logits)
        listwise = 0.0
        span_losses = []
        offset = 0
        for group in batch:
            size = len(group["texts"])
            labels[offset] = 1.0
            listwise = listwise + torch.nn.functional.cross_entropy(
                logits[offset : offset + size][None], torch.tensor([0])
            )
            if group["span"] is not None:
                first = encoded.char_to_token(offset, group["span"][0], sequence_index=1)
                last = encoded.char_to_token(offset, group["span"][1] - 1, sequence_index=1)
                if first is not None and last is not None:
                    outside = torch.tensor([sequence != 1 for sequence in encoded.sequence_ids(offset)])
                    start_row = starts[offset].masked_fill(outside, -1e4)
                    end_row = ends[offset].masked_fill(outside, -1e4)
                    span_losses.append(
                        torch.nn.functional.cross_entropy(start_row[None], torch.tensor([first]))
                        + torch.nn.functional.cross_entropy(end_row[None], torch.tensor([last]))
                    )
            offset += size
        pointwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss = listwise / len(batch) + POINTWISE_WEIGHT * pointwise
        if span_losses:
            loss = loss + SPAN_WEIGHT * torch.stack(span_losses).mean() / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if (step + 1) % log_every == 0:
            elapsed = time.time() - started
            print(
                f"step {step + 1}/{steps}  loss {loss.item():.3f}  {elapsed:.0f} s  ~{elapsed / (step + 1) * steps:.0f} s in all",
                flush=True,
            )
    model.eval()
    return model, tokenizer


def export(model, tokenizer, base: str, target: Path) -> None:
    """The fine-tuned model as int8 ONNX (weights per channel), with its tokenizer, into `target`."""
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    example = tokenizer(
        ["who won?", "what is it?"], ["The Bills won the game.", "It is a test."], padding=True, return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    batch, tokens = torch.export.Dim("batch"), torch.export.Dim("tokens", max=512)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32 = Path(scratch) / "fp32.onnx"
        torch.onnx.export(
            model.eval(),
            tuple(example[name] for name in names),
            str(fp32),
            input_names=names,
            output_names=["logits", "starts", "ends"],
            dynamic_shapes={name: {0: batch, 1: tokens} for name in names},
            dynamo=True,
            external_data=False,
            verbose=False,
        )
        quantize_dynamic(str(fp32), str(target / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copy(Path(base) / "tokenizer.json", target / TOKENIZER_FILE)


def validate(reader: Reader, groups: list[dict]) -> dict:
    """hit@1 within held-out groups (the positive above its negatives), and how often the short
    answer holds the gold answer where a span label exists."""
    hits, spans, labelled = 0, 0, 0
    for group in groups:
        readings = reader.read(group["question"], group["texts"])
        hits += int(max(range(len(readings)), key=lambda i: readings[i].probability) == 0)
        if group["span"] is not None and readings[0].short is not None:
            labelled += 1
            sentence = group["texts"][0][0]
            answer = sentence[group["span"][0] : group["span"][1]]
            spans += contains(sentence[readings[0].short[0] : readings[0].short[1]], answer)
    return {
        "groups": len(groups),
        "hit@1_of_group": round(hits / max(len(groups), 1), 3),
        "short_answer_holds_it": round(spans / max(labelled, 1), 3),
        "span_labelled": labelled,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval", help="holds the training sets"
    )
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    parser.add_argument("--out", type=Path, required=True, help="where the int8 model and its settings go")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--contrast-negatives",
        action="store_true",
        help="add each group a negative made by swapping a proper word of the question in its positive "
        "(tried and not shipped: docs/answering.md)",
    )
    parser.add_argument("--limit", type=int, default=0, help="train on this many groups only (a smoke run)")
    args = parser.parse_args()

    from index.embedding.embedder import BUNDLED_MODEL, resolve_model

    base, _ = resolve_model(BUNDLED_MODEL)
    started = time.time()
    rng = random.Random(SEED)
    training, validation, counts = build_groups(args.eval_dir, tuple(args.sources), rng, args.contrast_negatives)
    if args.limit:
        training = rng.sample(training, min(args.limit, len(training)))
    built = time.time()
    print(f"{counts} built in {built - started:.0f} s", flush=True)
    model, tokenizer = train_model(base, training, args.epochs, args.threads)
    trained = time.time()
    export(model, tokenizer, base, args.out)
    settings = {
        "seed": SEED,
        "sources": args.sources,
        "epochs": args.epochs,
        "groups_per_step": GROUPS_PER_STEP,
        "group_size": GROUP_SIZE,
        "learning_rate": LEARNING_RATE,
        "head_learning_rate": HEAD_LEARNING_RATE,
        "warmup_share": WARMUP_SHARE,
        "pointwise_weight": POINTWISE_WEIGHT,
        "span_weight": SPAN_WEIGHT,
        "positives_per_question": POSITIVES_PER_QUESTION,
        "hard_negatives": HARD_NEGATIVES,
        "max_answer_df": RARE_ANSWER_DF,
        "contrast_negatives": args.contrast_negatives,
        "threads": args.threads,
        "limit": args.limit or None,
    }
    (args.out / SETTINGS_FILE).write_text(json.dumps({"max_tokens": MAX_TOKENS}) + "\n", encoding="utf-8")
    figures = validate(Reader(args.out), validation)
    record = {
        "max_tokens": MAX_TOKENS,
        "card": {
            "data": counts,
            "training": settings,
            "validation": figures,
            "seconds": {
                "data": round(built - started),
                "training": round(trained - built),
                "total": round(time.time() - started),
            },
            "size_bytes": (args.out / MODEL_FILE).stat().st_size,
        },
    }
    (args.out / SETTINGS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
