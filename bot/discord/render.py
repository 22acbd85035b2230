"""Answers as Discord messages: the answer with its [n] markers as content, the numbered sources in
embeds, all within Discord's limits and with every mention neutralised.

Pure functions over plain data: embeds are dicts in Discord's payload shape, which the bot turns
into `discord.Embed.from_dict`. Only discord.utils' escaping helpers are used here.
"""

import re
import time
from dataclasses import dataclass

from bot.answering.results import Answer, Citation
from bot.answering.verify import MARKER
from bot.dates import human_date
from bot.render import also_reported, conflict_line, emphasise, web_source_status, window_words
from index.articles.sentences import split_sentences

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
MESSAGE_EMBEDS_LIMIT = 6000  # characters across all embeds of one message
EMBEDS_PER_MESSAGE = 10
QUOTE_LIMIT = 1000  # a longer quote is shortened at a word, keeping its verbatim start
EMBED_COLOUR = 0x2B6CB0
SOURCES_TITLE = "Sources"
REFUSAL_HINT = "Use `/sources` to see which articles are indexed, or try other words."
DRAFT_FOOTER = "✍️ *writing… citations are checked when the answer is complete*"
EXTRACTIVE_MODE = "extractive: quotes the best sentences of the articles, no language model"


@dataclass(frozen=True)
class DiscordMessage:
    content: str
    embeds: tuple[dict, ...] = ()


def neutralise(text: str) -> str:
    """No @everyone, @here, user or role mention can fire from article or question text."""
    from discord.utils import escape_mentions

    return escape_mentions(text)


def plain(text: str) -> str:
    """Article text shown as written: mentions neutralised, Markdown characters escaped."""
    from discord.utils import escape_markdown

    # escape_markdown leaves brackets that don't look like a link; in a link's text they would end it.
    return neutralise(re.sub(r"(?<!\\)([\[\]])", r"\\\1", escape_markdown(text)))


def split_text(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut between sentences where possible, then between
    words; a single word longer than `limit` is cut hard."""
    pieces: list[str] = []
    current = ""
    for unit in _units(text, limit):
        if len(current) + len(unit) > limit and current:
            pieces.append(current.rstrip())
            current = ""
        current += unit
    if current.strip():
        pieces.append(current.rstrip())
    return pieces


def _units(text: str, limit: int):
    for sentence in split_sentences(text):
        if len(sentence) <= limit:
            yield sentence
            continue
        for word in sentence.split(" "):
            word += " "
            while len(word) > limit:
                yield word[:limit]
                word = word[limit:]
            yield word


def linked_title(title: str, url: str) -> str:
    shown = plain(title or "(untitled)")
    if url.startswith(("https://", "http://")):
        return f"[{shown}]({url.replace(' ', '%20').replace(')', '%29')})"
    return shown


def shorten(text: str, limit: int) -> str:
    """`text`, or its verbatim start cut at a word with " …" when longer than `limit`."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def source_entry(citation: Citation) -> str:
    title = linked_title(citation.title, citation.url)
    details = " · ".join([plain(citation.source or "unknown publisher"), human_date(citation.published)])
    if also_reported(citation):
        details += f" · also reported by {plain(also_reported(citation))}"
    quotes = []
    for quote in citation.quotes:
        quote = " ".join(quote.split())
        quote = shorten(quote, QUOTE_LIMIT)
        quotes.append(f"> {plain(quote)}")
    return f"**[{citation.n}]** {title} · {details}\n" + "\n".join(quotes)


def sources_embeds(citations: list[Citation]) -> list[dict]:
    """Embeds whose descriptions list the sources in order, each description within its limit."""
    descriptions: list[str] = []
    for entry in map(source_entry, citations):
        if descriptions and len(descriptions[-1]) + 2 + len(entry) <= DESCRIPTION_LIMIT:
            descriptions[-1] += "\n\n" + entry
        else:
            descriptions.append(entry[:DESCRIPTION_LIMIT])
    embeds = [{"description": description, "color": EMBED_COLOUR} for description in descriptions]
    if embeds:
        embeds[0]["title"] = SOURCES_TITLE
    return embeds


def embed_size(embed: dict) -> int:
    """Characters Discord counts towards a message's 6000 (title, description, fields, footer)."""
    fields = sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields", []))
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + fields
        + len(embed.get("footer", {}).get("text", ""))
    )


