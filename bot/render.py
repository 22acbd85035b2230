"""Answers as plain text for a terminal: the answer, then its numbered sources."""

import textwrap
from collections.abc import Callable
from datetime import date

from bot.answering.results import Answer, Citation
from bot.dates import human_date

WIDTH = 100


def source_line(citation: Citation) -> str:
    parts = [citation.title or "(untitled)", citation.source or "unknown publisher", human_date(citation.published)]
    if citation.url:
        parts.append(citation.url)
    line = " · ".join(parts)
    if also_reported(citation):
        line += f" (also reported by {also_reported(citation)})"
    return line


def also_reported(citation: Citation) -> str:
    """The other outlets that carried a cited passage or its story: "CNN, WTOP and 2 more"."""
    names = [
        name
        for name in dict.fromkeys(outlet.source or "another outlet" for outlet in citation.also_reported_by)
        if name != citation.source
    ]
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def emphasise(answer: Answer, mark: Callable[[str], str]) -> str:
    """The answer text with the part of each quote that answers the question passed through `mark`."""
    text = answer.text
    for citation in answer.citations:
        spot = text.find(citation.highlight) if citation.highlight else -1
        if spot >= 0:
            text = text[:spot] + mark(citation.highlight) + text[spot + len(citation.highlight) :]
    return text


def terminal_bold(text: str) -> str:
    return f"\033[1m{text}\033[0m"


