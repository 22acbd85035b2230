"""A catalog's questions about stories: what story matching knows of each article, a story's
members, and the articles of some days. Mixed into Catalog, whose SQLite tables it reads."""

import json

import numpy as np

from index.articles.stories import Sketch, sketch, unit_mean
from index.store.records import ArticleRecord


class StoryQueries:
    def sketches(self) -> list[Sketch]:
        """What story matching knows of every article held, with its story."""
        records = self.articles()
        rows: dict[str, tuple[list[str], list[np.ndarray]]] = {}
        for article_id, text, vector in self._db().execute(
            "SELECT article_id, text, vector FROM chunks ORDER BY article_id, position"
        ):
            texts, vectors = rows.setdefault(article_id, ([], []))
            texts.append(text)
            vectors.append(np.frombuffer(vector, dtype=np.float32))
        found = []
        for article_id, (texts, vectors) in rows.items():
            record = records.get(article_id)
            if record is None:
                continue
            item = sketch(article_id, record.title, record.source, record.published, texts, vectors)
            item.story, item.copy_of = record.story, record.copy_of
            found.append(item)
        return found

    def story_members(self, days: tuple[int, int]) -> list[tuple[str, ArticleRecord]]:
        """(article id, record) of every dated article published within `days` (first and last day
        ordinals), oldest first."""
        rows = self._db().execute(
            "SELECT s.article_id, a.record FROM stories s JOIN articles a ON a.article_id = s.article_id "
            "WHERE s.day BETWEEN ? AND ? AND s.day > 0 ORDER BY s.published, s.article_id",
            (max(days[0], 1), days[1]),
        )
        return [(article_id, ArticleRecord(**json.loads(record))) for article_id, record in rows]

    def story_of(self, article_id: str) -> dict[str, ArticleRecord]:
        """Article id -> record of every article in `article_id`'s story, oldest first (none when
        it has no story yet)."""
        rows = self._db().execute(
            "SELECT s.article_id, a.record FROM stories s JOIN articles a ON a.article_id = s.article_id "
            "WHERE s.story_id != '' AND s.story_id = (SELECT story_id FROM stories WHERE article_id = ?) "
            "ORDER BY s.published, s.article_id",
            (article_id,),
        )
        return {member: ArticleRecord(**json.loads(record)) for member, record in rows}

    def story_by_id(self, story: str) -> dict[str, ArticleRecord]:
        """Article id -> record of every article of the story named `story`, oldest first."""
        rows = self._db().execute(
            "SELECT s.article_id, a.record FROM stories s JOIN articles a ON a.article_id = s.article_id "
            "WHERE s.story_id = ? ORDER BY s.published, s.article_id",
            (story,),
        )
        return {article_id: ArticleRecord(**json.loads(record)) for article_id, record in rows}

    def unstoried(self) -> int:
        """How many articles have no story yet: the index was built before stories existed."""
        return self._db().execute("SELECT count(*) FROM stories WHERE story_id = ''").fetchone()[0]

    def article_vectors(self, article_ids: list[str]) -> dict[str, np.ndarray]:
        """Each article's unit mean chunk vector."""
        found: dict[str, list[np.ndarray]] = {}
        for start in range(0, len(article_ids), 500):
            part = article_ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for article_id, vector in self._db().execute(
                f"SELECT article_id, vector FROM chunks WHERE article_id IN ({marks})", part
            ):  # noqa: S608
                found.setdefault(article_id, []).append(np.frombuffer(vector, dtype=np.float32))
        return {article_id: unit_mean(vectors) for article_id, vectors in found.items()}