def render_answer(answer: Answer) -> list[DiscordMessage]:
    """The messages to send, in order: content first, sources in the last content message."""
    if answer.refused:
        return [DiscordMessage(f"{neutralise(answer.text)}\n{REFUSAL_HINT}")]
    opening = f"**{answer.short_answer}**\n" if answer.short_answer else ""
    text = neutralise(opening + emphasise(answer, lambda span: f"**{span}**"))
    for note in (answer.freshness_note, answer.note):
        if note:
            text += f"\n*{plain(note)}*"
    for conflict in answer.conflicts:
        text += f"\n{plain(conflict_line(conflict))}"
    contents = split_text(text)
    embeds = sources_embeds(answer.citations)
    messages = [DiscordMessage(content) for content in contents[:-1]]
    batch: list[dict] = []
    content = contents[-1] if contents else ""
    for embed in embeds:
        too_big = sum(map(embed_size, batch)) + embed_size(embed) > MESSAGE_EMBEDS_LIMIT
        if batch and (too_big or len(batch) == EMBEDS_PER_MESSAGE):
            messages.append(DiscordMessage(content, tuple(batch)))
            content, batch = "", []
        batch.append(embed)
    messages.append(DiscordMessage(content, tuple(batch)))
    return messages


def render_draft(text: str) -> DiscordMessage:
    """A model's answer while it is being written: its unchecked [n] markers left out, the end
    shown if it outgrows one message."""
    shown = neutralise(" ".join(MARKER.sub("", text).split()))
    room = CONTENT_LIMIT - len(DRAFT_FOOTER) - 3
    if len(shown) > room:
        shown = "…" + shown[-room + 1 :]
    return DiscordMessage(f"{shown}\n{DRAFT_FOOTER}")


def describe_answer_mode(llm) -> str:
    """For /about: how answers are written, from settings.LLMSettings."""
    if not llm.enabled:
        return EXTRACTIVE_MODE
    return f"{llm.mode}: written by {plain(llm.model_name)}, every citation checked against the articles"


@dataclass(frozen=True)
class ArticleRef:
    title: str
    source: str
    url: str
    published: str


def render_article_list(articles: list[ArticleRef], heading: str, footer: str) -> DiscordMessage:
    """One embed listing articles, numbered, with linked title, publisher and date."""
    lines: list[str] = []
    for n, article in enumerate(articles, start=1):
        details = " · ".join([plain(article.source or "unknown publisher"), human_date(article.published)])
        line = f"**{n}.** {linked_title(article.title, article.url)} · {details}"
        if sum(len(existing) + 1 for existing in lines) + len(line) > DESCRIPTION_LIMIT:
            break
        lines.append(line)
    embed = {
        "title": neutralise(heading)[:256],
        "description": "\n".join(lines) or "No matching articles.",
        "color": EMBED_COLOUR,
        "footer": {"text": footer[:2048]},
    }
    return DiscordMessage("", (embed,))


def web_sources_text(statuses: list[dict], now: float) -> str:
    """One line per web source for /about: its last good fetch, the newest article's date, its last error."""
    lines = [
        f"**{plain(status.get('name') or status['url'])}**: {plain(web_source_status(status, now))}"
        for status in statuses[:10]
    ]
    if len(statuses) > 10:
        lines.append(f"and {len(statuses) - 10} more")
    return "\n".join(lines)[:1024]


def render_about(stats, answer_mode: str) -> DiscordMessage:
    """What the bot knows: an embed made from pipeline.IndexStats."""
    span = (
        f"{human_date(stats.first_published)} to {human_date(stats.last_published)}"
        if stats.first_published
        else "no dated articles"
    )
    publishers = ", ".join(f"{plain(name)} ({count})" for name, count in list(stats.sources.items())[:8]) or "none"
    if len(stats.sources) > 8:
        publishers += f" and {len(stats.sources) - 8} more"
    fields = [
        ("Articles", f"{stats.articles:,}" + (f" ({stats.undated} undated)" if stats.undated else "")),
        ("Passages", f"{stats.chunks:,}"),
        ("Dates", span),
        ("Publishers", publishers[:1024]),
        ("Embedding model", plain(stats.model)),
        ("Answers", answer_mode),
    ]
    if stats.web_sources:
        fields.append(("Web sources", web_sources_text(stats.web_sources, time.time())))
    embed = {
        "title": "About newsbot",
        "description": "Answers questions from the indexed news articles, quoting and citing the passages it uses.",
        "color": EMBED_COLOUR,
        "fields": [
            {"name": name, "value": value, "inline": name not in ("Publishers", "Answers", "Web sources")}
            for name, value in fields
        ],
    }
    return DiscordMessage("", (embed,))


