"""Completing a sentence that a chunk edge cut in two, from the chunk beside it.

Consecutive chunks of an article overlap (the chunker repeats up to 32 tokens), so the overlap is
found and skipped before the missing words are taken.
"""

from index.articles.sentences import split_sentences

# An overlap shorter than this could be a coincidence ("the ").
MIN_OVERLAP_CHARS = 12


def overlap(first: str, second: str) -> int:
    """Length of the longest end of `first` that `second` starts with (0 if under MIN_OVERLAP_CHARS)."""
    for start in range(max(0, len(first) - len(second)), len(first) - MIN_OVERLAP_CHARS + 1):
        if second.startswith(first[start:]):
            return len(first) - start
    return 0


def lead_from(previous: str, text: str) -> str:
    """The start of the sentence `text` begins in the middle of, taken from the chunk before it,
    with the whitespace that joins them."""
    before = previous[: len(previous) - overlap(previous, text)]
    pieces = split_sentences(before)
    if not pieces or not pieces[-1].strip():
        return ""
    lead = pieces[-1]
    return lead if lead[-1:].isspace() else lead + " "


def tail_from(text: str, following: str) -> str:
    """The end of the sentence `text` stops in the middle of, taken from the chunk after it, with
    the whitespace that joins them; empty when the next chunk starts a new sentence."""
    after = following[overlap(text, following) :]
    stripped = after.lstrip()
    if not stripped or not (stripped[0].islower() or stripped[0] in ",;:)"):
        return ""
    first = split_sentences(stripped)[0].rstrip()
    return (after[: len(after) - len(stripped)] or " ") + first


def edges(previous: str | None, text: str, following: str | None) -> tuple[str, str]:
    """(lead, tail): what completes the sentences `text` starts and ends in the middle of, from the
    chunks before and after it (None where there is none). Search and indexing agree on this, so the
    sentences indexed with a chunk are the ones an answer reads."""
    lead = lead_from(previous, text) if previous is not None and starts_mid_sentence(text) else ""
    tail = tail_from(text, following) if following is not None and ends_mid_sentence(text) else ""
    return lead, tail


def starts_mid_sentence(text: str) -> bool:
    return bool(text) and (text[0].islower() or text[0] in ",;:)")


def ends_mid_sentence(text: str) -> bool:
    return bool(text) and text.rstrip()[-1:] not in ".!?\"'”’)]:"
