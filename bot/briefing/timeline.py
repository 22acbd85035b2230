"""A story's timeline: one line per report, oldest first, each giving the one sentence that report
added, verbatim and cited: the sentence of its lead closest to the story as a whole that no earlier
report had already said (an earlier lead sentence again with a new figure, or one not close in
meaning to any earlier lead sentence that brings a new name or number and new words). A report
that added nothing new, and a syndicated copy, are folded into the line before them. "Updated"
and "Reports differ" fall on the line of the later report.

Everything is read from the catalog's stored sentence vectors; nothing is embedded.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from bot.answering.words import content_words
from bot.briefing.digest import (
    LEAD_CHUNKS,
    BriefCitation,
    BriefError,
    Story,
    StoryArticle,
    conflict_json,
    disagreements_among,
    is_bullet,
)

# A sentence this close in meaning to one an earlier report gave says it again.
SAID_BEFORE = 0.7
# Below that, it must also bring a new name or number and at least this many words the earlier
# reports never used; otherwise it is the same news in other words.
NEW_WORDS = 4
# At least this close to an earlier sentence, with a number it did not give, it is that sentence
# revised: the figure is the news.
REVISED = 0.85
# What counts as a new fact: a number as written ("1,100", "4.5"), or a capitalised word not opening
# a sentence, of any length ("Xi", "UN"; story matching's NAME wants three letters).
NUMBER = re.compile(r"\d[\d,.]*\d|\d")
NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-zA-Z'’-]+")
# The lines shown by default; the first report is always one of them, the rest are the latest.
TIMELINE_LINES = 20
STORY_ID = re.compile(r"^s-[0-9a-f]{16}$")


def is_story_id(text: str) -> bool:
    """Whether `text` names a story by id; raises BriefError for one that looks like an id but isn't."""
    text = text.strip()
    if STORY_ID.match(text):
        return True
    if text.startswith("s-") and " " not in text:
        raise BriefError(f"{text!r} is not a story id: they look like s- and 16 hex digits (see `newsbot stories`)")
    return False


@dataclass
class TimelineLine:
    article: StoryArticle
    sentence: str  # verbatim from the article
    n: int  # its citation
    also: list[StoryArticle] = field(default_factory=list)  # copies and reports that added nothing new
    marks: list[dict] = field(default_factory=list)  # "Updated" and "Reports differ", as conflict_json gives them

    def to_json(self) -> dict:
        return {
            **self.article.to_json(),
            "sentence": f"{self.sentence} [{self.n}]",
            "also": [article.to_json() for article in self.also],
            "marks": self.marks,
        }


@dataclass
class Timeline:
    story: Story
    lines: list[TimelineLine]
    citations: list[BriefCitation]
    left_out: int = 0  # lines beyond the limit, between the first and the latest shown

    def to_json(self) -> dict:
        return {
            "story_id": self.story.story_id,
            "headline": self.story.headline,
            "lines": [line.to_json() for line in self.lines],
            "left_out": self.left_out,
            "citations": [citation.to_json() for citation in self.citations],
        }


def story_timeline(story: Story, catalog, limit: int = TIMELINE_LINES) -> Timeline:
    """The timeline of `story` (its articles oldest first), at most `limit` lines; the story's
    headline is its first report's title. A first report with no sentence that reads alone has no
    line, and the reports after it start the timeline."""
    story.headline = story.articles[0].title
    originals = [article for article in story.articles if not article.copy_of]
    vectors = catalog.article_vectors([article.article_id for article in originals])
    centroid = np.mean(list(vectors.values()), axis=0) if vectors else None
    said: list[np.ndarray] = []
    said_words: set[str] = set()
    said_facts: set[str] = set()
    lines: list[TimelineLine] = []
    line_of: dict[str, TimelineLine] = {}
    for article in story.articles:
        if article.copy_of and article.copy_of in line_of:
            line_of[article.copy_of].also.append(article)
            continue
        lead = catalog.article_sentences(article.article_id, LEAD_CHUNKS)
        chosen = _new_sentence(lead, said, said_words, said_facts, centroid)
        said.extend(vector for _, vector in lead)
        for text, _ in lead:
            said_words.update(content_words(text))
            said_facts.update(_facts(text))
        if chosen is None:
            if lines:
                lines[-1].also.append(article)
                line_of[article.article_id] = lines[-1]
            continue
        line = TimelineLine(article, chosen, 0)
        lines.append(line)
        line_of[article.article_id] = line
    left_out = max(0, len(lines) - limit)
    if left_out:
        lines = lines[:1] + lines[len(lines) - limit + 1 :] if limit > 1 else lines[:1]
    citations = []
    for line in lines:
        line.n = len(citations) + 1
        citations.append(BriefCitation(line.n, line.article, line.sentence))
    shown = {line.article.article_id: line for line in lines}
    by_id = {article.article_id: article for article in story.articles}
    for found in disagreements_among([line.article for line in lines], catalog):
        later = shown.get(found.second.article_id)
        if later is not None:
            later.marks.append(
                conflict_json(found, citations, lambda n, article_id, quote: BriefCitation(n, by_id[article_id], quote))
            )
    return Timeline(story, lines, citations, left_out)


def _facts(text: str) -> set[str]:
    """The numbers and names a sentence gives."""
    return set(NUMBER.findall(text)) | set(NAME.findall(text))


def _new_sentence(
    lead: list[tuple[str, np.ndarray]],
    said: list[np.ndarray],
    said_words: set[str],
    said_facts: set[str],
    centroid: np.ndarray | None,
) -> str | None:
    """The sentence of `lead` closest to the story that no earlier report said (in meaning, or in
    its words, names and numbers), if any reads well alone."""
    earlier = np.stack(said) if said else None
    best, best_score = None, -2.0
    for text, vector in lead:
        if not is_bullet(text):
            continue
        if earlier is not None:
            new = _facts(text) - said_facts
            closest = float((earlier @ vector).max())
            # An earlier sentence again with a new figure is news ("will now cost £4.8 million");
            # otherwise the sentence must be far from all of them and bring new facts and words.
            revised = closest >= REVISED and any(NUMBER.fullmatch(fact) for fact in new)
            fresh = closest < SAID_BEFORE and new and len(content_words(text) - said_words) >= NEW_WORDS
            if not (revised or fresh):
                continue
        score = float(vector @ centroid) if centroid is not None else 0.0
        if score > best_score:
            best, best_score = text, score
    return best