def render_brief(brief, first: int = 0) -> DiscordMessage:
    """One embed of at most EMBEDS_PER_MESSAGE stories of a brief, from its `first`: each story's
    headline, its bullets quoted with linked citations, its disagreements, and who else reported it."""
    about = f" about “{brief.topic}”" if brief.topic else ""
    heading = f"Top stories{about} {window_words(brief.since, brief.until)}"
    shown = brief.stories[first : first + EMBEDS_PER_MESSAGE]
    if not shown:
        return DiscordMessage(neutralise(f"No stories{about} {window_words(brief.since, brief.until)}."))
    blocks: list[str] = []
    for number, item in enumerate(shown, start=first + 1):
        links = {citation.n: citation.article for citation in item.citations}
        lines = [f"**{number}. {plain(item.story.headline or '(untitled)')}**"]
        for bullet in item.bullets:
            article = links[bullet.n]
            source = f" — {linked_title(article.source or 'source', article.url)}, {human_date(article.published)}"
            lines.append(f"> {plain(shorten(bullet.text, QUOTE_LIMIT // 2))}{source}")
        for conflict in item.conflicts:
            lines.append(plain(shorten(conflict_line(conflict), QUOTE_LIMIT // 2)))
        if item.also_reported_by:
            lines.append(f"*also reported by {plain(', '.join(item.also_reported_by[:5]))}*")
        block = "\n".join(lines)
        if sum(len(b) + 2 for b in blocks) + len(block) > DESCRIPTION_LIMIT - 100:
            break
        blocks.append(block)
    remaining = len(brief.stories) - first - len(blocks) + brief.more
    footer = f"{remaining} more stories" if remaining > 0 else "Quotes are verbatim from the articles"
    embed = {
        "title": neutralise(heading)[:256],
        "description": "\n\n".join(blocks),
        "color": EMBED_COLOUR,
        "footer": {"text": footer},
    }
    return DiscordMessage("", (embed,))


def render_timeline(first, last, topic: str, timeline) -> DiscordMessage:
    """A story's timeline as one embed: a line per report, oldest first, each quote linked to its
    article, with "Updated" and "Reports differ" where they fall; lines that don't fit are counted."""
    if timeline is None:
        return DiscordMessage(neutralise(f"No stories about “{topic}” {window_words(first, last)}."))
    blocks: list[str] = []
    for number, line in enumerate(timeline.lines):
        article = line.article
        lines = [
            f"**{human_date(article.published)}** · {linked_title(article.source or 'source', article.url)}",
            f"> {plain(shorten(line.sentence, QUOTE_LIMIT // 2))}",
        ]
        lines.extend(plain(shorten(conflict_line(mark), QUOTE_LIMIT // 2)) for mark in line.marks)
        if line.also:
            lines.append(f"*also {plain(', '.join(a.source or 'unknown publisher' for a in line.also[:5]))}*")
        block = "\n".join(lines)
        if number == 1 and timeline.left_out:
            block = f"*… {timeline.left_out} more reports between these*\n\n{block}"
        if sum(len(b) + 2 for b in blocks) + len(block) > DESCRIPTION_LIMIT - 100:
            break
        blocks.append(block)
    unshown = len(timeline.lines) - len(blocks)
    footer = f"{unshown} later reports not shown" if unshown else "Quotes are verbatim from the articles"
    title = f"Timeline: {timeline.story.headline or '(untitled)'}"
    embed = {
        "title": neutralise(title)[:256],
        "description": "\n\n".join(blocks) or "No report of this story has a sentence that reads well alone.",
        "color": EMBED_COLOUR,
        "footer": {"text": footer},
    }
    return DiscordMessage("", (embed,))


def follow_item(item: dict) -> str:
    """One story of an alert, update, digest or backtest: linked headline, the quote, where and when."""
    where = f"{neutralise(item.get('source') or 'unknown publisher')} · {human_date(item.get('published') or '')}"
    return f"{linked_title(item.get('title') or '(untitled)', item.get('url') or '')}\n> {neutralise(shorten(item['quote'], QUOTE_LIMIT))}\n{where}"


def render_follow_message(payload: dict) -> DiscordMessage:
    """An outbox message as Discord shows it: an alert is one embed; an update, posted in the alert's
    thread, is a short message; a digest is one embed listing the stories beyond the hourly cap."""
    topic = neutralise(payload["topic"])
    footer = {
        "text": f"Following “{shorten(payload['topic'], 100)}” (#{payload['follow_id']}) · /unfollow {payload['follow_id']} to stop"
    }
    if payload["type"] == "digest":
        items = payload["items"]
        text = "\n\n".join(follow_item(item) for item in items)
        embed = {
            "title": f"{len(items)} more stories about “{shorten(topic, 80)}” this hour",
            "description": shorten(text, DESCRIPTION_LIMIT),
            "color": EMBED_COLOUR,
            "footer": footer,
        }
        return DiscordMessage("", [embed])
    if payload["type"] == "update":
        if payload.get("corrected"):
            source = neutralise(payload.get("source") or "The article")
            return DiscordMessage(
                split_text(
                    f"**Correction** in {source}: it no longer says\n> {neutralise(shorten(payload['corrected'], QUOTE_LIMIT))}\nbut\n"
                    f"> {neutralise(shorten(payload['quote'], QUOTE_LIMIT))}\n{payload.get('url') or ''}".rstrip()
                )[0]
            )
        return DiscordMessage(split_text(f"**Update:** {follow_item(payload)}")[0])
    embed = {
        "title": shorten(payload.get("title") or "(untitled)", 256),
        "description": f"> {neutralise(shorten(payload['quote'], QUOTE_LIMIT))}",
        "color": EMBED_COLOUR,
        "footer": footer,
        "fields": [
            {
                "name": "Source",
                "value": shorten(neutralise(payload.get("source") or "unknown publisher"), 1024),
                "inline": True,
            },
            {"name": "Published", "value": human_date(payload.get("published") or ""), "inline": True},
        ],
    }
    if payload.get("url"):
        embed["url"] = payload["url"]
    return DiscordMessage(f"New story about “{shorten(topic, 200)}”", [embed])


def render_backtest(topic: str, hits: list, days: int, follow_id: int | None) -> DiscordMessage:
    """What a new follow would have sent in the last `days` days, and how to stop it."""
    heading = f"Following “{neutralise(topic)}” (#{follow_id}). " if follow_id else ""
    if not hits:
        return DiscordMessage(
            f"{heading}Nothing in the last {days} days would have matched it; new stories about it will be posted here."
        )
    shown = "\n\n".join(follow_item(hit.payload) for hit in hits[:8])
    more = f"\n\n…and {len(hits) - 8} more." if len(hits) > 8 else ""
    embed = {
        "title": f"In the last {days} days it would have posted {len(hits)} alert{'s' if len(hits) != 1 else ''}",
        "description": shorten(shown + more, DESCRIPTION_LIMIT),
        "color": EMBED_COLOUR,
    }
    return DiscordMessage(heading + "This is what you signed up for:" if follow_id else heading, [embed])


def render_correction(payload: dict, shown: dict) -> tuple[DiscordMessage | None, DiscordMessage, int]:
    """What a correction (bot/memory/checks.py) does to an answer posted as `shown` ({"content",
    "embeds", "cited"}): (that message with the line under the answer and the new sentence's source
    added, or None when it would outgrow Discord's limits; the short reply; the citations it now has).
    The new sentence is cited under the next number."""
    from bot.render import correction_line

    cited = int(shown.get("cited", 0))
    new_n = cited + 1 if payload.get("now") else None
    line = correction_line(payload, plain, new_n)
    embeds = list(shown.get("embeds") or [])
    added: tuple[dict, ...] = ()
    if new_n:
        source = Citation(
            n=new_n,
            article_id=payload["article_id"],
            title=payload.get("title") or "",
            source=payload.get("source") or "",
            url=payload.get("url") or "",
            published=payload.get("published") or "",
            quote=payload["now"],
        )
        added = ({"description": source_entry(source)[:DESCRIPTION_LIMIT], "color": EMBED_COLOUR},)
    content = f"{shown.get('content') or ''}\n{line}".lstrip("\n")
    edited_embeds = (*embeds, *added)
    fits = (
        len(content) <= CONTENT_LIMIT
        and len(edited_embeds) <= EMBEDS_PER_MESSAGE
        and sum(map(embed_size, edited_embeds)) <= MESSAGE_EMBEDS_LIMIT
    )
    edited = DiscordMessage(content, edited_embeds) if fits else None
    return edited, DiscordMessage(split_text(line)[0], added), new_n or cited