def render_answer(answer: Answer, bold: bool = False) -> str:
    """The answer and its sources; with `bold`, the part that answers in the terminal's bold."""
    text = emphasise(answer, terminal_bold) if bold else answer.text
    lines = textwrap.wrap(text, WIDTH) or [text]
    if answer.short_answer:
        lines.insert(0, terminal_bold(answer.short_answer) if bold else answer.short_answer)
    for note in (answer.freshness_note, answer.note):
        if note:
            lines.extend(textwrap.wrap(f"({note})", WIDTH))
    for conflict in answer.conflicts:
        lines.extend(textwrap.wrap(conflict_line(conflict), WIDTH))
    if answer.refused:
        lines.append("Try other words, or `newsbot stats` to see what is indexed.")
        return "\n".join(lines)
    lines.append("")
    lines.append("Sources:")
    for citation in answer.citations:
        lines.append(f"[{citation.n}] {source_line(citation)}")
        for quote in citation.quotes:
            # Indented, not wrapped in quotation marks: a quote often opens with its own.
            lines.extend(textwrap.wrap(" ".join(quote.split()), WIDTH, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)


def ago(seconds: float) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago'."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h ago"
    return f"{seconds // 86400:.0f} days ago"


def web_source_status(status: dict, now: float) -> str:
    """What a web source last did (a status from the index run): "fetched 5 min ago; newest
    2026-11-20; last error 2 h ago: ... HTTP 503"."""
    parts = [f"fetched {ago(now - status['last_success'])}" if status.get("last_success") else "never fetched"]
    if status.get("newest"):
        parts.append(f"newest {status['newest'][:10]}")
    if status.get("last_error"):
        parts.append(f"last error {ago(now - status.get('last_error_at', now))}: {status['last_error'][:200]}")
    return "; ".join(parts)


def window_words(first: date, last: date) -> str:
    return f"between {human_date(first.isoformat())} and {human_date(last.isoformat())}"


def render_stories(first: date, last: date, stories: list) -> str:
    if not stories:
        return f"No stories {window_words(first, last)}."
    lines = [f"{len(stories)} stories {window_words(first, last)}:"]
    for story in stories:
        articles = story.articles
        lines.append(
            f"- {articles[-1].title or '(untitled)'} ({len(articles)} articles; {', '.join(story.publishers)}) [{story.story_id}]"
        )
    return "\n".join(lines)


def conflict_line(conflict: dict) -> str:
    """'Reports differ: "…" [1] vs "…" [2]', or for a publisher's own later figure 'Updated: "…" [1], then "…" [2]'."""
    quoted = [f'"{claim["text"]}" [{claim["n"]}]' for claim in conflict["claims"]]
    if conflict["kind"] == "update":
        return "Updated: " + ", then ".join(quoted)
    return "Reports differ: " + " vs ".join(quoted)


def article_lines(citations: list, indent: str = "") -> list[str]:
    """One line per cited article, with all the numbers that cite it: "[2, 9] title · source · date · url"."""
    numbers: dict[str, list[int]] = {}
    for citation in citations:
        numbers.setdefault(citation.article.article_id, []).append(citation.n)
    lines = []
    for citation in citations:
        article = citation.article
        if numbers[article.article_id][0] != citation.n:
            continue
        parts = [article.title or "(untitled)", article.source or "unknown publisher", human_date(article.published)]
        marks = ", ".join(map(str, numbers[article.article_id]))
        lines.append(f"{indent}[{marks}] " + " · ".join(parts + ([article.url] if article.url else [])))
    return lines


def render_timeline(first: date, last: date, topic: str, timeline) -> str:
    if timeline is None:
        return f"No stories about {topic!r} {window_words(first, last)}."
    lines = [f"{timeline.story.headline or '(untitled)'} [{timeline.story.story_id}]", ""]
    for number, line in enumerate(timeline.lines):
        if number == 1 and timeline.left_out:
            lines.append(f"   … {timeline.left_out} more reports between these; use --limit to see them")
        article = line.article
        head = f"{human_date(article.published)} · {article.source or 'unknown publisher'}"
        lines.extend(textwrap.wrap(f"{head}: {line.sentence} [{line.n}]", WIDTH, subsequent_indent="     "))
        for mark in line.marks:
            lines.extend(textwrap.wrap(conflict_line(mark), WIDTH, initial_indent="   ", subsequent_indent="     "))
        if line.also:
            also = ", ".join(f"{a.source or 'unknown publisher'} ({human_date(a.published)})" for a in line.also)
            lines.append(f"   also: {also}")
    if not timeline.lines:
        lines.append("(no report of this story has a sentence that reads well alone; see its sources)")
    lines.append("")
    lines.extend(article_lines(timeline.citations))
    return "\n".join(lines).rstrip()


def render_brief(brief) -> str:
    about = f" about {brief.topic!r}" if brief.topic else ""
    if not brief.stories:
        return f"No stories{about} {window_words(brief.since, brief.until)}."
    lines = [f"Top stories{about} {window_words(brief.since, brief.until)}:", ""]
    for number, item in enumerate(brief.stories, 1):
        lines.append(f"{number}. {item.story.headline or '(untitled)'}")
        for bullet in item.bullets:
            lines.extend(
                textwrap.wrap(f"{bullet.text} [{bullet.n}]", WIDTH, initial_indent="   • ", subsequent_indent="     ")
            )
        if not item.bullets:
            lines.append("   (no sentence of its lead reads well alone; see its sources)")
        for conflict in item.conflicts:
            lines.extend(textwrap.wrap(conflict_line(conflict), WIDTH, initial_indent="   ", subsequent_indent="     "))
        lines.extend(article_lines(item.citations, "   "))
        if item.also_reported_by:
            lines.append(f"   also reported by {', '.join(item.also_reported_by)}")
        lines.append("")
    if brief.more:
        lines.append(f"{brief.more} more stories in this window; use --limit to see them.")
    return "\n".join(lines).rstrip()


def follow_item_line(item: dict) -> str:
    """One story of an alert, update or digest: the headline, the quote, where and when, the link."""
    where = f"{item.get('source') or 'unknown publisher'}, {human_date(item.get('published') or '')}"
    line = f"{item.get('title') or '(untitled)'}: “{item['quote']}” ({where})"
    return line + (f" {item['url']}" if item.get("url") else "")


def render_follow_message(payload: dict) -> str:
    """An outbox message as lines for `newsbot watch`: `alert`, `update` or `digest`, then the follow."""
    head = f"#{payload['follow_id']} {payload['topic']}"
    if payload["type"] == "digest":
        lines = [f"digest  {head}: {len(payload['items'])} more stories this hour"]
        return "\n".join(lines + [f"  - {follow_item_line(item)}" for item in payload["items"]])
    if payload.get("corrected"):
        return f"update  {head}: corrected in {payload.get('source') or 'the article'}: was “{payload['corrected']}”, now “{payload['quote']}” {payload.get('url') or ''}".rstrip()
    return f"{payload['type']:<7} {head}: {follow_item_line(payload)}"


def render_backtest(topic: str, hits: list, days: int) -> str:
    if not hits:
        return f"In the last {days} days, nothing would have matched “{topic}”."
    lines = [f"In the last {days} days, “{topic}” would have sent {len(hits)} alert{'s' if len(hits) != 1 else ''}:"]
    return "\n".join(lines + [f"  - {follow_item_line(hit.payload)}" for hit in hits])


QUOTE_CHARS = 300  # of a quoted sentence in a correction's line


def correction_line(payload: dict, escape: Callable[[str], str] = str, new_n: int | None = None) -> str:
    """One line saying what overtook an answer (bot/memory/checks.py): "⚠️ Corrected 7 Dec: the
    article now says “…” [3]". `escape` makes article text safe where it is shown; `new_n` is the
    number of the citation the line's sentence is given under."""
    day = date.fromisoformat(payload["day"])
    when = f"{day.day} {day:%b}"
    marker = f" [{new_n}]" if new_n else ""
    now = escape(_cut(payload.get("now") or ""))
    quoted = escape(_cut(payload["quoted"]))
    source = escape(payload.get("source") or "another outlet")
    kind = payload["kind"]
    if kind == "removed":
        return f"⚠️ Source removed {when}: the article of [{payload['n']}] is no longer in the index"
    if kind == "corrected" and now:
        return f"⚠️ Corrected {when}: the article of [{payload['n']}] now says “{now}”{marker}"
    if kind == "corrected":
        return f"⚠️ Corrected {when}: the article of [{payload['n']}] no longer says “{quoted}”"
    label = "Updated" if kind == "updated" else "Reports differ"
    return f"⚠️ {label} {when}: {source} gives “{now}”{marker}"


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"


def render_correction(payload: dict, question: str) -> str:
    """A correction as `newsbot watch` prints it: the question answered, the line, and the address."""
    line = correction_line(payload)
    url = payload.get("url") or ""
    return f"answer  #{payload['answer_id']} “{question}”: {line}{' ' + url if url else ''}"
