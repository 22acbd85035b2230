"""Answers as plain text for a terminal: the answer, then its numbered sources."""

import textwrap
from datetime import date

from bot.answer import Answer, Citation

WIDTH = 100


def human_date(published: str) -> str:
    if not published:
        return "undated"
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return published
    return f"{day.day} {day:%B %Y}"


def source_line(citation: Citation) -> str:
    parts = [citation.title or "(untitled)", citation.source or "unknown publisher", human_date(citation.published)]
    if citation.url:
        parts.append(citation.url)
    line = " · ".join(parts)
    if citation.also_reported_by:
        line += f" (also reported by {also_reported(citation)})"
    return line


def also_reported(citation: Citation) -> str:
    """The other outlets that carried a cited passage: "CNN, WTOP and 2 more"."""
    names = list(dict.fromkeys(outlet.source or "another outlet" for outlet in citation.also_reported_by))
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def render_answer(answer: Answer) -> str:
    lines = textwrap.wrap(answer.text, WIDTH) or [answer.text]
    for note in (answer.freshness_note, answer.note):
        if note:
            lines.extend(textwrap.wrap(f"({note})", WIDTH))
    if answer.refused:
        lines.append("Try other words, or `newsbot stats` to see what is indexed.")
        return "\n".join(lines)
    lines.append("")
    lines.append("Sources:")
    for citation in answer.citations:
        lines.append(f"[{citation.n}] {source_line(citation)}")
        lines.extend(textwrap.wrap(f"“{citation.quote}”", WIDTH, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)
