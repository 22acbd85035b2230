"""Layer (a) of the Discord tests: the pure rendering and splitting functions."""

import dataclasses

import discord
import pytest

from bot.answering.results import REFUSAL, Answer, Citation
from bot.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBEDS_PER_MESSAGE,
    MESSAGE_EMBEDS_LIMIT,
    render_answer,
    split_text,
)
from index.search.diversify import Outlet

SNOWFLAKE = "123456789012345678"


def citation(n, quote, title="Peace talks resume", url="https://example.org/talks", source="LN247"):
    return Citation(n=n, article_id="a1", title=title, source=source, url=url, published="2025-06-02", quote=quote)


def answer_with(citations):
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question="q", text=text, refused=False, citations=citations)


def all_text(messages):
    return "\n".join(m.content + "".join(e.get("title", "") + e["description"] for e in m.embeds) for m in messages)


def test_answer_content_and_numbered_sources():
    quote = "Defense Minister Rustem Umerov would head the Ukrainian delegation."
    messages = render_answer(answer_with([citation(1, quote), citation(2, "The talks resumed on Monday.", url="")]))
    assert len(messages) == 1
    message = messages[0]
    assert message.content == f"{quote} [1] The talks resumed on Monday. [2]"
    (embed,) = message.embeds
    assert embed["title"] == "Sources"
    first, second = embed["description"].split("\n\n")
    assert first == f"**[1]** [Peace talks resume](https://example.org/talks) · LN247 · 2 June 2025\n> {quote}"
    assert second.startswith("**[2]** Peace talks resume · LN247 · 2 June 2025\n")


def test_other_outlets_and_the_age_of_the_sources_are_shown():
    wire = citation(1, "Rescuers reached the villagers.", source="Wire Service")
    outlets = tuple(
        Outlet(f"a{n}", "Cave rescue", name, "", "2026-05-28")
        for n, name in enumerate(["Mekong Herald", "@everyone Daily", "CNN", "WTOP"])
    )
    answer = answer_with([dataclasses.replace(wire, also_reported_by=outlets)])
    answer.freshness_note = "The latest article on this is from 28 May 2026."
    text = all_text(render_answer(answer))
    assert "also reported by Mekong Herald, @\u200beveryone Daily, CNN and 1 more" in text
    assert "*The latest article on this is from 28 May 2026.*" in text


def test_refusal_points_to_sources_and_cites_nothing():
    (message,) = render_answer(Answer(question="q", text=REFUSAL, refused=True))
    assert message.content.startswith(REFUSAL)
    assert "/sources" in message.content
    assert message.embeds == ()


@pytest.mark.parametrize("hostile", ["@everyone", "@here", f"<@{SNOWFLAKE}>", f"<@!{SNOWFLAKE}>", f"<@&{SNOWFLAKE}>"])
def test_mentions_in_article_text_are_neutralised(hostile):
    cited = citation(1, f"He told {hostile} to attend.", title=f"Notice {hostile}", source=f"Desk {hostile}")
    rendered = all_text(render_answer(answer_with([cited])))
    assert hostile not in rendered
    assert "@\u200b" in rendered


def test_markdown_in_article_text_is_escaped_not_rendered():
    cited = citation(1, "Shares fell *sharply* to $5_000.", title="Markets [live]")
    description = render_answer(answer_with([cited]))[0].embeds[0]["description"]
    assert "\\*sharply\\*" in description and "5\\_000" in description
    assert "[Markets \\[live\\]](https://example.org/talks)" in description


def test_long_content_splits_between_sentences():
    sentences = [f"Sentence number {i} reports a long and detailed development in the story." for i in range(80)]
    text = " ".join(sentences)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(len(piece) <= CONTENT_LIMIT for piece in pieces)
    assert all(piece.endswith("story.") for piece in pieces)
    assert " ".join(pieces) == text


def test_a_sentence_longer_than_the_limit_splits_between_words():
    text = ("word " * 900).strip()
    pieces = split_text(text)
    assert all(len(piece) <= CONTENT_LIMIT for piece in pieces)
    assert " ".join(pieces).split() == text.split()
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_many_long_sources_respect_embed_and_message_limits():
    quote = "The delegation said the negotiations would continue despite the overnight strikes, " * 14
    citations = [citation(n, quote.strip(), title="T" * 200) for n in range(1, 31)]
    messages = render_answer(answer_with(citations))
    numbers = []
    for message in messages:
        assert len(message.content) <= CONTENT_LIMIT
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        embeds = [discord.Embed.from_dict(e) for e in message.embeds]
        assert sum(len(e) for e in embeds) <= MESSAGE_EMBEDS_LIMIT  # discord.py counts as Discord does
        for embed in embeds:
            assert len(embed.description) <= DESCRIPTION_LIMIT
            numbers += [int(line.split("]")[0][3:]) for line in embed.description.split("\n") if line.startswith("**[")]
    assert numbers == list(range(1, 31))
    assert "…" in messages[-1].embeds[-1]["description"]


def test_article_list_links_titles_and_stays_within_the_limit():
    from bot.discord.render import ArticleRef, render_article_list

    articles = [
        ArticleRef(f"Story {n} @everyone", "LN247", f"https://example.org/{n}", "2025-06-02") for n in range(400)
    ]
    (embed,) = render_article_list(articles, "Newest indexed articles", "400 articles indexed").embeds
    assert embed["description"].startswith(
        "**1.** [Story 0 @\u200beveryone](https://example.org/0) · LN247 · 2 June 2025"
    )
    assert len(discord.Embed.from_dict(embed)) <= MESSAGE_EMBEDS_LIMIT
    assert len(embed["description"]) <= DESCRIPTION_LIMIT


def test_the_short_answer_opens_the_reply_and_is_bold_in_the_quote():
    quote = "Defense Minister Rustem Umerov would head the Ukrainian delegation."
    cited = dataclasses.replace(citation(1, quote), highlight="Defense Minister Rustem Umerov")
    (message,) = render_answer(answer_with([cited]))
    assert message.content == (
        "**Defense Minister Rustem Umerov**\n**Defense Minister Rustem Umerov** would head the Ukrainian delegation. [1]"
    )


def test_a_short_answer_that_could_ping_is_neutralised():
    quote = "The vote was called by @everyone on the council."
    cited = dataclasses.replace(citation(1, quote), highlight="@everyone")
    (message,) = render_answer(answer_with([cited]))
    assert "@everyone" not in message.content and message.content.startswith("**@\u200beveryone**\n")


def test_an_article_quoted_twice_is_one_source_with_both_quotes():
    cited = dataclasses.replace(
        citation(1, "The talks resumed on Monday."), more_quotes=("Umerov leads the delegation.",)
    )
    (message,) = render_answer(
        Answer(
            question="q",
            text="The talks resumed on Monday. [1] Umerov leads the delegation. [1]",
            refused=False,
            citations=[cited],
        )
    )
    (embed,) = message.embeds
    assert embed["description"].count("**[1]**") == 1
    assert "> The talks resumed on Monday.\n> Umerov leads the delegation." in embed["description"]
