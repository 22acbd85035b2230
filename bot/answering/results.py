"""What an answer is, as every front end renders it: the answer, its citations, and what checking
a language model's citations did."""

from dataclasses import asdict, dataclass, field

from index.search.diversify import Outlet
from index.search.searcher import Passage

REFUSAL = "The indexed articles don't cover this question."


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    title: str
    source: str
    url: str
    published: str
    quote: str  # the first quote from this article
    also_reported_by: tuple[Outlet, ...] = ()  # other outlets that carried the same passage
    highlight: str = ""  # the part of `quote` that answers the question, if it could be told
    more_quotes: tuple[str, ...] = ()  # further quotes from the same article, in order of use

    @property
    def quotes(self) -> tuple[str, ...]:
        return (self.quote, *self.more_quotes)

    @classmethod
    def quoting(cls, n: int, passage: Passage, quote: str, highlight: str = "") -> "Citation":
        return cls(
            n=n,
            article_id=passage.article_id,
            title=passage.title,
            source=passage.source,
            url=passage.url,
            published=passage.published,
            quote=quote,
            also_reported_by=passage.also_reported_by,
            highlight=highlight,
        )

    def to_json(self) -> dict:
        data = asdict(self)
        del data["more_quotes"]
        data["quotes"] = list(self.quotes)
        data["highlight"] = self.highlight or None
        data["url"] = self.url or None
        data["published"] = self.published or None
        data["also_reported_by"] = [outlet.to_json() for outlet in self.also_reported_by]
        return data


@dataclass(frozen=True)
class Verification:
    """What checking a model's citations did (bot/answering/verify.py)."""

    kept: int
    moved: int
    removed: int
    fallback: bool

    def to_json(self) -> dict:
        return {"kept": self.kept, "moved": self.moved, "removed": self.removed, "fallback": self.fallback}


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    search_query: str = ""  # differs from the question for a follow-up
    mode: str = "extractive"
    verification: Verification | None = None  # of a model's answer; None in extractive mode
    note: str = ""  # why a model's answer was replaced by quotes, for the user
    freshness_note: str = ""  # "The latest article on this is from …", when that is old
    generated_tokens: int = 0
    # Figures a quote gives that another report of its story gives differently (bot/briefing/conflicts.py).
    conflicts: list[dict] = field(default_factory=list)

    @property
    def short_answer(self) -> str:
        """The words of the first quote that answer, which a reply opens with; empty when refused
        or when they couldn't be told."""
        return "" if self.refused or not self.citations else self.citations[0].highlight

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "short_answer": self.short_answer or None,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "verification": self.verification.to_json() if self.verification else None,
            "note": self.note or None,
            "freshness_note": self.freshness_note or None,
            "citations": [citation.to_json() for citation in self.citations],
            "conflicts": self.conflicts,
            "passages": [
                {
                    "rank": rank,
                    "article_id": passage.article_id,
                    "title": passage.title,
                    "text": passage.text,
                    "score": round(passage.score, 4),
                }
                for rank, passage in enumerate(self.passages, start=1)
            ],
            "timings_ms": {key: round(value, 1) for key, value in self.timings_ms.items()},
        }
