"""`newsbot eval`: ask a set of news questions, each as of the date it was asked, write the run file
the shared scorers read, and print the scores.

A question is found in a text when its gold answer, normalised, occurs there as a whole token
sequence (NFKC, curly quotes and dashes folded, lower-cased, whitespace collapsed; the answer's own
surrounding punctuation stripped): "iran" does not match "iranian".
"""

import json
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

BUDGETS = (100, 250, 1000)
LEAD_WORDS = 40  # AnswerHit@40w: the gold answer within the answer's first 40 words
MARKERS = re.compile(r"\s*\[\d+\]")
RARE_ANSWER_DF = 0.05  # answers in more than 5% of articles are found by chance; scored apart too
FOLDS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-", "−": "-"})


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(FOLDS).lower().split())


def contains(text: str, answer: str) -> bool:
    """Whether the normalised answer occurs in the normalised text as whole tokens."""
    wanted = normalise(answer).strip(" .,;:!?\"'()[]")
    if not wanted:
        return False
    return re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", normalise(text)) is not None


def first_words(passages: list[str], budget: int) -> str:
    words: list[str] = []
    for passage in passages:
        words.extend(passage.split())
        if len(words) >= budget:
            break
    return " ".join(words[:budget])


def first_sentence(answer: str) -> str:
    from index.articles.sentences import split_sentences

    sentences = split_sentences(MARKERS.sub("", answer).strip())
    return sentences[0] if sentences else ""


@dataclass
class Scores:
    questions: int = 0
    budget_hits: dict[int, int] = field(default_factory=lambda: {b: 0 for b in BUDGETS})
    answer_hits: int = 0
    first_sentence_hits: int = 0
    lead_words_hits: int = 0
    answer_words: list[int] = field(default_factory=list)
    fragments: int = 0
    unbalanced: int = 0
    recall_at_5: int = 0
    reciprocal_ranks: float = 0.0
    refused: int = 0
    ceiling: int = 0  # questions whose answer is in some retrieved passage
    picked_in_ceiling: int = 0  # of those, the ones the answer holds
    refused_in_ceiling: int = 0
    highlights_holding: int = 0  # of the answers with the gold answer in their first sentence
    short_answers_holding: int = 0  # answers whose short answer holds the gold answer

    def add(
        self, gold: str, passages: list[str], answer: str, refused: bool, quotes: list[str] = (), highlight: str = ""
    ) -> None:
        """One question: its gold answer, the ranked passage texts, the answer text (with its [n]
        markers), the quotes its citations show and the span its first citation highlights."""
        from bot.answering.quoting import shape_problems

        self.questions += 1
        for budget in BUDGETS:
            self.budget_hits[budget] += contains(first_words(passages, budget), gold)
        hit_ranks = [rank for rank, passage in enumerate(passages[:10], start=1) if contains(passage, gold)]
        self.recall_at_5 += bool(hit_ranks) and hit_ranks[0] <= 5
        self.reciprocal_ranks += 1 / hit_ranks[0] if hit_ranks else 0.0
        reachable = any(contains(passage, gold) for passage in passages)
        self.ceiling += reachable
        self.refused += refused
        if refused:
            self.refused_in_ceiling += reachable
            return
        plain = MARKERS.sub("", answer)
        self.answer_hits += contains(plain, gold)
        self.picked_in_ceiling += reachable and contains(plain, gold)
        in_first = contains(first_sentence(answer), gold)
        self.first_sentence_hits += in_first
        self.highlights_holding += in_first and contains(highlight, gold)
        self.short_answers_holding += contains(highlight, gold)
        self.lead_words_hits += contains(" ".join(plain.split()[:LEAD_WORDS]), gold)
        self.answer_words.append(len(plain.split()))
        problems = [problem for quote in quotes for problem in shape_problems(quote)]
        self.fragments += "fragment" in problems
        self.unbalanced += "unbalanced quotes" in problems

    def to_json(self) -> dict:
        n = max(self.questions, 1)
        return {
            "questions": self.questions,
            **{f"budget_recall@{b}w": round(self.budget_hits[b] / n, 3) for b in BUDGETS},
            "answer_hit": round(self.answer_hits / n, 3),
            "answer_hit@1": round(self.first_sentence_hits / n, 3),
            f"answer_hit@{LEAD_WORDS}w": round(self.lead_words_hits / n, 3),
            "answer_recall@5": round(self.recall_at_5 / n, 3),
            "mrr@10": round(self.reciprocal_ranks / n, 3),
            "refusal_rate": round(self.refused / n, 3),
            "ceiling": round(self.ceiling / n, 3),
            "picker_share_of_ceiling": round(self.picked_in_ceiling / max(self.ceiling, 1), 3),
            "refused_in_ceiling": round(self.refused_in_ceiling / max(self.ceiling, 1), 3),
            "highlight_holds_answer": round(self.highlights_holding / max(self.first_sentence_hits, 1), 3),
            "short_answer_hit": round(self.short_answers_holding / n, 3),
            "median_answer_words": statistics.median(self.answer_words) if self.answer_words else None,
            "answers_with_fragments": self.fragments,
            "answers_with_unbalanced_quotes": self.unbalanced,
        }


def read_questions(path: Path) -> list[dict]:
    questions = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = [key for key in ("id", "question", "answer") if key not in row]
            if missing:
                raise ValueError(f"{path}, line {number}: no {missing[0]!r}")
            questions.append(row)
    return questions


def question_date(row: dict) -> date | None:
    raw = str(row.get("date") or "")
    for text in (raw[:10], raw[:8]):
        for parse in (date.fromisoformat, lambda t: date(int(t[:4]), int(t[4:6]), int(t[6:8]))):
            try:
                return parse(text)
            except (ValueError, IndexError):
                continue
    return None


def run_eval(pipeline, questions: list[dict], out: Path, k: int, progress=None) -> dict:
    """Ask every question as of its date; write the run file; return the scores and latencies."""
    everything, rare = Scores(), Scores()
    searches: list[float] = []
    answers: list[float] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as run:
        for n, row in enumerate(questions, start=1):
            started = time.perf_counter()
            answer = pipeline.ask(row["question"], k, today=question_date(row))
            searches.append(answer.timings_ms["search"])
            answers.append(answer.timings_ms["total"])
            passages = [passage.readable_text for passage in answer.passages]
            record = {
                "id": row["id"],
                "passages": passages,
                "short_answer": answer.short_answer or None,
                "answer": "" if answer.refused else answer.text,
                "refused": answer.refused,
                "citations": [citation.to_json() for citation in answer.citations],
            }
            run.write(json.dumps(record, ensure_ascii=False) + "\n")
            for scores in (everything, rare) if row.get("answer_df", 0) <= RARE_ANSWER_DF else (everything,):
                scores.add(
                    str(row["answer"]),
                    passages,
                    record["answer"],
                    answer.refused,
                    [q for c in answer.citations for q in c.quotes],
                    answer.short_answer,
                )
            if progress:
                progress(n, len(questions), time.perf_counter() - started)
    return {
        "all": everything.to_json(),
        f"answer_df<={RARE_ANSWER_DF}": rare.to_json(),
        "search_ms": latency(searches),
        "answer_ms": latency(answers),
    }


def latency(milliseconds: list[float]) -> dict:
    """p50 and p95 of some timings (search alone, or the whole answer)."""
    ordered = sorted(milliseconds)
    if not ordered:
        return {"p50": None, "p95": None}
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1),
    }
